"""Small inline SVG line charts: no script, no font files, no external reference of any kind, so a
report is one self-contained file that renders offline and under a strict Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape

__all__ = ["line_chart"]


def _hhmm(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M")


def line_chart(
    points: Sequence[tuple[float, float]],
    *,
    title: str,
    start: float,
    end: float,
    marks: Sequence[tuple[float, str]] = (),
    threshold: float | None = None,
    fmt: Callable[[float], str] = lambda v: f"{v:.3g}",
    width: int = 640,
    height: int = 170,
) -> str:
    left, right, top, bottom = 56, 10, 22, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v in points]
    lo = min([0.0, *values])
    hi = max([*values, threshold or 0.0, 1e-12])
    hi = hi * 1.1 if hi > 0 else 1.0
    span = max(end - start, 1e-9)

    def x(t: float) -> float:
        return left + (min(max(t, start), end) - start) / span * plot_w

    def y(v: float) -> float:
        return top + plot_h - (v - lo) / (hi - lo) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14" class="t">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="bg"/>',
        f'<text x="{left - 4}" y="{top + 8}" class="ax" text-anchor="end">{escape(fmt(hi))}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" class="ax" text-anchor="end">{escape(fmt(lo))}</text>',
        f'<text x="{left}" y="{height - 6}" class="ax">{_hhmm(start)}</text>',
        f'<text x="{width - right}" y="{height - 6}" class="ax" text-anchor="end">{_hhmm(end)} UTC</text>',
    ]
    if threshold is not None:
        ty = y(threshold)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" class="thr"/>'
            f'<text x="{left + plot_w - 2}" y="{ty - 3:.1f}" class="ax" text-anchor="end">'
            f"{escape(fmt(threshold))}</text>"
        )
    for t, label in marks:
        mx = x(t)
        parts.append(
            f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{top + plot_h}" class="mk">'
            f"<title>{escape(label)}</title></line>"
        )
    if points:
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
        parts.append(f'<polyline points="{path}" class="ln"/>')
    else:
        cx, cy = left + plot_w / 2, top + plot_h / 2
        parts.append(f'<text x="{cx}" y="{cy}" class="ax" text-anchor="middle">no data</text>')
    parts.append("</svg>")
    return "".join(parts)
