from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from slostack.healer import HealerConfig, create_app
from slostack.healer.actuators.local import LocalActuator, Rollbacker
from slostack.local.supervisor import GroupSpec, ProcessSpec, Supervisor
from slostack.render.healer_policy import HealerPolicyFile

from .harness import TOKEN, ServerThread


def http_server_spec(**kw: Any) -> ProcessSpec:
    """A real child process that listens on its port: Python's own http.server."""
    return ProcessSpec(
        name="unused",
        argv=(sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"),
        port=0,
        stop_timeout=kw.pop("stop_timeout", 5.0),
        **kw,
    )


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    sup = Supervisor(tmp_path / "run")
    yield sup
    for name in sup.names():
        sup.stop(name, timeout=2)


@pytest.fixture
def checkout(supervisor: Supervisor) -> Supervisor:
    """The `checkout` target: one real replica under the supervisor, listed in targets/app.json."""
    supervisor.start_group(
        GroupSpec(
            name="checkout",
            template=http_server_spec(env={"FAIL_MODE": "errors"}),
            replicas=1,
            targets_file="targets/app.json",
            labels={"job": "checkout", "version": "1.3.0"},
        )
    )
    return supervisor


class EnvRollbacker:
    """A small real rollback: restart the group with the previous release's env."""

    def __init__(self, supervisor: Supervisor, previous_env: dict[str, str], version: str) -> None:
        self.supervisor = supervisor
        self.previous_env = previous_env
        self.version = version
        self.calls: list[str] = []

    def rollback(self, target: str) -> str:
        self.calls.append(target)
        grp = self.supervisor.group(target)
        assert grp is not None
        self.supervisor.reconfigure_group(
            target, env=self.previous_env, labels={**grp.labels, "version": self.version}
        )
        return f"r-{self.version}"


@pytest.fixture
def make_healer(tmp_path: Path) -> Iterator[Callable[..., ServerThread]]:
    """Start a healer (real uvicorn, real SQLite file) with the given policy and injections."""
    stack = ExitStack()

    def make(
        policy: HealerPolicyFile,
        *,
        actuator: Any = None,
        supervisor: Supervisor | None = None,
        rollbacker: Rollbacker | None = None,
        state: Path | None = None,
        **config: Any,
    ) -> ServerThread:
        if actuator is None:
            assert supervisor is not None
            actuator = LocalActuator(supervisor, rollbacker)
        config.setdefault("verify_interval", 0.1)
        cfg = HealerConfig(policy=policy, token=TOKEN, state_path=state or tmp_path / "healer.db", **config)
        app = create_app(cfg, actuator=actuator, registry=CollectorRegistry())
        return stack.enter_context(ServerThread(app))

    yield make
    stack.close()
