"""Cross-artifact consistency of a bundle: every PromQL expression parses, every rule it reads exists.

The reference part is pure (`render.expressions`, also run by every render); the syntax part hands
all expressions to promtool at once, as recording rules of a scratch file, and maps each failure
back to the artifact and the panel or rule it came from.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from ..render.expressions import Expression, bundle_expressions, reference_problems
from .tools import run_tool

__all__ = ["check_consistency", "syntax_problems"]

_RECORD = "slostack_check:expr_{:05d}"
_FAILURE = re.compile(r'"slostack_check:expr_(\d+)": (.*)$')


def syntax_problems(expressions: Sequence[Expression]) -> list[str]:
    """One line per expression promtool cannot parse: `artifact: location: promtool's reason`."""
    if not expressions:
        return []
    rules = [{"record": _RECORD.format(i), "expr": e.runnable()} for i, e in enumerate(expressions)]
    document = {"groups": [{"name": "slostack-consistency", "rules": rules}]}
    with tempfile.TemporaryDirectory(prefix="slostack-promql-") as tmp:
        path = Path(tmp) / "expressions.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False, width=1000), encoding="utf-8")
        result = run_tool("promtool", "check", "rules", path.name, cwd=tmp)
    if result.ok:
        return []
    problems = []
    for line in result.output.splitlines():
        found = _FAILURE.search(line)
        if found:
            problems.append(f"{expressions[int(found.group(1))]}: {found.group(2)}")
    return problems or [f"promtool check rules failed on the bundle's expressions: {result.output}"]


def check_consistency(bundle: Mapping[str, str]) -> list[str]:
    """Every problem found: rules nobody records, then expressions promtool cannot parse."""
    return reference_problems(bundle) + syntax_problems(bundle_expressions(bundle))
