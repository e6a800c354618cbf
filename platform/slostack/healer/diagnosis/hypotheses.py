"""Score what could be wrong, from the evidence: each hypothesis lists what supports and what contradicts
it, and its confidence is the sum of those weights, clamped to [0, 1].

The weights are a small table on purpose: a responder can read why a hypothesis led, and a test can pin
each rule. Thresholds are coarse (a 1% error ratio, 85% of the memory limit): diagnosis needs to tell
faults apart, not to alert; the SLO alerts already decided that something is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .evidence import Evidence

__all__ = ["HYPOTHESES", "Hypothesis", "Signals", "rank", "signals"]

Name = Literal["bad_release", "crash_loop", "memory_leak", "overload", "regression", "unknown"]
# Ties go to the earlier name: a fresh release is the likeliest cause of anything that follows it.
HYPOTHESES: tuple[Name, ...] = (
    "bad_release",
    "crash_loop",
    "memory_leak",
    "overload",
    "regression",
    "unknown",
)

ERRORS_HIGH = 0.01  # one request in a hundred failing is an incident for nearly any SLO
ERRORS_LOW = 0.001
MEMORY_NEAR = 0.85
CPU_HIGH = 0.8  # of the CPU limit, or of one core without a limit
SURGE = 2.0  # traffic now vs. before
LEAK_WITHOUT_LIMIT = 1024 * 1024 / 60  # bytes/s: a MiB a minute, sustained, is a leak whatever the limit


@dataclass(frozen=True)
class Hypothesis:
    name: Name
    confidence: float
    supporting: tuple[str, ...]
    contradicting: tuple[str, ...]

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "confidence": round(self.confidence, 3),
            "supporting": list(self.supporting),
            "contradicting": list(self.contradicting),
        }


@dataclass(frozen=True)
class Signals:
    """Yes/no/unknown (None) facts read off the evidence, each with the words that explain it."""

    errors_high: bool | None
    errors_low: bool | None
    slow: bool | None
    restarted: bool | None
    down: bool | None
    memory_growing: bool | None
    memory_near: bool | None
    cpu_high: bool | None
    surge: bool | None
    fault: str  # the injected fault's mode (drills), "" when absent
    words: dict[str, str]


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def signals(e: Evidence) -> Signals:
    words: dict[str, str] = {}
    ratio = e.value("error_ratio")
    errors_high = errors_low = None
    if ratio is not None:
        errors_high, errors_low = ratio >= ERRORS_HIGH, ratio < ERRORS_LOW
        worst = e.readings["errors_by"].detail if "errors_by" in e.readings else ""
        words["errors"] = f"error ratio {ratio:.2%}" + (f" (worst: {worst})" if worst else "")
    p99 = e.value("latency_p99")
    threshold = e.facts.latency_threshold_seconds if e.facts else None
    slow = None
    if p99 is not None and threshold is not None:
        slow = p99 > float(threshold)
        words["latency"] = f"p99 {_fmt(p99)}s vs. the SLO's {float(threshold):g}s"
    restarts, up, targets = e.value("restarts"), e.value("up"), e.value("targets")
    restarted = None if restarts is None else restarts >= 1
    if restarts is not None:
        words["restarts"] = f"{restarts:g} restart(s) in {e.readings['restarts'].label.split(' in ')[-1]}"
    down = None
    if up is not None:
        down = up < (targets or 1)
        words["up"] = f"{up:g} of {targets or up:g} target(s) up"
    elif e.readings.get("up") is not None and e.readings["up"].status == "no_data":
        down, words["up"] = True, "no target up (no `up` series)"
    rss, slope, predicted = e.value("rss"), e.value("rss_slope"), e.value("rss_predicted")
    limit = e.facts.memory_limit_bytes if e.facts else None
    memory_growing = memory_near = None
    if slope is not None:
        if limit and predicted is not None:
            memory_growing = slope > 0 and predicted >= limit
            horizon = e.settings.exhaustion_horizon
            words["memory_trend"] = (
                f"memory grows {_fmt(slope / 1024)} KiB/s; {'reaches' if memory_growing else 'stays under'} "
                f"the {limit // (1024 * 1024)}Mi limit within {horizon / 60:g} min"
            )
        else:
            memory_growing = slope > LEAK_WITHOUT_LIMIT
            words["memory_trend"] = f"memory grows {_fmt(slope / 1024)} KiB/s"
    if rss is not None and limit:
        memory_near = rss >= MEMORY_NEAR * limit
        words["memory"] = f"resident memory at {rss / limit:.0%} of the limit"
    cpu = e.value("cpu")
    cpu_high = None
    if cpu is not None:
        cap = float(e.facts.cpu_limit) if e.facts and e.facts.cpu_limit else 1.0
        cpu_high = cpu >= CPU_HIGH * cap
        words["cpu"] = f"CPU {_fmt(cpu)} core(s) of {cap:g}"
    now, before = e.value("traffic"), e.value("traffic_before")
    surge = None
    if now is not None and before is not None and before > 0:
        surge = now >= SURGE * before
        words["traffic"] = f"{_fmt(now)} req/s now vs. {_fmt(before)} req/s {e.settings.baseline_offset} ago"
    fault = e.readings["fail_mode"].detail if e.value("fail_mode") is not None else ""
    return Signals(
        errors_high,
        errors_low,
        slow,
        restarted,
        down,
        memory_growing,
        memory_near,
        cpu_high,
        surge,
        fault,
        words,
    )


class _Score:
    def __init__(self, name: Name) -> None:
        self.name, self.total = name, 0.0
        self.sup: list[str] = []
        self.con: list[str] = []

    def pro(self, weight: float, why: str) -> None:
        self.total += weight
        self.sup.append(why)

    def contra(self, weight: float, why: str) -> None:
        self.total -= weight
        self.con.append(why)

    def done(self, cap: float = 1.0) -> Hypothesis:
        return Hypothesis(self.name, max(0.0, min(cap, self.total)), tuple(self.sup), tuple(self.con))


def _bad_release(e: Evidence, s: Signals) -> Hypothesis:
    h = _Score("bad_release")
    rel = e.recent_release
    if rel is None:
        h.contra(1.0, f"no release in the {e.settings.release_window / 60:g} min before the alert")
        return h.done()
    minutes = (e.alert_start - rel.at) / 60
    h.pro(0.5, f"release {rel.id} ({rel.version}) {minutes:.1f} min before the alert")
    if s.errors_high or s.slow:
        h.pro(0.3, "requests fail or are slow since: " + "; ".join(_w(s, "errors", "latency")))
    elif s.errors_low and not s.slow:
        h.contra(0.4, "the SLIs look healthy: " + "; ".join(_w(s, "errors", "latency")))
    if s.memory_growing:
        h.pro(0.1, "memory grows since the release: " + s.words.get("memory_trend", ""))
    return h.done()


def _crash_loop(e: Evidence, s: Signals) -> Hypothesis:
    h = _Score("crash_loop")
    if s.restarted:
        h.pro(0.5, s.words["restarts"])
        if (e.value("restarts") or 0) >= 3:
            h.pro(0.1, "it keeps restarting")
    if s.down:
        h.pro(0.5, s.words["up"])  # down and not back: a crash the supervisor did not undo
    if s.restarted is False and s.down is False:
        h.contra(1.0, "no restart and every target up")
    if s.memory_growing and s.memory_near:
        h.contra(0.2, "memory was near its limit: restarts look like out-of-memory kills")
    if s.fault == "crash":
        h.pro(0.1, "injected fault: crash")
    return h.done()


def _memory_leak(e: Evidence, s: Signals) -> Hypothesis:
    h = _Score("memory_leak")
    if s.memory_growing:
        h.pro(0.5, s.words["memory_trend"])
    elif s.memory_growing is False:
        h.contra(0.3, s.words["memory_trend"])
    if s.memory_near:
        h.pro(0.3, s.words["memory"])
    elif s.memory_near is False and "memory" in s.words:
        h.contra(0.1, s.words["memory"])
    if s.fault == "memory":
        h.pro(0.1, "injected fault: memory")
    return h.done()


def _overload(e: Evidence, s: Signals) -> Hypothesis:
    h = _Score("overload")
    if s.surge:
        h.pro(0.4, s.words["traffic"])
        inflight = e.value("inflight")
        if inflight is not None and inflight > 0:
            h.pro(0.1, f"{inflight:g} request(s) in flight")
    elif s.surge is False:
        h.contra(0.3, s.words["traffic"])
    if s.cpu_high:
        h.pro(0.3, s.words["cpu"])
    elif s.cpu_high is False:
        h.contra(0.1, s.words["cpu"])
    if s.slow or s.errors_high:
        h.pro(0.1, "; ".join(_w(s, "errors", "latency")))
    return h.done()


def _regression(e: Evidence, s: Signals) -> Hypothesis:
    """Errors or latency with no release, no crash, no saturation: something it depends on got worse."""
    h = _Score("regression")
    if s.slow or s.errors_high:
        h.pro(0.4, "; ".join(_w(s, "errors", "latency")))
    else:
        return h.done(cap=0.0)
    if e.recent_release is None:
        h.pro(0.15, f"no release in the {e.settings.release_window / 60:g} min before the alert")
    else:
        h.contra(0.4, f"release {e.recent_release.id} just before the alert")
    if s.restarted is False:
        h.pro(0.1, "no restart")
    elif s.restarted:
        h.contra(0.3, s.words["restarts"])
    if s.surge is not True and s.cpu_high is not True:
        h.pro(0.1, "no surge of traffic or CPU")
    else:
        h.contra(0.3, "the service is saturated")
    if s.memory_growing:
        h.contra(0.3, s.words["memory_trend"])
    elif s.memory_growing is False:
        h.pro(0.05, "memory is flat")
    if s.fault in ("latency", "error"):
        h.pro(0.1, f"injected fault: {s.fault}")
    return h.done()


def _unknown(e: Evidence, s: Signals) -> Hypothesis:
    h = _Score("unknown")
    h.pro(0.25, "the floor: below it, no explanation is good enough to act on")
    missing = [r.key for r in e.readings.values() if r.status != "ok" and r.key not in ("fail_mode",)]
    if not e.readings or len(missing) * 2 > len(e.readings):
        h.pro(0.5, "most evidence is missing: " + (", ".join(missing) or "no readings at all"))
    return h.done()


def _w(s: Signals, *keys: str) -> list[str]:
    return [s.words[k] for k in keys if k in s.words]


def rank(e: Evidence) -> tuple[list[Hypothesis], Signals]:
    """Every hypothesis, the most likely first (ties in HYPOTHESES order)."""
    s = signals(e)
    scored = [f(e, s) for f in (_bad_release, _crash_loop, _memory_leak, _overload, _regression, _unknown)]
    order = {name: i for i, name in enumerate(HYPOTHESES)}
    scored.sort(key=lambda h: (-round(h.confidence, 6), order[h.name]))
    return scored, s
