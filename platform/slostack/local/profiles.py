"""Profiles: the same spec and code path with other numbers. `drill` makes a fault drill take minutes.

Production numbers (30d windows, 15s scrapes, 10m cooldowns) would make a drill last hours. The
drill profile shrinks the SLO window to 1h, scrapes and evaluates every second and shortens the
healer's waits; windows and burn factors then follow from the same policy table as in production.
"""

from __future__ import annotations

from typing import Literal

from ..spec.durations import Duration
from ..spec.load import CONFIRM_SCRAPES
from ..spec.model import Spec

__all__ = ["PROFILES", "Profile", "apply_profile"]

Profile = Literal["default", "drill"]
PROFILES: tuple[Profile, ...] = ("default", "drill")

_SECOND = Duration.parse("1s")


def apply_profile(spec: Spec, profile: Profile) -> Spec:
    if profile == "default":
        return spec
    service = spec.service
    if service is not None:
        service = service.model_copy(update={"scrape_interval": _SECOND, "evaluation_interval": _SECOND})
    slos = tuple(
        slo.model_copy(update={"window": Duration.parse("1h"), "min_events": min(slo.min_events, 5)})
        for slo in spec.slos
    )
    healing = spec.healing
    policies = tuple(
        p.model_copy(
            update={
                "cooldown": Duration.parse("10s"),
                "verify_for": Duration.parse("20s"),
                "attempts_window": Duration.parse("30s"),
                # Still 12 scrapes, now of 1s: a confirmation keeps its meaning, not its length.
                "confirm_for": None if p.confirm_for is None else _SECOND * CONFIRM_SCRAPES,
            }
        )
        for p in healing.policies
    )
    healing = healing.model_copy(
        update={
            "policies": policies,
            # Every healer window shrinks with the SLO window: 10 actions an hour becomes 10 a minute.
            "rate_limit": healing.rate_limit.model_copy(update={"per": Duration.parse("1m")}),
            "verify": healing.verify.model_copy(
                update={"window": Duration.parse("20s"), "query_timeout": Duration.parse("2s")}
            ),
        }
    )
    alerting = spec.alerting.model_copy(
        update={
            "group_wait": _SECOND,
            "group_interval": Duration.parse("2s"),
            "repeat_interval": Duration.parse("1m"),
        }
    )
    return spec.model_copy(
        update={"service": service, "slos": slos, "healing": healing, "alerting": alerting}
    )
