"""The `pulumi` actuator: rollback re-applies the previous successful Pulumi update (the releases layer).

The healer never imports Pulumi itself: the caller injects the rollback function, so this module costs
nothing to import and tests need no engine. A Pulumi stack has no notion of "restart" or "scale" outside
an update, so those are refused; the ladder skips them.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import ActuatorError, TargetState, check_target

__all__ = ["PulumiActuator"]


def _no_engine(target: str) -> str:
    raise ActuatorError("pulumi rollback needs the Pulumi release ledger (slostack.releases), not wired yet")


class PulumiActuator:
    name = "pulumi"
    capabilities = frozenset({"rollback"})

    def __init__(self, rollback: Callable[[str], str] | None = None) -> None:
        """`rollback(target)` redeploys the previous good release and returns its id."""
        self._rollback = rollback or _no_engine

    def restart(self, target: str) -> str:
        raise ActuatorError("the pulumi actuator cannot restart; use the docker or kubernetes actuator")

    def scale(self, target: str, replicas: int) -> str:
        raise ActuatorError("the pulumi actuator cannot scale outside an update; change the spec instead")

    def rollback(self, target: str) -> str:
        release = self._rollback(check_target(target))
        return f"pulumi rollback of {target} to release {release}"

    def describe(self, target: str) -> TargetState:
        check_target(target)
        return TargetState()
