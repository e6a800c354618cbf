"""The webhook relay: Alertmanager 0.25 posts user webhook receivers to the healer, which forwards the
body unchanged to the URL in the receiver's `url_file` (a real local HTTP receiver here)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from slostack.local.supervisor import Supervisor

from .harness import AUTH, Recorder, message, policy


def _receivers(tmp_path: Path, url: str) -> dict[str, Any]:
    url_file = tmp_path / "oncall-url"
    url_file.write_text(url + "/hook?token=s3cret\n", encoding="utf-8")
    return {
        "oncall": {"name": "oncall", "kind": "webhook", "url_file": str(url_file)},
        "relative": {"name": "relative", "kind": "webhook", "url_file": "oncall-url"},
        "chat": {"name": "chat", "kind": "slack", "url_file": str(url_file)},
        "missing": {"name": "missing", "kind": "webhook", "url_file": str(tmp_path / "nope")},
    }


def _metric(receiver: str, result: str) -> str:
    return f'healer_relay_total{{receiver="{receiver}",result="{result}"}}'


def test_relay_forwards_the_payload_unchanged_and_counts(
    make_healer, checkout: Supervisor, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    with Recorder() as hook:
        h = make_healer(policy(receivers=_receivers(tmp_path, hook.url)), supervisor=checkout)
        payload = json.dumps(message(), separators=(",", ":")).encode()
        with h.client(headers=AUTH) as c:
            r = c.post("/v1/relay/oncall", content=payload, headers={"Content-Type": "application/json"})
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "delivered"
            assert hook.requests[0]["body"] == payload  # byte for byte
            assert hook.requests[0]["path"] == "/hook" and hook.requests[0]["query"] == {"token": ["s3cret"]}
            assert hook.requests[0]["headers"]["Content-Type"] == "application/json"

            assert c.post("/v1/relay/nobody", json=message()).status_code == 404
            assert c.post("/v1/relay/chat", json=message()).status_code == 404  # slack is not relayed
            assert c.post("/v1/relay/oncall", content=b"{not json").status_code == 422
            too_big = b'{"x": "' + b"a" * (2 << 20) + b'"}'
            assert c.post("/v1/relay/oncall", content=too_big).status_code == 413

            missing = c.post("/v1/relay/missing", json=message())
            assert missing.status_code == 502 and "cannot read the URL" in missing.json()["detail"]

            metrics = c.get("/metrics").text
        assert len(hook.requests) == 1  # nothing else reached the receiver
        for receiver, result in [
            ("oncall", "delivered"),
            ("(undeclared)", "unknown_receiver"),
            ("chat", "unknown_receiver"),
            ("oncall", "malformed"),
            ("oncall", "too_large"),
            ("missing", "failed"),
        ]:
            assert _metric(receiver, result) + " 1.0" in metrics
        with h.client() as anon:
            assert anon.post("/v1/relay/oncall", json=message()).status_code == 401
        assert len(hook.requests) == 1
    assert "s3cret" not in caplog.text and hook.url not in caplog.text


def test_relay_answers_502_when_the_receiver_fails_or_is_down(
    make_healer, checkout: Supervisor, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    with Recorder(lambda *a: (500, {"error": "boom"})) as hook:
        h = make_healer(policy(receivers=_receivers(tmp_path, hook.url)), supervisor=checkout)
        with h.client(headers=AUTH) as c:
            r = c.post("/v1/relay/oncall", json=message())
            assert r.status_code == 502 and r.json()["detail"] == "receiver 'oncall' answered 500"
            url = hook.url
    # The receiver is gone now: connection refused.
    with h.client(headers=AUTH) as c:
        r = c.post("/v1/relay/oncall", json=message())
        assert r.status_code == 502 and r.json()["detail"] == "receiver 'oncall': ConnectError"
        assert 'healer_relay_total{receiver="oncall",result="failed"} 2.0' in c.get("/metrics").text
    assert "s3cret" not in caplog.text and url not in caplog.text


def test_a_relative_url_file_is_read_from_receivers_dir(make_healer, checkout: Supervisor, tmp_path: Path):
    with Recorder() as hook:
        h = make_healer(
            policy(receivers=_receivers(tmp_path, hook.url)), supervisor=checkout, receivers_dir=tmp_path
        )
        with h.client(headers=AUTH) as c:
            assert c.post("/v1/relay/relative", json=message()).status_code == 200
        assert len(hook.requests) == 1
