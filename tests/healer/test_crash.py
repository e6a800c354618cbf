"""kill -9 of a healer PROCESS between intent and outcome, then a restart: nothing repeated or forgotten."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from slostack.local.supervisor import GroupSpec, ProcessSpec, Supervisor

from .harness import AUTH, TOKEN, Recorder, message, policy, wait_for, write_policy

# A replica that ignores SIGTERM: the healer's restart blocks in "stop" for up to 30 s, which leaves a
# wide, real window between the journal's intent and its outcome. No test hook in the product.
STUBBORN = (
    "import signal, socket, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
    "time.sleep(600)\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HealerProcess:
    def __init__(self, tmp: Path, args: list[str], n: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"healer-{n}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "slostack.healer", *args, "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def up() -> bool:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, 20, 0.1)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()


@pytest.fixture
def stubborn_app(tmp_path: Path) -> Iterator[Supervisor]:
    sup = Supervisor(tmp_path / "run")
    spec = ProcessSpec(name="x", argv=(sys.executable, "-c", STUBBORN, "{port}"), port=0, stop_timeout=30)
    sup.start_group(GroupSpec(name="checkout", template=spec, targets_file="targets/app.json"))
    yield sup
    for name in sup.names():
        sup.stop(name, timeout=0.1)  # SIGTERM is ignored: straight to SIGKILL


def test_kill9_mid_action_then_restart_marks_interrupted_and_never_repeats(
    tmp_path: Path, stubborn_app: Supervisor
):
    app_pid = stubborn_app.pid("checkout-0")
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    with Recorder() as oncall:
        url_file = tmp_path / "oncall-url"
        url_file.write_text(oncall.url, encoding="utf-8")
        # No cooldown worth the name: only the journal can stop a second restart here.
        p = policy(
            receivers={"oncall": {"name": "oncall", "kind": "webhook", "url_file": str(url_file)}},
            policy0={"cooldown": "100ms", "verify_for": "1s", "ladder": [{"action": "restart"}]},
        )
        args = [
            "--policy", str(write_policy(tmp_path / "policy.yml", p)),
            "--token-file", str(token),
            "--state", str(tmp_path / "healer.db"),
            "--host", "127.0.0.1",
            "--actuator", "local",
            "--state-dir", str(stubborn_app.state_dir),
        ]  # fmt: skip
        first = HealerProcess(tmp_path, args, 1)
        try:
            with httpx.Client(base_url=first.url, headers=AUTH, timeout=5) as c:
                c.post("/v1/alerts", json=message()).raise_for_status()
                pending = wait_for(
                    lambda: [a for a in c.get("/v1/actions").json() if a["outcome"] == "pending"]
                )
                assert pending[0]["action"] == "restart"
            first.kill9()
        finally:
            first.stop()
        assert stubborn_app.pid("checkout-0") == app_pid  # the restart never finished

        second = HealerProcess(tmp_path, args, 2)
        try:
            with httpx.Client(base_url=second.url, headers=AUTH, timeout=5) as c:
                done = wait_for(
                    lambda: [i for i in c.get("/v1/incidents").json() if i["status"] != "open"], 15
                )
                assert done[0]["status"] == "escalated"
                journal = c.get("/v1/actions").json()
                assert [(a["id"], a["action"], a["kind"], a["outcome"]) for a in journal] == [
                    (1, "restart", "ladder", "interrupted"),
                    (2, "notify", "escalation", "ok"),
                ]
                assert "not re-run" in journal[0]["detail"]
                assert journal[0]["verdict"] == "not_recovered"
                # Alertmanager re-sends the same alert after the restart: still deduplicated.
                assert c.post("/v1/alerts", json=message()).json()["new"] == 0
                assert (
                    'healer_actions_total{action="restart",result="interrupted"} 1.0'
                    in c.get("/metrics").text
                )
        finally:
            second.stop()
        # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal for its exit status.
        assert second.proc.returncode in (0, -signal.SIGTERM), second.log.read_text()
        assert "Application shutdown complete" in second.log.read_text()
    assert stubborn_app.pid("checkout-0") == app_pid  # and nobody restarted it since
    assert len(oncall.requests) == 1
