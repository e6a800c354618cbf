"""Incident reports: the timeline (alert -> diagnosis -> actions -> verdicts -> close), the evidence
table, the error budget spent, and SLI and burn-rate charts, as Markdown or self-contained HTML.

    text = incident_report(
        "state/healer.db", 12, "html", "http://127.0.0.1:9090", "active/healer/policy.yml"
    )

The rendered healer policy says which error-ratio rule each SLO has (its shortest page window), so the
SLI chart reads a rule that exists under every profile; without it the chart falls back to the 5m rule.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Literal

import yaml

from ...render.healer_policy import HealerPolicyFile, load_policy_file
from ..prometheus import HttpPrometheus
from ..store import IncidentRecord, read_record
from .data import Charts, RangeSource, charts, sli_error_queries, timeline
from .render import render_html, render_markdown

__all__ = ["FORMATS", "Charts", "RangeSource", "build_report", "incident_report", "sli_error_queries"]

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")


async def build_report(
    rec: IncidentRecord,
    source: RangeSource | None,
    fmt: str,
    now: float | None = None,
    policy: HealerPolicyFile | None = None,
) -> str:
    """`policy`: the rendered healer policy, whose per-SLO error-ratio rule the SLI chart plots."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose md or html")
    data = await charts(
        source, rec, time.time() if now is None else now, sli_errors=sli_error_queries(policy)
    )
    entries = timeline(rec)
    return render_html(rec, data, entries) if fmt == "html" else render_markdown(rec, data, entries)


def _read_policy(path: str | Path | None) -> HealerPolicyFile | None:
    """The rendered policy, or None when there is none to read: the report still renders (its SLI
    chart then falls back to the 5m rule), it is only less sure which rule exists."""
    if path is None:
        return None
    try:
        return load_policy_file(path)
    except (OSError, ValueError, yaml.YAMLError):
        return None


def incident_report(
    state_path: str | Path,
    incident_id: int,
    fmt: str = "md",
    prometheus_url: str | None = None,
    policy_path: str | Path | None = None,
) -> str:
    """Everything `slostack incident show ID` needs: read the healer's state file (read-only, so the
    healer may keep running), ask Prometheus for the charts if a URL is given, return the text.
    `policy_path`: the rendered healer/policy.yml, which names each SLO's error-ratio rule.
    Raises KeyError (no such incident), FileNotFoundError (no state file), ValueError (format)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose md or html")
    rec = read_record(state_path, incident_id)
    policy = _read_policy(policy_path)

    async def go() -> str:
        source = HttpPrometheus(prometheus_url) if prometheus_url else None
        try:
            return await build_report(rec, source, fmt, policy=policy)
        finally:
            if source is not None:
                await source.aclose()

    return asyncio.run(go())
