"""A spec change reaches exactly the resources that carry what changed, and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from slostack import conventions
from tests.components.conftest import SCALING, build, spec_of, stack_program
from tests.components.recording import Graph

OBJECTIVE = ("objective: 99.9", "objective: 99.5")  # the availability SLO's
BOARD = f"checkout-dashboards-{conventions.dashboard_uid('checkout', 'availability')}"


def snapshot(graph: Graph) -> dict[str, str]:
    return {r.name: json.dumps(r.inputs, sort_keys=True, default=str) for r in graph.registrations}


def changed(before: Graph, after: Graph) -> set[str]:
    a, b = snapshot(before), snapshot(after)
    assert a.keys() == b.keys(), "a spec change must not add or remove resources here"
    return {name for name in a if a[name] != b[name]}


@pytest.mark.parametrize(
    ("target", "overrides", "expected"),
    [
        # The rules, the healer's policy (its recovery threshold follows the objective), the SLO's
        # dashboard (it draws the objective), and whatever loads them; never the app or the RBAC.
        (
            "docker",
            {},
            {"checkout-monitoring-container", "checkout-healer-container", "checkout-dashboards-container"},
        ),
        (
            "kubernetes",
            {},
            {
                "checkout-monitoring-rules-configmap",
                "checkout-monitoring-deployment",
                "checkout-healer-policy",
                "checkout-healer-deployment",
                BOARD,
                "checkout-dashboards-deployment",
            },
        ),
        (
            "kubernetes",
            {"operator": True},
            {
                "checkout-monitoring-rules-checkout-slo-rules",
                "checkout-healer-policy",
                "checkout-healer-deployment",
                BOARD,
            },
        ),
    ],
    ids=["docker", "kubernetes", "operator"],
)
def test_an_objective_change_touches_only_rules_bearing_resources(
    target: str, overrides: dict[str, Any], expected: set[str]
) -> None:
    before = build(stack_program(spec_of(SCALING), target, **dict(overrides)))
    after = build(stack_program(spec_of(SCALING.replace(*OBJECTIVE)), target, **dict(overrides)))
    assert changed(before, after) == expected


def test_an_unchanged_spec_changes_nothing() -> None:
    first = build(stack_program(spec_of(SCALING), "kubernetes"))
    again = build(stack_program(spec_of(SCALING), "kubernetes"))
    assert changed(first, again) == set(), "rendering is deterministic, so a re-deploy is a no-op"
