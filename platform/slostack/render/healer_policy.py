"""`healer/policy.yml`: the spec's `healing` section as the healer reads it, with verification queries.

The healer is a separate process (and image), so it reads this file rather than the spec: the file
carries everything it needs, already resolved (ladders, dry-run per policy, targets, and per SLO the
PromQL that tells whether a remedy worked).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from .. import conventions
from ..spec.durations import Duration
from ..spec.model import SLO, EventsSLI, HealingPolicy, LatencySLI, QuerySLI, RateLimit, Spec, Verify
from .options import RenderOptions
from .sli import error_ratio_expr
from .windows import burn_plan
from .yaml_out import dump_yaml

__all__ = [
    "POLICY_PATH",
    "HealerPolicyFile",
    "ReceiverRef",
    "ServiceFacts",
    "SloCheck",
    "load_policy_file",
    "render_healer_policy",
]

POLICY_PATH = "healer/policy.yml"
API_VERSION: Literal["slostack/healer-policy/v1"] = "slostack/healer-policy/v1"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)


class SloCheck(_Frozen):
    """How to tell, from Prometheus, that an SLO has recovered."""

    slo_id: str
    alert: str
    verify_query: str  # instant query; one sample, the short-window error ratio
    recovered_below: Decimal  # the error ratio under which the page alert cannot fire
    # The raw SLI error ratio over 4 scrapes: "is it still burning right now?". The alert's own short
    # window (5m at 30d) would keep saying yes for minutes after a fault stopped by itself.
    now_query: str | None = None
    error_budget: Decimal


class ReceiverRef(_Frozen):
    name: str
    kind: Literal["webhook", "slack", "pagerduty", "email"]
    url_file: str | None = None  # webhook and slack: the file holding the URL


class ServiceFacts(_Frozen):
    """What diagnosis needs to know about the service to read its metrics (selectors come from the
    spec's SLIs, so diagnosis asks about the same requests the SLOs count)."""

    job: str
    scrape_interval_seconds: Decimal = Decimal(15)  # rate windows are a few scrapes long
    memory_limit_bytes: int | None = None
    cpu_limit: Decimal | None = None
    errors: str | None = None  # the first events SLI: a selector of failed requests
    total: str | None = None
    latency_histogram: str | None = None  # the first latency SLI: its bucket selector and threshold
    latency_threshold_seconds: Decimal | None = None


class HealerPolicyFile(_Frozen):
    apiVersion: Literal["slostack/healer-policy/v1"] = API_VERSION
    service: str
    enabled: bool
    dry_run: bool
    targets: tuple[str, ...]
    rate_limit: RateLimit
    verify: Verify
    breaker_failures: int
    escalate_to: str | None
    policies: tuple[HealingPolicy, ...]
    slos: dict[str, SloCheck]
    receivers: dict[str, ReceiverRef]
    service_facts: ServiceFacts | None = None  # None: no `service:` in the spec; diagnosis says unknown


def _now_query(slo: SLO, scrape: Duration) -> str | None:
    """None for a query SLI: its template may read the user's own recording rules, which exist only for
    the windows they record (the watch then asks the alert's short window instead)."""
    if isinstance(slo.sli, QuerySLI):
        return None
    return _one_line(error_ratio_expr(slo, str(scrape * 4)))


def _one_line(expr: str) -> str:
    """The healer logs and stores its queries: one line each reads better than escaped newlines."""
    return " ".join(line.strip() for line in expr.splitlines() if line.strip())


def _service_facts(spec: Spec) -> ServiceFacts | None:
    service = spec.service
    if service is None:
        return None
    events = next((s.sli for s in spec.slos if isinstance(s.sli, EventsSLI)), None)
    latency = next((s.sli for s in spec.slos if isinstance(s.sli, LatencySLI)), None)
    return ServiceFacts(
        job=service.scrape_job,
        scrape_interval_seconds=Decimal(service.scrape_interval.ms) / 1000,
        memory_limit_bytes=service.memory_limit,
        cpu_limit=service.cpu_limit,
        errors=events.errors if events else None,
        total=events.total if events else None,
        latency_histogram=latency.histogram if latency else None,
        latency_threshold_seconds=(Decimal(latency.threshold.ms) / 1000 if latency is not None else None),
    )


def policy_model(spec: Spec, options: RenderOptions) -> HealerPolicyFile:
    labels = conventions.SLOTH_LABELS if options.sloth_labels else conventions.SLOSTACK_LABELS
    slos = {}
    for slo in spec.slos:
        plan = burn_plan(slo, spec.scrape_interval)
        first_page = plan.alerts[0]
        query = f'{conventions.sli_error_ratio(str(first_page.short))}{{{labels.id}="{slo.slo_id}"}}'
        slos[slo.name] = SloCheck(
            slo_id=slo.slo_id,
            alert=slo.alert_name,
            verify_query=query,
            recovered_below=first_page.threshold,
            now_query=_now_query(slo, spec.scrape_interval),
            error_budget=slo.error_budget,
        )
    receivers = {}
    for r in spec.alerting.receivers:
        if r.webhook:
            receivers[r.name] = ReceiverRef(name=r.name, kind="webhook", url_file=r.webhook.url_file)
        elif r.slack:
            receivers[r.name] = ReceiverRef(name=r.name, kind="slack", url_file=r.slack.api_url_file)
        else:
            receivers[r.name] = ReceiverRef(name=r.name, kind="pagerduty" if r.pagerduty else "email")
    h = spec.healing
    return HealerPolicyFile(
        service=spec.name,
        enabled=h.enabled,
        dry_run=h.dry_run,
        targets=h.targets,
        rate_limit=h.rate_limit,
        verify=h.verify,
        breaker_failures=h.breaker_failures,
        escalate_to=h.escalate_to,
        policies=h.policies,
        slos=slos,
        receivers=receivers,
        service_facts=_service_facts(spec),
    )


def render_healer_policy(spec: Spec, options: RenderOptions) -> dict[str, str]:
    data = policy_model(spec, options).model_dump(mode="json")
    header = "# Rendered by slostack from the spec's `healing` section. Do not edit: change the spec.\n"
    return {POLICY_PATH: header + dump_yaml(data)}


def load_policy_file(path: str | Path) -> HealerPolicyFile:
    """Read a rendered policy file (the healer's only input besides its token and state)."""
    data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return HealerPolicyFile.model_validate(data)
