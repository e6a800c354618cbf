"""Alertmanager's webhook payload (version 4), parsed into models before anything looks at it.

Unknown fields are ignored because newer Alertmanagers add some; known fields are checked hard
(sizes, shapes), because every label value here came from outside and is untrusted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

__all__ = ["AlertKey", "WebhookAlert", "WebhookMessage", "alert_key"]

_MAX_LABELS = 64
_Text = Annotated[str, StringConstraints(max_length=4096)]
_LabelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


def _bounded(value: dict[str, str]) -> dict[str, str]:
    if len(value) > _MAX_LABELS:
        raise ValueError(f"at most {_MAX_LABELS} entries (got {len(value)})")
    return value


class WebhookAlert(_Model):
    status: Literal["firing", "resolved"]
    labels: dict[_LabelName, _Text]
    annotations: dict[_LabelName, _Text] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: _Text = Field(default="", alias="generatorURL")
    # Alertmanager's fingerprint is 16 hex digits; allow any short alphanumeric id from other senders.
    fingerprint: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,64}$")]

    _labels = field_validator("labels", "annotations")(_bounded)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # Alertmanager sends RFC 3339 with an offset; a naive time cannot be compared, so it is UTC.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


class WebhookMessage(_Model):
    version: Literal["4"]
    group_key: _Text = Field(default="", alias="groupKey")
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts")
    status: Literal["firing", "resolved"]
    receiver: _Text = ""
    group_labels: dict[str, _Text] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, _Text] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, _Text] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: _Text = Field(default="", alias="externalURL")
    alerts: Annotated[list[WebhookAlert], Field(max_length=1000)]


AlertKey = tuple[str, str, str]


def alert_key(alert: WebhookAlert) -> AlertKey:
    """The dedup key: one alert episode in one state. Repeats, HA duplicates and re-sent groups of the
    same alert share it; a new episode (new startsAt) or the resolution does not."""
    starts = alert.starts_at.astimezone(UTC).isoformat(timespec="microseconds")
    return (alert.fingerprint, starts, alert.status)
