"""Ladders, gates and hand-over, with the real local actuator acting on real child processes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from slostack.local.supervisor import Supervisor

from .conftest import EnvRollbacker
from .harness import AUTH, Recorder, alert, message, policy, wait_for

FAST = {"cooldown": "100ms", "verify_for": "500ms"}
LADDER = [{"action": "restart"}, {"action": "scale", "step": 1, "max": 2}, {"action": "rollback"}]


def receivers(tmp_path: Path, url: str) -> dict[str, Any]:
    url_file = tmp_path / "oncall-url"
    url_file.write_text(url + "/hook\n", encoding="utf-8")
    return {"oncall": {"name": "oncall", "kind": "webhook", "url_file": str(url_file)}}


def actions(c: Any, **params: Any) -> list[dict[str, Any]]:
    return c.get("/v1/actions", params=params).json()


def incidents(c: Any, **params: Any) -> list[dict[str, Any]]:
    return c.get("/v1/incidents", params=params).json()


def test_ladder_moves_down_only_on_not_recovered_then_breaker_and_escalation(
    make_healer, checkout: Supervisor, tmp_path: Path
):
    rollbacker = EnvRollbacker(checkout, {"FAIL_MODE": "none"}, "1.2.0")
    with Recorder() as oncall:
        p = policy(
            receivers=receivers(tmp_path, oncall.url), policy0={**FAST, "max_attempts": 10, "ladder": LADDER}
        )
        h = make_healer(p, supervisor=checkout, rollbacker=rollbacker)
        first_pid = checkout.pid("checkout-0")
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            wait_for(lambda: [i for i in incidents(c) if i["status"] == "escalated"], 20)
            journal = actions(c)
            assert [(a["action"], a["kind"], a["outcome"], a["verdict"]) for a in journal] == [
                ("restart", "ladder", "ok", "not_recovered"),
                ("scale", "ladder", "ok", "not_recovered"),
                ("rollback", "ladder", "ok", "not_recovered"),
                ("notify", "escalation", "ok", None),
            ]
            assert journal[1]["params"] == {"replicas": 2, "from": 1}
            assert "the ladder is exhausted" in journal[3]["detail"]
            state = c.get("/v1/state").json()
            assert state["breakers"][0]["target"] == "checkout" and state["breakers"][0]["open"] is True
            metrics = c.get("/metrics").text
            assert "healer_escalations_total 1.0" in metrics
            assert 'healer_verifications_total{verdict="not_recovered"} 3.0' in metrics

            # The escalation reached a real receiver, with the incident's story.
            body = oncall.json_bodies()[0]
            assert oncall.requests[0]["path"] == "/hook"
            assert body["target"] == "checkout" and body["alertname"] == "CheckoutAvailabilityBurn"
            assert [a["action"] for a in body["actions"]][:3] == ["restart", "scale", "rollback"]

            # The actions were real: a new pid, a second replica listed for Prometheus, the old env back.
            assert checkout.pid("checkout-0") not in (None, first_pid)
            targets = json.loads((checkout.state_dir / "targets" / "app.json").read_text())
            assert len(targets[0]["targets"]) == 2 and targets[0]["labels"]["version"] == "1.2.0"
            assert checkout.record("checkout-0").env["FAIL_MODE"] == "none"
            assert rollbacker.calls == ["checkout"]

            # Breaker open: a new episode of the alert gets no action until a human resets it.
            c.post("/v1/alerts", json=message(alert(starts_at="2026-01-02T05:00:00Z"))).raise_for_status()
            wait_for(lambda: "breaker" in (incidents(c, status="open") or [{}])[0].get("detail", ""))
            assert len(actions(c)) == 4
            assert c.post("/v1/breakers/checkout/reset").json() == {"target": "checkout", "reset": True}
            wait_for(lambda: len(actions(c)) == 5)
            assert actions(c)[4]["action"] == "restart"


def test_breaker_opens_after_n_failed_actions(make_healer, supervisor: Supervisor, tmp_path: Path):
    # Nothing named `checkout` runs under this supervisor: every restart fails, and rollback has no
    # release ledger. Two failures open the breaker before the ladder ends.
    with Recorder() as oncall:
        p = policy(
            breaker_failures=2,
            receivers=receivers(tmp_path, oncall.url),
            policy0={
                **FAST,
                "ladder": [{"action": "restart"}, {"action": "rollback"}, {"action": "restart"}],
            },
        )
        h = make_healer(p, supervisor=supervisor)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            wait_for(lambda: [i for i in incidents(c) if i["status"] == "escalated"])
            journal = actions(c)
            assert [(a["action"], a["outcome"]) for a in journal] == [
                ("restart", "failed"),
                ("rollback", "failed"),
                ("notify", "ok"),
            ]
            assert "no local process" in journal[0]["detail"]
            assert journal[1]["detail"] == "rollback needs the release ledger"
            assert "2 failed action(s)" in journal[2]["detail"]
            assert 'healer_actions_total{action="restart",result="failed"} 1.0' in c.get("/metrics").text
        assert len(oncall.requests) == 1


def test_cooldown_and_max_attempts_hold_a_second_incident_back(make_healer, checkout: Supervisor):
    p = policy(
        policy0={"cooldown": "10m", "verify_for": "10m", "max_attempts": 1, "ladder": [{"action": "restart"}]}
    )
    h = make_healer(p, supervisor=checkout)
    with h.client(headers=AUTH) as c:
        c.post("/v1/alerts", json=message(alert(fingerprint="aaaa"))).raise_for_status()
        wait_for(lambda: [a for a in actions(c) if a["outcome"] == "ok"])
        c.post("/v1/alerts", json=message(alert(fingerprint="bbbb"))).raise_for_status()
        second = wait_for(
            lambda: [i for i in incidents(c) if i["fingerprint"] == "bbbb" and i["status"] != "open"]
        )
        assert second[0]["status"] == "escalated" and "attempts" in second[0]["detail"]
        assert [a["kind"] for a in actions(c)] == ["ladder", "escalation"]
        assert 'healer_blocked_total{reason="max_attempts"} 1.0' in c.get("/metrics").text


def test_cooldown_delays_the_next_action_on_the_same_target(make_healer, checkout: Supervisor):
    p = policy(policy0={"cooldown": "10m", "verify_for": "10m", "ladder": [{"action": "restart"}]})
    h = make_healer(p, supervisor=checkout)
    with h.client(headers=AUTH) as c:
        c.post("/v1/alerts", json=message(alert(fingerprint="aaaa"))).raise_for_status()
        wait_for(lambda: [a for a in actions(c) if a["outcome"] == "ok"])
        c.post("/v1/alerts", json=message(alert(fingerprint="bbbb"))).raise_for_status()
        held = wait_for(lambda: [i for i in incidents(c) if "cooldown" in i["detail"]])
        assert held[0]["fingerprint"] == "bbbb" and held[0]["status"] == "open"
        assert len(actions(c)) == 1


def test_dry_run_records_would_do_without_touching_the_process(
    make_healer, checkout: Supervisor, tmp_path: Path
):
    with Recorder() as oncall:
        p = policy(
            receivers=receivers(tmp_path, oncall.url), policy0={**FAST, "dry_run": True, "ladder": LADDER}
        )
        h = make_healer(p, supervisor=checkout)
        pid = checkout.pid("checkout-0")
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            wait_for(lambda: [i for i in incidents(c) if i["status"] == "escalated"], 20)
            journal = actions(c)
            assert [(a["action"], a["outcome"], a["dry_run"]) for a in journal] == [
                ("restart", "would_do", True),
                ("scale", "would_do", True),
                ("rollback", "would_do", True),
                ("notify", "would_do", True),
            ]
            assert "would open" in journal[3]["detail"]
            assert c.get("/v1/state").json()["breakers"] == []
            assert 'healer_actions_total{action="restart",result="dry_run"} 1.0' in c.get("/metrics").text
            assert "healer_escalations_total 0.0" in c.get("/metrics").text
        assert oncall.requests == []  # a trial run pages nobody
    assert checkout.pid("checkout-0") == pid
    assert checkout.group("checkout").replicas == 1


def test_pause_holds_every_action_until_resume(make_healer, checkout: Supervisor):
    h = make_healer(
        policy(policy0={**FAST, "verify_for": "10m", "ladder": [{"action": "restart"}]}), supervisor=checkout
    )
    with h.client(headers=AUTH) as c:
        assert c.post("/v1/pause", json={"reason": "maintenance"}).json() == {
            "paused": True,
            "reason": "maintenance",
        }
        assert "healer_paused 1.0" in c.get("/metrics").text
        c.post("/v1/alerts", json=message()).raise_for_status()
        wait_for(lambda: [i for i in incidents(c) if "paused" in i["detail"]])
        assert actions(c) == []
        assert c.get("/v1/state").json()["paused"] is True
        assert c.post("/v1/resume").json()["paused"] is False
        wait_for(lambda: [a for a in actions(c) if a["outcome"] == "ok"], 15)
        assert "healer_paused 0.0" in c.get("/metrics").text


def test_targets_come_only_from_the_policy(make_healer, checkout: Supervisor):
    h = make_healer(policy(policy0=FAST), supervisor=checkout)
    labels = dict(alert()["labels"])
    with h.client(headers=AUTH) as c:
        for i, target in enumerate(["payments", "../../bin/sh", "Checkout", "checkout; rm -rf /"]):
            c.post(
                "/v1/alerts", json=message(alert(fingerprint=f"f{i}", labels={**labels, "target": target}))
            )
        c.post("/v1/alerts", json=message(alert(fingerprint="nomatch", labels={"alertname": "Other"})))
        wait_for(lambda: len(incidents(c)) == 4)
        assert {i["status"] for i in incidents(c)} == {"rejected"}
        assert all("not declared" in i["detail"] and i["target"] is None for i in incidents(c))
        assert actions(c) == []
        assert 'healer_blocked_total{reason="invalid_target"} 4.0' in c.get("/metrics").text


def test_global_rate_limit_spans_targets(make_healer, checkout: Supervisor):
    p = policy(
        dry_run=True,
        targets=["checkout", "checkout-canary"],
        rate_limit={"actions": 1, "per": "1h"},
        policy0={"cooldown": "100ms", "verify_for": "10m", "ladder": [{"action": "restart"}]},
    )
    h = make_healer(p, supervisor=checkout)
    labels = dict(alert()["labels"])
    with h.client(headers=AUTH) as c:
        c.post("/v1/alerts", json=message(alert(fingerprint="aaaa"))).raise_for_status()
        wait_for(lambda: actions(c))
        c.post(
            "/v1/alerts",
            json=message(alert(fingerprint="bbbb", labels={**labels, "target": "checkout-canary"})),
        )
        wait_for(lambda: [i for i in incidents(c) if "limit 1" in i["detail"]])
        assert len(actions(c)) == 1
        assert 'healer_blocked_total{reason="rate_limited"}' in c.get("/metrics").text


def test_a_failed_step_moves_on_at_once_but_still_counts(make_healer, checkout: Supervisor):
    # The rollback is refused (no release ledger): nothing changed, so the restart must not wait for the
    # 10-minute cooldown. The failure still counts toward the breaker and the attempt limit.
    p = policy(
        breaker_failures=5,
        policy0={
            "cooldown": "10m",
            "verify_for": "10m",
            "max_attempts": 5,
            "ladder": [{"action": "rollback"}, {"action": "restart"}],
        },
    )
    h = make_healer(p, supervisor=checkout)
    first_pid = checkout.pid("checkout-0")
    with h.client(headers=AUTH) as c:
        c.post("/v1/alerts", json=message()).raise_for_status()
        # Wait for the restart to finish, not just to start: its outcome is written after the child is up.
        wait_for(
            lambda: [a for a in actions(c) if a["action"] == "restart" and a["outcome"] != "pending"], 10
        )
        journal = actions(c)
        assert [(a["action"], a["outcome"], a["inert"]) for a in journal] == [
            ("rollback", "failed", True),
            ("restart", "ok", False),
        ]
        gap = datetime.fromisoformat(journal[1]["time"]) - datetime.fromisoformat(journal[0]["time"])
        assert gap.total_seconds() < 2
        assert checkout.pid("checkout-0") not in (None, first_pid)
        assert c.get("/v1/state").json()["breakers"][0]["failures"] == 1
        # A second incident meanwhile is held back by the restart's cooldown: only inert steps skip it.
        c.post("/v1/alerts", json=message(alert(fingerprint="bbbb"))).raise_for_status()
        wait_for(lambda: [i for i in incidents(c) if "cooldown" in i["detail"]])
        assert len(actions(c)) == 2
