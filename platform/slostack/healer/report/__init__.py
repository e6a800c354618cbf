"""Incident reports: the timeline (alert -> diagnosis -> actions -> verdicts -> close), the evidence
table, the error budget spent, and SLI and burn-rate charts, as Markdown or self-contained HTML.

    text = incident_report("state/healer.db", 12, "html", "http://127.0.0.1:9090")
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Literal

from ..prometheus import HttpPrometheus
from ..store import IncidentRecord, read_record
from .data import Charts, RangeSource, charts, timeline
from .render import render_html, render_markdown

__all__ = ["FORMATS", "Charts", "RangeSource", "build_report", "incident_report"]

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")


async def build_report(
    rec: IncidentRecord, source: RangeSource | None, fmt: str, now: float | None = None
) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose md or html")
    data = await charts(source, rec, time.time() if now is None else now)
    entries = timeline(rec)
    return render_html(rec, data, entries) if fmt == "html" else render_markdown(rec, data, entries)


def incident_report(
    state_path: str | Path, incident_id: int, fmt: str = "md", prometheus_url: str | None = None
) -> str:
    """Everything `slostack incident show ID` needs: read the healer's state file (read-only, so the
    healer may keep running), ask Prometheus for the charts if a URL is given, return the text.
    Raises KeyError (no such incident), FileNotFoundError (no state file), ValueError (format)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose md or html")
    rec = read_record(state_path, incident_id)

    async def go() -> str:
        source = HttpPrometheus(prometheus_url) if prometheus_url else None
        try:
            return await build_report(rec, source, fmt)
        finally:
            if source is not None:
                await source.aclose()

    return asyncio.run(go())
