"""SloRules and Dashboards alone, as a user's own program imports them (examples/import-into-your-stack)."""

from __future__ import annotations

import runpy
from typing import Any

import pulumi
import pytest
import yaml

from slostack import load_spec, render
from tests.components.conftest import REPO
from tests.components.recording import build

EXAMPLE = REPO / "examples" / "import-into-your-stack"


def test_the_example_program_deploys_only_rules_and_dashboards(monkeypatch: pytest.MonkeyPatch) -> None:
    spec_path = REPO / "examples" / "checkout.slo.yaml"
    monkeypatch.setattr(
        pulumi.Config, "get", lambda self, key, default=None: str(spec_path) if key == "spec" else default
    )
    exports: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: exports.__setitem__(name, value))

    def program() -> dict[str, Any]:
        runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="__main__")
        return exports

    graph = build(program)
    bundle = render(load_spec(spec_path))
    kinds = {r.type for r in graph.registrations if r.custom}
    assert kinds == {"kubernetes:monitoring.coreos.com/v1:PrometheusRule", "kubernetes:core/v1:ConfigMap"}
    rule = graph.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    assert rule.inputs["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    rendered = [
        g for p, t in bundle.items() if p.startswith("prometheus/rules/") for g in yaml.safe_load(t)["groups"]
    ]
    assert rule.inputs["spec"]["groups"] == rendered
    boards = [r for r in graph.by_type("kubernetes:core/v1:ConfigMap") if r.name != "team-notes"]
    assert {k: v for r in boards for k, v in r.inputs["data"].items()} == {
        p.rsplit("/", 1)[1]: t for p, t in bundle.items() if p.startswith("grafana/dashboards/")
    }
    assert all(graph.parent_of(r.name).type == "slostack:index:Dashboards" for r in boards)
    assert graph.outputs["dashboards"], "the dashboards output lists what was delivered"
