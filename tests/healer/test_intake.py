"""The webhook under real uvicorn: auth, size and shape checks, and dedup under a storm."""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from slostack.local.supervisor import Supervisor

from .harness import AUTH, alert, message, policy, wait_for

# Verification by the alert alone (no Prometheus) over a long window: nothing moves down the ladder
# while a test looks.
QUIET = {"cooldown": "10m", "verify_for": "1h"}


def rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as c:
        return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_no_token_or_wrong_token_is_401_and_records_nothing(
    make_healer, checkout: Supervisor, tmp_path: Path
):
    h = make_healer(policy(policy0=QUIET), supervisor=checkout)
    with h.client() as c:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": "Basic x"}):
            r = c.post("/v1/alerts", json=message(), headers=headers)
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == "Bearer"
        assert c.get("/v1/actions").status_code == 401
        assert c.get("/v1/incidents", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.post("/v1/pause").status_code == 401
        assert c.get("/v1/actions", headers=AUTH).json() == []
        assert c.get("/v1/incidents", headers=AUTH).json() == []
        assert 'healer_webhooks_total{result="unauthorized"} 3.0' in c.get("/metrics").text
    assert rows(tmp_path / "healer.db", "alerts") == 0


def test_malformed_payloads_are_422(make_healer, checkout: Supervisor, tmp_path: Path):
    h = make_healer(policy(policy0=QUIET), supervisor=checkout)
    bad_alert = alert()
    del bad_alert["fingerprint"]
    cases = [
        b"not json",
        b"[]",
        json.dumps({**message(), "version": "3"}).encode(),
        json.dumps(message(bad_alert)).encode(),
        json.dumps(message(alert(status="pending"))).encode(),
        json.dumps(message(alert(fingerprint="../../etc/passwd"))).encode(),
        json.dumps(message(alert(starts_at="yesterday"))).encode(),
    ]
    with h.client(headers=AUTH) as c:
        for body in cases:
            r = c.post("/v1/alerts", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 422, body
            assert r.json()["detail"]
    assert rows(tmp_path / "healer.db", "alerts") == 0


def test_oversized_bodies_are_413_by_header_and_by_stream(make_healer, checkout: Supervisor):
    h = make_healer(policy(policy0=QUIET), supervisor=checkout, max_body_bytes=4096)
    big = json.dumps(message(*[alert(fingerprint=f"{i:016x}") for i in range(100)])).encode()
    assert len(big) > 4096
    with h.client(headers=AUTH) as c:
        assert c.post("/v1/alerts", content=big).status_code == 413

        def chunks():  # no Content-Length: only counting the stream can catch it
            for i in range(0, len(big), 1000):
                yield big[i : i + 1000]

        assert c.post("/v1/alerts", content=chunks()).status_code == 413
        assert c.post("/v1/alerts", json=message()).status_code == 200
        assert 'healer_webhooks_total{result="too_large"} 2.0' in c.get("/metrics").text


def test_storm_of_duplicates_gives_exactly_one_action(make_healer, checkout: Supervisor, tmp_path: Path):
    before = checkout.pid("checkout-0")
    h = make_healer(policy(policy0={**QUIET, "ladder": [{"action": "restart"}]}), supervisor=checkout)
    body = message()
    # Alertmanager HA pair + repeats: the same alert in 200 requests at once, and inside one request.
    with httpx.Client(base_url=h.url, headers=AUTH, timeout=10) as c, ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(lambda _: c.post("/v1/alerts", json=body).status_code, range(200)))
        assert codes == [200] * 200
        assert c.post("/v1/alerts", json=message(alert(), alert())).json()["new"] == 0
        actions = wait_for(lambda: [a for a in c.get("/v1/actions").json() if a["outcome"] == "ok"], 20)
        assert len(c.get("/v1/actions").json()) == 1
        assert actions[0]["action"] == "restart" and actions[0]["target"] == "checkout"
        assert len(c.get("/v1/incidents").json()) == 1
        metrics = c.get("/metrics").text
        assert 'healer_alerts_total{result="new"} 1.0' in metrics
        assert 'healer_actions_total{action="restart",result="ok"} 1.0' in metrics
    assert checkout.pid("checkout-0") not in (None, before)
    assert rows(tmp_path / "healer.db", "alerts") == 1


def test_resolved_is_a_different_notification_and_closes_the_incident(make_healer, checkout: Supervisor):
    h = make_healer(policy(dry_run=True, policy0=QUIET), supervisor=checkout)
    with h.client(headers=AUTH) as c:
        assert c.post("/v1/alerts", json=message(alert())).json()["new"] == 1
        wait_for(lambda: c.get("/v1/actions").json())
        assert c.post("/v1/alerts", json=message(alert(status="resolved"))).json()["new"] == 1
        inc = wait_for(lambda: [i for i in c.get("/v1/incidents").json() if i["status"] == "resolved"])
        assert inc[0]["resolved"] is True
        action = wait_for(lambda: [a for a in c.get("/v1/actions").json() if a["verdict"] == "recovered"])
        assert action[0]["dry_run"] is True
        assert "healer_incidents_open 0.0" in c.get("/metrics").text
