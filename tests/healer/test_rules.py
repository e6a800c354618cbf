"""Pure parts, table-tested from one good fixture: gates, payload parsing, policy matching, pulumi."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from slostack.healer.actuators.base import ActuatorError
from slostack.healer.actuators.pulumi_stack import PulumiActuator
from slostack.healer.gates import Allowed, Blocked, GateInputs, decide
from slostack.healer.matching import TargetRejected, match_alert
from slostack.healer.payload import WebhookMessage, alert_key

from .harness import alert, message, policy


def good_gates() -> GateInputs:
    return GateInputs(
        now=1000.0,
        enabled=True,
        paused=False,
        breaker_open=False,
        touches_target=True,
        last_action_at=100.0,
        cooldown=600.0,
        attempts_in_window=1,
        max_attempts=3,
        rate_count=2,
        rate_oldest_at=500.0,
        rate_limit=10,
        rate_per=3600.0,
    )


def test_good_gates_allow():
    assert decide(good_gates()) == Allowed()


@pytest.mark.parametrize(
    "change, reason, final, retry_at",
    [
        pytest.param({"enabled": False}, "disabled", True, None, id="a disabled policy never acts"),
        pytest.param({"paused": True}, "paused", False, None, id="the kill switch holds every action"),
        pytest.param({"breaker_open": True}, "breaker_open", False, None, id="an open breaker holds"),
        pytest.param(
            {"paused": True, "enabled": False}, "disabled", True, None, id="disabled wins over paused"
        ),
        pytest.param({"attempts_in_window": 3}, "max_attempts", True, None, id="max attempts is final"),
        pytest.param(
            {"last_action_at": 900.0}, "cooldown", False, 1500.0, id="cooldown retries when it ends"
        ),
        pytest.param(
            {"last_action_at": 900.0, "attempts_in_window": 3},
            "max_attempts",
            True,
            None,
            id="max attempts wins over cooldown",
        ),
        pytest.param(
            {"rate_count": 10}, "rate_limited", False, 4100.0, id="rate limit retries when a slot frees"
        ),
    ],
)
def test_gates_block(change: dict[str, Any], reason: str, final: bool, retry_at: float | None):
    out = decide(replace(good_gates(), **change))
    assert isinstance(out, Blocked)
    assert (out.reason, out.final, out.retry_at) == (reason, final, retry_at)


def test_notify_steps_skip_cooldown_attempts_and_rate_but_not_pause():
    busy = replace(
        good_gates(), touches_target=False, last_action_at=999.0, attempts_in_window=9, rate_count=99
    )
    assert decide(busy) == Allowed()
    assert isinstance(decide(replace(busy, paused=True)), Blocked)


def test_payload_ignores_unknown_fields_and_normalizes_the_key():
    m = WebhookMessage.model_validate(message(alert(starts_at="2026-01-02T04:04:05.123+01:00")))
    assert alert_key(m.alerts[0]) == ("a1b2c3d4e5f60718", "2026-01-02T03:04:05.123000+00:00", "firing")
    same = WebhookMessage.model_validate(message(alert(starts_at="2026-01-02T03:04:05.123Z")))
    assert alert_key(same.alerts[0]) == alert_key(m.alerts[0])


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"version": "3"}, id="only version 4"),
        pytest.param({"alerts": "x"}, id="alerts must be a list"),
        pytest.param({"alerts": [alert(labels={"bad-name": "x"})]}, id="label names are Prometheus names"),
        pytest.param({"alerts": [alert(labels={f"l{i}": "x" for i in range(65)})]}, id="at most 64 labels"),
        pytest.param({"alerts": [alert(labels={"a": "x" * 5000})]}, id="label values are bounded"),
        pytest.param({"alerts": [alert(fingerprint="")]}, id="a fingerprint is required"),
    ],
)
def test_payload_rejects(change: dict[str, Any]):
    with pytest.raises(ValidationError):
        WebhookMessage.model_validate({**message(), **change})


def test_matching_first_policy_wins_and_targets_are_checked():
    p = policy(targets=["checkout", "checkout-canary"])
    labels = alert()["labels"]
    m = match_alert(p, labels)
    assert m is not None and (m.index, m.target, m.slo) == (0, "checkout", "availability")
    assert m.check is not None and m.check.slo_id == "checkout-availability"
    assert match_alert(p, {**labels, "target": "checkout-canary"}).target == "checkout-canary"
    latency = match_alert(p, {**labels, "slo_name": "latency"})
    assert latency is not None and latency.index == 1
    assert match_alert(p, {**labels, "slo_severity": "ticket"}) is None
    for bad in ("payments", "Checkout", "checkout\n", "a" * 64):
        with pytest.raises(TargetRejected):
            match_alert(p, {**labels, "target": bad})


def test_pulumi_actuator_only_rolls_back_through_the_injected_function():
    seen: list[str] = []
    actuator = PulumiActuator(lambda t: seen.append(t) or "v41")
    assert actuator.rollback("checkout") == "pulumi rollback of checkout to release v41"
    assert seen == ["checkout"]
    for call in (lambda: actuator.restart("checkout"), lambda: actuator.scale("checkout", 2)):
        with pytest.raises(ActuatorError):
            call()
    with pytest.raises(ActuatorError, match="release ledger"):
        PulumiActuator().rollback("checkout")
    assert actuator.capabilities == frozenset({"rollback"})


@given(
    paused=st.booleans(),
    breaker_open=st.booleans(),
    enabled=st.booleans(),
    touches=st.booleans(),
    last=st.one_of(st.none(), st.floats(0, 2000)),
    attempts=st.integers(0, 10),
    rate=st.integers(0, 20),
)
def test_gates_never_let_a_step_through_a_safety_stop(
    paused: bool,
    breaker_open: bool,
    enabled: bool,
    touches: bool,
    last: float | None,
    attempts: int,
    rate: int,
):
    g = replace(
        good_gates(),
        paused=paused,
        breaker_open=breaker_open,
        enabled=enabled,
        touches_target=touches,
        last_action_at=last,
        attempts_in_window=attempts,
        rate_count=rate,
    )
    out = decide(g)
    if paused or breaker_open or not enabled:
        assert isinstance(out, Blocked)
    if isinstance(out, Allowed) and touches:
        assert attempts < g.max_attempts and rate < g.rate_limit
        assert last is None or g.now >= last + g.cooldown
    if isinstance(out, Blocked) and out.retry_at is not None:
        assert out.retry_at > g.now and not out.final
