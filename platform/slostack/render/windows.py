"""Alert windows and burn factors for one SLO, computed from the policy table `burn_windows.yaml`.

One list (`windows_for`) drives the recording rules, the alerts, the promtool tests, `explain` and
the dashboards, so changing the table changes all of them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

import yaml

from ..spec.durations import Duration
from ..spec.model import SLO

__all__ = ["AlertWindow", "BurnPlan", "burn_plan", "exact"]

Tier = Literal["page", "ticket"]


@dataclass(frozen=True)
class AlertWindow:
    tier: Tier
    long: Duration
    short: Duration
    budget_share: Decimal
    factor: Decimal  # burn rate that fires it
    threshold: Decimal  # factor * error budget: the error ratio both windows must exceed


@dataclass(frozen=True)
class BurnPlan:
    """Everything time-related the rules of one SLO need."""

    alerts: tuple[AlertWindow, ...]
    period_base: Duration  # the short rate that the period ratio is summed from
    sli_windows: tuple[Duration, ...]  # every ratio window recorded, shortest first, SLO window last

    def tier(self, tier: Tier) -> tuple[AlertWindow, ...]:
        return tuple(w for w in self.alerts if w.tier == tier)


@cache
def _table() -> dict[str, object]:
    text = resources.files(__package__).joinpath("burn_windows.yaml").read_text(encoding="utf-8")
    data: dict[str, object] = yaml.safe_load(text)
    return data


def exact(number: Decimal, places: int = 12) -> Decimal:
    """A decimal without float noise or exponent form; non-terminating values are rounded at `places`."""
    quantized = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return Decimal(format(quantized.normalize(), "f"))


def _scaled(window: Duration, slo_window: Duration, reference: Duration, floor: Duration) -> Duration:
    seconds = max(round(window.ms * slo_window.ms / reference.ms / 1000), 1)
    return Duration(max(seconds * 1000, floor.ms))


def burn_plan(slo: SLO, scrape_interval: Duration) -> BurnPlan:
    return _burn_plan(slo.window, slo.error_budget, scrape_interval)


@lru_cache(maxsize=1024)
def _burn_plan(slo_window: Duration, error_budget: Decimal, scrape_interval: Duration) -> BurnPlan:
    table = _table()
    reference = Duration.parse(str(table["reference_window"]))
    fixed_from = Duration.parse(str(table["fixed_from"]))
    floor = Duration(scrape_interval.ms * int(str(table["min_scrapes"])))
    base = Duration.parse(str(table["period_base"]))
    fixed = slo_window >= fixed_from
    alerts = []
    raw_alerts = table["alerts"]
    assert isinstance(raw_alerts, list)
    for row in raw_alerts:
        long, short = Duration.parse(row["long"]), Duration.parse(row["short"])
        if not fixed:
            long = _scaled(long, slo_window, reference, floor)
            short = _scaled(short, slo_window, reference, floor)
        share = Decimal(str(row["budget_share"]))
        factor = exact(share * Decimal(slo_window.ms) / Decimal(long.ms))
        alerts.append(AlertWindow(row["tier"], long, short, share, factor, exact(factor * error_budget)))
    if not fixed:
        base = min(w.short for w in alerts)
    windows = sorted({base, *(w.long for w in alerts), *(w.short for w in alerts)} - {slo_window})
    return BurnPlan(tuple(alerts), base, (*windows, slo_window))
