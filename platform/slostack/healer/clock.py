"""Time, injected: every "now" the healer uses comes from a `Clock`, so tests can pin or move it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock", "iso"]


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall time: it is written to the journal and compared across runs)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
