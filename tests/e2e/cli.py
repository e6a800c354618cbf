"""What the end-to-end tests share: the `slostack` CLI as a child process, the drill run, and the check
that the Debian packages are there."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

needs_prometheus = pytest.mark.skipif(
    not (
        shutil.which("prometheus")
        and (shutil.which("prometheus-alertmanager") or shutil.which("alertmanager"))
    ),
    reason="needs the Debian packages prometheus and prometheus-alertmanager (`make test` installs them)",
)


def slostack(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slostack", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def drill(
    workdir: Path, env: str, mode: str, *options: str, timeout: float = 180
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """Run `slostack drill` and return its JSON report (asserted written) and the finished process."""
    out = workdir / f"drill-{mode}-{len(list(workdir.glob('drill-*.json')))}.json"
    done = slostack(
        "drill",
        mode,
        "--env",
        env,
        "--json",
        str(out),
        "--timeout",
        f"{timeout:g}",
        *options,
        cwd=workdir,
        timeout=timeout + 220,
    )
    assert out.exists(), done.stdout + done.stderr
    return json.loads(out.read_text()), done
