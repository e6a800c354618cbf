"""The file format `slostack/v1`, field for field as users write it (see SPEC.md).

These models only say what a well-formed file looks like. Defaults that depend on other fields
(alert names, scrape job) and cross-references (routes naming receivers) are resolved when the file
is mapped to the internal model in `model.py` / `load.py`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .durations import Duration
from .names import ALERT_NAME, check_label_name, check_slug
from .quantities import parse_bytes
from .selectors import parse_selector

__all__ = ["API_VERSION", "KIND", "SpecFileV1"]

API_VERSION = "slostack/v1"
KIND = "ServiceLevels"

_SECRET_HINT = "secrets are taken by file reference only"  # noqa: S105 - a message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _labels(value: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, item in value.items():
        check_label_name(key)
        if isinstance(item, (dict, list)) or item is None:
            raise ValueError(f"label {key!r} must have a plain value")
        out[key] = (
            item if isinstance(item, str) else str(item).lower() if isinstance(item, bool) else str(item)
        )
    return out


class Metadata(_Strict):
    name: str
    labels: dict[str, Any] = Field(default_factory=dict)

    _name = field_validator("name")(check_slug)
    _labels = field_validator("labels")(_labels)


class Scrape(_Strict):
    job: str | None = None
    path: str = "/metrics"
    interval: Duration = Duration.parse("15s")
    evaluation_interval: Duration | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must start with '/' (got {value!r})")
        return value


class Resources(_Strict):
    memory_limit: int | None = None
    cpu_limit: Decimal | None = None

    @field_validator("memory_limit", mode="before")
    @classmethod
    def _memory(cls, value: Any) -> int | None:
        return None if value is None else parse_bytes(value)


class Service(_Strict):
    image: str | None = None
    build: str | None = None
    version: str | None = None
    replicas: Annotated[int, Field(ge=1, le=1000)] = 1
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    env: dict[str, str] = Field(default_factory=dict)
    resources: Resources = Field(default_factory=Resources)
    scrape: Scrape = Field(default_factory=Scrape)

    @field_validator("env", mode="before")
    @classmethod
    def _env(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (str(v).lower() if isinstance(v, bool) else str(v)) if v is not None else ""
                for k, v in value.items()
            }
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Service:
        if self.image and self.build:
            raise ValueError("give either image or build, not both")
        return self


def _selector(value: str) -> str:
    parse_selector(value)
    return value.strip()


class EventsSLI(_Strict):
    errors: str
    total: str

    _check = field_validator("errors", "total")(_selector)


class LatencySLI(_Strict):
    histogram: str
    threshold: Duration
    buckets: list[Decimal] | None = None

    @field_validator("histogram")
    @classmethod
    def _histogram(cls, value: str) -> str:
        selector = parse_selector(value)
        if not selector.metric.endswith("_bucket"):
            raise ValueError(f"must select a histogram's _bucket series (got {selector.metric!r})")
        if any(m.name == "le" for m in selector.matchers):
            raise ValueError("must not match on 'le'; slostack picks the bucket from threshold")
        return value.strip()

    @model_validator(mode="after")
    def _threshold_is_a_bucket(self) -> LatencySLI:
        if self.buckets is not None:
            seconds = Decimal(self.threshold.ms) / 1000
            if all(Decimal(b) != seconds for b in self.buckets):
                shown = ", ".join(str(b) for b in self.buckets)
                raise ValueError(
                    f"threshold {self.threshold} ({seconds}s) is not a bucket boundary of the "
                    f"histogram (buckets: {shown}); a latency SLI needs an exact bucket"
                )
        return self


class QuerySLI(_Strict):
    error_ratio: str

    @field_validator("error_ratio")
    @classmethod
    def _window(cls, value: str) -> str:
        if "{{window}}" not in value.replace(" ", ""):
            raise ValueError("must contain {{window}} where the rate window goes, e.g. rate(x[{{window}}])")
        if value.count("(") != value.count(")") or value.count("{") != value.count("}"):
            raise ValueError("unbalanced parentheses or braces")
        return value.strip()


class SLI(_Strict):
    events: EventsSLI | None = None
    latency: LatencySLI | None = None
    query: QuerySLI | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SLI:
        given = [k for k in ("events", "latency", "query") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of events, latency, query (got {len(given)})")
        return self


class Tier(_Strict):
    enabled: bool = True
    severity: str | None = None
    labels: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    _labels = field_validator("labels")(_labels)


class SloAlerting(_Strict):
    name: str | None = None
    labels: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    page: Tier = Field(default_factory=Tier)
    ticket: Tier = Field(default_factory=Tier)
    # The fewest events in an alert's long window before it may fire: one failed request at 3 a.m.
    # is 100% errors, and must not page anyone.
    min_events: Annotated[int, Field(ge=0)] = 10
    no_data: bool = True

    _labels = field_validator("labels")(_labels)

    @field_validator("name")
    @classmethod
    def _alert_name(cls, value: str | None) -> str | None:
        if value is not None and not ALERT_NAME.match(value):
            raise ValueError(f"not a valid alert name (got {value!r}); use letters, digits and '_'")
        return value


def _objective(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"must be a number of percent, e.g. 99.9 (got {value!r})")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"must be a number of percent, e.g. 99.9 (got {value!r})") from None
    if not number.is_finite():
        raise ValueError(f"must be a finite number (got {value})")
    if number >= 100:
        raise ValueError(f"must be below 100 (got {value})")
    if number <= 0:
        raise ValueError(f"must be above 0 (got {value})")
    return number


class SLO(_Strict):
    name: str
    objective: Decimal
    window: Duration = Duration.parse("30d")
    description: str = ""
    sli: SLI
    alerting: SloAlerting = Field(default_factory=SloAlerting)

    _name = field_validator("name")(check_slug)
    _objective = field_validator("objective", mode="before")(_objective)

    @field_validator("window")
    @classmethod
    def _window(cls, value: Duration) -> Duration:
        if value.ms < 60 * 60 * 1000:
            raise ValueError(f"must be at least 1h (got {value})")
        if value.ms > 366 * 86_400_000:
            raise ValueError(f"must be at most 366d (got {value})")
        return value


def _reject_inline(name: str, use: str) -> Any:
    def check(value: Any) -> Any:
        if value is not None:
            raise ValueError(f"{_SECRET_HINT}: put the value in a file and give {use} instead")
        return value

    return field_validator(name, mode="before")(check)


class WebhookReceiver(_Strict):
    url_file: str | None = None
    url: Any = None
    send_resolved: bool = True
    max_alerts: Annotated[int, Field(ge=0)] = 0

    _inline = _reject_inline("url", "url_file")

    @model_validator(mode="after")
    def _required(self) -> WebhookReceiver:
        if not self.url_file:
            raise ValueError("url_file is required (the file holding the webhook URL)")
        return self


class SlackReceiver(_Strict):
    api_url_file: str
    api_url: Any = None
    channel: str | None = None
    send_resolved: bool = True

    _inline = _reject_inline("api_url", "api_url_file")


class PagerDutyReceiver(_Strict):
    routing_key_file: str
    routing_key: Any = None
    service_key: Any = None
    send_resolved: bool = True

    _inline = _reject_inline("routing_key", "routing_key_file")
    _inline_service = _reject_inline("service_key", "routing_key_file")


class EmailReceiver(_Strict):
    to: str
    from_: str | None = Field(default=None, alias="from")
    smarthost: str
    auth_username: str | None = None
    auth_password_file: str | None = None
    auth_password: Any = None
    require_tls: bool = True
    send_resolved: bool = False

    _inline = _reject_inline("auth_password", "auth_password_file")


class Receiver(_Strict):
    name: str
    webhook: WebhookReceiver | None = None
    slack: SlackReceiver | None = None
    pagerduty: PagerDutyReceiver | None = None
    email: EmailReceiver | None = None

    _name = field_validator("name")(check_slug)

    @model_validator(mode="after")
    def _exactly_one(self) -> Receiver:
        kinds = [k for k in ("webhook", "slack", "pagerduty", "email") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"give exactly one of webhook, slack, pagerduty, email (got {len(kinds)})")
        if self.name == "healer":
            raise ValueError("'healer' is the receiver slostack adds itself; choose another name")
        return self


class Routes(_Strict):
    page: list[str] = Field(default_factory=list)
    ticket: list[str] = Field(default_factory=list)


class AlertingConfig(_Strict):
    receivers: list[Receiver] = Field(default_factory=list)
    routes: Routes = Field(default_factory=Routes)
    group_wait: Duration | None = None
    # How soon Alertmanager sends changes to a group it already notified, resolutions included:
    # the healer's verification waits on those.
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None


class ScaleStep(_Strict):
    action: Literal["restart", "scale", "rollback", "notify", "auto"]
    step: Annotated[int, Field(ge=1)] = 1
    max: Annotated[int, Field(ge=1)] | None = None
    receiver: str | None = None


def _ladder(value: Any) -> Any:
    if isinstance(value, list):
        return [{"action": v} if isinstance(v, str) else v for v in value]
    return value


class Policy(_Strict):
    match: dict[str, str]
    action: Literal["restart", "scale", "rollback", "notify", "auto"] | None = None
    actions: list[ScaleStep] | None = None
    target: str | None = None
    cooldown: Duration = Duration.parse("10m")
    max_attempts: Annotated[int, Field(ge=1)] = 3
    attempts_window: Duration = Duration.parse("1h")
    dry_run: bool | None = None
    verify_for: Duration | None = None
    # Watch this long before the first action and act only if the burn goes on: a fault that stops
    # by itself must not get a rollback. Default: on for `auto` ladders (12 scrape intervals), off
    # for explicit ones (the user asked for that action on that alert).
    confirm: bool | None = None
    confirm_for: Duration | None = None
    forbid: list[Literal["restart", "scale", "rollback"]] = Field(default_factory=list)

    _ladder = field_validator("actions", mode="before")(_ladder)

    @field_validator("match")
    @classmethod
    def _match(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("must name at least one label to match")
        for key in value:
            check_label_name(key)
        return value

    @model_validator(mode="after")
    def _one_of(self) -> Policy:
        if (self.action is None) == (self.actions is None):
            raise ValueError("give exactly one of action (one remedy) or actions (an ordered ladder)")
        if self.actions is not None and not self.actions:
            raise ValueError("actions must list at least one step")
        return self


class RateLimit(_Strict):
    actions: Annotated[int, Field(ge=1)] = 10
    per: Duration = Duration.parse("1h")


class Verify(_Strict):
    window: Duration = Duration.parse("5m")
    query_timeout: Duration = Duration.parse("5s")


class Healing(_Strict):
    enabled: bool = True
    dry_run: bool = False
    policies: list[Policy] = Field(default_factory=list)
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    verify: Verify = Field(default_factory=Verify)
    breaker_failures: Annotated[int, Field(ge=1)] = 3
    escalate_to: str | None = None


class Deploy(_Strict):
    target: Literal["local", "docker", "kubernetes"] = "local"
    operator: bool = False
    namespace: str | None = None


class SpecFileV1(_Strict):
    apiVersion: Literal["slostack/v1"]
    kind: Literal["ServiceLevels"]
    metadata: Metadata
    service: Service | None = None
    slos: Annotated[list[SLO], Field(min_length=1)]
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    healing: Healing = Field(default_factory=Healing)
    deploy: Deploy = Field(default_factory=Deploy)
