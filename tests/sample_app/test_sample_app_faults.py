"""The fault injector with a fake clock, a recorded sleep and a crash that raises instead of exiting."""

from __future__ import annotations

import asyncio
import random
from typing import NoReturn

import pytest

from sample_app.faults import FaultInjector
from sample_app.settings import After, FailMode, FaultConfig


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Crashed(Exception):
    pass


def crash() -> NoReturn:
    raise Crashed


class Harness:
    def __init__(self, config: FaultConfig, seed: int = 1) -> None:
        self.clock = FakeClock()
        self.sleeps: list[float] = []
        self.injector = FaultInjector(
            config, rng=random.Random(seed), clock=self.clock, sleep=self._sleep, crash=crash
        )

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def run(self, count: int) -> list[FailMode | None]:
        async def many() -> list[FailMode | None]:
            return [await self.injector.apply() for _ in range(count)]

        return asyncio.run(many())


def test_no_fault_hits_nothing_and_counts_nothing() -> None:
    harness = Harness(FaultConfig())
    assert harness.run(50) == [None] * 50
    assert harness.injector.state().requests_seen == 0


@pytest.mark.parametrize(
    "rate",
    [
        pytest.param(0.0, id="a rate of zero never hits"),
        pytest.param(0.3, id="a rate of 0.3 hits about three requests in ten"),
        pytest.param(1.0, id="a rate of one always hits"),
    ],
)
def test_the_rate_is_the_share_of_requests_hit(rate: float) -> None:
    harness = Harness(FaultConfig(mode=FailMode.ERROR, rate=rate))
    hits = harness.run(2000).count(FailMode.ERROR)
    assert abs(hits / 2000 - rate) < 0.04
    assert harness.injector.state().injected[FailMode.ERROR] == hits


def test_the_same_seed_hits_the_same_requests() -> None:
    config = FaultConfig(mode=FailMode.ERROR, rate=0.5)
    assert Harness(config, seed=9).run(200) == Harness(config, seed=9).run(200)


def test_after_a_request_count_the_first_requests_pass() -> None:
    harness = Harness(FaultConfig(mode=FailMode.ERROR, after=After(requests=3)))
    assert harness.run(5) == [None, None, None, FailMode.ERROR, FailMode.ERROR]


def test_after_a_time_the_fault_waits_for_the_clock() -> None:
    harness = Harness(FaultConfig(mode=FailMode.ERROR, after=After(seconds=30)))
    assert harness.run(2) == [None, None]
    assert not harness.injector.state().active
    harness.clock.now += 30
    assert harness.run(1) == [FailMode.ERROR]
    assert harness.injector.state().active


def test_latency_sleeps_for_the_configured_time() -> None:
    harness = Harness(FaultConfig(mode=FailMode.LATENCY, latency=0.25))
    assert harness.run(3) == [FailMode.LATENCY] * 3
    assert harness.sleeps == [0.25, 0.25, 0.25]


def test_memory_leaks_a_step_per_request_and_stops_exactly_at_the_cap() -> None:
    harness = Harness(FaultConfig(mode=FailMode.MEMORY, memory_step=3000, memory_cap=10_000))
    leaked = []
    for _ in range(5):
        harness.run(1)
        leaked.append(harness.injector.state().leaked_bytes)
    assert leaked == [3000, 6000, 9000, 10_000, 10_000]


def test_a_new_fault_releases_memory_and_restarts_its_delay() -> None:
    harness = Harness(FaultConfig(mode=FailMode.MEMORY, memory_step=100, memory_cap=1000))
    harness.run(4)
    harness.clock.now += 100
    harness.injector.configure(FaultConfig(mode=FailMode.ERROR, after=After(seconds=10)))
    state = harness.injector.state()
    assert (state.leaked_bytes, state.requests_seen, state.active) == (0, 0, False)
    assert harness.run(1) == [None]


def test_crash_calls_the_crash_action() -> None:
    harness = Harness(FaultConfig(mode=FailMode.CRASH))
    with pytest.raises(Crashed):
        harness.run(1)
