"""The one place that spells generated names: metrics, labels, rule groups, alerts, files, uids.

Nothing else in slostack writes a generated name by hand; tests and templates ask this module.
The names follow Sloth's (SPEC.md), so users' existing dashboards and queries keep working.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "ALERTMANAGER_CONFIG",
    "ALERTMANAGER_JOB",
    "ALERTMANAGER_ROUTE_TESTS",
    "ALERTS",
    "DEFAULT_RECEIVER",
    "GRAFANA_DASHBOARDS_DIR",
    "GRAFANA_DASHBOARDS_ENV",
    "GRAFANA_DASHBOARD_PROVIDERS",
    "GRAFANA_DATASOURCES",
    "GRAFANA_DATASOURCE_NAME",
    "GRAFANA_DATASOURCE_UID",
    "GRAFANA_DATASOURCE_VARIABLE",
    "HEALER_ACTIONS_TOTAL",
    "HEALER_ALERTS_PATH",
    "HEALER_JOB",
    "HEALER_RECEIVER",
    "PROMETHEUS_CONFIG",
    "PROMETHEUS_JOB",
    "RULE_NAMES_WITHOUT_COLON",
    "SLOSTACK_LABELS",
    "SLOTH_LABELS",
    "LabelNames",
    "alert_name",
    "camel",
    "dashboard_file",
    "dashboard_uid",
    "healer_relay_path",
    "memory_exhaustion_alert_name",
    "memory_high_alert_name",
    "no_data_alert_name",
    "restart_loop_alert_name",
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


def memory_high_alert_name(service: str) -> str:
    return f"{camel(service)}MemoryHigh"


def memory_exhaustion_alert_name(service: str) -> str:
    return f"{camel(service)}MemoryExhaustionPredicted"


def restart_loop_alert_name(service: str) -> str:
    return f"{camel(service)}RestartLoop"


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


# --- The rest of the bundle: config files, scrape jobs, receivers, Grafana ------------------------------
# Recording rules are named level:metric:operations, so a name with a colon is a rule; these are the
# generated rules whose names have none, which the consistency check must also know.
RULE_NAMES_WITHOUT_COLON = frozenset({SLO_INFO})
ALERTS = "ALERTS"  # Prometheus' own series of pending/firing alerts

PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
ALERTMANAGER_ROUTE_TESTS = "alertmanager/tests/routes.yml"
GRAFANA_DASHBOARDS_DIR = "grafana/dashboards"
GRAFANA_DATASOURCES = "grafana/provisioning/datasources/slostack.yml"
GRAFANA_DASHBOARD_PROVIDERS = "grafana/provisioning/dashboards/slostack.yml"

PROMETHEUS_JOB = "prometheus"
ALERTMANAGER_JOB = "alertmanager"
HEALER_JOB = "slostack-healer"
HEALER_ACTIONS_TOTAL = "healer_actions_total"
HEALER_ALERTS_PATH = "/v1/alerts"

HEALER_RECEIVER = "healer"  # added by slostack; spec/v1.py refuses a user receiver of this name
DEFAULT_RECEIVER = "default"  # the null receiver of alerts no route claims

GRAFANA_DATASOURCE_UID = "slostack-prometheus"
GRAFANA_DATASOURCE_NAME = "Prometheus (slostack)"
GRAFANA_DATASOURCE_VARIABLE = "datasource"  # every dashboard target reads ${datasource}
# Where Grafana finds the dashboard files differs per target (a mount, a data dir), so the provisioning
# file reads it from this environment variable, which whoever starts Grafana sets.
GRAFANA_DASHBOARDS_ENV = "SLOSTACK_GRAFANA_DASHBOARDS"


def dashboard_file(uid: str) -> str:
    return f"{GRAFANA_DASHBOARDS_DIR}/{uid}.json"


def healer_relay_path(receiver: str) -> str:
    """Where Alertmanager 0.25 posts a webhook receiver's notifications so the healer forwards them.

    Alertmanager 0.25 cannot read a webhook URL from a file (its webhook config has no `url_file`; later
    releases added it), and the URL is a secret: the healer reads the receiver's `url_file` and relays.
    """
    return f"/v1/relay/{receiver}"
