"""The `local` actuator: acts on processes run by the embedded runtime's `Supervisor`.

A target is a supervisor replica group of the same name (or, failing that, a lone managed process).
Rollback needs the release ledger (another layer), so it goes through an injected `Rollbacker`.
"""

from __future__ import annotations

from typing import Protocol

from ...local.supervisor import Supervisor, SupervisorError
from .base import ActuatorError, TargetState, check_target

__all__ = ["LocalActuator", "NoLedgerRollbacker", "Rollbacker"]


class Rollbacker(Protocol):
    def rollback(self, target: str) -> str:
        """Bring `target` back to its previous good release; return the new release id."""
        ...


class NoLedgerRollbacker:
    """The default until the release ledger exists: rollback fails loudly, the ladder moves on."""

    def rollback(self, target: str) -> str:
        raise ActuatorError("rollback needs the release ledger")


class LocalActuator:
    name = "local"
    capabilities = frozenset({"restart", "scale", "rollback"})

    def __init__(self, supervisor: Supervisor, rollbacker: Rollbacker | None = None) -> None:
        self.supervisor = supervisor
        self.rollbacker: Rollbacker = rollbacker or NoLedgerRollbacker()

    def restart(self, target: str) -> str:
        check_target(target)
        try:
            if self.supervisor.group(target) is not None:
                grp = self.supervisor.restart_group(target)
                pids = [r.pid for r in self.supervisor.running_members(target)]
                return f"restarted {len(grp.members)} replica(s) of {target}; pids {pids}"
            if self.supervisor.record(target) is not None:
                rec = self.supervisor.restart(target)
                return f"restarted {target}; pid {rec.pid}"
        except SupervisorError as e:
            raise ActuatorError(str(e)) from e
        raise ActuatorError(f"no local process or replica group named {target!r}")

    def scale(self, target: str, replicas: int) -> str:
        check_target(target)
        if replicas < 1:
            raise ActuatorError(f"refusing to scale {target} to {replicas} replicas")
        try:
            grp = self.supervisor.scale(target, replicas)
        except SupervisorError as e:
            raise ActuatorError(str(e)) from e
        return f"scaled {target} to {grp.replicas} replica(s)"

    def rollback(self, target: str) -> str:
        check_target(target)
        try:
            release = self.rollbacker.rollback(target)
        except SupervisorError as e:
            raise ActuatorError(str(e)) from e
        return f"rolled {target} back to release {release}"

    def describe(self, target: str) -> TargetState:
        check_target(target)
        grp = self.supervisor.group(target)
        if grp is not None:
            # Desired, not running, replicas: scaling steps count from what was asked for.
            return TargetState(replicas=grp.replicas, version=grp.labels.get("version"))
        if self.supervisor.record(target) is not None:
            return TargetState(replicas=1 if self.supervisor.is_running(target) else 0)
        raise ActuatorError(f"no local process or replica group named {target!r}")
