"""Fault drills against a running local stack: inject, watch the live system, time detection and recovery.

The timeline is read from the real components — Prometheus' alert API, the healer's incidents and
actions — never inferred: fault injected → alert pending/firing → notification received by the
healer → action started/finished → recovered (no page alert of the service firing, every replica
ready, and the SLI back under the page threshold).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

from ..render.healer_policy import load_policy_file
from .runtime import LocalRuntime, LocalStackError
from .traffic import Traffic

__all__ = ["MODES", "DrillReport", "Mode", "run_drill"]

Mode = Literal["latency", "error", "crash", "memory", "bad-release"]
MODES: tuple[Mode, ...] = ("latency", "error", "crash", "memory", "bad-release")

_CHAOS: dict[str, dict[str, Any]] = {
    "latency": {"mode": "latency", "rate": 1.0, "latency": "1s"},
    "error": {"mode": "error", "rate": 1.0},
    "crash": {"mode": "crash", "rate": 1.0},
    "memory": {"mode": "memory", "rate": 1.0, "memory_step": "2Mi", "memory_cap": "400Mi"},
}


@dataclass
class Event:
    at: float  # seconds since the fault was injected
    kind: str
    detail: str


@dataclass
class DrillReport:
    mode: str
    started_at: str
    recovered: bool
    mttd_seconds: float | None
    mttr_seconds: float | None
    events: list[Event] = field(default_factory=list)
    traffic: dict[str, int] = field(default_factory=dict)
    fault_for: float | None = None  # seconds the fault lasted on its own; None: until the healer acted
    actions: list[str] = field(default_factory=list)  # "kind:action" of every healer action started

    @property
    def passed(self) -> bool:
        """Recovered; for a fault that stops by itself, also without a single healer action."""
        return self.recovered and (self.fault_for is None or not self.actions)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


class _Watch:
    """Everything the drill reads from the live stack, with short timeouts."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        ports = runtime.ports()
        self.prometheus = f"http://127.0.0.1:{ports.prometheus}"
        self.healer = f"http://127.0.0.1:{ports.healer}"
        token = runtime.layout.secret("healer-token").read_text().strip()
        self.client = httpx.Client(timeout=2.0, headers={"Authorization": f"Bearer {token}"})
        self.service = runtime.service()
        self.policy = load_policy_file(runtime.layout.active / "healer" / "policy.yml")

    def alerts(self) -> list[dict[str, Any]]:
        try:
            data = self.client.get(f"{self.prometheus}/api/v1/alerts").json()
        except (httpx.HTTPError, ValueError):
            return []
        return [
            a
            for a in data.get("data", {}).get("alerts", [])
            if a["labels"].get("slo_service") == self.service and a["labels"].get("slo_severity") == "page"
        ]

    def healer_rows(self, what: str, since: str) -> list[dict[str, Any]]:
        try:
            rows = self.client.get(f"{self.healer}/v1/{what}", params={"since": since}).json()
        except (httpx.HTTPError, ValueError):
            return []
        return rows if isinstance(rows, list) else []

    def sli_ok(self) -> bool:
        for check in self.policy.slos.values():
            try:
                data = self.client.get(
                    f"{self.prometheus}/api/v1/query", params={"query": check.verify_query}
                ).json()
                values = [float(r["value"][1]) for r in data["data"]["result"]]
            except (httpx.HTTPError, ValueError, KeyError):
                return False
            if any(v != v or v >= float(check.recovered_below) for v in values):  # NaN or over
                return False
        return True

    def replicas_ready(self) -> bool:
        members = self.runtime.supervisor.running_members(self.service)
        if not members:
            return False
        for member in members:
            try:
                if self.client.get(f"http://127.0.0.1:{member.port}/ready").status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    def seconds_since_last_action(self, within: float) -> float | None:
        """Seconds since the healer's newest action, if it acted in the last `within` seconds."""
        try:
            since = str(int(time.time() - within) - 1)
            rows = self.client.get(f"{self.healer}/v1/actions", params={"since": since}).json()
        except (httpx.HTTPError, ValueError):
            return None
        times = [
            datetime.fromisoformat(r["time"]).timestamp()
            for r in rows
            if isinstance(r, dict) and r.get("time")
        ]
        return time.time() - max(times) if times else None

    def attempts_window(self) -> float:
        return max((p.attempts_window.seconds for p in self.policy.policies), default=0.0)

    def reset_open_breakers(self) -> list[str]:
        """A drill is deliberate: an open breaker left by an earlier incident is reset, and said so."""
        try:
            state = self.client.get(f"{self.healer}/v1/state").json()
        except (httpx.HTTPError, ValueError):
            return []
        reset = []
        for breaker in state.get("breakers", []):
            if breaker.get("open"):
                target = str(breaker["target"])
                self.client.post(f"{self.healer}/v1/breakers/{target}/reset")
                reset.append(target)
        return reset

    def chaos(self, body: dict[str, Any] | None) -> None:
        token = self.runtime.layout.secret("chaos-token").read_text().strip()
        for member in self.runtime.supervisor.running_members(self.service):
            url = f"http://127.0.0.1:{member.port}/chaos"
            headers = {"Authorization": f"Bearer {token}"}
            try:
                if body is None:
                    self.client.delete(url, headers=headers)
                else:
                    response = self.client.post(url, json=body, headers=headers)
                    if response.status_code >= 300:
                        raise LocalStackError(
                            f"chaos on {member.name} refused ({response.status_code}): {response.text[:200]}"
                        )
            except httpx.HTTPError as exc:
                if body is not None:
                    raise LocalStackError(f"cannot reach {member.name} to inject the fault: {exc}") from None


def run_drill(
    runtime: LocalRuntime,
    mode: Mode,
    *,
    timeout: float = 240.0,
    warmup: float = 8.0,
    progress: Any = None,
    fault_for: float | None = None,
) -> DrillReport:
    """`fault_for`: the fault stops by itself after that many seconds (the app's own `for`), and the
    drill passes only if the stack recovers with NO healer action: the transient-fault check."""
    if mode not in MODES:
        raise LocalStackError(f"unknown drill mode {mode!r}; choose one of {', '.join(MODES)}")
    if fault_for is not None and fault_for <= 0:
        raise LocalStackError(f"--fault-for must be a positive number of seconds (got {fault_for:g})")
    runtime.require_current()
    watch = _Watch(runtime)
    say = progress or (lambda _: None)
    quiet_by = time.monotonic() + 30
    while watch.alerts():
        if time.monotonic() > quiet_by:
            names = sorted({a["labels"]["alertname"] for a in watch.alerts()})
            raise LocalStackError(
                f"page alerts of this service still fire ({', '.join(names)}); "
                "let them recover before a drill"
            )
        time.sleep(0.5)
    # Start from a steady state: the healer's attempt limit counts earlier drills' actions, and a drill
    # that only measures "blocked by the safety gate" measures nothing.
    window = watch.attempts_window()
    since_last = watch.seconds_since_last_action(window)
    if since_last is not None and since_last < window:
        wait = min(window - since_last + 1, 120.0)
        say(f"waiting {wait:.0f}s for the healer's attempt window ({window:g}s) to clear")
        time.sleep(wait)
    for target in watch.reset_open_breakers():
        say(f"reset the healer's open circuit breaker for {target} (left by an earlier incident)")
    traffic = Traffic(runtime.layout.targets_file, max_seconds=timeout + warmup + 30).start()
    events: list[Event] = []
    try:
        say(f"warming up with traffic for {warmup:g}s")
        time.sleep(warmup)
        t0 = time.time()
        since = datetime.fromtimestamp(t0).astimezone().isoformat()

        def note(kind: str, detail: str, at: float | None = None) -> None:
            events.append(Event(round((at or time.time()) - t0, 2), kind, detail))
            say(f"+{events[-1].at:6.1f}s  {kind}: {detail}")

        lasting = "" if fault_for is None else f"{fault_for:g}s"
        if mode == "bad-release":
            current = runtime.require_current()
            env = {"FAIL_MODE": "error", **({"FAIL_FOR": lasting} if lasting else {})}
            release = runtime.deploy(f"{current.app_version}-bad", env)
            settings = ", ".join(f"{k}={v}" for k, v in env.items())
            note("fault_injected", f"deployed release {release.id} ({release.app_version}, {settings})")
        else:
            watch.chaos({**_CHAOS[mode], **({"for": lasting} if lasting else {})})
            note("fault_injected", f"chaos {mode} on every replica" + (f" for {lasting}" if lasting else ""))
        seen: set[str] = set()
        fired_at = recovered_at = None
        acted = False
        actions: list[str] = []
        open_incidents: set[int] = set()
        deadline = t0 + timeout
        while time.time() < deadline:
            alerts = watch.alerts()
            for alert in alerts:
                name = alert["labels"]["alertname"]
                key = f"{alert['state']}:{name}"
                if key not in seen:
                    seen.add(key)
                    note(f"alert_{alert['state']}", name)
                    if alert["state"] == "firing" and fired_at is None:
                        fired_at = time.time()
            for incident in watch.healer_rows("incidents", since):
                key = f"incident:{incident['id']}"
                if key not in seen:
                    seen.add(key)
                    note("notification_received", f"incident {incident['id']} for {incident['alertname']}")
                if incident.get("status") == "open":
                    open_incidents.add(int(incident["id"]))
                else:
                    open_incidents.discard(int(incident["id"]))
                    if f"{key}:closed" not in seen:
                        seen.add(f"{key}:closed")
                        note("incident_closed", f"{incident['status']}: {str(incident.get('detail'))[:160]}")
            for action in watch.healer_rows("actions", since):
                key = f"action:{action['id']}"
                if key not in seen:
                    seen.add(key)
                    actions.append(f"{action.get('kind', 'ladder')}:{action['action']}")
                    note(
                        "action_started",
                        f"{action['action']} {action['target']}"
                        + (" (dry run)" if action.get("dry_run") else ""),
                    )
                if action.get("finished") and f"{key}:done" not in seen:
                    seen.add(f"{key}:done")
                    acted = acted or action.get("outcome") == "ok"
                    note(
                        "action_finished",
                        f"{action['action']}: {action.get('outcome')} {(action.get('detail') or '')[:120]}",
                    )
            # A transient fault must pass without the healer: recovered once every incident it opened
            # is closed. Otherwise recovery needs an action that worked.
            settled = not open_incidents if fault_for is not None else acted
            if fired_at is not None and settled and not alerts and watch.replicas_ready() and watch.sli_ok():
                recovered_at = time.time()
                note("recovered", "no page alert firing, every replica ready, SLI under the page threshold")
                break
            time.sleep(0.25)
        report = DrillReport(
            mode=mode,
            started_at=datetime.fromtimestamp(t0).astimezone().isoformat(),
            recovered=recovered_at is not None,
            mttd_seconds=round(fired_at - t0, 2) if fired_at else None,
            mttr_seconds=round(recovered_at - t0, 2) if recovered_at else None,
            events=events,
            fault_for=fault_for,
            actions=actions,
        )
    finally:
        report_traffic = traffic.stop()
        if mode != "bad-release":
            watch.chaos(None)  # never leave a fault behind, recovered or not
        elif fault_for is not None:
            # Nobody rolled it back, by design: its fault is over, but a restart would replay it.
            say("the bad release (its fault stopped by itself) is still live: `slostack rollback` leaves it")
    report.traffic = report_traffic
    return report
