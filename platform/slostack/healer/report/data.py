"""What a report shows, gathered once: the journal's record plus bounded range queries around it.

The chart window is the incident with a margin (15 min before, 5 min after), capped at 6 hours, at
most ~120 points per series: a report never asks Prometheus for an unbounded range.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ... import conventions as names
from ..prometheus import QueryFailed, Sample, Series
from ..store import IncidentRecord

__all__ = ["Charts", "RangeSource", "TimelineEntry", "charts", "timeline"]

_BEFORE, _AFTER, _MAX_SPAN, _POINTS = 900.0, 300.0, 6 * 3600.0, 120


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


def _slo_match(labels: dict[str, str]) -> str | None:
    for label_names in (names.SLOSTACK_LABELS, names.SLOTH_LABELS):
        value = labels.get(label_names.id)
        # The value goes into PromQL: only an id made of safe characters is used.
        if value and all(ch.isalnum() or ch in "-_." for ch in value):
            return f'{{{label_names.id}="{value}"}}'
    return None


async def charts(source: RangeSource | None, rec: IncidentRecord, now: float, timeout: float = 5.0) -> Charts:
    inc = rec.incident
    began = min(alert_start(rec), inc.opened_at)
    ended = inc.closed_at or now
    end = min(ended + _AFTER, now)
    start = max(began - _BEFORE, end - _MAX_SPAN)
    base = Charts(start, max(end, start + 1))
    match = _slo_match(inc.labels)
    if match is None:
        return Charts(base.start, base.end, note="this alert is not an SLO's: no SLI to chart")
    if source is None:
        return Charts(base.start, base.end, note="no Prometheus given: no charts")
    step = max(15.0, (base.end - base.start) / _POINTS)
    sli_q = f"1 - max({names.sli_error_ratio('5m')}{match})"
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
        return Charts(base.start, base.end, note=f"Prometheus did not answer: {str(e) or 'timed out'}")
    sli_points = sli[0].points if sli else ()
    burn_points = burn[0].points if burn else ()
    period_days = days[0].value if days else None
    spent = None
    during = [v for t, v in burn_points if began <= t <= ended]
    if during and period_days:
        # Budget spent = mean burn rate x the incident's length / the SLO period.
        spent = sum(during) / len(during) * max(ended - began, step) / (period_days * 86400)
    return Charts(base.start, base.end, sli_points, burn_points, spent, period_days)
