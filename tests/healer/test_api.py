"""The read API's filters and metrics, and ladder steps the actuator or policy rules out."""

from __future__ import annotations

import time
from typing import Any

from slostack.healer.actuators.pulumi_stack import PulumiActuator
from slostack.local.supervisor import Supervisor

from .harness import AUTH, alert, message, policy, wait_for


def get(c: Any, path: str, **params: Any) -> Any:
    r = c.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_actions_and_incidents_filter(make_healer, checkout: Supervisor):
    p = policy(
        dry_run=True, policy0={"cooldown": "100ms", "verify_for": "1h", "ladder": [{"action": "restart"}]}
    )
    h = make_healer(p, supervisor=checkout)
    with h.client(headers=AUTH) as c:
        start = time.time()
        c.post(
            "/v1/alerts", json=message(alert(fingerprint="aaaa"), alert(fingerprint="bbbb"))
        ).raise_for_status()
        wait_for(lambda: len(get(c, "/v1/actions")) == 2)
        everything = get(c, "/v1/actions")
        assert set(everything[0]) >= {"id", "time", "incident", "target", "action", "dry_run", "outcome"}
        assert everything[0]["time"].endswith("+00:00")
        first = everything[0]["incident"]
        assert [a["incident"] for a in get(c, "/v1/actions", incident=first)] == [first]
        assert len(get(c, "/v1/actions", target="checkout", action="restart", outcome="would_do")) == 2
        assert get(c, "/v1/actions", action="rollback") == []
        assert get(c, "/v1/actions", target="nope") == []
        assert len(get(c, "/v1/actions", since=str(start - 1))) == 2
        assert get(c, "/v1/actions", since="2999-01-01T00:00:00Z") == []
        assert len(get(c, "/v1/actions", limit=1)) == 1
        assert c.get("/v1/actions", params={"since": "last tuesday"}).status_code == 422
        assert c.get("/v1/actions", params={"limit": 0}).status_code == 422
        assert len(get(c, "/v1/incidents", status="open", target="checkout")) == 2
        assert get(c, "/v1/incidents", status="escalated") == []
        assert c.get("/health", headers={}).json() == {"status": "ok"}
        metrics = c.get("/metrics", headers={}).text
        for name in (
            "healer_webhooks_total",
            "healer_actions_total",
            "healer_action_duration_seconds",
            "healer_incidents_open 2.0",
            "healer_escalations_total",
            "healer_paused 0.0",
        ):
            assert name in metrics


def test_auto_without_evidence_only_notifies_and_undeliverable_kinds_are_recorded(
    make_healer, checkout: Supervisor
):
    p = policy(
        receivers={"pager": {"name": "pager", "kind": "pagerduty"}},
        escalate_to="pager",
        policy0={
            "cooldown": "100ms",
            "verify_for": "300ms",
            "forbid": ["restart"],
            "ladder": [{"action": "restart"}, {"action": "auto", "receiver": "pager"}],
        },
    )
    h = make_healer(p, supervisor=checkout)
    pid = checkout.pid("checkout-0")
    with h.client(headers=AUTH) as c:
        c.post("/v1/alerts", json=message()).raise_for_status()
        wait_for(lambda: get(c, "/v1/incidents", status="escalated"))
        journal = get(c, "/v1/actions")
        assert [(a["action"], a["kind"], a["outcome"]) for a in journal] == [
            ("notify", "ladder", "undelivered"),
            ("notify", "escalation", "undelivered"),
        ]
        # No Prometheus to ask: the diagnosis is `unknown`, and an unknown cause only tells a human.
        assert journal[0]["params"]["receiver"] == "pager"
        assert journal[0]["params"]["diagnosis"] == "unknown"
        detail = get(c, f"/v1/incidents/{journal[0]['incident']}")
        assert detail["diagnosis"]["leader"] == "unknown"
        assert detail["diagnosis"]["remedy"]["action"] == "notify"
        assert "no Prometheus to ask" in detail["diagnosis"]["evidence"]["notes"]
        assert [a["id"] for a in detail["actions"]] == [a["id"] for a in journal]
        assert "paged by Alertmanager only" in journal[0]["detail"]
        assert "healer_escalations_total 1.0" in c.get("/metrics").text
    assert checkout.pid("checkout-0") == pid  # the forbidden restart never ran


def test_steps_the_actuator_cannot_do_are_skipped_not_failed(make_healer):
    rolled: list[str] = []
    actuator = PulumiActuator(lambda target: rolled.append(target) or "v7")
    ladder = [{"action": "restart"}, {"action": "scale", "step": 1, "max": 3}, {"action": "rollback"}]
    h = make_healer(
        policy(policy0={"cooldown": "100ms", "verify_for": "1h", "ladder": ladder}), actuator=actuator
    )
    with h.client(headers=AUTH) as c:
        c.post("/v1/alerts", json=message()).raise_for_status()
        done = wait_for(lambda: [a for a in get(c, "/v1/actions") if a["outcome"] == "ok"])
        assert [a["action"] for a in get(c, "/v1/actions")] == ["rollback"]
        assert done[0]["detail"] == "pulumi rollback of checkout to release v7"
    assert rolled == ["checkout"]
