"""The one place that spells generated names: metrics, labels, rule groups, alerts, files, uids.

Nothing else in slostack writes a generated name by hand; tests and templates ask this module.
The names follow Sloth's (SPEC.md), so users' existing dashboards and queries keep working.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "SLOSTACK_LABELS",
    "SLOTH_LABELS",
    "LabelNames",
    "alert_name",
    "camel",
    "dashboard_uid",
    "no_data_alert_name",
    "rule_group",
    "rules_file",
    "rules_test_file",
    "sli_error_rate",
    "sli_error_ratio",
    "sli_total_rate",
    "slo_id",
    "target_down_alert_name",
]

SLI_ERROR_RATIO = "slo:sli_error:ratio_rate{window}"
SLI_ERROR_RATE = "slo:sli_error:rate{window}"  # errors per second, for true occurrence counting
SLI_TOTAL_RATE = "slo:sli_total:rate{window}"  # events per second
OBJECTIVE = "slo:objective:ratio"
ERROR_BUDGET = "slo:error_budget:ratio"
TIME_PERIOD_DAYS = "slo:time_period:days"
CURRENT_BURN_RATE = "slo:current_burn_rate:ratio"
PERIOD_BURN_RATE = "slo:period_burn_rate:ratio"
PERIOD_BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"
SLO_INFO = "slo_info"
# Seed rules of the sample service, kept because its users' dashboards read them.
SAMPLE_APP_REQUEST_RATE = "sample_app:request_rate"
SAMPLE_APP_LATENCY_P95 = "sample_app:latency_p95"
SAMPLE_APP_AVAILABILITY = "sample_app:availability"


@dataclass(frozen=True)
class LabelNames:
    """The label names put on SLO series; the Sloth switch swaps the whole set at once."""

    id: str
    service: str
    slo: str
    window: str
    severity: str = "slo_severity"


SLOSTACK_LABELS = LabelNames("slo_id", "slo_service", "slo_name", "slo_window")
SLOTH_LABELS = LabelNames("sloth_id", "sloth_service", "sloth_slo", "sloth_window")


def camel(slug: str) -> str:
    """`checkout-api` -> `CheckoutApi`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", slug) if part)


def slo_id(service: str, slo: str) -> str:
    return f"{service}-{slo}"


def alert_name(service: str, slo: str) -> str:
    return f"{camel(service)}{camel(slo)}Burn"


def no_data_alert_name(burn_alert: str) -> str:
    base = burn_alert[: -len("Burn")] if burn_alert.endswith("Burn") else burn_alert
    return f"{base}SLINoData"


def target_down_alert_name(service: str) -> str:
    return f"{camel(service)}TargetDown"


def sli_error_ratio(window: str) -> str:
    return SLI_ERROR_RATIO.format(window=window)


def sli_error_rate(window: str) -> str:
    return SLI_ERROR_RATE.format(window=window)


def sli_total_rate(window: str) -> str:
    return SLI_TOTAL_RATE.format(window=window)


def rule_group(service: str, slo: str, part: str) -> str:
    """Rule groups per SLO and part (`sli`, `meta`, `alerts`), so Prometheus evaluates them apart."""
    return f"slostack-{slo_id(service, slo)}-{part}"


def rules_file(service: str) -> str:
    return f"prometheus/rules/{service}.slo.rules.yml"


def rules_test_file(service: str) -> str:
    return f"prometheus/tests/{service}.slo.test.yml"


def dashboard_uid(service: str, slo: str | None = None) -> str:
    """Stable, short Grafana uid (max 40 chars): re-rendering updates a dashboard, never duplicates it."""
    key = service if slo is None else f"{service}/{slo}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    readable = re.sub(r"[^a-z0-9-]", "", key.replace("/", "-"))[:28]
    return f"{readable}-{digest}"
