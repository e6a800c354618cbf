"""Locate and run promtool / amtool with bounded time, returning their output for messages."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ToolMissing", "ToolResult", "find_tool", "run_tool"]

INSTALL_HINT = {
    "promtool": "apt-get install -y prometheus",
    "amtool": "apt-get install -y prometheus-alertmanager",
    "prometheus": "apt-get install -y prometheus",
    "alertmanager": "apt-get install -y prometheus-alertmanager",
}


class ToolMissing(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not installed; on Debian/Ubuntu: {INSTALL_HINT.get(name, name)}")
        self.name = name


@dataclass(frozen=True)
class ToolResult:
    argv: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def find_tool(name: str) -> str:
    candidates = {"alertmanager": ["prometheus-alertmanager", "alertmanager"]}.get(name, [name])
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    raise ToolMissing(name)


def run_tool(
    name: str, *args: str, cwd: str | Path | None = None, stdin: str | None = None, timeout: float = 120
) -> ToolResult:
    argv = (find_tool(name), *args)
    try:
        done = subprocess.run(
            argv, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return ToolResult(argv, 124, f"{name} did not finish within {timeout:.0f}s")
    return ToolResult(argv, done.returncode, (done.stdout + done.stderr).strip())
