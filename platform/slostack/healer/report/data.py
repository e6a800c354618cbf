"""What a report shows, gathered once: the journal's record plus bounded range queries around it.

The chart window is the incident with a margin (15 min before, 5 min after at 30-day windows),
capped at 6 hours, at most ~120 points per series (and at least a 1s step): a report never asks
Prometheus for an unbounded range. The margins follow the SLI's rate window and the incident's length,
down to 1 min before and 30 s after: under the drill profile (a 4s window, incidents of seconds) a
15-minute margin would squeeze the whole incident into one or two points.

The SLI is charted from the error-ratio rule the rendered policy names for the SLO (its shortest page
window: `ratio_rate5m` at 30 days, `ratio_rate4s` under the drill profile), so a chart never asks for a
rule that the profile did not render. Only an SLO unknown to the policy falls back to the 5m rule.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ... import conventions as names
from ...render.healer_policy import HealerPolicyFile
from ...spec.durations import Duration
from ..prometheus import QueryFailed, Sample, Series
from ..store import IncidentRecord

__all__ = [
    "Charts",
    "RangeSource",
    "TimelineEntry",
    "chart_margins",
    "chart_step",
    "charts",
    "sli_error_queries",
    "timeline",
]

_BEFORE, _AFTER, _MAX_SPAN, _POINTS, _MIN_STEP = 900.0, 300.0, 6 * 3600.0, 120, 1.0
_MIN_BEFORE, _MIN_AFTER = 60.0, 30.0
_FALLBACK_WINDOW = "5m"
_WINDOW = re.compile(re.escape(names.SLI_ERROR_RATIO.split("{")[0]) + r"([0-9a-z]+)\b")


class RangeSource(Protocol):
    async def range(
        self, expr: str, start: float, end: float, step: float, timeout: float
    ) -> list[Series]: ...

    async def vector(self, expr: str, timeout: float) -> list[Sample]: ...


@dataclass(frozen=True)
class TimelineEntry:
    at: float
    kind: str  # alert | incident | diagnosis | action | verdict | closed
    text: str


@dataclass(frozen=True)
class Charts:
    start: float
    end: float
    sli: tuple[tuple[float, float], ...] = ()
    burn: tuple[tuple[float, float], ...] = ()
    budget_spent: float | None = None  # share of the SLO period's whole error budget
    period_days: float | None = None
    note: str = ""
    sli_window: str = _FALLBACK_WINDOW  # the rate window of the charted SLI, e.g. 5m or 4s


def alert_start(rec: IncidentRecord) -> float:
    try:
        return datetime.fromisoformat(rec.incident.starts_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return rec.incident.opened_at


def timeline(rec: IncidentRecord) -> list[TimelineEntry]:
    inc = rec.incident
    out = [
        TimelineEntry(alert_start(rec), "alert", f"{inc.alertname} started firing"),
        TimelineEntry(inc.opened_at, "incident", f"the healer opened incident {inc.id}"),
    ]
    for created, body in rec.diagnoses:
        remedy = body.get("remedy") or {}
        out.append(
            TimelineEntry(
                created,
                "diagnosis",
                f"{body.get('leader')} ({float(body.get('confidence', 0)):.2f}) -> "
                f"{remedy.get('action')}: {remedy.get('reason', '')}",
            )
        )
    for a in rec.actions:
        what = f"{a.kind} {a.action}" + (" (dry run)" if a.dry_run else "")
        out.append(TimelineEntry(a.intent_at, "action", f"{what} on {a.target}"))
        if a.finished_at is not None:
            out.append(TimelineEntry(a.finished_at, "outcome", f"{a.action}: {a.outcome}: {a.detail[:300]}"))
        if a.verified_at is not None and a.verdict is not None:
            out.append(TimelineEntry(a.verified_at, "verdict", f"{a.action}: {a.verdict}"))
    if inc.closed_at is not None:
        resolved = " (the alert resolved)" if inc.resolved else ""
        out.append(TimelineEntry(inc.closed_at, "closed", f"{inc.status}{resolved}: {inc.detail[:300]}"))
    return sorted(out, key=lambda e: e.at)


def sli_error_queries(policy: HealerPolicyFile | None) -> dict[str, str]:
    """slo_id -> the policy's own error-ratio selector for that SLO (the rule its verification reads,
    `slo:sli_error:ratio_rate<shortest page window>{slo_id="..."}`): what the SLI chart plots."""
    if policy is None:
        return {}
    return {check.slo_id: check.verify_query for check in policy.slos.values()}


def _slo_id(labels: Mapping[str, str]) -> tuple[str, str] | None:
    """(label name, value) of the alert's SLO id, if it is made of safe characters."""
    for label_names in (names.SLOSTACK_LABELS, names.SLOTH_LABELS):
        value = labels.get(label_names.id)
        # The value goes into PromQL: only an id made of safe characters is used.
        if value and all(ch.isalnum() or ch in "-_." for ch in value):
            return label_names.id, value
    return None


def _sli_error(label: str, slo_id: str, known: Mapping[str, str]) -> tuple[str, str]:
    """(error-ratio query, its window) to chart: the policy's own query text when the alert's SLO id is
    one of the policy's, else the 5m rule with the (safe) id."""
    query = known.get(slo_id)
    if query is None:
        return f'{names.sli_error_ratio(_FALLBACK_WINDOW)}{{{label}="{slo_id}"}}', _FALLBACK_WINDOW
    window = _WINDOW.search(query)
    return query, window.group(1) if window else "short window"


def _window_seconds(window: str) -> float:
    try:
        return Duration.parse(window).seconds
    except ValueError:
        return Duration.parse(_FALLBACK_WINDOW).seconds


def chart_margins(window_seconds: float, length: float) -> tuple[float, float]:
    """(before, after) the incident: three rate windows (or three incident lengths) before, one after,
    within [1 min, 15 min] before and [30 s, 5 min] after. A 5m window gives the full 15 and 5 min."""
    before = min(_BEFORE, max(_MIN_BEFORE, 3 * window_seconds, 3 * length))
    after = min(_AFTER, max(_MIN_AFTER, window_seconds, length))
    return before, after


def chart_step(start: float, end: float) -> float:
    """At most ~_POINTS points over the span, and no finer than 1s: a one-minute drill incident (5 min
    with its margins) gets a point every 2.5 s, a six-hour one every three minutes."""
    return max(_MIN_STEP, (end - start) / _POINTS)


async def charts(
    source: RangeSource | None,
    rec: IncidentRecord,
    now: float,
    timeout: float = 5.0,
    sli_errors: Mapping[str, str] | None = None,
) -> Charts:
    """`sli_errors`: slo_id -> error-ratio selector, from the rendered policy (`sli_error_queries`)."""
    inc = rec.incident
    began = min(alert_start(rec), inc.opened_at)
    ended = inc.closed_at or now
    found = _slo_id(inc.labels)
    sli_error = _sli_error(*found, sli_errors or {}) if found is not None else None
    window = sli_error[1] if sli_error is not None else _FALLBACK_WINDOW
    before, after = chart_margins(_window_seconds(window), max(ended - began, 0.0))
    end = min(ended + after, now)
    start = max(began - before, end - _MAX_SPAN)
    base = Charts(start, max(end, start + 1))
    if found is None or sli_error is None:
        return Charts(base.start, base.end, note="this alert is not an SLO's: no SLI to chart")
    match = f'{{{found[0]}="{found[1]}"}}'
    error_q = sli_error[0]
    if source is None:
        return Charts(base.start, base.end, note="no Prometheus given: no charts", sli_window=window)
    step = chart_step(base.start, base.end)
    sli_q = f"1 - max({error_q})"
    burn_q = f"max({names.CURRENT_BURN_RATE}{match})"
    days_q = f"max({names.TIME_PERIOD_DAYS}{match})"
    try:
        sli, burn, days = await asyncio.wait_for(
            asyncio.gather(
                source.range(sli_q, base.start, base.end, step, timeout),
                source.range(burn_q, base.start, base.end, step, timeout),
                source.vector(days_q, timeout),
            ),
            timeout=timeout * 2,
        )
    except (QueryFailed, TimeoutError) as e:
        return Charts(
            base.start,
            base.end,
            note=f"Prometheus did not answer: {str(e) or 'timed out'}",
            sli_window=window,
        )
    sli_points = sli[0].points if sli else ()
    burn_points = burn[0].points if burn else ()
    period_days = days[0].value if days else None
    spent = None
    during = [v for t, v in burn_points if began <= t <= ended]
    if during and period_days:
        # Budget spent = mean burn rate x the incident's length / the SLO period.
        spent = sum(during) / len(during) * max(ended - began, step) / (period_days * 86400)
    return Charts(base.start, base.end, sli_points, burn_points, spent, period_days, sli_window=window)
