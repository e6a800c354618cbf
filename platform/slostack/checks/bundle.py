"""Every tool check of a rendered bundle in one call, for `slostack validate`, `render` and `test`.

Each problem is one line naming the artifact. A tool that is not installed skips its checks and is
reported apart, so the caller can warn instead of failing on a machine without Prometheus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import conventions as names
from ..render.expressions import bundle_expressions, reference_problems
from .amtool import check_alertmanager_config
from .consistency import syntax_problems
from .prometheus import check_prometheus_config
from .rules import check_rules
from .tools import ToolMissing, ToolResult

__all__ = ["BundleReport", "check_bundle"]


@dataclass
class BundleReport:
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "promtool is not installed; ..." once per tool

    @property
    def ok(self) -> bool:
        return not self.problems


def _summary(result: ToolResult) -> str:
    """The lines that say what failed, on one line."""
    lines = [line.strip() for line in result.output.splitlines() if line.strip()]
    failing = [line for line in lines if "FAILED" in line or "error" in line.lower()] or lines
    return " | ".join(failing) or f"exit status {result.returncode}"


def check_bundle(bundle: Mapping[str, str], bundle_dir: Path) -> BundleReport:
    """Check `bundle`, already written to `bundle_dir`, with promtool and amtool."""
    report = BundleReport(problems=reference_problems(bundle))
    checks: list[Callable[[], list[str]]] = [
        lambda: syntax_problems(bundle_expressions(bundle)),
        lambda: _failed(names.rules_file("*"), "promtool check rules", check_rules(bundle_dir)),
        lambda: _failed(
            names.PROMETHEUS_CONFIG, "promtool check config", check_prometheus_config(bundle_dir)
        ),
        lambda: _failed(
            names.ALERTMANAGER_CONFIG, "amtool check-config", check_alertmanager_config(bundle_dir)
        ),
    ]
    for run in checks:
        try:
            report.problems.extend(run())
        except ToolMissing as exc:
            if str(exc) not in report.skipped:
                report.skipped.append(str(exc))
    return report


def _failed(artifact: str, tool: str, result: ToolResult) -> list[str]:
    return [] if result.ok else [f"{artifact}: {tool} failed: {_summary(result)}"]
