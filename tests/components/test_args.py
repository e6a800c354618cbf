"""Bad arguments are refused before anything is registered, with a line that says what to change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from slostack.components import (
    AlertRouting,
    AlertRoutingArgs,
    ArgsError,
    DockerPlacement,
    Healer,
    HealerArgs,
    KubernetesPlacement,
    ReliabilityStack,
    ReliabilityStackArgs,
    SampleService,
    SampleServiceArgs,
    SloRules,
    SloRulesArgs,
)
from slostack.components.amconfig import parse_matcher
from slostack.components.targets import bundle_for, render_options
from tests.components.conftest import REPO, TOKEN, spec_of
from tests.components.recording import build
from tests.spec.good import good_spec

SPEC = spec_of(good_spec())
BUNDLE = dict(bundle_for(SPEC, render_options(SPEC, "kubernetes")))
K8S = KubernetesPlacement(namespace="ns")
DOCKER = DockerPlacement(network="net", prefix="p")


def refused(make: Callable[[], Any], message: str) -> None:
    registered: list[str] = []

    def program() -> None:
        with pytest.raises(ArgsError, match=message):
            make()

    graph = build(program)
    registered = [r.name for r in graph.registrations]
    assert registered == [], f"refused args still registered {registered}"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(
            lambda: ReliabilityStack("checkout", SPEC, "nomad"),
            "unknown target 'nomad'",
            id="an unknown target",
        ),
        pytest.param(
            lambda: ReliabilityStack("Checkout", SPEC, "docker"),
            "name must match",
            id="a name that is no DNS label",
        ),
        pytest.param(
            lambda: ReliabilityStack("checkout", SPEC, "docker"),
            "give `healer_token`",
            id="a healing spec without token",
        ),
        pytest.param(
            lambda: ReliabilityStack(
                "checkout", SPEC, "docker", ReliabilityStackArgs(healer_token=pulumi.Output.secret(TOKEN))
            ),
            "secret files the spec names are not given: /run/secrets/oncall-url",
            id="a receiver's secret file not given",
        ),
        pytest.param(
            lambda: SampleService("app", SampleServiceArgs(service=SPEC.service, placement=K8S)),  # type: ignore[arg-type]
            "Kubernetes cannot build `sample_app`",
            id="kubernetes with a build and no image",
        ),
        pytest.param(
            lambda: SampleService(
                "app",
                SampleServiceArgs(service=SPEC.service, placement=DOCKER, build_root="/nonexistent"),  # type: ignore[arg-type]
            ),
            "no Dockerfile in the build folder",
            id="docker with a build folder that has no Dockerfile",
        ),
        pytest.param(
            lambda: SloRules("rules", SloRulesArgs(bundle={}, namespace="ns")),
            "the bundle has no prometheus/rules/ files",
            id="rules from an empty bundle",
        ),
        pytest.param(
            lambda: SloRules(
                "rules", SloRulesArgs(bundle={"prometheus/rules/x.yml": "not: rules\n"}, namespace="ns")
            ),
            "is not a Prometheus rules file",
            id="a rules file without groups",
        ),
        pytest.param(
            lambda: Healer("healer", HealerArgs(bundle=BUNDLE, placement=K8S, host="h", token=TOKEN)),
            "pass the token as a secret Output",
            id="a healer token given as plain text",
        ),
        pytest.param(
            lambda: AlertRouting("alerting", AlertRoutingArgs(bundle=BUNDLE, placement=K8S, host="am")),
            "the routes reach the healer",
            id="routes to the healer without its token",
        ),
    ],
)
def test_refused_early(make: Callable[[], Any], message: str) -> None:
    refused(make, message)


def test_the_docker_build_root_default_is_relative_to_the_caller() -> None:
    assert (REPO / "sample_app" / "Dockerfile").is_file(), "the sample app's Dockerfile is the dev default"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ('slo_service="checkout"', {"name": "slo_service", "value": "checkout", "matchType": "="}),
        ('slo_id=~".+"', {"name": "slo_id", "value": ".+", "matchType": "=~"}),
        ('a!="q\\"uote"', {"name": "a", "value": 'q"uote', "matchType": "!="}),
        ("b!~x", {"name": "b", "value": "x", "matchType": "!~"}),
    ],
)
def test_matchers_become_objects(text: str, parsed: dict[str, str]) -> None:
    assert parse_matcher(text) == parsed
