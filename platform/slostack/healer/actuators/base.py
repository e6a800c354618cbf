"""The one interface the healer acts through, whatever runs the service (processes, Docker, Kubernetes).

The engine validates a target before it gets here; every actuator validates again (`check_target`),
because a target name ends up in file paths, container names and API URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = [
    "ALL_ACTIONS",
    "TARGET_NAME",
    "ActionName",
    "Actuator",
    "ActuatorError",
    "TargetState",
    "check_target",
]

ActionName = Literal["restart", "scale", "rollback"]
ALL_ACTIONS: frozenset[str] = frozenset({"restart", "scale", "rollback"})
TARGET_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class ActuatorError(Exception):
    """An action could not be carried out. The message is written to the audit journal as is."""


@dataclass(frozen=True)
class TargetState:
    """What is cheap to read back about a target; None where the actuator cannot tell."""

    replicas: int | None = None
    version: str | None = None


class Actuator(Protocol):
    """Each method blocks until the action is done (or failed) and returns a one-line summary."""

    name: str
    capabilities: frozenset[str]  # the actions this actuator can do; others are skipped, not failed

    def restart(self, target: str) -> str: ...

    def scale(self, target: str, replicas: int) -> str: ...

    def rollback(self, target: str) -> str: ...

    def describe(self, target: str) -> TargetState: ...


def check_target(target: str) -> str:
    """Reject any name that could escape into a path, a URL or a command line."""
    if not isinstance(target, str) or len(target) > 63 or not TARGET_NAME.fullmatch(target):
        raise ActuatorError(f"refusing target {target!r}: must match {TARGET_NAME.pattern}, at most 63 chars")
    return target
