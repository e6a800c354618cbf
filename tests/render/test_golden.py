"""Golden bundles: every example renders byte for byte as `tests/golden/<example>/` says.

Regenerate on purpose only: `make golden` (pytest --update-golden), then review the diff.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from slostack import load_spec
from slostack.render.bundle import Bundle
from slostack.render.pipeline import render
from tests.conftest import REPO, example_name

GOLDEN = REPO / "tests" / "golden"


def _first_difference(path: str, expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), f"golden/{path}", f"rendered/{path}", lineterm="", n=2
    )
    return "\n".join(list(lines)[:40])


def test_example_matches_its_golden_bundle(example: Path, update_golden: bool) -> None:
    bundle = render(load_spec(example))
    golden = GOLDEN / example_name(example)
    if update_golden:
        bundle.write(golden)
        return
    assert golden.is_dir(), f"no golden bundle for {example.name}: run `make golden` and review it"
    expected = Bundle.read(golden)
    missing, extra = sorted(set(expected) - set(bundle)), sorted(set(bundle) - set(expected))
    assert not missing and not extra, f"files missing: {missing}; files not in golden: {extra} (make golden)"
    changed = [path for path in bundle if bundle[path] != expected[path]]
    assert not changed, (
        f"{len(changed)} files differ from tests/golden/{example_name(example)} "
        f"(if intended: make golden): {changed}\n"
        + _first_difference(changed[0], expected[changed[0]], bundle[changed[0]])
    )
