"""The fault injector with a fake clock, a recorded sleep and a crash that raises instead of exiting."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import NoReturn

import pytest
from prometheus_client import CollectorRegistry

from sample_app.faults import FaultInjector
from sample_app.metrics import AppCollector
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


def test_a_fault_after_a_time_lasts_from_its_scheduled_start_not_from_the_first_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    harness = Harness(FaultConfig(mode=FailMode.ERROR, after=After(seconds=30), lasts=6))
    assert harness.run(1) == [None]
    # Nobody asks between 30 s and 33 s: `lasts` still runs from 30 s, idle time does not stretch it.
    harness.clock.now += 33
    assert harness.run(1) == [FailMode.ERROR]
    harness.clock.now += 2.5
    assert harness.run(1) == [FailMode.ERROR]
    harness.clock.now += 0.5
    with caplog.at_level(logging.WARNING, logger="sample_app.faults"):
        assert harness.run(3) == [None, None, None]
    state = harness.injector.state()
    assert (state.active, state.expired, state.injected[FailMode.ERROR]) == (False, True, 2)
    # One line when the fault stops, not one per request after it.
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["fault expired after 6s: mode=error no longer injected"]


def test_a_fault_after_a_request_count_lasts_from_the_first_request_past_the_count() -> None:
    harness = Harness(FaultConfig(mode=FailMode.ERROR, after=After(requests=3), lasts=6))
    assert harness.run(3) == [None, None, None]
    harness.clock.now += 100  # waiting for the count does not use up `lasts`
    assert not harness.injector.state().expired
    assert harness.run(1) == [FailMode.ERROR]
    harness.clock.now += 5.5
    assert harness.run(1) == [FailMode.ERROR]
    harness.clock.now += 0.5
    assert harness.run(2) == [None, None]
    state = harness.injector.state()
    assert (state.active, state.expired, state.requests_seen) == (False, True, 7)


def test_lasts_zero_means_until_cleared() -> None:
    harness = Harness(FaultConfig(mode=FailMode.ERROR))
    assert harness.injector.config.lasts == 0.0
    harness.clock.now += 365 * 86_400
    assert harness.run(2) == [FailMode.ERROR, FailMode.ERROR]
    state = harness.injector.state()
    assert (state.active, state.expired) == (True, False)


@pytest.mark.parametrize("mode", [FailMode.LATENCY, FailMode.ERROR, FailMode.MEMORY, FailMode.CRASH])
def test_an_expired_fault_injects_nothing_whatever_its_mode(mode: FailMode) -> None:
    harness = Harness(FaultConfig(mode=mode, lasts=10))
    harness.clock.now += 10
    assert harness.run(3) == [None, None, None]  # no Crashed raised either
    state = harness.injector.state()
    assert (harness.sleeps, state.leaked_bytes, state.injected[mode]) == ([], 0, 0)


def test_an_expired_memory_fault_keeps_what_it_leaked_but_stops_growing() -> None:
    harness = Harness(FaultConfig(mode=FailMode.MEMORY, memory_step=100, memory_cap=1000, lasts=10))
    harness.run(3)
    harness.clock.now += 10
    harness.run(5)
    state = harness.injector.state()
    assert (state.expired, state.leaked_bytes, state.injected[FailMode.MEMORY]) == (True, 300, 3)
    harness.injector.configure(FaultConfig())
    assert harness.injector.state().leaked_bytes == 0


def test_a_new_fault_restarts_its_lasts() -> None:
    harness = Harness(FaultConfig(mode=FailMode.ERROR, lasts=5))
    harness.clock.now += 5
    assert harness.injector.state().expired
    harness.injector.configure(FaultConfig(mode=FailMode.ERROR, lasts=5))
    assert harness.run(1) == [FailMode.ERROR]


def test_the_fault_metrics_read_like_no_fault_once_it_expired() -> None:
    harness = Harness(
        FaultConfig(mode=FailMode.MEMORY, memory_step=100, memory_cap=1000, after=After(seconds=5), lasts=10)
    )
    registry = CollectorRegistry()
    registry.register(AppCollector("test", harness.injector))

    def read() -> tuple[float | None, ...]:
        mode = [registry.get_sample_value("sample_app_fail_mode", {"mode": m.value}) for m in FailMode]
        return (*mode, registry.get_sample_value("sample_app_fail_active"))

    # Columns: none, latency, error, crash, memory, then sample_app_fail_active.
    harness.clock.now += 5
    harness.run(2)
    assert read() == (0, 0, 0, 0, 1, 1)
    harness.clock.now += 10
    # The healer reads `max by (mode) (sample_app_fail_mode) > 0`: only `none` may remain.
    assert read() == (1, 0, 0, 0, 0, 0)
    assert registry.get_sample_value("sample_app_fail_leaked_bytes") == 200
