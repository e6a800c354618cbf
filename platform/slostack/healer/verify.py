"""Did the action work? Watch the alert and the SLI for a bounded time and give a verdict.

- `recovered`: Alertmanager sent `resolved` for the alert, or the SLO's short-window error ratio stayed
  below the page threshold for `good_checks` consecutive checks (one good sample can be luck).
- `not_recovered`: the window ended with the alert still firing and the last reading bad (or, with no
  Prometheus to ask, the alert alone still firing).
- `inconclusive`: Prometheus was asked and never gave a usable number (no data, errors, NaN). Silence is
  not success, and not failure either: the engine hands over to a human instead of escalating the remedy.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from ..render.healer_policy import SloCheck
from .clock import Clock
from .prometheus import Prometheus

__all__ = ["Verdict", "Verifier"]

VerdictName = Literal["recovered", "not_recovered", "inconclusive"]


@dataclass(frozen=True)
class Verdict:
    result: VerdictName
    detail: str


class Verifier:
    def __init__(
        self,
        prometheus: Prometheus | None,
        clock: Clock,
        *,
        query_timeout: float,
        interval: float | None = None,
        good_checks: int = 2,
    ) -> None:
        self.prometheus = prometheus
        self.clock = clock
        self.query_timeout = query_timeout
        self.interval = interval
        self.good_checks = good_checks

    def _interval(self, window: float) -> float:
        # About six looks per window, never hammering Prometheus, never blind for long.
        return self.interval if self.interval is not None else min(max(window / 6, 0.5), 15.0)

    async def verify(
        self,
        check: SloCheck | None,
        window: float,
        is_resolved: Callable[[], Awaitable[bool]],
        wake: asyncio.Event,
        *,
        query: str | None = None,
    ) -> Verdict:
        """`query` replaces the check's verify query (the confirmation asks the faster "now" ratio)."""
        interval = self._interval(window)
        deadline = self.clock.now() + window
        threshold = float(check.recovered_below) if check is not None else math.inf
        asks = self.prometheus is not None and check is not None
        streak = readings = 0
        last: float | None = None
        # Bounded by count as well as by time, so a stopped clock cannot keep us here.
        for _ in range(math.ceil(window / interval) + 2):
            wake.clear()  # before looking: a resolve that lands after the look cuts the wait short
            if await is_resolved():
                return Verdict("recovered", "the alert resolved")
            if asks:
                assert self.prometheus is not None and check is not None
                value = await self.prometheus.query(query or check.verify_query, self.query_timeout)
                if value is None:
                    streak = 0  # a gap breaks "consecutive"
                else:
                    readings += 1
                    last = value
                    streak = streak + 1 if value < threshold else 0
                    if streak >= self.good_checks:
                        return Verdict(
                            "recovered", f"error ratio {value:.6g} < {threshold:g} for {streak} checks"
                        )
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=min(interval, remaining))
        if await is_resolved():
            return Verdict("recovered", "the alert resolved")
        if not asks:
            return Verdict(
                "not_recovered", f"the alert still fires after {window:g}s (no SLI query to check)"
            )
        if readings == 0:
            return Verdict("inconclusive", f"no usable data from Prometheus in {window:g}s")
        return Verdict(
            "not_recovered", f"error ratio {last:.6g} (recovered below {threshold:g}) after {window:g}s"
        )
