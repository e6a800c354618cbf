"""The same spec gives byte-identical bundles; only what the target changes differs between targets."""

from __future__ import annotations

import json
from pathlib import Path

from slostack import conventions as names
from slostack import load_spec
from slostack.render.pipeline import MANIFEST, render

from .conftest import bundle_of


def test_rendering_twice_gives_the_same_digest_and_bytes(example: Path) -> None:
    first, second = render(load_spec(example)), render(load_spec(example))
    assert first.digest == second.digest
    assert dict(first) == dict(second)
    manifest = json.loads(first[MANIFEST])
    assert set(manifest["files"]) == set(first) - {MANIFEST}


def test_a_target_changes_only_the_addresses() -> None:
    local, docker = bundle_of(), bundle_of(("deploy: {target: local}", "deploy: {target: docker}"))
    changed = {path for path in local if local[path] != docker[path]}
    assert changed == {
        names.PROMETHEUS_CONFIG,
        names.ALERTMANAGER_CONFIG,
        names.GRAFANA_DATASOURCES,
        MANIFEST,
    }
