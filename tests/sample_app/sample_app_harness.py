"""Helpers to run the real service as a child process on an ephemeral 127.0.0.1 port.

A module of its own (not conftest) so tests can import it by a name no other test folder uses.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
# sample_app is not part of the installed distribution (it ships alone in its own image), so the
# in-process unit tests import it from the checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHAOS_TOKEN = "test-token-0123456789abcdef"
# Generous: the test machine may be a loaded 2-core box.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
_APP_VARIABLES = ("FAIL_", "CHAOS_", "APP_VERSION", "LOG_LEVEL", "STARTUP_DELAY", "SAMPLE_APP_")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment minus any app variable a developer exported, plus ``env``."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(_APP_VARIABLES)}
    clean.update(env)
    return clean


@dataclass
class RunningApp:
    proc: subprocess.Popen[bytes]
    port: int
    stdout_path: Path
    stderr_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, timeout: float = 15.0) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout)

    def metrics_text(self) -> str:
        response = httpx.get(f"{self.base_url}/metrics", timeout=15.0)
        response.raise_for_status()
        return response.text

    def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """Every sample on /metrics, keyed by name and label set."""
        result: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(self.metrics_text()):
            for sample in family.samples:
                result[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return result

    def sample(self, name: str, **labels: str) -> float | None:
        return self.samples().get((name, frozenset(labels.items())))

    def log_lines(self) -> list[str]:
        return self.stdout_path.read_text(encoding="utf-8").splitlines()

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)


def run_module(
    env: Mapping[str, str], args: Sequence[str] = (), timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sample_app`` to completion (for settings that must stop it at once)."""
    return subprocess.run(
        [sys.executable, "-m", "sample_app", *args],
        cwd=ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


StartApp = Callable[..., RunningApp]


def spawn(prefix: Path, env: Mapping[str, str], args: Sequence[str]) -> RunningApp:
    port = free_port()
    stdout_path, stderr_path = prefix.with_suffix(".stdout"), prefix.with_suffix(".stderr")
    # Files, not pipes: nobody reads a pipe while the test runs, and a full pipe would block the app.
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sample_app", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env=child_env(env),
            stdout=stdout,
            stderr=stderr,
        )
    return RunningApp(proc=proc, port=port, stdout_path=stdout_path, stderr_path=stderr_path)


def wait_until_up(app: RunningApp, path: str) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            return False
        try:
            if httpx.get(f"{app.base_url}{path}", timeout=2.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False
