"""Actuators: how the healer restarts, scales and rolls back a target. One module per backend; the
docker, kubernetes and pulumi ones import their client libraries only when built (`build_actuator`)."""

from __future__ import annotations

from .base import ALL_ACTIONS, Actuator, ActuatorError, TargetState, check_target
from .local import LocalActuator, NoLedgerRollbacker, Rollbacker
from .pulumi_stack import PulumiActuator

__all__ = [
    "ALL_ACTIONS",
    "Actuator",
    "ActuatorError",
    "LocalActuator",
    "NoLedgerRollbacker",
    "PulumiActuator",
    "Rollbacker",
    "TargetState",
    "check_target",
]
