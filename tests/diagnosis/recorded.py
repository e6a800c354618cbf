"""Recorded Prometheus answers for diagnosis tests: a tiny HTTP server on 127.0.0.1 that answers each
evidence query with the value a scenario gives it (None: no data; "timeout": no answer in time)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from slostack.healer.diagnosis import EvidenceSettings, ReleaseInfo
from slostack.healer.diagnosis.evidence import evidence_queries
from slostack.render.healer_policy import ServiceFacts
from tests.healer.harness import Recorder

FACTS = ServiceFacts(
    job="checkout",
    memory_limit_bytes=256 * 1024 * 1024,
    errors='http_requests_total{job="checkout",route!="/health",code=~"5.."}',
    total='http_requests_total{job="checkout",route!="/health"}',
    latency_histogram='http_request_duration_seconds_bucket{job="checkout",route!="/health"}',
    latency_threshold_seconds=0.3,  # type: ignore[arg-type]
)
SETTINGS = EvidenceSettings(query_timeout=0.5, deadline=3.0)
MIB = 1024 * 1024
ALERT_START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()

# A healthy service: every later scenario changes a few readings.
HEALTHY: dict[str, Any] = {
    "up": 1,
    "targets": 1,
    "restarts": 0,
    "rss": 60 * MIB,
    "rss_slope": 0.0,
    "rss_predicted": 60 * MIB,
    "cpu": 0.05,
    "inflight": 1,
    "fail_mode": None,
    "error_ratio": 0.0,
    "errors_by": None,
    "traffic": 10.0,
    "traffic_before": 10.0,
    "latency_p99": 0.02,
}


def release(minutes_before: float, *, has_previous: bool = True, outcome: str = "succeeded") -> ReleaseInfo:
    return ReleaseInfo(
        id="r-bad",
        version="1.3.0",
        at=ALERT_START - minutes_before * 60,
        kind="deploy",
        outcome=outcome,
        has_previous=has_previous,
    )


class Releases:
    def __init__(self, *items: ReleaseInfo) -> None:
        self.items = list(items)

    def releases(self) -> list[ReleaseInfo]:
        return self.items


def _vector(value: Any, labels: dict[str, str]) -> dict[str, Any]:
    result = [] if value is None else [{"metric": labels, "value": [time.time(), str(value)]}]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def key_for(expr: str) -> str | None:
    """Which evidence reading a query asks for (the restart window depends on the alert's age)."""
    if expr.startswith("sum(changes(process_start_time_seconds"):
        return "restarts"
    return {query: key for key, (_, query) in evidence_queries(FACTS, SETTINGS).items()}.get(expr)


@contextmanager
def recorded_prometheus(
    readings: dict[str, Any], labels: dict[str, dict[str, str]] | None = None
) -> Iterator[Recorder]:
    labels = labels or {}

    def respond(method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        expr = query.get("query", [""])[0]
        key = key_for(expr)
        if path != "/api/v1/query" or key is None:
            return 400, {"status": "error", "error": f"unexpected query {expr!r}"}
        value = readings.get(key)
        if value == "timeout":
            time.sleep(SETTINGS.query_timeout + 0.3)
            return 200, _vector(1, {})
        if value == "error":
            return 503, {"status": "error", "error": "overloaded"}
        return 200, _vector(value, labels.get(key, {}))

    with Recorder(respond) as rec:
        yield rec
