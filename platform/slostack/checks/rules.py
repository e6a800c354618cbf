"""`promtool check rules` and `promtool test rules` over a rendered bundle directory."""

from __future__ import annotations

from pathlib import Path

from .tools import ToolResult, run_tool

__all__ = ["check_rules", "test_rules"]


def check_rules(bundle_dir: Path) -> ToolResult:
    files = sorted(
        str(p.relative_to(bundle_dir)) for p in (bundle_dir / "prometheus" / "rules").glob("*.yml")
    )
    return run_tool("promtool", "check", "rules", *files, cwd=bundle_dir)


def test_rules(bundle_dir: Path) -> ToolResult:
    tests_dir = bundle_dir / "prometheus" / "tests"
    files = sorted(p.name for p in tests_dir.glob("*.yml"))
    return run_tool("promtool", "test", "rules", *files, cwd=tests_dir, timeout=600)
