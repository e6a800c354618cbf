"""Verification against a fake Prometheus (a real HTTP server on 127.0.0.1 with canned answers)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from slostack.healer.clock import SystemClock
from slostack.healer.prometheus import HttpPrometheus, reading_from_response
from slostack.healer.verify import Verifier
from slostack.local.supervisor import Supervisor
from slostack.render.healer_policy import SloCheck

from .harness import AUTH, Recorder, fake_prometheus, message, policy, prom_vector, wait_for

CHECK = SloCheck(
    slo_id="checkout-availability",
    alert="CheckoutAvailabilityBurn",
    verify_query='slo:sli_error:ratio_rate5m{slo_id="checkout-availability"}',
    recovered_below=Decimal("0.0144"),
    error_budget=Decimal("0.001"),
)
NO_DATA = {"status": "success", "data": {"resultType": "vector", "result": []}}


def run_verify(
    answer: Any, *, window: float = 0.6, resolved_after: int | None = None
) -> tuple[str, str, int]:
    with fake_prometheus(answer) as prom:

        async def go() -> tuple[str, str]:
            client = HttpPrometheus(prom.url)
            looks = {"n": 0}

            async def resolved() -> bool:
                looks["n"] += 1
                return resolved_after is not None and looks["n"] > resolved_after

            verifier = Verifier(client, SystemClock(), query_timeout=1.0, interval=0.1)
            verdict = await verifier.verify(CHECK, window, resolved, asyncio.Event())
            await client.aclose()
            return verdict.result, verdict.detail

        result, detail = asyncio.run(go())
        assert all(r["query"]["query"] == [CHECK.verify_query] for r in prom.requests)
        return result, detail, len(prom.requests)


def test_recovered_after_two_consecutive_good_readings():
    answers = ["0.5", "0.01", "0.2", "0.01", "0.001"]  # a lone good reading does not count
    result, detail, calls = run_verify(lambda n: prom_vector(answers[min(n, 4)]))
    assert result == "recovered" and "for 2 checks" in detail
    assert calls == 5


def test_not_recovered_while_the_ratio_stays_high():
    result, detail, calls = run_verify(lambda n: prom_vector("0.3"))
    assert result == "not_recovered" and "0.3" in detail
    assert calls >= 3


def test_the_worst_series_decides():
    result, _, _ = run_verify(lambda n: prom_vector("0.001", "0.9"))
    assert result == "not_recovered"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(NO_DATA, id="an empty vector is no data"),
        pytest.param(prom_vector("NaN"), id="NaN is no data"),
        pytest.param({"status": "error", "errorType": "bad_data", "error": "parse error"}, id="an error"),
    ],
)
def test_no_data_is_inconclusive_never_success(answer: dict[str, Any]):
    result, detail, _ = run_verify(lambda n: answer)
    assert result == "inconclusive" and "no usable data" in detail


def test_a_dead_prometheus_is_inconclusive():
    with Recorder() as dead:
        url = dead.url
    verifier = Verifier(HttpPrometheus(url), SystemClock(), query_timeout=0.2, interval=0.1)
    verdict = asyncio.run(verifier.verify(CHECK, 0.3, lambda: _false(), asyncio.Event()))
    assert verdict.result == "inconclusive"


async def _false() -> bool:
    return False


def test_a_resolved_alert_wins_over_bad_readings():
    result, detail, _ = run_verify(lambda n: prom_vector("0.9"), resolved_after=2)
    assert result == "recovered" and detail == "the alert resolved"


def test_without_prometheus_the_firing_alert_alone_means_not_recovered():
    verifier = Verifier(None, SystemClock(), query_timeout=1.0, interval=0.05)
    verdict = asyncio.run(verifier.verify(CHECK, 0.2, lambda: _false(), asyncio.Event()))
    assert verdict.result == "not_recovered" and "no SLI query" in verdict.detail


def test_reading_from_response_shapes():
    assert (
        reading_from_response({"status": "success", "data": {"resultType": "scalar", "result": [1, "0.5"]}})
        == 0.5
    )
    assert reading_from_response(prom_vector("+Inf")) is None
    assert reading_from_response("garbage") is None


def test_engine_stops_on_recovered_and_escalates_on_inconclusive(make_healer, checkout: Supervisor):
    ladder = [{"action": "restart"}, {"action": "restart"}]
    p = policy(policy0={"cooldown": "100ms", "verify_for": "600ms", "max_attempts": 10, "ladder": ladder})
    with fake_prometheus(lambda n: prom_vector("0.001")) as prom:
        h = make_healer(p, supervisor=checkout, prometheus_url=prom.url, state=checkout.state_dir / "a.db")
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            inc = wait_for(lambda: [i for i in c.get("/v1/incidents").json() if i["status"] != "open"])
            assert inc[0]["status"] == "recovered"
            journal = c.get("/v1/actions").json()
            assert [(a["action"], a["verdict"]) for a in journal] == [("restart", "recovered")]
    with fake_prometheus(lambda n: NO_DATA) as prom:
        h = make_healer(p, supervisor=checkout, prometheus_url=prom.url, state=checkout.state_dir / "b.db")
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            inc = wait_for(lambda: [i for i in c.get("/v1/incidents").json() if i["status"] != "open"])
            assert inc[0]["status"] == "escalated" and "cannot tell" in inc[0]["detail"]
            journal = c.get("/v1/actions").json()
            # Inconclusive never moves down the ladder: one restart, then a human.
            assert [(a["action"], a["verdict"]) for a in journal] == [
                ("restart", "inconclusive"),
                ("notify", None),
            ]
