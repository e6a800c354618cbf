"""`python -m slostack.healer` (what `slostack healer` will call) and the layering rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .harness import ROOT, TOKEN, policy, write_policy


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slostack.healer", *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_bad_inputs_are_one_line_errors_not_tracebacks(tmp_path: Path):
    good_policy = str(write_policy(tmp_path / "policy.yml", policy()))
    short = tmp_path / "short-token"
    short.write_text("abc\n")
    junk = tmp_path / "junk.yml"
    junk.write_text("apiVersion: nope\n")
    token = tmp_path / "token"
    token.write_text(TOKEN)
    state = str(tmp_path / "h.db")
    cases = [
        (
            ["--policy", good_policy, "--token-file", str(tmp_path / "missing"), "--state", state],
            "cannot read",
        ),
        (["--policy", good_policy, "--token-file", str(short), "--state", state], "at least 16"),
        (["--policy", str(junk), "--token-file", str(token), "--state", state], "not a healer policy file"),
    ]
    for args, expected in cases:
        out = run(*args, "--port", "1")
        assert out.returncode == 2, out.stderr
        assert out.stderr.startswith("healer: ") and expected in out.stderr
        assert "Traceback" not in out.stderr


def test_importing_the_healer_pulls_in_no_pulumi_docker_kubernetes_or_cli():
    code = (
        "import sys, slostack.healer, slostack.healer.app, slostack.healer.actuators;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'docker', 'kubernetes')"
        " or m == 'slostack.cli'];"
        "assert not bad, bad"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
