"""Liveness and readiness, and the lifecycle that readiness reports.

Liveness (``/health``) only says the event loop answers; restarting a process that is merely starting
or draining would make things worse. Readiness (``/ready``) says whether to send it traffic.
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum

from fastapi import APIRouter
from fastapi.responses import JSONResponse

__all__ = ["Lifecycle", "Phase", "probes_router"]

_log = logging.getLogger("sample_app.lifecycle")


class Phase(StrEnum):
    STARTING = "starting"
    READY = "ready"
    DRAINING = "draining"


class Lifecycle:
    """Starting → ready → draining; draining is final, so a late warm-up cannot undo it."""

    def __init__(self) -> None:
        self.phase = Phase.STARTING

    @property
    def ready(self) -> bool:
        return self.phase is Phase.READY

    def mark_ready(self) -> None:
        if self.phase is Phase.STARTING:
            self.phase = Phase.READY
            _log.info("ready")

    async def ready_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.mark_ready()

    def begin_drain(self) -> None:
        if self.phase is not Phase.DRAINING:
            self.phase = Phase.DRAINING
            _log.info("draining: readiness now fails, in-flight requests will finish")


def probes_router(lifecycle: Lifecycle) -> APIRouter:
    router = APIRouter(tags=["probes"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        return JSONResponse({"status": lifecycle.phase.value}, status_code=200 if lifecycle.ready else 503)

    return router
