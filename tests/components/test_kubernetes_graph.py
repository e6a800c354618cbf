"""The Kubernetes target (no operator) under Pulumi's mock engine."""

from __future__ import annotations

import pytest

from slostack.components.healer import RBAC_RULES
from slostack.components.targets import bundle_for, render_options
from slostack.spec import Spec
from tests.components.conftest import TOKEN, build, spec_of, stack_program
from tests.components.recording import Graph
from tests.spec.good import good_spec

CM = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NS = "kubernetes:core/v1:Namespace"


def bundle(spec: Spec) -> dict[str, str]:
    return dict(bundle_for(spec, render_options(spec, "kubernetes", namespace="checkout")))


def cm_files(graph: Graph, name: str) -> dict[str, str]:
    """A ConfigMap's files as the pod sees them: key -> path via the consuming volume's items."""
    data = graph.named(name).inputs["data"]
    k8s_name = graph.named(name).inputs["metadata"]["name"]
    for dep in graph.by_type(DEPLOYMENT):
        for vol in dep.inputs["spec"]["template"]["spec"].get("volumes", []):
            cm = vol.get("configMap")
            if cm and cm.get("name") == k8s_name:
                return {item["path"]: data[item["key"]] for item in cm["items"]}
    raise AssertionError(f"no Deployment mounts {name}")


def test_graph_types_and_parents(kube_graph: Graph) -> None:
    parents = {
        r.name: (kube_graph.parent_of(r.name).name if kube_graph.parent_of(r.name) else None)
        for r in kube_graph.registrations
    }
    assert kube_graph.named("checkout-namespace").type == NS
    assert parents["checkout-namespace"] == "checkout"
    expected_children = {
        "checkout-app": {"checkout-app-deployment", "checkout-app-service"},
        "checkout-monitoring": {
            "checkout-monitoring-rules",
            "checkout-monitoring-config",
            "checkout-monitoring-deployment",
            "checkout-monitoring-service",
        },
        "checkout-monitoring-rules": {"checkout-monitoring-rules-configmap"},
        "checkout-alerting": {
            "checkout-alerting-config",
            "checkout-alerting-deployment",
            "checkout-alerting-service",
        },
        "checkout-healer": {
            "checkout-healer-serviceaccount",
            "checkout-healer-role",
            "checkout-healer-rolebinding",
            "checkout-healer-token",
            "checkout-healer-secrets",
            "checkout-healer-policy",
            "checkout-healer-deployment",
            "checkout-healer-service",
        },
    }
    for parent, children in expected_children.items():
        assert {n for n, p in parents.items() if p == parent} == children, parent
    dashboards = {n for n, p in parents.items() if p == "checkout-dashboards"}
    assert {
        "checkout-dashboards-provisioning",
        "checkout-dashboards-deployment",
        "checkout-dashboards-service",
    } <= dashboards
    assert all(n.startswith("checkout-dashboards-") for n in dashboards)
    for reg in kube_graph.registrations:
        if reg.type.startswith("kubernetes:") and reg.type != NS:
            assert reg.inputs["metadata"]["namespace"] == "checkout", reg.name


def test_services_carry_the_rendered_names(kube_graph: Graph) -> None:
    services = {r.inputs["metadata"]["name"] for r in kube_graph.by_type("kubernetes:core/v1:Service")}
    assert services == {
        "checkout",
        "checkout-prometheus",
        "checkout-alertmanager",
        "checkout-grafana",
        "checkout-healer",
    }


@pytest.mark.parametrize(
    ("configmap", "prefix", "strip"),
    [
        ("checkout-monitoring-config", "prometheus/", "prometheus/"),
        ("checkout-monitoring-rules-configmap", "prometheus/rules/", "prometheus/rules/"),
        ("checkout-alerting-config", "alertmanager/", "alertmanager/"),
        ("checkout-healer-policy", "healer/", "healer/"),
        ("checkout-dashboards-provisioning", "grafana/provisioning/", "grafana/provisioning/"),
    ],
)
def test_configmaps_hold_the_rendered_files_byte_for_byte(
    kube_graph: Graph, spec: Spec, configmap: str, prefix: str, strip: str
) -> None:
    want = {
        p.removeprefix(strip): t
        for p, t in bundle(spec).items()
        if p.startswith(prefix)
        and "/tests/" not in p
        and not (prefix == "prometheus/" and p.startswith("prometheus/rules/"))
    }
    if not want:
        pytest.skip(f"the bundle has no {prefix} files yet")
    assert cm_files(kube_graph, configmap) == want


def test_each_dashboard_is_a_sidecar_labelled_configmap(kube_graph: Graph, spec: Spec) -> None:
    boards = {p.rsplit("/", 1)[1]: t for p, t in bundle(spec).items() if p.startswith("grafana/dashboards/")}
    if not boards:
        pytest.skip("the bundle has no grafana/dashboards files yet")
    labelled = [
        r for r in kube_graph.by_type(CM) if r.inputs["metadata"]["labels"].get("grafana_dashboard") == "1"
    ]
    assert {k: v for r in labelled for k, v in r.inputs["data"].items()} == boards


def test_rbac_is_exactly_what_the_kubernetes_actuator_uses(kube_graph: Graph) -> None:
    role = kube_graph.one("kubernetes:rbac.authorization.k8s.io/v1:Role").inputs
    rules = sorted((tuple(r["apiGroups"]), tuple(r["resources"]), tuple(r["verbs"])) for r in role["rules"])
    assert rules == sorted(
        [
            (("apps",), ("deployments",), ("get", "list", "watch", "patch")),
            (("apps",), ("deployments/scale",), ("get", "patch")),
            (("apps",), ("replicasets",), ("get", "list")),
        ]
    )
    assert [r["verbs"] for r in RBAC_RULES] == [r["verbs"] for r in role["rules"]]
    binding = kube_graph.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs
    account = kube_graph.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]["name"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": "checkout"}]
    healer = kube_graph.named("checkout-healer-deployment").inputs["spec"]["template"]["spec"]
    assert healer["serviceAccountName"] == account
    others = [d for d in kube_graph.by_type(DEPLOYMENT) if d.name != "checkout-healer-deployment"]
    assert all(not d.inputs["spec"]["template"]["spec"]["automountServiceAccountToken"] for d in others)


def test_the_token_is_a_secret_mounted_where_the_configs_read_it(kube_graph: Graph) -> None:
    secret = kube_graph.named("checkout-healer-token").inputs
    assert secret["stringData"] == {"token": TOKEN}
    for name in ("checkout-healer-deployment", "checkout-alerting-deployment"):
        pod = kube_graph.named(name).inputs["spec"]["template"]["spec"]
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        volume = next(v for v in pod["volumes"] if v["name"] == mounts["/run/secrets/slostack"])
        assert volume["secret"]["secretName"] == secret["metadata"]["name"]
        assert volume["secret"]["items"] == [{"key": "token", "path": "healer-token"}]


def test_replicas_are_left_to_the_healer_when_it_may_scale(kube_graph: Graph, spec: Spec) -> None:
    app = kube_graph.named("checkout-app-deployment")
    assert app.ignore_changes == ["spec.replicas"]
    assert app.inputs["spec"]["replicas"] == (spec.service.replicas if spec.service else None)
    assert all(not d.ignore_changes for d in kube_graph.by_type(DEPLOYMENT) if d.name != app.name)


def test_replicas_stay_managed_when_no_policy_scales() -> None:
    graph = build(stack_program(spec_of(good_spec()), "kubernetes"))
    assert graph.named("checkout-app-deployment").ignore_changes == []


def test_pods_roll_when_their_files_change(kube_graph: Graph) -> None:
    for name in (
        "checkout-monitoring-deployment",
        "checkout-alerting-deployment",
        "checkout-healer-deployment",
    ):
        annotations = kube_graph.named(name).inputs["spec"]["template"]["metadata"]["annotations"]
        assert annotations["slostack.dev/config-digest"].startswith("sha256:")


def test_kubernetes_runs_the_pushed_image_and_probes_the_app(kube_graph: Graph) -> None:
    pod = kube_graph.named("checkout-app-deployment").inputs["spec"]["template"]["spec"]
    app = pod["containers"][0]
    assert app["image"] == "registry.example/checkout:1.0.0"
    assert app["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert app["livenessProbe"]["httpGet"]["path"] == "/health"
    assert pod["securityContext"] == {"runAsNonRoot": True}


def test_images_that_name_their_user_get_a_numeric_uid(kube_graph: Graph) -> None:
    # runAsNonRoot cannot be checked against `USER nobody`; the pod would never start.
    uids = {
        name: kube_graph.named(name).inputs["spec"]["template"]["spec"]["securityContext"].get("runAsUser")
        for name in (
            "checkout-monitoring-deployment",
            "checkout-alerting-deployment",
            "checkout-dashboards-deployment",
        )
    }
    assert uids == {
        "checkout-monitoring-deployment": 65534,
        "checkout-alerting-deployment": 65534,
        "checkout-dashboards-deployment": 472,
    }
