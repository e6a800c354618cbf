"""Diagnosis from recorded Prometheus answers (real HTTP to a local fake): each scenario changes a few
readings of a healthy service and expects one leading hypothesis and one remedy."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from slostack.healer.diagnosis import Diagnosis, NoReleases, ReleaseSource, diagnose
from slostack.healer.prometheus import HttpPrometheus

from .recorded import ALERT_START, FACTS, HEALTHY, MIB, SETTINGS, Releases, recorded_prometheus, release


def run(
    changes: dict[str, Any],
    releases: ReleaseSource | None = None,
    forbid: tuple[str, ...] = (),
    labels: dict[str, dict[str, str]] | None = None,
) -> Diagnosis:
    async def go(url: str) -> Diagnosis:
        prom = HttpPrometheus(url)
        try:
            return await diagnose(
                prom, releases or NoReleases(), FACTS, ALERT_START, forbid=forbid, settings=SETTINGS
            )
        finally:
            await prom.aclose()

    with recorded_prometheus({**HEALTHY, **changes}, labels) as prom:
        return asyncio.run(go(prom.url))


ERRORS = {"error_ratio": 0.5, "errors_by": 5.0}
LEAK = {"rss": 230 * MIB, "rss_slope": 2 * MIB / 10, "rss_predicted": 400 * MIB}


@pytest.mark.parametrize(
    ("changes", "releases", "leader", "action"),
    [
        pytest.param(ERRORS, Releases(release(3)), "bad_release", "rollback", id="errors after a release"),
        pytest.param(
            {"latency_p99": 1.2}, Releases(release(3)), "bad_release", "rollback", id="slow after a release"
        ),
        pytest.param(
            {"restarts": 4, "up": 0}, None, "crash_loop", "restart", id="a crash loop without a release"
        ),
        pytest.param(
            {"restarts": 4, "up": 0, **ERRORS},
            Releases(release(5)),
            "crash_loop",
            "rollback",
            id="a crash loop after a release",
        ),
        pytest.param({"up": 0}, None, "crash_loop", "restart", id="down and not started again"),
        pytest.param({"up": None, "targets": None}, None, "crash_loop", "restart", id="no up series at all"),
        pytest.param(LEAK, None, "memory_leak", "restart", id="memory heading for the limit"),
        pytest.param(
            {"traffic": 60.0, "cpu": 0.95, "inflight": 40, "latency_p99": 0.8},
            None,
            "overload",
            "scale",
            id="a traffic surge saturating the CPU",
        ),
        pytest.param({"latency_p99": 1.2}, None, "regression", "notify", id="slow with no local cause"),
        pytest.param(ERRORS, None, "regression", "notify", id="failing with no local cause"),
        pytest.param({}, Releases(release(3)), "unknown", "notify", id="a release with no errors"),
        pytest.param(
            {**ERRORS, **LEAK},
            Releases(release(4)),
            "bad_release",
            "rollback",
            id="two faults at once: a release and a leak; the release leads",
        ),
        pytest.param(
            ERRORS, Releases(release(3, has_previous=False)), "regression", "notify", id="a first deploy"
        ),
        pytest.param(
            ERRORS,
            Releases(release(3, outcome="rolled_back")),
            "regression",
            "notify",
            id="a rolled-back one",
        ),
        pytest.param(ERRORS, Releases(release(40)), "regression", "notify", id="a release long before"),
    ],
)
def test_leader_and_remedy(changes: dict[str, Any], releases: Any, leader: str, action: str) -> None:
    d = run(changes, releases)
    assert (d.leader.name, d.remedy.action) == (leader, action), d.to_api()["hypotheses"]


def test_crash_loop_after_a_release_without_errors_still_rolls_back() -> None:
    d = run({"restarts": 3, "up": 0}, Releases(release(5)))
    assert d.leader.name == "crash_loop" and d.remedy.action == "rollback"
    assert "since a recent release" in d.remedy.reason


def test_a_memory_leak_asks_for_a_ticket_and_explains_itself() -> None:
    d = run(LEAK)
    assert d.remedy.ticket is True
    leak = d.leader
    assert any("reaches the 256Mi limit" in s for s in leak.supporting)
    assert any("90% of the limit" in s for s in leak.supporting)
    crash = next(h for h in d.hypotheses if h.name == "crash_loop")
    assert crash.confidence == 0 and "no restart and every target up" in crash.contradicting


def test_two_faults_both_rank_high() -> None:
    d = run({**ERRORS, **LEAK}, Releases(release(4)))
    scores = {h.name: h.confidence for h in d.hypotheses}
    assert scores["bad_release"] >= 0.8 and scores["memory_leak"] >= 0.8


def test_forbid_always_wins() -> None:
    d = run(ERRORS, Releases(release(3)), forbid=("rollback",))
    assert d.leader.name == "bad_release" and d.remedy.action == "notify"
    assert d.remedy.reason.startswith("rollback is forbidden by the policy")


def test_no_data_is_unknown_and_only_notifies() -> None:
    d = run({key: None for key in HEALTHY})
    assert d.leader.name == "unknown" and d.remedy.action == "notify"
    statuses = {r["key"]: r["status"] for r in d.to_api()["evidence"]["readings"]}
    assert set(statuses.values()) == {"no_data"}


def test_query_timeouts_are_bounded_and_recorded_as_errors() -> None:
    started = time.monotonic()
    d = run({key: "timeout" for key in HEALTHY})
    took = time.monotonic() - started
    assert took < SETTINGS.deadline + 1.5, took  # all queries at once, each bounded
    readings = d.to_api()["evidence"]["readings"]
    assert {r["status"] for r in readings} == {"error"} and readings[0]["detail"] == "no answer in 0.5s"
    assert d.leader.name == "unknown" and d.remedy.action == "notify"


def test_prometheus_errors_are_not_health() -> None:
    d = run({**{key: "error" for key in HEALTHY}, "error_ratio": 0.5})
    readings = {r["key"]: r for r in d.to_api()["evidence"]["readings"]}
    assert readings["up"]["status"] == "error" and "HTTP 503" in readings["up"]["detail"]
    assert d.remedy.action == "notify"


def test_the_evidence_table_names_the_worst_route_and_the_injected_fault() -> None:
    d = run(
        {**ERRORS, "fail_mode": 1},
        labels={"errors_by": {"route": "/api/orders", "code": "500"}, "fail_mode": {"mode": "error"}},
    )
    readings = {r["key"]: r for r in d.to_api()["evidence"]["readings"]}
    assert readings["errors_by"]["detail"] == "/api/orders 500"
    assert readings["fail_mode"]["detail"] == "error"
    assert any("worst: /api/orders 500" in s for s in d.leader.supporting)
    assert "injected fault: error" in d.leader.supporting
