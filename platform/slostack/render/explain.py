"""What each alert of a spec means, in numbers an on-call engineer can check: `slostack explain`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..spec.model import Spec
from .windows import burn_plan

__all__ = ["ExplainRow", "explain", "human_seconds"]


@dataclass(frozen=True)
class ExplainRow:
    slo: str
    tier: str
    enabled: bool
    burn_rate: Decimal
    long: str
    short: str
    budget_spent: Decimal  # share of the period's budget gone when it fires
    error_ratio_threshold: Decimal  # the smallest sustained error ratio that fires this pair
    seconds_to_fire: float | None  # on a full outage after healthy traffic; None: can never fire
    detection_delay: float  # scrape + evaluation: what the system adds on top


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{whole}s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            out += f"{whole // size}{unit}"
            whole %= size
    return out


def explain(spec: Spec) -> list[ExplainRow]:
    rows = []
    delay = spec.scrape_interval.seconds + spec.evaluation_interval.seconds
    for slo in spec.slos:
        plan = burn_plan(slo, spec.scrape_interval)
        for w in plan.alerts:
            # With a 100% error rate after healthy traffic, the error ratio over a window of length W
            # grows as t / W; the pair fires once both windows pass the threshold, i.e. at W_long * θ.
            can_fire = w.threshold < 1
            rows.append(
                ExplainRow(
                    slo=slo.name,
                    tier=w.tier,
                    enabled=getattr(slo, w.tier).enabled,
                    burn_rate=w.factor,
                    long=str(w.long),
                    short=str(w.short),
                    budget_spent=w.budget_share,
                    error_ratio_threshold=w.threshold,
                    seconds_to_fire=float(Decimal(w.long.ms) / 1000 * w.threshold) if can_fire else None,
                    detection_delay=delay,
                )
            )
    return rows


def never_firing(spec: Spec) -> list[str]:
    """Warnings for enabled alert pairs whose threshold is at or above 100% errors."""
    out = []
    for row in explain(spec):
        if row.enabled and row.seconds_to_fire is None:
            out.append(
                f"{spec.source}: slos[{row.slo}]: the {row.tier} alert over {row.long} needs an error "
                f"ratio of {row.error_ratio_threshold} (> 100%) and can never fire; lower the objective's "
                "precision or disable that tier"
            )
    return out
