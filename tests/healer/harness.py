"""Real parts for the healer's tests: uvicorn on 127.0.0.1 in a thread, tiny HTTP servers that record
what they get (an escalation receiver, a fake Prometheus), policy files, alert payloads."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn
import yaml
from fastapi import FastAPI

from slostack.render.healer_policy import HealerPolicyFile, policy_model
from slostack.render.options import RenderOptions
from slostack.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def policy(**changes: Any) -> HealerPolicyFile:
    """The checkout example's policy, with top-level fields and policies[0] fields changed.

    `policy0={...}` updates the first policy; `policies=[...]` replaces them all."""
    data = policy_model(load_spec(ROOT / "examples" / "checkout.slo.yaml"), RenderOptions()).model_dump(
        mode="json"
    )
    first = changes.pop("policy0", None)
    data.update(changes)
    if first is not None:
        data["policies"][0].update(first)
    return HealerPolicyFile.model_validate(data)


def write_policy(path: Path, p: HealerPolicyFile) -> Path:
    path.write_text(yaml.safe_dump(p.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    return path


# The checkout example's availability page alert, as Alertmanager labels it.
ALERT_LABELS = {
    "alertname": "CheckoutAvailabilityBurn",
    "slo_name": "availability",
    "slo_severity": "page",
    "slo_service": "checkout",
    "slo_id": "checkout-availability",
}


def alert(
    *,
    status: str = "firing",
    fingerprint: str = "a1b2c3d4e5f60718",
    starts_at: str = "2026-01-02T03:04:05.123Z",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": labels or dict(ALERT_LABELS),
        "annotations": {"summary": "burning"},
        "startsAt": starts_at,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fingerprint,
        "somethingNew": {"ignored": True},
    }


def message(*alerts: dict[str, Any]) -> dict[str, Any]:
    alerts = alerts or (alert(),)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="CheckoutAvailabilityBurn"}',
        "truncatedAlerts": 0,
        "status": alerts[0]["status"],
        "receiver": "healer",
        "groupLabels": {"alertname": "CheckoutAvailabilityBurn"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
        "newTopLevelField": 1,
    }


def free_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    return s


class ServerThread:
    """An ASGI app under real uvicorn on 127.0.0.1:<ephemeral>, in a thread of this process."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = free_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops bursts of connections (diagnosis asks ~14 queries at once), and a
    # dropped SYN is retried only after a second: longer than the timeouts under test.
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (a timeout under test) is expected, not worth a traceback


class Recorder:
    """A tiny HTTP server on 127.0.0.1 that records every request and answers from `respond`."""

    def __init__(
        self, respond: Callable[[str, str, dict[str, list[str]], bytes], tuple[int, Any]] | None = None
    ):
        self.requests: list[dict[str, Any]] = []
        self.respond = respond or (lambda method, path, query, body: (200, {"ok": True}))
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                recorder.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": query,
                        "body": body,
                        "headers": dict(self.headers),
                    }
                )
                status, payload = recorder.respond(self.command, parts.path, query, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def json_bodies(self) -> list[Any]:
        return [json.loads(r["body"]) for r in self.requests if r["body"]]


def prom_vector(*values: str) -> dict[str, Any]:
    now = datetime.now(UTC).timestamp()
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": {"slo_id": "x"}, "value": [now, v]} for v in values],
        },
    }


@contextmanager
def fake_prometheus(answer: Callable[[int], dict[str, Any]]) -> Iterator[Recorder]:
    """`answer(n)` gives the JSON body of the n-th /api/v1/query call (from 0)."""
    calls = {"n": 0}

    def respond(method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        if path != "/api/v1/query":
            return 404, {"status": "error"}
        n = calls["n"]
        calls["n"] += 1
        return 200, answer(n)

    with Recorder(respond) as rec:
        yield rec
