"""`action: auto` in a real healer (uvicorn, SQLite, the local actuator on a real child process), with
recorded Prometheus answers: it diagnoses, stores the diagnosis with the incident, then acts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slostack.healer.diagnosis import EvidenceSettings
from slostack.healer.diagnosis.ledger import LedgerReleases
from slostack.local.supervisor import Supervisor
from slostack.releases.local_ledger import LocalLedger
from slostack.releases.model import Release
from tests.healer.harness import AUTH, Recorder, alert, message, policy, wait_for

from .recorded import HEALTHY, MIB, recorded_prometheus

AUTO = {"cooldown": "100ms", "verify_for": "300ms", "ladder": [{"action": "auto"}]}


def _incident(c: Any) -> dict[str, Any]:
    incidents = c.get("/v1/incidents").json()
    return c.get(f"/v1/incidents/{incidents[0]['id']}").json()


def _receivers(tmp_path: Path, url: str) -> dict[str, Any]:
    (tmp_path / "oncall-url").write_text(url + "/hook\n", encoding="utf-8")
    return {"oncall": {"name": "oncall", "kind": "webhook", "url_file": str(tmp_path / "oncall-url")}}


def test_auto_restarts_a_leaking_service_and_files_a_ticket(
    make_healer, checkout: Supervisor, tmp_path: Path
):
    leak = {"rss": 240 * MIB, "rss_slope": 200_000.0, "rss_predicted": 400 * MIB}
    pid = checkout.pid("checkout-0")
    with recorded_prometheus({**HEALTHY, **leak}) as prom, Recorder() as oncall:
        p = policy(receivers=_receivers(tmp_path, oncall.url), escalate_to="oncall", policy0=AUTO)
        h = make_healer(p, supervisor=checkout, prometheus_url=prom.url)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            wait_for(lambda: [a for a in c.get("/v1/actions").json() if a["kind"] == "ticket"], 10)
            inc = _incident(c)
        assert inc["diagnosis"]["leader"] == "memory_leak"
        assert inc["diagnosis"]["remedy"] == {
            "action": "restart",
            "reason": "memory runs out: restart before the limit kills it",
            "ticket": True,
        }
        kinds = [(a["action"], a["kind"], a["outcome"]) for a in inc["actions"]]
        assert kinds[:2] == [("restart", "ladder", "ok"), ("notify", "ticket", "ok")]
        assert inc["actions"][0]["params"]["diagnosis"] == "memory_leak"
        assert "ticket: memory_leak" in oncall.json_bodies()[0]["reason"]
        assert checkout.pid("checkout-0") not in (None, pid)
        assert {r["key"] for r in inc["diagnosis"]["evidence"]["readings"]} >= {"rss", "rss_predicted", "up"}


def test_auto_respects_forbid_and_dry_run(make_healer, checkout: Supervisor):
    pid = checkout.pid("checkout-0")
    with recorded_prometheus({**HEALTHY, "restarts": 5, "up": 0}) as prom:
        p = policy(policy0={**AUTO, "forbid": ["restart"]})
        h = make_healer(p, supervisor=checkout, prometheus_url=prom.url)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            wait_for(lambda: c.get("/v1/actions").json(), 10)
            inc = _incident(c)
    assert inc["diagnosis"]["leader"] == "crash_loop"
    assert inc["diagnosis"]["remedy"]["action"] == "notify"
    assert inc["actions"][0]["action"] == "notify"
    assert checkout.pid("checkout-0") == pid


def test_auto_in_dry_run_records_what_it_would_do(make_healer, checkout: Supervisor):
    pid = checkout.pid("checkout-0")
    with recorded_prometheus({**HEALTHY, "restarts": 5, "up": 0}) as prom:
        h = make_healer(policy(dry_run=True, policy0=AUTO), supervisor=checkout, prometheus_url=prom.url)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message(alert(fingerprint="dd"))).raise_for_status()
            wait_for(lambda: c.get("/v1/actions").json(), 10)
            inc = _incident(c)
    assert [(a["action"], a["outcome"]) for a in inc["actions"]][:1] == [("restart", "would_do")]
    assert checkout.pid("checkout-0") == pid


def _release(ledger: LocalLedger, rid: str, at: datetime, outcome: str, kind: str = "deploy") -> None:
    ledger.record(
        Release(id=rid, created_at=at, kind=kind, spec_digest="s", bundle_digest="b", app_version=rid)  # type: ignore[arg-type]
    )
    ledger.finish(rid, outcome)  # type: ignore[arg-type]


def test_the_local_ledger_as_a_release_source(tmp_path: Path) -> None:
    ledger = LocalLedger(tmp_path / "releases")
    now = datetime.now(UTC)
    _release(ledger, "r1", now - timedelta(hours=2), "succeeded")
    _release(ledger, "r2", now - timedelta(minutes=3), "succeeded")
    got = LedgerReleases(tmp_path / "releases").releases()
    assert [(r.id, r.has_previous, r.outcome) for r in got] == [
        ("r1", False, "succeeded"),
        ("r2", True, "succeeded"),
    ]
    assert LedgerReleases(tmp_path / "missing").releases() == []
    assert EvidenceSettings().release_window == 900
