"""The ``start_app`` fixture: the real service as a child process, stopped at teardown."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from sample_app_harness import RunningApp, StartApp, spawn, wait_until_up


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[StartApp]:
    """Start ``python -m sample_app`` with extra env vars and wait until it answers.

    ``wait_for`` is the path that must answer 200 before the app counts as started ("/ready", or
    "/health" to observe the warm-up). Every started app is stopped at teardown.
    """
    started: list[RunningApp] = []

    def start(
        env: Mapping[str, str] | None = None, args: Sequence[str] = (), wait_for: str = "/ready"
    ) -> RunningApp:
        # Another test may grab the port between our probe and the child's bind: retry a few times.
        for attempt in range(3):
            app = spawn(tmp_path / f"app{len(started)}-{attempt}", env or {}, args)
            started.append(app)
            if wait_until_up(app, wait_for):
                return app
            output = (app.stderr() + "\n".join(app.log_lines())).lower()
            if "address already in use" not in output and "errno 98" not in output:
                break
        pytest.fail(
            f"sample_app did not start (exit {app.proc.poll()}):\n{app.stderr()}\n{app.log_lines()[-20:]}"
        )

    yield start
    for app in started:
        app.stop()
