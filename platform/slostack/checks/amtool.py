"""`amtool check-config` and the bundle's routing cases (`amtool config routes test`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .. import conventions as names
from .tools import ToolResult, run_tool

__all__ = ["check_alertmanager_config", "test_routes"]


def check_alertmanager_config(bundle_dir: Path) -> ToolResult:
    return run_tool("amtool", "check-config", names.ALERTMANAGER_CONFIG, cwd=bundle_dir)


def test_routes(bundle_dir: Path) -> list[str]:
    """Run every case of `alertmanager/tests/routes.yml`; one line per case routed elsewhere."""
    cases_file = bundle_dir / names.ALERTMANAGER_ROUTE_TESTS
    data: Any = yaml.safe_load(cases_file.read_text(encoding="utf-8")) or {}
    problems = []
    for case in data.get("cases") or []:
        expected = ",".join(case["receivers"])
        labels = [f"{key}={value}" for key, value in case["labels"].items()]
        result = run_tool(
            "amtool",
            "config",
            "routes",
            "test",
            f"--config.file={names.ALERTMANAGER_CONFIG}",
            f"--verify.receivers={expected}",
            *labels,
            cwd=bundle_dir,
        )
        if not result.ok:
            got = result.output.splitlines()[0] if result.output else "nothing"
            problems.append(f"{names.ALERTMANAGER_ROUTE_TESTS}: {case['name']}: routed to {got}")
    return problems
