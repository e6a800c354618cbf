"""The app in-process (Starlette's TestClient), each test with a fresh app and a fresh registry."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from sample_app import main
from sample_app.faults import FaultInjector
from sample_app.main import create_app
from sample_app.probes import Lifecycle
from sample_app.settings import FailMode, FaultConfig, Settings

TOKEN = "in-process-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def build(
    settings: Settings | None = None,
    lifecycle: Lifecycle | None = None,
    injector: FaultInjector | None = None,
) -> tuple[FastAPI, CollectorRegistry]:
    registry = CollectorRegistry()
    return create_app(settings or Settings(), registry, lifecycle=lifecycle, injector=injector), registry


@pytest.fixture
def served() -> Iterator[tuple[TestClient, CollectorRegistry]]:
    app, registry = build(Settings(chaos_token=TOKEN))
    with TestClient(app) as client:
        yield client, registry


def count(registry: CollectorRegistry, **labels: str) -> float:
    return registry.get_sample_value("http_requests_total", labels) or 0.0


def test_requests_are_labelled_by_route_template_whatever_the_raw_path(
    served: tuple[TestClient, CollectorRegistry],
) -> None:
    client, registry = served
    for item_id in range(1, 51):
        client.get(f"/api/items/{item_id}")
    assert count(registry, method="GET", route="/api/items/{item_id}", code="200") == 50
    routes = {
        sample.labels["route"]
        for family in registry.collect()
        if family.name == "http_requests"
        for sample in family.samples
    }
    assert routes == {"/api/items/{item_id}"}


def test_unmatched_paths_and_odd_methods_share_bounded_label_values(
    served: tuple[TestClient, CollectorRegistry],
) -> None:
    client, registry = served
    for path in ("/wp-admin", "/.env", "/api/items/abc/def"):
        assert client.get(path).status_code == 404
    assert client.request("BREW", "/ping").status_code == 405
    assert count(registry, method="GET", route="<unmatched>", code="404") == 3
    assert count(registry, method="other", route="/ping", code="405") == 1


def test_scrapes_are_not_counted(served: tuple[TestClient, CollectorRegistry]) -> None:
    client, registry = served
    for _ in range(3):
        assert client.get("/metrics").headers["content-type"].startswith("text/plain; version=0.0.4")
    assert count(registry, method="GET", route="/metrics", code="200") == 0


def test_an_unhandled_exception_is_counted_as_a_500() -> None:
    app, registry = build()

    async def broken() -> None:
        raise RuntimeError("bug")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/broken").status_code == 500
    assert count(registry, method="GET", route="/broken", code="500") == 1
    assert registry.get_sample_value("http_requests_in_progress") == 0


def test_the_benchmark_switch_removes_the_http_metrics_only() -> None:
    app, _ = build(Settings(metrics_enabled=False))
    with TestClient(app) as client:
        client.get("/ping")
        text = client.get("/metrics").text
    assert "process_resident_memory_bytes" in text
    assert "sample_app_build_info" in text
    assert "http_requests_total" not in text


def test_two_apps_in_one_process_do_not_collide() -> None:
    first, first_registry = build(Settings(app_version="one"))
    second, second_registry = build(Settings(app_version="two"))
    with TestClient(first) as a, TestClient(second) as b:
        a.get("/ping")
        b.get("/ping")
    assert first_registry.get_sample_value("sample_app_build_info", {"version": "one"}) == 1
    assert second_registry.get_sample_value("sample_app_build_info", {"version": "two"}) == 1
    assert count(first_registry, method="GET", route="/ping", code="200") == 1


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        pytest.param("req-1.2:3_x", "req-1.2:3_x", id="a safe id is echoed"),
        pytest.param("x" * 65, None, id="a long id is replaced"),
        pytest.param("a b", None, id="an id with a space is replaced"),
        pytest.param('"><script>', None, id="markup is replaced"),
    ],
)
def test_request_ids(served: tuple[TestClient, CollectorRegistry], sent: str, echoed: str | None) -> None:
    client, _ = served
    returned = client.get("/ping", headers={"X-Request-ID": sent}).headers["x-request-id"]
    if echoed is None:
        assert returned != sent
        assert len(returned) == 32
    else:
        assert returned == echoed


def test_the_access_log_line_carries_the_request_fields(
    served: tuple[TestClient, CollectorRegistry], caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = served
    with caplog.at_level(logging.INFO, logger="sample_app.access"):
        client.get("/api/items/5", headers={"X-Request-ID": "log-me"})
    (record,) = [r for r in caplog.records if r.name == "sample_app.access"]
    assert (record.method, record.route, record.status) == ("GET", "/api/items/{item_id}", 200)  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]


def test_readiness_follows_the_lifecycle() -> None:
    lifecycle = Lifecycle()
    app, _ = build(lifecycle=lifecycle)
    client = TestClient(app)  # not entered: the lifespan has not run, so the app is still starting
    assert (client.get("/ready").status_code, client.get("/ready").json()) == (503, {"status": "starting"})
    assert client.get("/health").status_code == 200
    lifecycle.mark_ready()
    assert client.get("/ready").status_code == 200
    lifecycle.begin_drain()
    lifecycle.mark_ready()  # a late warm-up must not undo draining
    assert (client.get("/ready").status_code, client.get("/ready").json()) == (503, {"status": "draining"})


def test_orders(served: tuple[TestClient, CollectorRegistry]) -> None:
    client, _ = served
    created = client.post("/api/orders", json={"item_id": 3, "quantity": 2})
    assert created.status_code == 201
    assert created.json() == {"id": 1, "item_id": 3, "quantity": 2, "total_cents": 620, "status": "accepted"}
    assert client.post("/api/orders", json={"item_id": 3, "quantity": 2}).json()["id"] == 2
    assert client.post("/api/orders", json={"item_id": 5000, "quantity": 1}).status_code == 422
    assert client.post("/api/orders", json={"item_id": 7, "quantity": 1}).status_code == 409
    assert client.post("/api/orders", json={"item_id": 3, "quantity": 101}).status_code == 422
    assert client.post("/api/orders", json={"item_id": 3, "quantity": 1, "coupon": "x"}).status_code == 422


def test_chaos_is_absent_without_a_token() -> None:
    app, _ = build()
    with TestClient(app) as client:
        assert client.post("/chaos", json={"mode": "error"}, headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("body", "location"),
    [
        pytest.param({"mode": "boom"}, ["mode"], id="an unknown mode"),
        pytest.param({"mode": "error", "rate": -0.1}, ["rate"], id="a negative rate"),
        pytest.param({"mode": "error", "rate": True}, ["rate"], id="a boolean is not a rate"),
        pytest.param(
            {"mode": "latency", "latency": "forever"}, ["latency"], id="a latency that is no duration"
        ),
        pytest.param({"mode": "memory", "memory_cap": "5Gi"}, ["memory_cap"], id="a cap above the ceiling"),
        pytest.param({"mode": "error", "after": 1.5}, ["after"], id="a fractional after without a unit"),
        pytest.param({"mode": "error", "for": "-1s"}, ["for"], id="a negative for"),
        pytest.param({"mode": "error", "for": "61m"}, ["for"], id="a for above an hour"),
        pytest.param({"mode": "error", "for": None}, ["for"], id="a null for"),
        pytest.param({"mode": "error", "lasts": 5}, ["lasts"], id="only the key for names the duration"),
        pytest.param({"rate": 1}, ["mode"], id="the mode is required"),
        pytest.param({"mode": "error", "colour": "red"}, ["colour"], id="unknown fields are refused"),
    ],
)
def test_chaos_bodies_are_validated(
    served: tuple[TestClient, CollectorRegistry], body: dict[str, object], location: list[str]
) -> None:
    client, _ = served
    response = client.post("/chaos", json=body, headers=AUTH)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [location]


def test_chaos_accepts_numbers_and_spellings_alike(served: tuple[TestClient, CollectorRegistry]) -> None:
    client, _ = served
    shown = client.post(
        "/chaos",
        json={
            "mode": "memory",
            "rate": "0.5",
            "latency": 0.25,
            "after": "100r",
            "memory_step": 4096,
            "memory_cap": "1Mi",
            "for": 90,
        },
        headers=AUTH,
    ).json()
    assert (shown["rate"], shown["latency_seconds"], shown["after"]) == (0.5, 0.25, "100r")
    assert shown["for_seconds"] == 90.0
    assert (shown["memory_step_bytes"], shown["memory_cap_bytes"]) == (4096, 1024 * 1024)


def test_faults_spare_probes_metrics_and_chaos(served: tuple[TestClient, CollectorRegistry]) -> None:
    client, registry = served
    client.post("/chaos", json={"mode": "error"}, headers=AUTH)
    assert client.get("/ping").status_code == 500
    for path in ("/health", "/ready", "/metrics", "/chaos"):
        assert client.get(path, headers=AUTH).status_code == 200, path
    assert registry.get_sample_value("sample_app_fail_mode", {"mode": FailMode.ERROR.value}) == 1


def test_a_chaos_fault_with_for_stops_by_itself() -> None:
    now = [1000.0]
    injector = FaultInjector(FaultConfig(), clock=lambda: now[0])
    app, registry = build(Settings(chaos_token=TOKEN), injector=injector)
    with TestClient(app) as client:
        assert client.get("/chaos", headers=AUTH).json()["for_seconds"] == 0.0  # until cleared
        shown = client.post("/chaos", json={"mode": "error", "for": "6s"}, headers=AUTH).json()
        assert (shown["for_seconds"], shown["active"], shown["expired"]) == (6.0, True, False)
        assert client.get("/ping").status_code == 500

        now[0] += 6
        assert client.get("/ping").status_code == 200
        shown = client.get("/chaos", headers=AUTH).json()
        assert (shown["mode"], shown["active"], shown["expired"]) == ("error", False, True)
        assert shown["injected"]["error"] == 1
    assert registry.get_sample_value("sample_app_fail_mode", {"mode": FailMode.ERROR.value}) == 0
    assert registry.get_sample_value("sample_app_fail_mode", {"mode": FailMode.NONE.value}) == 1


def test_create_app_reads_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIL_MODE", "error")
    app = create_app(registry=CollectorRegistry())
    assert app.state.injector.config == FaultConfig(mode=FailMode.ERROR)


def test_the_module_level_app_exits_with_one_line_on_bad_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAIL_MODE", "boom")
    main._app_from_environment.cache_clear()
    try:
        with pytest.raises(SystemExit) as caught:
            _ = main.app
    finally:
        main._app_from_environment.cache_clear()
    assert caught.value.code == 2
    assert (
        capsys.readouterr().err
        == "FAIL_MODE: must be one of none, latency, error, crash, memory (got 'boom')\n"
    )
