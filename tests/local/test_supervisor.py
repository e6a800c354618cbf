"""The local supervisor with real child processes: Python's http.server and plain sleepers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import httpx
import pytest

from slostack.local.supervisor import GroupSpec, ProcessSpec, Supervisor, SupervisorError

HTTP = (sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1")
IGNORES_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"


@pytest.fixture
def sup(tmp_path: Path) -> Iterator[Supervisor]:
    s = Supervisor(tmp_path / "state")
    yield s
    for name in s.names():
        s.stop(name, timeout=1)


def answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_start_records_everything_and_waits_until_it_listens(sup: Supervisor):
    rec = sup.start(ProcessSpec(name="web", argv=HTTP, env={"GREETING": "on {port}"}, port=0))
    assert answers(rec.port)
    assert sup.is_running("web") and sup.pid("web") == rec.pid
    on_disk = json.loads((sup.state_dir / "procs" / "web.json").read_text())
    assert on_disk["pid"] == rec.pid and on_disk["port"] == rec.port
    assert on_disk["argv"][3] == str(rec.port) and on_disk["env"] == {"GREETING": f"on {rec.port}"}
    assert Path(on_disk["log"]).exists()
    assert sup.start(ProcessSpec(name="web", argv=HTTP, port=0)).pid == rec.pid  # already running: no-op


def test_restart_keeps_the_port_and_changes_the_pid(sup: Supervisor):
    rec = sup.start(ProcessSpec(name="web", argv=HTTP, port=0))
    again = sup.restart("web")
    assert again.port == rec.port and again.pid != rec.pid and again.restarts == 1
    assert answers(again.port)
    assert not os.path.exists(f"/proc/{rec.pid}") or "Z" in Path(f"/proc/{rec.pid}/stat").read_text()


def test_stop_escalates_to_sigkill_after_the_timeout(sup: Supervisor):
    rec = sup.start(ProcessSpec(name="stubborn", argv=(sys.executable, "-c", IGNORES_TERM), stop_timeout=0.5))
    time.sleep(0.3)  # let it install its handler
    started = time.monotonic()
    assert sup.stop("stubborn") is True
    assert 0.4 < time.monotonic() - started < 5
    assert not sup.is_running("stubborn")
    assert sup.stop("stubborn") is False  # stopping twice is harmless
    assert sup.record("stubborn").pid == rec.pid  # the record stays, for restart and for the audit


def test_a_stale_record_is_never_signalled(sup: Supervisor, tmp_path: Path):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(31)"])
    try:
        rec = sup.start(ProcessSpec(name="old", argv=(sys.executable, "-c", "import time; time.sleep(30)")))
        sup.stop("old")
        # The pid was reused by someone else (simulated: the record now names the bystander's pid with the
        # old start time). A naive supervisor would kill the bystander.
        stale = replace(rec, pid=bystander.pid)
        (sup.state_dir / "procs" / "old.json").write_text(json.dumps(asdict(stale)))
        assert not sup.is_running("old") and sup.pid("old") is None
        assert sup.stop("old") is False
        assert bystander.poll() is None
        # A pid that no longer exists at all reads as not running too.
        (sup.state_dir / "procs" / "old.json").write_text(json.dumps({**asdict(rec), "pid": 2**22 + 7}))
        assert not sup.is_running("old")
        # And `start` replaces a stale record instead of trusting it.
        fresh = sup.start(ProcessSpec(name="old", argv=HTTP, port=0))
        assert sup.is_running("old") and fresh.pid != bystander.pid
    finally:
        bystander.kill()
        bystander.wait()


def test_a_second_supervisor_sees_and_stops_what_the_first_started(sup: Supervisor):
    rec = sup.start(ProcessSpec(name="web", argv=HTTP, port=0))
    other = Supervisor(sup.state_dir)  # e.g. the healer, started after `slostack up`
    assert other.is_running("web") and other.pid("web") == rec.pid
    assert other.stop("web") is True
    assert not sup.is_running("web")


def test_scale_starts_and_stops_replicas_and_rewrites_targets(sup: Supervisor):
    spec = GroupSpec(
        name="app", template=ProcessSpec(name="x", argv=HTTP, port=0), targets_file="targets/app.json",
        labels={"job": "checkout"},
    )  # fmt: skip
    grp = sup.start_group(spec)
    targets_file = sup.state_dir / "targets" / "app.json"

    def targets() -> list[str]:
        data = json.loads(targets_file.read_text())
        assert data[0]["labels"] == {"job": "checkout"}
        return list(data[0]["targets"])

    assert grp.members == ("app-0",) and len(targets()) == 1
    first = targets()[0]
    sup.scale("app", 3)
    assert len(set(targets())) == 3 and targets()[0] == first
    assert all(answers(int(t.rsplit(":", 1)[1])) for t in targets())
    sup.scale("app", 1)
    assert targets() == [first]
    assert not sup.is_running("app-1") and not sup.is_running("app-2")
    assert sup.record("app-2") is None
    assert [p.name for p in targets_file.parent.iterdir()] == ["app.json"]  # no temp files left behind
    with pytest.raises(SupervisorError, match="at least 1"):
        sup.scale("app", 0)


def test_reconfigure_rolls_every_replica_onto_the_new_env(sup: Supervisor):
    tpl = ProcessSpec(name="x", argv=HTTP, env={"FAIL_MODE": "errors"}, port=0)
    sup.start_group(GroupSpec(name="app", template=tpl, replicas=2, targets_file="targets/app.json"))
    pids = [r.pid for r in sup.running_members("app")]
    sup.reconfigure_group("app", env={"FAIL_MODE": "none"}, labels={"version": "1.2.0"})
    members = sup.running_members("app")
    assert [r.env["FAIL_MODE"] for r in members] == ["none", "none"]
    assert not set(pids) & {r.pid for r in members}
    assert json.loads((sup.state_dir / "targets" / "app.json").read_text())[0]["labels"] == {
        "version": "1.2.0"
    }


def test_errors_are_clear(sup: Supervisor):
    with pytest.raises(SupervisorError, match="exited with status 3 before listening"):
        sup.start(ProcessSpec(name="crash", argv=(sys.executable, "-c", "raise SystemExit(3)"), port=0))
    with pytest.raises(SupervisorError, match="bad process name"):
        sup.start(ProcessSpec(name="../evil", argv=HTTP))
    with pytest.raises(SupervisorError, match="cannot start"):
        sup.start(ProcessSpec(name="missing", argv=("/nonexistent/binary",)))
    with pytest.raises(SupervisorError, match="no managed process"):
        sup.restart("ghost")
    with pytest.raises(SupervisorError, match="did not listen"):
        sup.start(ProcessSpec(name="deaf", argv=(sys.executable, "-c", "import time; time.sleep(30)"), port=0,
                              ready_timeout=0.5))  # fmt: skip
    assert not sup.is_running("deaf")
