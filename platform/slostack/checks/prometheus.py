"""`promtool check config` on a rendered bundle (it also loads every rule file the config names)."""

from __future__ import annotations

from pathlib import Path

from .. import conventions as names
from .tools import ToolResult, run_tool

__all__ = ["check_prometheus_config"]


def check_prometheus_config(bundle_dir: Path) -> ToolResult:
    # Run from the bundle root: promtool resolves rule_files and file_sd from the config's folder.
    return run_tool("promtool", "check", "config", names.PROMETHEUS_CONFIG, cwd=bundle_dir)
