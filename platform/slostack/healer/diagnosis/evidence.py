"""Gather evidence for one firing alert: bounded instant PromQL queries, plus the recent releases.

Every query is an instant query over a fixed short window (never an open-ended range), each with its own
timeout, all run at once under one overall deadline. A query that fails is recorded as `error`, one that
returns nothing as `no_data`: both are evidence of ignorance, never of health.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from ...render.healer_policy import ServiceFacts
from ..prometheus import QueryFailed, Sample

__all__ = [
    "Evidence",
    "EvidenceSettings",
    "MetricsSource",
    "NoReleases",
    "Reading",
    "ReleaseInfo",
    "ReleaseSource",
    "evidence_queries",
    "gather",
    "rate_window",
    "restart_seconds",
]

Status = Literal["ok", "no_data", "error"]


class MetricsSource(Protocol):
    async def vector(self, expr: str, timeout: float) -> list[Sample]:
        """Raises QueryFailed when Prometheus gives no usable answer; [] means no data."""
        ...


@dataclass(frozen=True)
class ReleaseInfo:
    id: str
    version: str
    at: float  # unix time it was made
    kind: str  # deploy | rollback
    outcome: str
    has_previous: bool  # an earlier good release existed (a first deploy changes nothing to go back to)


class ReleaseSource(Protocol):
    def releases(self) -> list[ReleaseInfo]:
        """Every release, oldest first (blocking: called in a worker thread)."""
        ...


class NoReleases:
    """For targets without a ledger the healer can read: no release is ever 'recent'."""

    def releases(self) -> list[ReleaseInfo]:
        return []


@dataclass(frozen=True)
class EvidenceSettings:
    # Rate window of "now": None = four scrapes, at least 10s. Short on purpose: the alert fires soon
    # after the fault, and a long window would dilute it with the healthy minutes before.
    window: str | None = None
    # Restarts count from shortly before the alert (its age plus two rate windows), at most this many
    # seconds: a longer look would blame this alert on an earlier, already handled crash.
    restart_window: float = 900.0
    baseline_offset: str = "30m"  # traffic "before" for the overload comparison
    exhaustion_horizon: float = 900.0  # seconds: memory exhaustion predicted within this is a finding
    release_window: float = 900.0  # seconds before the alert's start a release counts as recent
    query_timeout: float = 3.0
    deadline: float = 10.0  # the whole gathering


@dataclass(frozen=True)
class Reading:
    key: str
    label: str
    query: str
    status: Status
    value: float | None = None
    detail: str = ""  # e.g. the worst route and code, or the injected fault's mode

    def to_api(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "query": self.query,
            "status": self.status,
            "value": self.value,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Evidence:
    readings: dict[str, Reading]
    alert_start: float
    recent_release: ReleaseInfo | None
    facts: ServiceFacts | None
    settings: EvidenceSettings
    notes: tuple[str, ...] = field(default=())

    def value(self, key: str) -> float | None:
        r = self.readings.get(key)
        return r.value if r is not None and r.status == "ok" else None

    def to_api(self) -> dict[str, Any]:
        rel = self.recent_release
        return {
            "alert_start": datetime.fromtimestamp(self.alert_start, UTC).isoformat(timespec="seconds"),
            "readings": [r.to_api() for r in self.readings.values()],
            "recent_release": None
            if rel is None
            else {
                "id": rel.id,
                "version": rel.version,
                "kind": rel.kind,
                "minutes_before_alert": round((self.alert_start - rel.at) / 60, 1),
            },
            "notes": list(self.notes),
        }


def _sel(selector: str, extra: str) -> str:
    """Add a matcher to a selector: `m{a="b"}` + `code=~"5.."` -> `m{a="b",code=~"5.."}`."""
    if selector.endswith("}"):
        inner = selector[selector.index("{") + 1 : -1].strip()
        name = selector[: selector.index("{")]
        return f"{name}{{{inner + ',' if inner else ''}{extra}}}"
    return f"{selector}{{{extra}}}"


def rate_window(facts: ServiceFacts, s: EvidenceSettings) -> str:
    return s.window or f"{max(4 * float(facts.scrape_interval_seconds), 10.0):g}s"


def restart_seconds(facts: ServiceFacts, s: EvidenceSettings, alert_start: float, now: float) -> int:
    rate = max(4 * float(facts.scrape_interval_seconds), 10.0)
    return int(min(s.restart_window, max(now - alert_start + 2 * rate, 2 * rate)))


def evidence_queries(
    facts: ServiceFacts, s: EvidenceSettings, restarts_in: int | None = None
) -> dict[str, tuple[str, str]]:
    """key -> (label, PromQL). Only selectors from the rendered policy go in; no alert label does."""
    job = f'job="{facts.job}"'
    w = rate_window(facts, s)
    rw = f"{restarts_in if restarts_in is not None else int(s.restart_window)}s"
    q: dict[str, tuple[str, str]] = {
        "up": ("targets up", f"sum(up{{{job}}})"),
        "targets": ("targets known", f"count(up{{{job}}})"),
        "restarts": (
            f"restarts in {rw}",
            f"sum(changes(process_start_time_seconds{{{job}}}[{rw}]))",
        ),
        "rss": ("resident memory (bytes)", f"max(process_resident_memory_bytes{{{job}}})"),
        "rss_slope": ("memory growth (bytes/s)", f"max(deriv(process_resident_memory_bytes{{{job}}}[{w}]))"),
        "rss_predicted": (
            f"memory predicted in {s.exhaustion_horizon:g}s (bytes)",
            f"max(predict_linear(process_resident_memory_bytes{{{job}}}[{w}], {s.exhaustion_horizon:g}))",
        ),
        "cpu": ("CPU (cores)", f"sum(rate(process_cpu_seconds_total{{{job}}}[{w}]))"),
        "inflight": ("requests in flight", f"sum(http_requests_in_progress{{{job}}})"),
        "fail_mode": ("injected fault", f"max by (mode) (sample_app_fail_mode{{{job}}}) > 0"),
    }
    if facts.errors and facts.total:
        q["error_ratio"] = (
            "error ratio",
            f"sum(rate({facts.errors}[{w}])) / sum(rate({facts.total}[{w}]))",
        )
        q["errors_by"] = (
            "worst route and code",
            f"topk(1, sum by (route, code) (rate({facts.errors}[{w}])))",
        )
        q["traffic"] = ("requests/s", f"sum(rate({facts.total}[{w}]))")
        q["traffic_before"] = (
            f"requests/s {s.baseline_offset} earlier",
            f"sum(rate({facts.total}[{w}] offset {s.baseline_offset}))",
        )
    if facts.latency_histogram and facts.latency_threshold_seconds is not None:
        q["latency_p99"] = (
            "p99 latency (s)",
            f"histogram_quantile(0.99, sum by (le) (rate({facts.latency_histogram}[{w}])))",
        )
    return q


def _reading(key: str, label: str, query: str, result: list[Sample] | BaseException) -> Reading:
    if isinstance(result, BaseException):
        if isinstance(result, TimeoutError):
            why = "timed out"
        elif isinstance(result, QueryFailed):
            why = str(result)
        else:  # a client bug: name it, keep going with the other readings
            why = type(result).__name__
        return Reading(key, label, query, "error", detail=why[:200])
    finite = [s for s in result if math.isfinite(s.value)]
    if not finite:
        return Reading(key, label, query, "no_data")
    worst = max(finite, key=lambda s: s.value)
    detail = ""
    if key == "errors_by":
        detail = f"{worst.labels.get('route', '?')} {worst.labels.get('code', '?')}"
    elif key == "fail_mode":
        detail = worst.labels.get("mode", "")
    return Reading(key, label, query, "ok", worst.value, detail)


def _recent_release(releases: Sequence[ReleaseInfo], start: float, window: float) -> ReleaseInfo | None:
    """The newest deploy made within `window` before the alert started that replaced a good release and
    is still live (a rolled-back one is not running any more)."""
    live = [
        r
        for r in releases
        if r.kind == "deploy"
        and r.outcome == "succeeded"
        and r.has_previous
        and start - window <= r.at <= start + 60  # a clock a minute off must not hide it
    ]
    return max(live, key=lambda r: r.at) if live else None


async def _one(source: MetricsSource, query: str, timeout: float) -> list[Sample]:
    return await asyncio.wait_for(source.vector(query, timeout), timeout=timeout + 0.5)


async def gather(
    source: MetricsSource | None,
    releases: ReleaseSource,
    facts: ServiceFacts | None,
    alert_start: float,
    settings: EvidenceSettings,
    now: float | None = None,
) -> Evidence:
    notes: list[str] = []
    readings: dict[str, Reading] = {}
    try:
        history = await asyncio.wait_for(asyncio.to_thread(releases.releases), timeout=settings.deadline)
    except Exception as e:  # the ledger is optional evidence: a broken one must not stop diagnosis
        history = []
        notes.append(f"could not read the releases: {type(e).__name__}")
    recent = _recent_release(history, alert_start, settings.release_window)
    if facts is None:
        notes.append("the policy has no service facts (no `service:` in the spec)")
    elif source is None:
        notes.append("no Prometheus to ask")
    else:
        at = time.time() if now is None else now
        queries = evidence_queries(facts, settings, restart_seconds(facts, settings, alert_start, at))
        tasks = [_one(source, query, settings.query_timeout) for _, query in queries.values()]
        try:
            results: list[list[Sample] | BaseException] = await asyncio.wait_for(
                asyncio.gather(*tasks, return_exceptions=True), timeout=settings.deadline
            )
        except TimeoutError:
            results = [TimeoutError() for _ in tasks]
            notes.append(f"gathering took over {settings.deadline:g}s")
        for (key, (label, query)), result in zip(queries.items(), results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result  # cancellation: the healer is stopping
            readings[key] = _reading(key, label, query, result)
    return Evidence(readings, alert_start, recent, facts, settings, tuple(notes))
