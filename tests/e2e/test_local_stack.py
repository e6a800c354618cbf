"""End to end on real binaries: `slostack up` with the drill profile, drills to recovery, `down`.

Prometheus, Alertmanager, the sample app and the healer all run for real on 127.0.0.1. One stack is
shared by the module (bringing it up costs seconds); tests run in file order, drills last.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .cli import REPO, drill, needs_prometheus, slostack

ENV = "e2e"

pytestmark = [pytest.mark.e2e, needs_prometheus]


def _pids(root: Path) -> list[int]:
    pids = []
    for record in (root / "procs").glob("*.json"):
        pids.append(json.loads(record.read_text())["pid"])
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie waits for a reaper; it runs nothing


class Stack:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.root = workdir / ".slostack" / ENV
        self.spec = workdir / "checkout.slo.yaml"

    @property
    def ports(self) -> dict[str, int]:
        return json.loads((self.root / "environment.json").read_text())["ports"]

    def prometheus(self, path: str, **params: str) -> dict:  # type: ignore[type-arg]
        return httpx.get(
            f"http://127.0.0.1:{self.ports['prometheus']}{path}", params=params, timeout=10
        ).json()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("stack")
    shutil.copy(REPO / "examples" / "checkout.slo.yaml", workdir / "checkout.slo.yaml")
    stack = Stack(workdir)
    done = slostack("up", str(stack.spec), "--env", ENV, "--profile", "drill", cwd=workdir)
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        yield stack
    finally:
        pids = _pids(stack.root)
        down = slostack("down", "--env", ENV, cwd=workdir)
        assert down.returncode == 0, down.stderr
        left = [pid for pid in pids if _alive(pid)]
        assert not left, f"processes left behind after down: {left}"


def test_up_starts_every_component_and_prints_the_urls(stack: Stack) -> None:
    done = slostack("status", "--env", ENV, "--json", cwd=stack.workdir)
    data = json.loads(done.stdout)
    for name in ("prometheus", "alertmanager", "healer", "checkout-0"):
        assert data["components"][name]["healthy"], name
    assert data["release"]["outcome"] == "succeeded"
    deadline = time.monotonic() + 30
    jobs: set[str] = set()
    wanted = {"checkout", "prometheus", "alertmanager", "slostack-healer"}
    # Wait for every job, not a subset: each target's first scrape lands on its own schedule.
    while time.monotonic() < deadline and not jobs >= wanted:
        targets = stack.prometheus("/api/v1/targets")["data"]["activeTargets"]
        jobs = {t["labels"]["job"] for t in targets if t["health"] == "up"}
        time.sleep(0.5)
    assert jobs >= wanted, jobs


def test_up_again_with_the_same_spec_is_a_no_op(stack: Stack) -> None:
    before = json.loads(slostack("status", "--env", ENV, "--json", cwd=stack.workdir).stdout)
    done = slostack("up", str(stack.spec), "--env", ENV, "--profile", "drill", cwd=stack.workdir)
    assert done.returncode == 0, done.stderr
    assert "no change" in done.stdout
    after = json.loads(slostack("status", "--env", ENV, "--json", cwd=stack.workdir).stdout)
    assert after["release"]["id"] == before["release"]["id"]
    assert after["components"]["prometheus"]["pid"] == before["components"]["prometheus"]["pid"]


def test_a_spec_change_is_applied_by_reload_without_restarts(stack: Stack) -> None:
    before = json.loads(slostack("status", "--env", ENV, "--json", cwd=stack.workdir).stdout)
    original = stack.spec.read_text()
    stack.spec.write_text(original.replace("objective: 99.9", "objective: 99.5"))
    try:
        done = slostack("up", str(stack.spec), "--env", ENV, "--profile", "drill", cwd=stack.workdir)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "prometheus reloaded" in done.stdout
        objective = stack.prometheus("/api/v1/query", query='slo:objective:ratio{slo_name="availability"}')
        assert objective["data"]["result"][0]["value"][1] == "0.995"
        after = json.loads(slostack("status", "--env", ENV, "--json", cwd=stack.workdir).stdout)
        assert after["components"]["prometheus"]["pid"] == before["components"]["prometheus"]["pid"]
    finally:
        stack.spec.write_text(original)
        assert (
            slostack("up", str(stack.spec), "--env", ENV, "--profile", "drill", cwd=stack.workdir).returncode
            == 0
        )


def test_an_invalid_change_is_refused_and_the_running_config_stays(stack: Stack) -> None:
    active = (stack.root / "active" / "prometheus" / "rules" / "checkout.slo.rules.yml").read_text()
    original = stack.spec.read_text()
    stack.spec.write_text(original.replace("objective: 99.9", "objective: 100"))
    try:
        done = slostack("up", str(stack.spec), "--env", ENV, "--profile", "drill", cwd=stack.workdir)
        assert done.returncode == 1
        assert "slos[0].objective: must be below 100" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        stack.spec.write_text(original)
    assert (stack.root / "active" / "prometheus" / "rules" / "checkout.slo.rules.yml").read_text() == active


def test_every_rule_expression_runs_on_the_live_prometheus(stack: Stack) -> None:
    rules = stack.prometheus("/api/v1/rules")["data"]["groups"]
    unhealthy = [(r["name"], r.get("lastError")) for g in rules for r in g["rules"] if r["health"] == "err"]
    assert not unhealthy


def test_every_dashboard_and_healer_query_runs_on_the_live_prometheus(stack: Stack) -> None:
    from slostack.render.bundle import Bundle
    from slostack.render.expressions import bundle_expressions

    expressions = [
        e
        for e in bundle_expressions(Bundle.read(stack.root / "active"), skip_tests=True)
        if e.kind in ("dashboard", "healer")
    ]
    assert len(expressions) > 20
    failed = []
    for e in expressions:
        answer = stack.prometheus("/api/v1/query", query=e.runnable("1m"))
        if answer.get("status") != "success":
            failed.append((str(e), answer.get("error")))
    assert not failed


def _drill(stack: Stack, mode: str) -> dict:  # type: ignore[type-arg]
    report, done = drill(stack.workdir, ENV, mode)
    assert report["recovered"], done.stdout + done.stderr
    assert done.returncode == 0
    kinds = [e["kind"] for e in report["events"]]
    for kind in (
        "fault_injected",
        "alert_firing",
        "notification_received",
        "action_started",
        "action_finished",
        "recovered",
    ):
        assert kind in kinds, (kind, done.stdout)
    assert 0 < report["mttd_seconds"] < report["mttr_seconds"]
    return report


def test_bad_release_drill_is_detected_rolled_back_and_recovers(stack: Stack) -> None:
    report = _drill(stack, "bad-release")
    actions = [e["detail"] for e in report["events"] if e["kind"] == "action_started"]
    assert any(a.startswith("rollback") for a in actions), actions
    listing = slostack("release", "list", "--env", ENV, cwd=stack.workdir).stdout
    assert "rollback" in listing and "FAIL_MODE=error" in listing
    current = json.loads(slostack("status", "--env", ENV, "--json", cwd=stack.workdir).stdout)["release"]
    assert current["kind"] == "rollback" and current["settings"]["FAIL_MODE"] == "none"


def test_crash_drill_restarts_the_service_and_recovers(stack: Stack) -> None:
    report = _drill(stack, "crash")
    assert any(
        e["detail"].startswith("CheckoutTargetDown") for e in report["events"] if e["kind"] == "alert_firing"
    )


def test_error_drill_recovers_and_its_report_charts_the_drill_sli(stack: Stack) -> None:
    report = _drill(stack, "error")
    opened = [e["detail"] for e in report["events"] if e["kind"] == "notification_received"]
    incident = opened[0].split()[1]  # "incident <id> for <alertname>"
    done = slostack("incident", "show", incident, "--env", ENV, cwd=stack.workdir)
    assert done.returncode == 0, done.stderr
    sli = [line for line in done.stdout.splitlines() if line.startswith("- SLI (good ratio")]
    # The drill profile's SLOs have no 5m rules: the chart must read the rule the policy names.
    assert sli and "no data" not in sli[0] and "4s" in sli[0], done.stdout


def test_a_fault_that_stops_by_itself_gets_no_action_from_a_watching_policy(stack: Stack) -> None:
    spec = stack.spec.read_text()
    policy = "    - match: {slo_name: availability, slo_severity: page}\n"
    assert policy in spec
    stack.spec.write_text(spec.replace(policy, policy + "      confirm: true\n", 1))
    try:
        up = slostack("up", str(stack.spec), "--env", ENV, "--profile", "drill", cwd=stack.workdir)
        assert up.returncode == 0, up.stdout + up.stderr
        report, done = drill(stack.workdir, ENV, "error", "--fault-for", "5", timeout=120)
        kinds = [e["kind"] for e in report["events"]]
        assert "alert_firing" in kinds and "notification_received" in kinds, done.stdout
        assert report["actions"] == [] and report["passed"], done.stdout
        closed = [e["detail"] for e in report["events"] if e["kind"] == "incident_closed"]
        # Closed by the healer's watch ("the burn stopped by itself") or by the alert resolving first:
        # either way as `resolved`, never after an action.
        assert closed and all(c.startswith("resolved: ") for c in closed), done.stdout
    finally:
        stack.spec.write_text(spec)
        slostack("up", str(stack.spec), "--env", ENV, "--profile", "drill", cwd=stack.workdir)


def test_the_core_panels_have_data_once_traffic_flowed(stack: Stack) -> None:
    # The drills above sent traffic; the seed panels of the service overview must show it.
    for series in (
        "sample_app:request_rate",
        "sample_app:latency_p95",
        "sample_app:availability",
        "slo:sli_error:ratio_rate1h",
    ):
        answer = stack.prometheus("/api/v1/query", query=f"max_over_time({series}[10m])")
        assert answer["data"]["result"], series


def test_logs_show_a_component(stack: Stack) -> None:
    done = slostack("logs", "prometheus", "--env", ENV, "-n", "5", cwd=stack.workdir)
    assert done.returncode == 0 and done.stdout.strip()
    assert slostack("logs", "nope", "--env", ENV, cwd=stack.workdir).returncode == 1
