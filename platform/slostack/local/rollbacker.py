"""The healer's `rollback` for the local target: the same ledger rollback `slostack rollback` runs."""

from __future__ import annotations

from pathlib import Path

from .layout import EnvLayout
from .runtime import LocalRuntime, LocalStackError

__all__ = ["LedgerRollbacker"]


class LedgerRollbacker:
    """Re-applies the previous good release of the environment whose state folder the healer runs in."""

    def __init__(self, env_root: Path) -> None:
        self.env_root = env_root

    def rollback(self, target: str) -> str:
        from ..healer.actuators.base import ActuatorError

        runtime = LocalRuntime(EnvLayout(self.env_root))
        service = runtime.service()
        if target != service:
            raise ActuatorError(f"this environment runs {service!r}, not {target!r}")
        try:
            # The healer must not restart itself in the middle of its own action.
            release = runtime.rollback(restart_healer=False)
        except LocalStackError as exc:
            raise ActuatorError(str(exc)) from None
        return release.id
