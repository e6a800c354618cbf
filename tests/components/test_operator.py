"""Kubernetes with a prometheus-operator installation: CRDs instead of our own Prometheus/Alertmanager."""

from __future__ import annotations

import yaml

from slostack.components.targets import bundle_for, render_options
from slostack.spec import Spec
from tests.components.recording import Graph

RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
AM_CONFIG = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig"


def bundle(spec: Spec) -> dict[str, str]:
    return dict(bundle_for(spec, render_options(spec, "kubernetes", namespace="checkout", operator=True)))


def test_operator_mode_emits_the_three_crds_and_no_prometheus_or_alertmanager(operator_graph: Graph) -> None:
    assert {r.type for r in operator_graph.registrations} >= {RULE, MONITOR, AM_CONFIG}
    deployments = {r.name for r in operator_graph.by_type("kubernetes:apps/v1:Deployment")}
    assert deployments == {"checkout-app-deployment", "checkout-healer-deployment"}
    for crd in (RULE, MONITOR, AM_CONFIG):
        for reg in operator_graph.by_type(crd):
            assert reg.inputs["metadata"]["labels"]["release"] == "kps", "selected by the installation"
    assert operator_graph.parent_of(operator_graph.one(RULE).name).name == "checkout-monitoring-rules"
    assert operator_graph.parent_of(operator_graph.one(MONITOR).name).name == "checkout-monitoring"
    assert operator_graph.parent_of(operator_graph.one(AM_CONFIG).name).name == "checkout-alerting"


def test_prometheus_rule_holds_the_rendered_rule_groups(operator_graph: Graph, spec: Spec) -> None:
    rules = {p: t for p, t in bundle(spec).items() if p.startswith("prometheus/rules/")}
    rendered = [g for text in rules.values() for g in yaml.safe_load(text)["groups"]]
    assert operator_graph.one(RULE).inputs["spec"] == {"groups": rendered}


def test_service_monitor_scrapes_the_app_under_its_rules_job(operator_graph: Graph, spec: Spec) -> None:
    assert spec.service is not None
    monitor = operator_graph.one(MONITOR).inputs["spec"]
    app_service = operator_graph.named("checkout-app-service").inputs["metadata"]["labels"]
    assert all(app_service[k] == v for k, v in monitor["selector"]["matchLabels"].items())
    assert app_service[monitor["jobLabel"]] == spec.service.scrape_job
    assert monitor["endpoints"] == [
        {"port": "http", "path": spec.service.scrape_path, "interval": str(spec.service.scrape_interval)}
    ]


def test_alertmanager_config_is_the_rendered_route_tree(operator_graph: Graph, spec: Spec) -> None:
    rendered = yaml.safe_load(bundle(spec)["alertmanager/alertmanager.yml"])
    am = operator_graph.one(AM_CONFIG).inputs["spec"]
    assert am["route"]["receiver"] == rendered["route"]["receiver"]
    assert [r["name"] for r in am["receivers"]] == [r["name"] for r in rendered["receivers"]]
    token_secret = operator_graph.named("checkout-healer-token").inputs["metadata"]["name"]
    hooks = [h for r in am["receivers"] for h in r.get("webhookConfigs", [])]
    assert hooks and all(
        h["httpConfig"]["authorization"]["credentials"] == {"name": token_secret, "key": "token"}
        for h in hooks
    )
    assert all(".checkout.svc:" in h["url"] for h in hooks), (
        "the installation's Alertmanager is in another namespace"
    )


def test_dashboards_are_sidecar_configmaps_and_no_grafana_runs(operator_graph: Graph, spec: Spec) -> None:
    boards = {p.rsplit("/", 1)[1]: t for p, t in bundle(spec).items() if p.startswith("grafana/dashboards/")}
    maps = [
        r
        for r in operator_graph.by_type("kubernetes:core/v1:ConfigMap")
        if r.name.startswith("checkout-dashboards-")
    ]
    assert {k: v for r in maps for k, v in r.inputs["data"].items()} == boards
    assert all(r.inputs["metadata"]["labels"]["grafana_dashboard"] == "1" for r in maps)
    assert "grafana" not in operator_graph.outputs["urls"]
