"""The incident report as Markdown or as one self-contained HTML page (inline CSS and SVG, and a
Content-Security-Policy that forbids loading anything, so even a stray reference could not fetch)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from ..store import IncidentRecord
from .data import Charts, TimelineEntry, alert_start, timeline
from .svg import line_chart

__all__ = ["period_words", "render_html", "render_markdown"]

_SPARK = "▁▂▃▄▅▆▇█"
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#1d2530;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #dde}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #dde;padding:.25em .5em;
text-align:left;vertical-align:top}th{background:#f3f5f9}code{font-size:.85em;word-break:break-all}
.meta{color:#556}.ok{color:#17663a}.bad{color:#a3261b}
svg{display:block;margin:.6em 0;max-width:100%;height:auto}
svg .t{font:600 12px sans-serif;fill:#1d2530}svg .ax{font:10px sans-serif;fill:#556}
svg .bg{fill:#f8f9fc;stroke:#dde}svg .ln{fill:none;stroke:#2760c4;stroke-width:1.6}
svg .thr{stroke:#a3261b;stroke-dasharray:4 3}svg .mk{stroke:#8a6d00;stroke-dasharray:2 3}
"""


def _t(ts: float | None) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _value(reading: dict[str, Any]) -> str:
    v = reading.get("value")
    if reading.get("status") != "ok" or v is None:
        return str(reading.get("status", "?")).replace("_", " ")
    key = str(reading.get("key"))
    if key in ("rss", "rss_predicted"):
        text = f"{v / 1048576:.1f} MiB"
    elif key == "rss_slope":
        text = f"{v / 1024:.1f} KiB/s"
    elif key == "error_ratio":
        text = f"{v:.2%}"
    elif key == "latency_p99":
        text = f"{v * 1000:.0f} ms"
    else:
        text = f"{v:.3g}"
    detail = reading.get("detail")
    return f"{text} ({detail})" if detail else text


def _facts(rec: IncidentRecord) -> list[tuple[str, str]]:
    inc = rec.incident
    end = inc.closed_at
    took = f"{(end - alert_start(rec)) / 60:.1f} min" if end is not None else "still open"
    return [
        ("status", inc.status + (" (alert resolved)" if inc.resolved else "")),
        ("alert", inc.alertname),
        ("target", inc.target or "—"),
        ("SLO", inc.slo or "—"),
        ("alert started", _t(alert_start(rec))),
        ("closed", _t(end)),
        ("duration", took),
        ("outcome", inc.detail or "—"),
    ]


def _budget(c: Charts) -> str:
    if c.budget_spent is None:
        return "unknown" + (f" ({c.note})" if c.note else "")
    return f"{c.budget_spent:.4%} of the {period_words(c.period_days or 0)} error budget"


def period_words(days: float) -> str:
    """`30-day`, or `1-hour` for a drill's short SLO window (not `0.0416667-day`)."""
    if days >= 1:
        return f"{days:g}-day"
    hours = days * 24
    return f"{hours:g}-hour" if hours >= 1 else f"{hours * 60:g}-minute"


def _spark(points: Sequence[tuple[float, float]]) -> str:
    if not points:
        return "no data"
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    step = max(1, len(values) // 60)
    cells = [_SPARK[int((v - lo) / (hi - lo) * 7) if hi > lo else 0] for v in values[::step]]
    return f"`{''.join(cells)}` (min {lo:.4g}, max {hi:.4g})"


def _diagnosis(rec: IncidentRecord) -> dict[str, Any] | None:
    return rec.diagnoses[-1][1] if rec.diagnoses else None


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(rec: IncidentRecord, c: Charts, entries: list[TimelineEntry] | None = None) -> str:
    inc = rec.incident
    entries = entries if entries is not None else timeline(rec)
    start = alert_start(rec)
    out = [f"# Incident {inc.id}: {inc.alertname} on {inc.target or '—'}", ""]
    out += [f"- **{k}**: {_md_cell(v)}" for k, v in _facts(rec)]
    out += [f"- **error budget spent during the incident**: {_budget(c)}", ""]
    out += ["## Timeline", "", "| time | since alert | event | detail |", "|---|---|---|---|"]
    out += [f"| {_t(e.at)} | {e.at - start:+.0f}s | {e.kind} | {_md_cell(e.text)} |" for e in entries]
    d = _diagnosis(rec)
    out += ["", "## Diagnosis", ""]
    if d is None:
        out.append("No diagnosis: this incident's ladder had no `auto` step.")
    else:
        remedy = d.get("remedy") or {}
        out.append(
            f"Leading hypothesis **{d.get('leader')}** (confidence {float(d.get('confidence', 0)):.2f}); "
            f"remedy **{remedy.get('action')}**: {_md_cell(remedy.get('reason', ''))}"
        )
        if d.get("summary"):
            out += ["", f"> {_md_cell(d['summary'])}"]
        out += ["", "### Evidence", "", "| signal | value | query |", "|---|---|---|"]
        for r in (d.get("evidence") or {}).get("readings", []):
            out.append(f"| {_md_cell(r['label'])} | {_md_cell(_value(r))} | `{_md_cell(r['query'])}` |")
        rel = (d.get("evidence") or {}).get("recent_release")
        if rel:
            out.append(
                f"\nRecent release: {rel['id']} ({rel['version']}), {rel['minutes_before_alert']} min before."
            )
        out += [
            "",
            "### Hypotheses",
            "",
            "| hypothesis | confidence | supporting | contradicting |",
            "|---|---|---|---|",
        ]
        for h in d.get("hypotheses", []):
            out.append(
                f"| {h['name']} | {h['confidence']:.2f} | {_md_cell('; '.join(h['supporting']) or '—')} | "
                f"{_md_cell('; '.join(h['contradicting']) or '—')} |"
            )
    out += ["", "## SLI and burn rate", ""]
    if c.note:
        out.append(c.note)
    else:
        out += [f"- SLI (good ratio, {c.sli_window}): {_spark(c.sli)}", f"- burn rate: {_spark(c.burn)}"]
    out += ["", f"_From {_t(c.start)} to {_t(c.end)}. Generated by the slostack healer._", ""]
    return "\n".join(out)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render_html(rec: IncidentRecord, c: Charts, entries: list[TimelineEntry] | None = None) -> str:
    inc = rec.incident
    entries = entries if entries is not None else timeline(rec)
    start = alert_start(rec)
    e = escape
    title = f"Incident {inc.id}: {inc.alertname} on {inc.target or '—'}"
    body = [f"<h1>{e(title)}</h1>"]
    facts = [*_facts(rec), ("error budget spent during the incident", _budget(c))]
    body.append(_table(["", ""], [[f"<b>{e(k)}</b>", e(v)] for k, v in facts]))
    body.append("<h2>Timeline</h2>")
    body.append(
        _table(
            ["time", "since alert", "event", "detail"],
            [[e(_t(x.at)), f"{x.at - start:+.0f}s", e(x.kind), e(x.text)] for x in entries],
        )
    )
    body.append("<h2>SLI and burn rate</h2>")
    marks = [(x.at, f"{x.kind}: {x.text}") for x in entries if x.kind in ("alert", "action", "closed")]
    if c.note:
        body.append(f"<p class=meta>{e(c.note)}</p>")
    else:
        body.append(
            line_chart(
                c.sli,
                title=f"SLI: good ratio ({c.sli_window})",
                start=c.start,
                end=c.end,
                marks=marks,
                fmt=lambda v: f"{v:.2%}",
            )
        )
        body.append(
            line_chart(
                c.burn,
                title="Burn rate",
                start=c.start,
                end=c.end,
                marks=marks,
                threshold=1.0,
                fmt=lambda v: f"{v:.3g}x",
            )
        )
        body.append("<p class=meta>Dashed vertical lines: the alert, each action, the close.</p>")
    d = _diagnosis(rec)
    body.append("<h2>Diagnosis</h2>")
    if d is None:
        body.append("<p>No diagnosis: this incident's ladder had no <code>auto</code> step.</p>")
    else:
        remedy = d.get("remedy") or {}
        body.append(
            f"<p>Leading hypothesis <b>{e(str(d.get('leader')))}</b> (confidence "
            f"{float(d.get('confidence', 0)):.2f}); remedy <b>{e(str(remedy.get('action')))}</b>: "
            f"{e(str(remedy.get('reason', '')))}</p>"
        )
        if d.get("summary"):
            body.append(f"<blockquote>{e(str(d['summary']))}</blockquote>")
        readings = (d.get("evidence") or {}).get("readings", [])
        body.append("<h3>Evidence</h3>")
        body.append(
            _table(
                ["signal", "value", "query"],
                [[e(r["label"]), e(_value(r)), f"<code>{e(r['query'])}</code>"] for r in readings],
            )
        )
        body.append("<h3>Hypotheses</h3>")
        body.append(
            _table(
                ["hypothesis", "confidence", "supporting", "contradicting"],
                [
                    [
                        e(h["name"]),
                        f"{h['confidence']:.2f}",
                        "<br>".join(e(s) for s in h["supporting"]) or "—",
                        "<br>".join(e(s) for s in h["contradicting"]) or "—",
                    ]
                    for h in d.get("hypotheses", [])
                ],
            )
        )
    body.append(
        f"<p class=meta>From {e(_t(c.start))} to {e(_t(c.end))}. Generated by the slostack healer.</p>"
    )
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f"<meta name=viewport content='width=device-width, initial-scale=1'><title>{e(title)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )
