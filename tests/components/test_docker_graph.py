"""The Docker target under Pulumi's mock engine: resource graph, delivered bytes, healer access."""

from __future__ import annotations

import posixpath

import pytest

from slostack.components import docker_parts
from slostack.components.settings import StackSettings
from slostack.components.targets import HEALER_TOKEN_PATH, bundle_for, render_options
from slostack.spec import Spec
from tests.components.conftest import ONCALL, TOKEN
from tests.components.recording import Graph

CONTAINER = "docker:index/container:Container"
COMPONENTS = {
    "checkout": ("slostack:index:ReliabilityStack", None),
    "checkout-app": ("slostack:index:SampleService", "checkout"),
    "checkout-monitoring": ("slostack:index:Monitoring", "checkout"),
    "checkout-alerting": ("slostack:index:AlertRouting", "checkout"),
    "checkout-dashboards": ("slostack:index:Dashboards", "checkout"),
    "checkout-healer": ("slostack:index:Healer", "checkout"),
}
CHILDREN = {
    "checkout-network": ("docker:index/network:Network", "checkout"),
    "checkout-app-image": ("docker:index/image:Image", "checkout-app"),
    "checkout-app-container": (CONTAINER, "checkout-app"),
    "checkout-monitoring-image": ("docker:index/remoteImage:RemoteImage", "checkout-monitoring"),
    "checkout-monitoring-data": ("docker:index/volume:Volume", "checkout-monitoring"),
    "checkout-monitoring-container": (CONTAINER, "checkout-monitoring"),
    "checkout-alerting-image": ("docker:index/remoteImage:RemoteImage", "checkout-alerting"),
    "checkout-alerting-data": ("docker:index/volume:Volume", "checkout-alerting"),
    "checkout-alerting-container": (CONTAINER, "checkout-alerting"),
    "checkout-dashboards-image": ("docker:index/remoteImage:RemoteImage", "checkout-dashboards"),
    "checkout-dashboards-container": (CONTAINER, "checkout-dashboards"),
    "checkout-healer-image": ("docker:index/remoteImage:RemoteImage", "checkout-healer"),
    "checkout-healer-state": ("docker:index/volume:Volume", "checkout-healer"),
    "checkout-healer-container": (CONTAINER, "checkout-healer"),
    "checkout-healer-docker-net": ("docker:index/network:Network", "checkout-healer"),
    "checkout-healer-proxy-image": ("docker:index/remoteImage:RemoteImage", "checkout-healer"),
    "checkout-healer-docker-proxy": (CONTAINER, "checkout-healer"),
}


def bundle(spec: Spec) -> dict[str, str]:
    return dict(bundle_for(spec, render_options(spec, "docker")))


def uploaded(graph: Graph, name: str) -> dict[str, str]:
    return {u["file"]: u["content"] for u in graph.named(name).inputs.get("uploads", [])}


def test_the_graph_is_exactly_the_components_and_their_children(docker_graph: Graph) -> None:
    expected = {**COMPONENTS, **CHILDREN}
    assert sorted(r.name for r in docker_graph.registrations) == sorted(expected)
    for name, (type_, parent) in expected.items():
        reg = docker_graph.named(name)
        assert reg.type == type_, name
        owner = docker_graph.parent_of(name)
        assert (owner.name if owner else None) == parent, f"{name} is parented to {owner and owner.name}"
        assert reg.custom == (not type_.startswith("slostack:")), name


def test_containers_join_the_network_under_the_rendered_names(docker_graph: Graph, spec: Spec) -> None:
    where = render_options(spec, "docker").endpoints
    assert where is not None
    hosts = {
        "checkout-app-container": where.app[0],
        "checkout-monitoring-container": where.prometheus,
        "checkout-alerting-container": where.alertmanager,
        "checkout-dashboards-container": where.grafana,
        "checkout-healer-container": where.healer,
    }
    network = docker_graph.named("checkout-network").inputs["name"]
    for name, endpoint in hosts.items():
        host = endpoint.split(":")[0]
        inputs = docker_graph.named(name).inputs
        assert inputs["name"] == f"checkout-test-{host}", (
            "container names carry the stack, so stacks never clash"
        )
        assert {"name": network, "aliases": [host]} in inputs["networksAdvanced"], name


@pytest.mark.parametrize(
    ("container", "prefix", "folder"),
    [
        ("checkout-monitoring-container", "prometheus/", "/etc/prometheus"),
        ("checkout-alerting-container", "alertmanager/", "/etc/alertmanager"),
        ("checkout-dashboards-container", "grafana/provisioning/", "/etc/grafana/provisioning"),
        ("checkout-dashboards-container", "grafana/dashboards/", "/var/lib/slostack/dashboards"),
        ("checkout-healer-container", "healer/", "/etc/slostack/healer"),
    ],
)
def test_uploads_are_the_rendered_files_byte_for_byte(
    docker_graph: Graph, spec: Spec, container: str, prefix: str, folder: str
) -> None:
    files = {p: t for p, t in bundle(spec).items() if p.startswith(prefix) and "/tests/" not in p}
    if not files:
        pytest.skip(f"the bundle has no {prefix} files yet")
    got = uploaded(docker_graph, container)
    for path, text in files.items():
        assert got[posixpath.join(folder, path.removeprefix(prefix))] == text, path


def test_test_files_and_the_manifest_are_not_deployed(docker_graph: Graph) -> None:
    every = [f for r in docker_graph.by_type(CONTAINER) for f in uploaded(docker_graph, r.name)]
    assert not [f for f in every if "/tests/" in f or f.endswith("manifest.json")]


def test_prometheus_config_finds_the_uploaded_rules(docker_graph: Graph, spec: Spec) -> None:
    import fnmatch

    import yaml

    files = uploaded(docker_graph, "checkout-monitoring-container")
    if "/etc/prometheus/prometheus.yml" not in files:
        pytest.skip("the bundle has no prometheus/prometheus.yml yet")
    config = yaml.safe_load(files["/etc/prometheus/prometheus.yml"])
    patterns = [posixpath.join("/etc/prometheus", p) for p in config["rule_files"]]
    rules = [f for f in files if f.startswith("/etc/prometheus/rules/")]
    assert rules and all(any(fnmatch.fnmatch(r, p) for p in patterns) for r in rules)
    command = docker_graph.named("checkout-monitoring-container").inputs["command"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in command


def test_every_container_has_a_healthcheck_and_restarts(docker_graph: Graph) -> None:
    for reg in docker_graph.by_type(CONTAINER):
        if reg.name == "checkout-healer-docker-proxy":
            continue  # haproxy image; docker restarts it, its health is the healer's calls
        assert reg.inputs["healthcheck"]["tests"][0] == "CMD", reg.name
        assert reg.inputs["restart"] == "unless-stopped", reg.name


def test_only_the_socket_proxy_sees_the_docker_socket(docker_graph: Graph) -> None:
    for reg in docker_graph.by_type(CONTAINER):
        host_paths = [v.get("hostPath") for v in reg.inputs.get("volumes", []) if v.get("hostPath")]
        if reg.name == "checkout-healer-docker-proxy":
            assert host_paths == ["/var/run/docker.sock"]
            assert all(v["readOnly"] for v in reg.inputs["volumes"])
            assert sorted(reg.inputs["envs"]) == ["CONTAINERS=1", "IMAGES=1", "NETWORKS=1", "POST=1"]
        else:
            assert host_paths == [], f"{reg.name} mounts a host path: rendered files go in as uploads"


def test_the_healer_reaches_docker_only_through_the_private_network(docker_graph: Graph) -> None:
    healer = docker_graph.named("checkout-healer-container").inputs
    private = docker_graph.named("checkout-healer-docker-net").inputs
    assert private["internal"] is True
    assert "DOCKER_HOST=tcp://docker-proxy:2375" in healer["envs"]
    proxy_networks = [
        n["name"] for n in docker_graph.named("checkout-healer-docker-proxy").inputs["networksAdvanced"]
    ]
    assert proxy_networks == [private["name"]], "the proxy is on no network but the healer's private one"
    assert healer["command"][:3] == ["python", "-m", "slostack.healer"]
    assert healer["command"][healer["command"].index("--actuator") + 1] == "docker"


def test_secrets_are_uploaded_where_the_rendered_configs_read_them(docker_graph: Graph) -> None:
    alerting = uploaded(docker_graph, "checkout-alerting-container")
    healer = uploaded(docker_graph, "checkout-healer-container")
    assert alerting[HEALER_TOKEN_PATH] == TOKEN
    assert healer[HEALER_TOKEN_PATH] == TOKEN
    assert healer["/run/secrets/oncall-url"] == ONCALL, "the healer relays webhook notifications"
    assert "/run/secrets/oncall-url" not in alerting, "Alertmanager 0.25 never reads webhook URLs"


def test_the_app_carries_what_the_docker_actuator_looks_for(docker_graph: Graph, spec: Spec) -> None:
    from slostack.healer.actuators import docker_sdk

    assert (docker_parts.TARGET_LABEL, docker_parts.PREVIOUS_IMAGE_LABEL, docker_parts.VERSION_LABEL) == (
        docker_sdk.TARGET_LABEL,
        docker_sdk.PREVIOUS_IMAGE_LABEL,
        docker_sdk.VERSION_LABEL,
    )
    app = docker_graph.named("checkout-app-container").inputs
    labels = {item["label"]: item["value"] for item in app["labels"]}
    assert labels[docker_parts.TARGET_LABEL] in spec.healing.targets
    assert app["image"] == "sha256:checkout-app-image-digest", "the built digest, so a rebuild replaces it"
    image = docker_graph.named("checkout-app-image").inputs
    assert image["build"]["context"].endswith("/sample_app")
    assert image["build"]["args"] == {"APP_VERSION": spec.service.version if spec.service else ""}


def test_published_ports_bind_loopback_only(docker_graph: Graph) -> None:
    for reg in docker_graph.by_type(CONTAINER):
        for port in reg.inputs.get("ports", []):
            assert port["ip"] == "127.0.0.1", reg.name


def test_outputs(docker_graph: Graph, spec: Spec) -> None:
    assert docker_graph.outputs["digest"] == bundle_for(spec, render_options(spec, "docker")).digest
    assert docker_graph.outputs["urls"]["grafana"] == "http://127.0.0.1:3000"
    assert docker_graph.outputs["urls"]["healer"] == "http://checkout-healer:8080"


def test_the_stack_settings_render_the_same_bundle(spec: Spec) -> None:
    settings = StackSettings.from_mapping({"slostack:spec": "x.yaml", "slostack:target": "docker"})
    assert settings.bundle(spec).digest == bundle_for(spec, render_options(spec, "docker")).digest
