"""End to end on real binaries: the healer's watch before acting, where it matters most.

In the drill profile the page alert's windows are as short as the watch's "now" ratio, so a fault that
stops by itself usually resolves its alert first. Here the SLO window is 2 days at 1 s scrapes: the
page alert's short window is 20 s and keeps firing well after the fault stopped, so only the healer's
4-scrape "now" ratio can tell, within the 12 s watch, that there is nothing left to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .cli import REPO, drill, needs_prometheus, slostack

ENV = "watch"

pytestmark = [pytest.mark.e2e, needs_prometheus]


def _spec(workdir: Path) -> Path:
    spec = yaml.safe_load((REPO / "examples" / "checkout.slo.yaml").read_text())
    spec["service"]["scrape"].update({"interval": "1s", "evaluation_interval": "1s"})
    for slo in spec["slos"]:
        slo["window"] = "2d"  # page windows 4m / 20s: the alert outlives a short fault by ~20 s
    spec["alerting"].update({"group_wait": "1s", "group_interval": "2s"})
    availability = spec["healing"]["policies"][0]
    assert availability["match"]["slo_name"] == "availability"
    availability.pop("actions")
    availability["action"] = "auto"  # the watch is on by default for auto: 12 scrapes = 12 s
    path = workdir / "checkout.slo.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    workdir = tmp_path_factory.mktemp("watch")
    spec = _spec(workdir)
    done = slostack("up", str(spec), "--env", ENV, cwd=workdir)
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        yield workdir
    finally:
        slostack("down", "--env", ENV, cwd=workdir)


def test_the_watch_sees_a_fault_stop_while_its_alert_still_fires(workdir: Path) -> None:
    # 45 s is enough for the watch; the slower page tier (2 min short window at 2d) keeps its alert
    # firing for longer, so the drill itself ends before "recovered": only the healer is judged here.
    report, done = drill(workdir, ENV, "error", "--fault-for", "6", timeout=45)
    kinds = [e["kind"] for e in report["events"]]
    assert "alert_firing" in kinds and "notification_received" in kinds, done.stdout
    assert report["actions"] == [], done.stdout
    closed = [e["detail"] for e in report["events"] if e["kind"] == "incident_closed"]
    # Only the watch writes this: the alert resolving would close the incident as "alert resolved".
    assert closed and "stopped by itself" in closed[0], done.stdout
