"""The real service under uvicorn, as a child process on 127.0.0.1: one process per scenario.

Shares of faulted requests are seeded (FAIL_SEED) so runs repeat exactly; the bounds are still
statistical (about 4 standard deviations) so a change of random algorithm does not break them.
Timing bounds are one-sided where possible (an injected delay is a floor, never a ceiling), because a
loaded machine can only make things slower.
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sample_app_harness import CHAOS_TOKEN, ROOT, StartApp, child_env, run_module

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
FAULT_HEADER = "x-fault-injected"
AUTH = {"Authorization": f"Bearer {CHAOS_TOKEN}"}


def binomial_bounds(n: int, p: float, sigmas: float = 4.0) -> tuple[float, float]:
    spread = sigmas * math.sqrt(n * p * (1 - p))
    return n * p - spread, n * p + spread


def promtool_check(text: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not on PATH (install the Debian package `prometheus` or run `make tools`)")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_serves_every_endpoint_and_counts_each_request_once(start_app: StartApp) -> None:
    app = start_app({"APP_VERSION": "test-1.2.3"})
    with app.client() as client:
        sent = {
            ("GET", "/ping", "200"): 7,
            ("GET", "/api/items/{item_id}", "200"): 5,
            ("GET", "/api/items/{item_id}", "404"): 1,
            ("POST", "/api/orders", "201"): 3,
            ("POST", "/api/orders", "422"): 1,
            ("GET", "<unmatched>", "404"): 2,
            ("GET", "/health", "200"): 2,
        }
        for _ in range(7):
            assert client.get("/ping").json() == {"ping": "pong"}
        for item_id in range(1, 6):
            assert client.get(f"/api/items/{item_id}").json()["id"] == item_id
        assert client.get("/api/items/999999").status_code == 404
        for quantity in (1, 2, 3):
            order = client.post("/api/orders", json={"item_id": 3, "quantity": quantity})
            assert order.status_code == 201
            assert order.json()["quantity"] == quantity
        assert client.post("/api/orders", json={"item_id": 3, "quantity": 0}).status_code == 422
        assert client.get("/no/such/path").status_code == 404
        assert client.get("/api/items/1/extra").status_code == 404
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/health").status_code == 200
        # Chaos is disabled without a token: indistinguishable from any unknown path.
        for method in ("GET", "POST", "DELETE"):
            assert client.request(method, "/chaos", headers=AUTH).status_code == 404
        sent[("GET", "<unmatched>", "404")] += 1
        sent[("POST", "<unmatched>", "404")] = 1
        sent[("DELETE", "<unmatched>", "404")] = 1

    app.metrics_text()  # a scrape before the real one: scrapes must not count themselves
    samples = app.samples()
    for (method, route, code), count in sent.items():
        labels = frozenset({"method": method, "route": route, "code": code}.items())
        assert samples.get(("http_requests_total", labels)) == count, (method, route, code)
    ping_count = samples[
        ("http_request_duration_seconds_count", frozenset({"method": "GET", "route": "/ping"}.items()))
    ]
    assert ping_count == 7

    routes = {dict(labels).get("route") for name, labels in samples if name == "http_requests_total"}
    assert "/metrics" not in routes
    assert not any(route and route.startswith("/api/items/") and "{" not in route for route in routes)
    buckets = {
        dict(labels)["le"] for name, labels in samples if name == "http_request_duration_seconds_bucket"
    }
    for bound in (
        "0.005",
        "0.01",
        "0.025",
        "0.05",
        "0.1",
        "0.25",
        "0.3",
        "0.5",
        "1.0",
        "2.5",
        "5.0",
        "10.0",
        "+Inf",
    ):
        assert bound in buckets
    assert app.sample("http_requests_in_progress") == 0
    assert app.sample("sample_app_build_info", version="test-1.2.3") == 1
    modes = {
        mode: app.sample("sample_app_fail_mode", mode=mode)
        for mode in ("none", "latency", "error", "crash", "memory")
    }
    assert modes == {"none": 1, "latency": 0, "error": 0, "crash": 0, "memory": 0}
    for name in ("process_resident_memory_bytes", "process_start_time_seconds", "process_cpu_seconds_total"):
        value = app.sample(name)
        assert value is not None and value > 0, name

    promtool_check(app.metrics_text())


def test_request_ids_are_echoed_and_every_log_line_is_one_json_object(start_app: StartApp) -> None:
    app = start_app()
    with app.client() as client:
        assert (
            client.get("/ping", headers={"X-Request-ID": "drill-42.a:b"}).headers["x-request-id"]
            == "drill-42.a:b"
        )
        generated = client.get("/ping", headers={"X-Request-ID": "no spaces <allowed>"}).headers[
            "x-request-id"
        ]
        assert generated != "no spaces <allowed>"
        assert len(generated) == 32
        assert len(client.get("/ping").headers["x-request-id"]) == 32
    app.stop()

    records = [json.loads(line) for line in app.log_lines()]
    assert all({"time", "level", "msg"} <= record.keys() for record in records)
    access = [record for record in records if record.get("request_id") == "drill-42.a:b"]
    assert len(access) == 1
    assert access[0]["method"] == "GET"
    assert access[0]["route"] == "/ping"
    assert access[0]["status"] == 200
    assert isinstance(access[0]["duration_ms"], float | int)


def test_latency_mode_delays_the_configured_share_of_sli_requests(start_app: StartApp) -> None:
    n, rate, latency = 30, 0.5, 0.2
    app = start_app(
        {"FAIL_MODE": "latency", "FAIL_LATENCY": "200ms", "FAIL_RATE": str(rate), "FAIL_SEED": "11"}
    )
    slow: list[float] = []
    fast: list[float] = []
    with app.client() as client:
        for _ in range(n):
            start = time.perf_counter()
            response = client.get("/ping")
            elapsed = time.perf_counter() - start
            assert response.status_code == 200
            (slow if response.headers.get(FAULT_HEADER) == "latency" else fast).append(elapsed)
        for _ in range(5):
            start = time.perf_counter()
            response = client.get("/health")
            assert FAULT_HEADER not in response.headers
            assert time.perf_counter() - start < latency * 5

    low, high = binomial_bounds(n, rate)
    assert low <= len(slow) <= high
    # A sleep never ends early (bar clock granularity); noise only adds time.
    assert min(slow) >= latency * 0.95
    assert statistics.median(fast) < latency / 2
    assert app.sample("sample_app_faults_injected_total", mode="latency") == len(slow)
    # The added latency is visible where an SLO reads it: above the 0.1 s bucket.
    ping = {"method": "GET", "route": "/ping"}
    under_100ms = app.sample("http_request_duration_seconds_bucket", le="0.1", **ping)
    total = app.sample("http_request_duration_seconds_count", **ping)
    assert under_100ms is not None and total == n
    assert total - under_100ms >= len(slow)


def test_error_mode_fails_the_configured_share_and_metrics_agree(start_app: StartApp) -> None:
    n, rate = 60, 0.5
    app = start_app({"FAIL_MODE": "error", "FAIL_RATE": str(rate), "FAIL_SEED": "3"})
    counts: dict[tuple[str, int], int] = {}
    with app.client() as client:
        for i in range(n):
            path, route = ("/ping", "/ping") if i % 3 else (f"/api/items/{i + 1}", "/api/items/{item_id}")
            response = client.get(path)
            assert response.status_code in (200, 500)
            if response.status_code == 500:
                assert response.headers[FAULT_HEADER] == "error"
            counts[(route, response.status_code)] = counts.get((route, response.status_code), 0) + 1
        # Probes and metrics stay healthy while the SLI routes fail.
        for path in ("/health", "/ready", "/metrics"):
            assert client.get(path).status_code == 200

    errors = sum(count for (_, code), count in counts.items() if code == 500)
    low, high = binomial_bounds(n, rate)
    assert low <= errors <= high
    for (route, code), count in counts.items():
        assert app.sample("http_requests_total", method="GET", route=route, code=str(code)) == count
    assert app.sample("sample_app_faults_injected_total", mode="error") == errors
    assert app.sample("sample_app_fail_mode", mode="error") == 1
    promtool_check(app.metrics_text())


def test_crash_mode_exits_the_process_with_a_non_zero_status(start_app: StartApp) -> None:
    app = start_app({"FAIL_MODE": "crash", "FAIL_AFTER": "3r"})
    with app.client() as client:
        for _ in range(3):
            assert client.get("/ping").status_code == 200
        assert client.get("/health").status_code == 200  # probes neither count nor crash
        with pytest.raises(httpx.TransportError):
            client.get("/ping", headers={"X-Request-ID": "the-fatal-one"})

    assert app.wait_exit() == 3
    last = json.loads(app.log_lines()[-1])
    assert "injected crash" in last["msg"]
    assert last["request_id"] == "the-fatal-one"


def test_memory_mode_grows_rss_up_to_the_cap_and_delete_releases_it(start_app: StartApp) -> None:
    step, cap = 8 * MiB, 64 * MiB
    app = start_app(
        {
            "FAIL_MODE": "memory",
            "FAIL_MEMORY_STEP": "8Mi",
            "FAIL_MEMORY_CAP": "64Mi",
            "CHAOS_TOKEN": CHAOS_TOKEN,
        }
    )

    def rss() -> float:
        value = app.sample("process_resident_memory_bytes")
        assert value is not None
        return value

    baseline = rss()
    with app.client() as client:
        for _ in range(cap // step):
            assert client.get("/ping").status_code == 200
        at_cap = rss()
        assert app.sample("sample_app_fail_leaked_bytes") == cap
        assert at_cap - baseline >= 0.75 * cap

        for _ in range(8):
            assert client.get("/ping").status_code == 200
        beyond = rss()
        assert app.sample("sample_app_fail_leaked_bytes") == cap
        assert beyond - at_cap < 2 * step
        assert beyond - baseline < cap + 48 * MiB

        assert client.delete("/chaos", headers=AUTH).json()["leaked_bytes"] == 0
    assert app.sample("sample_app_fail_leaked_bytes") == 0
    assert beyond - rss() >= cap / 2


def test_chaos_endpoint_requires_the_token_validates_and_changes_behaviour_live(
    start_app: StartApp, tmp_path: Path
) -> None:
    token_file = tmp_path / "chaos-token"
    token_file.write_text(CHAOS_TOKEN + "\n", encoding="utf-8")
    app = start_app({"CHAOS_TOKEN_FILE": str(token_file)})
    with app.client() as client:
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token-0123456789"},
            {"Authorization": f"Basic {CHAOS_TOKEN}"},
        ):
            response = client.get("/chaos", headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
        # The token is checked before the body, so a stranger learns nothing about valid bodies.
        assert client.post("/chaos", content=b"{not json").status_code == 401

        for body in (
            b'{"mode": "boom"}',
            b'{"mode": "error", "rate": 2}',
            b"{not json",
            b"{}",
            b'{"mode": "error", "x": 1}',
        ):
            assert client.post("/chaos", content=body, headers=AUTH).status_code == 422, body

        assert client.get("/ping").status_code == 200
        shown = client.post("/chaos", json={"mode": "error"}, headers=AUTH).json()
        assert shown["mode"] == "error"
        assert shown["rate"] == 1.0
        assert [client.get("/ping").status_code for _ in range(3)] == [500, 500, 500]
        assert client.get("/api/items/1").status_code == 500
        assert client.get("/health").status_code == 200
        assert client.get("/chaos", headers=AUTH).json()["injected"]["error"] == 4
        assert app.sample("sample_app_fail_mode", mode="error") == 1

        client.post("/chaos", json={"mode": "latency", "latency": "300ms"}, headers=AUTH)
        start = time.perf_counter()
        assert client.get("/ping").status_code == 200
        assert time.perf_counter() - start >= 0.3 * 0.95

        client.post("/chaos", json={"mode": "error", "after": "2r"}, headers=AUTH)
        assert [client.get("/ping").status_code for _ in range(4)] == [200, 200, 500, 500]

        client.post("/chaos", json={"mode": "error", "after": "1s"}, headers=AUTH)
        configured = time.monotonic()
        assert client.get("/ping").status_code == 200 or time.monotonic() - configured >= 1.0
        deadline = configured + 10.0
        while client.get("/ping").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 1.0 <= time.monotonic() - configured < 10.0

        # Taken before the POST, so the server's own start of the fault is no earlier than this.
        before = time.monotonic()
        client.post("/chaos", json={"mode": "error", "for": "1s"}, headers=AUTH)
        assert client.get("/ping").status_code == 500 or time.monotonic() - before >= 1.0
        deadline = before + 10.0
        while client.get("/ping").status_code == 500 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 1.0 <= time.monotonic() - before < 10.0
        assert client.get("/chaos", headers=AUTH).json()["expired"]
        assert app.sample("sample_app_fail_mode", mode="error") == 0

        cleared = client.delete("/chaos", headers=AUTH).json()
        assert cleared["mode"] == "none"
        assert client.get("/ping").status_code == 200
        assert app.sample("sample_app_fail_mode", mode="none") == 1
    app.stop()
    assert CHAOS_TOKEN not in app.stdout_path.read_text(encoding="utf-8") + app.stderr()


def test_sigterm_fails_readiness_drains_in_flight_requests_and_exits_zero(start_app: StartApp) -> None:
    app = start_app({"FAIL_MODE": "latency", "FAIL_LATENCY": "2s"}, args=["--drain-delay", "1.5"])
    result: dict[str, object] = {}

    def slow_request() -> None:
        start = time.perf_counter()
        try:
            result["status"] = httpx.get(f"{app.base_url}/ping", timeout=20.0).status_code
        except httpx.HTTPError as exc:
            result["status"] = repr(exc)
        result["elapsed"] = time.perf_counter() - start

    worker = threading.Thread(target=slow_request)
    worker.start()
    deadline = time.monotonic() + 10.0
    while app.sample("http_requests_in_progress") != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.sample("http_requests_in_progress") == 1

    app.proc.send_signal(signal.SIGTERM)
    ready_statuses = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and 503 not in ready_statuses:
        ready_statuses.append(httpx.get(f"{app.base_url}/ready", timeout=5.0).status_code)
        time.sleep(0.05)
    assert 503 in ready_statuses
    assert httpx.get(f"{app.base_url}/health", timeout=5.0).status_code == 200  # alive while draining

    worker.join(timeout=20.0)
    assert result["status"] == 200
    assert app.wait_exit() == 0


def test_readiness_fails_until_the_warm_up_is_over(start_app: StartApp) -> None:
    app = start_app({"STARTUP_DELAY": "2s"}, wait_for="/health")
    with app.client() as client:
        response = client.get("/ready")
        assert (response.status_code, response.json()) == (503, {"status": "starting"})
        deadline = time.monotonic() + 15.0
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/ready").json() == {"status": "ready"}


@pytest.mark.parametrize(
    ("env", "line"),
    [
        pytest.param(
            {"FAIL_MODE": "boom"},
            "FAIL_MODE: must be one of none, latency, error, crash, memory (got 'boom')",
            id="an unknown failure mode names the allowed ones",
        ),
        pytest.param(
            {"FAIL_MEMORY_CAP": "2Gi"},
            "FAIL_MEMORY_CAP: must be a byte size from 1 to 1Gi (got '2Gi')",
            id="a memory cap above the hard ceiling is refused",
        ),
        pytest.param(
            {"CHAOS_TOKEN_FILE": "/nonexistent/chaos-token"},
            "CHAOS_TOKEN_FILE: must name a readable UTF-8 file (got '/nonexistent/chaos-token': "
            "No such file or directory)",
            id="a missing token file is refused rather than silently disabling chaos",
        ),
    ],
)
def test_bad_settings_stop_the_process_with_one_line(env: dict[str, str], line: str) -> None:
    result = run_module(env, ["--port", "1"])  # never bound: settings fail first
    assert result.returncode == 2
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""


def test_bad_settings_also_stop_uvicorns_own_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "sample_app.main:app", "--host", "127.0.0.1", "--port", "1"],
        cwd=ROOT,
        env=child_env({"FAIL_RATE": "lots"}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "FAIL_RATE: must be a number between 0 and 1 (got 'lots')" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
