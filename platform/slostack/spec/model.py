"""The normalized, immutable `Spec`: what every later step (render, deploy, heal) reads.

Unlike the file models in `v1.py`, every default is resolved here (alert names, scrape job, ladders,
dry-run per policy), so consumers never re-derive them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .durations import Duration
from .v1 import AlertingConfig, Deploy, RateLimit, Receiver, Verify

__all__ = [
    "SLI",
    "SLO",
    "AlertingConfig",
    "Deploy",
    "EventsSLI",
    "Healing",
    "HealingPolicy",
    "LadderStep",
    "LatencySLI",
    "QuerySLI",
    "RateLimit",
    "Receiver",
    "Service",
    "Spec",
    "Tier",
    "Verify",
]

Action = Literal["restart", "scale", "rollback", "notify", "auto"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class EventsSLI(_Frozen):
    kind: Literal["events"] = "events"
    errors: str
    total: str


class LatencySLI(_Frozen):
    kind: Literal["latency"] = "latency"
    histogram: str
    threshold: Duration


class QuerySLI(_Frozen):
    kind: Literal["query"] = "query"
    error_ratio: str


SLI = EventsSLI | LatencySLI | QuerySLI


class Tier(_Frozen):
    enabled: bool
    severity: str
    labels: dict[str, str]
    annotations: dict[str, str]


class SLO(_Frozen):
    name: str
    slo_id: str
    service: str
    objective: Decimal
    window: Duration
    description: str
    sli: EventsSLI | LatencySLI | QuerySLI = Field(discriminator="kind")
    alert_name: str
    alert_labels: dict[str, str]
    alert_annotations: dict[str, str]
    page: Tier
    ticket: Tier
    min_events: int
    no_data_alert: bool

    @property
    def objective_ratio(self) -> Decimal:
        """99.9 -> 0.999, exact."""
        return Decimal(format((self.objective / 100).normalize(), "f"))

    @property
    def error_budget(self) -> Decimal:
        """99.9 -> 0.001, exact: the share of events allowed to fail over the window."""
        return Decimal(format((1 - self.objective / 100).normalize(), "f"))


class Service(_Frozen):
    name: str
    image: str | None
    build: str | None
    version: str
    replicas: int
    port: int
    env: dict[str, str]
    memory_limit: int | None
    cpu_limit: Decimal | None
    scrape_job: str
    scrape_path: str
    scrape_interval: Duration
    evaluation_interval: Duration


class LadderStep(_Frozen):
    action: Action
    step: int = 1
    max: int | None = None
    receiver: str | None = None


class HealingPolicy(_Frozen):
    match: dict[str, str]
    ladder: tuple[LadderStep, ...]
    target: str
    cooldown: Duration
    max_attempts: int
    attempts_window: Duration
    dry_run: bool
    verify_for: Duration
    forbid: tuple[str, ...]
    confirm_for: Duration | None = None  # None: act at once; else act only if the burn lasts this long


class Healing(_Frozen):
    enabled: bool
    dry_run: bool
    policies: tuple[HealingPolicy, ...]
    rate_limit: RateLimit
    verify: Verify
    breaker_failures: int
    escalate_to: str | None
    targets: tuple[str, ...]


class Spec(_Frozen):
    """A validated spec. Build it with `load_spec()`; never by hand in product code."""

    name: str
    labels: dict[str, str]
    service: Service | None
    slos: tuple[SLO, ...]
    alerting: AlertingConfig
    healing: Healing
    deploy: Deploy
    source: str = Field(default="<memory>", description="the file the spec came from, for messages")

    def slo(self, name: str) -> SLO:
        for slo in self.slos:
            if slo.name == name:
                return slo
        raise KeyError(name)

    @property
    def scrape_interval(self) -> Duration:
        return self.service.scrape_interval if self.service else Duration.parse("15s")

    @property
    def evaluation_interval(self) -> Duration:
        return self.service.evaluation_interval if self.service else Duration.parse("30s")
