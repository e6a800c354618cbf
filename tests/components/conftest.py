"""Specs, bundles and built resource graphs shared by the component tests (built once per session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from slostack.spec import Spec, load_spec_text
from tests.components.recording import Graph, build
from tests.spec.good import good_spec

REPO = Path(__file__).resolve().parents[2]
TOKEN = "t0k3n-" + "x" * 20
ONCALL = "https://hooks.example/oncall"
# The good spec, healing by scaling too, so the replicas/SSA handling is exercised.
SCALING = good_spec(
    "      action: rollback\n",
    "      action: rollback\n    - match: {slo_name: latency, slo_severity: page}\n"
    "      actions: [restart, {action: scale, step: 1, max: 3}]\n",
)


def spec_of(text: str) -> Spec:
    return load_spec_text(text, "checkout.slo.yaml")


def stack_program(spec: Spec, target: str, **overrides: Any) -> Callable[[], dict[str, Any]]:
    def program() -> dict[str, Any]:
        from slostack.components import ReliabilityStack, ReliabilityStackArgs

        args = ReliabilityStackArgs(
            healer_token=pulumi.Output.secret(TOKEN),
            secret_files={"/run/secrets/oncall-url": pulumi.Output.secret(ONCALL)},
            app_image=overrides.pop(
                "app_image", "registry.example/checkout:1.0.0" if target == "kubernetes" else None
            ),
            build_root=str(REPO),
            **overrides,
        )
        stack = ReliabilityStack("checkout", spec, target, args)
        return {"urls": stack.urls, "digest": stack.bundle_digest, "namespace": stack.namespace}

    return program


@pytest.fixture(scope="session")
def spec() -> Spec:
    return spec_of(SCALING)


@pytest.fixture(scope="session")
def docker_graph(spec: Spec) -> Graph:
    return build(stack_program(spec, "docker"))


@pytest.fixture(scope="session")
def kube_graph(spec: Spec) -> Graph:
    return build(stack_program(spec, "kubernetes"))


@pytest.fixture(scope="session")
def operator_graph(spec: Spec) -> Graph:
    return build(stack_program(spec, "kubernetes", operator=True, selector_labels={"release": "kps"}))
