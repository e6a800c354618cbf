"""PromQL for one SLI: error ratio over a window, and error/total rates for true period counting."""

from __future__ import annotations

from decimal import Decimal

from ..spec.model import SLO, EventsSLI, LatencySLI, QuerySLI
from ..spec.selectors import Matcher, Selector, parse_selector

__all__ = ["bucket_selectors", "error_rate_expr", "error_ratio_expr", "total_rate_expr", "total_selector"]


def _le_matcher(seconds: Decimal) -> Matcher:
    """Match the bucket bound however the client spelled it: Go writes `1`, Python `1.0`."""
    text = format(seconds.normalize(), "f")
    if "." in text:
        return Matcher("le", "=", text)
    return Matcher("le", "=~", f"{text}(\\.0)?")


def bucket_selectors(sli: LatencySLI) -> tuple[Selector, Selector]:
    """(good bucket at the threshold, the +Inf bucket) of a latency SLI."""
    base = parse_selector(sli.histogram)
    good = base.with_matcher(_le_matcher(Decimal(sli.threshold.ms) / 1000))
    everything = base.with_matcher(Matcher("le", "=", "+Inf"))
    return good, everything


def total_selector(slo: SLO) -> Selector | None:
    """The selector that counts every event, or None for a query SLI (it has no such series)."""
    if isinstance(slo.sli, EventsSLI):
        return parse_selector(slo.sli.total)
    if isinstance(slo.sli, LatencySLI):
        return bucket_selectors(slo.sli)[1]
    return None


def error_ratio_expr(slo: SLO, window: str) -> str:
    sli = slo.sli
    if isinstance(sli, EventsSLI):
        # `or vector(0)`: a service that never failed has no error series at all, and an absent
        # numerator would make the ratio absent instead of 0.
        return (
            f"(sum(rate({parse_selector(sli.errors)}[{window}])) or vector(0))\n"
            f"/\nsum(rate({parse_selector(sli.total)}[{window}]))"
        )
    if isinstance(sli, LatencySLI):
        good, everything = bucket_selectors(sli)
        return f"1 - (\n  sum(rate({good}[{window}]))\n  /\n  sum(rate({everything}[{window}]))\n)"
    assert isinstance(sli, QuerySLI)
    return sli.error_ratio.replace("{{ window }}", window).replace("{{window}}", window)


def error_rate_expr(slo: SLO, window: str) -> str | None:
    """Failed events per second, or None for a query SLI."""
    sli = slo.sli
    if isinstance(sli, EventsSLI):
        return f"sum(rate({parse_selector(sli.errors)}[{window}])) or vector(0)"
    if isinstance(sli, LatencySLI):
        good, everything = bucket_selectors(sli)
        return f"sum(rate({everything}[{window}]))\n-\nsum(rate({good}[{window}]))"
    return None


def total_rate_expr(slo: SLO, window: str) -> str | None:
    selector = total_selector(slo)
    return None if selector is None else f"sum(rate({selector}[{window}]))"
