"""Failure injection: decide per request whether the configured fault hits, and carry it out.

This module knows nothing about HTTP: the route dependency in ``api.py`` turns an ``ERROR`` decision
into a 500. Clock, sleep, random source and the crash action are injected so tests can drive every
branch without waiting, leaking or exiting.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import NoReturn

from sample_app.settings import FailMode, FaultConfig

__all__ = ["CRASH_EXIT_CODE", "FaultInjector", "FaultState", "crash_process"]

# Distinct from 1 (uvicorn startup failure) and 2 (bad settings), so a drill can tell them apart.
CRASH_EXIT_CODE = 3

_log = logging.getLogger("sample_app.faults")


def crash_process() -> NoReturn:
    """Exit at once, like a segfault or an OOM kill would: no shutdown, no exception page.

    ``os._exit`` skips buffered writers, so the log line announcing the crash is flushed first.
    """
    _log.error("injected crash: exiting with status %d", CRASH_EXIT_CODE)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(CRASH_EXIT_CODE)


class _Phase(Enum):
    """Where a fault is in its life: waiting for ``after``, injecting, or past its ``lasts``."""

    WAITING = "waiting"
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class FaultState:
    """What ``GET /chaos`` and the metrics collector show."""

    config: FaultConfig
    active: bool
    expired: bool
    requests_seen: int
    leaked_bytes: int
    injected: dict[FailMode, int]


class FaultInjector:
    def __init__(
        self,
        config: FaultConfig,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        crash: Callable[[], NoReturn] = crash_process,
    ) -> None:
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - chaos, not crypto
        self._clock = clock
        self._sleep = sleep
        self._crash = crash
        self._leaked: list[bytes] = []
        self._leaked_bytes = 0
        self._injected = dict.fromkeys(FailMode, 0)
        self._config = config
        self._configured_at = clock()
        self._requests_seen = 0
        # When a request-count `after` was reached; a time `after` needs no record (see _start_time).
        self._reached_at: float | None = None
        self._expiry_logged = False

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        """Replace the fault. ``after`` and ``lasts`` restart from now, and leaked memory is released."""
        self._config = config
        self._configured_at = self._clock()
        self._requests_seen = 0
        self._reached_at = None
        self._expiry_logged = False
        self._leaked.clear()
        self._leaked_bytes = 0

    def state(self) -> FaultState:
        phase = self._phase()
        return FaultState(
            config=self._config,
            active=phase is _Phase.ACTIVE,
            expired=phase is _Phase.EXPIRED,
            requests_seen=self._requests_seen,
            leaked_bytes=self._leaked_bytes,
            injected=dict(self._injected),
        )

    async def apply(self) -> FailMode | None:
        """Run the fault for one eligible request; return the mode that hit, or None.

        Latency and memory are carried out here; ``ERROR`` is left to the caller, which owns the
        response. Runs on the event loop thread only, so the counters need no lock.
        """
        config = self._config
        if config.mode is FailMode.NONE:
            return None
        self._count_request()
        phase = self._phase()
        if phase is _Phase.EXPIRED:
            # Memory leaked so far stays leaked, as a real leak does not heal itself; only the growth
            # stops. DELETE /chaos (or a new fault) releases it.
            self._log_expiry_once()
            return None
        if phase is _Phase.WAITING or self._rng.random() >= config.rate:
            return None
        self._injected[config.mode] += 1
        if config.mode is FailMode.LATENCY:
            await self._sleep(config.latency)
        elif config.mode is FailMode.MEMORY:
            self._leak(config.memory_step, config.memory_cap)
        elif config.mode is FailMode.CRASH:
            self._crash()
        return config.mode

    def _count_request(self) -> None:
        self._requests_seen += 1
        after = self._config.after
        # The first `requests` requests pass; the fault starts with the next one, and so does `lasts`.
        if after.requests and self._reached_at is None and self._requests_seen > after.requests:
            self._reached_at = self._clock()

    def _start_time(self, now: float) -> float | None:
        """When the fault started, or None while it still waits for its ``after``."""
        after = self._config.after
        if after.requests:
            return self._reached_at
        if now - self._configured_at >= after.seconds:
            # The scheduled start, not the first request after it: `lasts` must not stretch with idle time.
            return self._configured_at + after.seconds
        return None

    def _phase(self) -> _Phase:
        # One clock reading per decision, so the start and the expiry are judged at the same instant.
        now = self._clock()
        start = self._start_time(now)
        if start is None:
            return _Phase.WAITING
        lasts = self._config.lasts
        if lasts and now - start >= lasts:
            return _Phase.EXPIRED
        return _Phase.ACTIVE

    def _log_expiry_once(self) -> None:
        """Say in the log when the fault stopped hitting, so a drill's timeline shows why it recovered.

        Noticed on the first request after expiry: nothing else runs the injector in between.
        """
        if self._expiry_logged:
            return
        self._expiry_logged = True
        mode = self._config.mode.value
        _log.warning(
            "fault expired after %gs: mode=%s no longer injected",
            self._config.lasts,
            mode,
            extra={"fail_mode": mode},
        )

    def _leak(self, step: int, cap: int) -> None:
        size = min(step, cap - self._leaked_bytes)
        if size <= 0:
            return
        # Filled, not zeroed: zeroed pages are mapped lazily and would not show up in RSS.
        self._leaked.append(b"\xa5" * size)
        self._leaked_bytes += size
