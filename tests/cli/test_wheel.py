"""A wheel built with `pip wheel .` carries the templates: `slostack render` works outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_templates_and_renders_outside_the_checkout(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("slostack-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "slostack/rules_templates/slo_rules.yml.j2" in names
    assert "slostack/render/burn_windows.yaml" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    spec = elsewhere / "checkout.slo.yaml"
    spec.write_text((REPO / "examples" / "checkout.slo.yaml").read_text())
    # PYTHONPATH puts the unpacked wheel before the venv's site-packages (which still provide the
    # third-party dependencies), and the command runs from a folder with no checkout in sight.
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import slostack; print(slostack.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr
    done = subprocess.run(
        [sys.executable, "-m", "slostack", "render", "checkout.slo.yaml", "--out", "out"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (elsewhere / "out" / "prometheus" / "rules" / "checkout.slo.rules.yml").is_file()
