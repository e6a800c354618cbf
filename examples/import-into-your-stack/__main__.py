"""Your own Pulumi program, adding slostack's SLO rules and dashboards to a kube-prometheus install.

Nothing else of slostack is deployed: your Prometheus loads the rules (PrometheusRule objects its
ruleSelector picks up), your Grafana's sidecar loads the dashboards (ConfigMaps labelled
`grafana_dashboard: "1"`). Alerts route as your Alertmanager already routes them.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from slostack import load_spec, render
from slostack.components import Dashboards, DashboardsArgs, KubernetesPlacement, SloRules, SloRulesArgs

config = pulumi.Config()
spec = load_spec(Path(__file__).parent / config.get("spec", "checkout.slo.yaml"))
bundle = render(spec)  # the same files `slostack render` writes; nothing here re-derives them

# Your existing namespace for the rules (kube-prometheus-stack reads every namespace by default when
# its ruleNamespaceSelector is {}), and the label its ruleSelector wants.
namespace = config.get("namespace") or "monitoring"
rule_labels = config.get_object("ruleLabels") or {"release": "kube-prometheus-stack"}

rules = SloRules(
    f"{spec.name}-slo",
    SloRulesArgs(bundle=bundle, namespace=namespace, kind="PrometheusRule", labels=rule_labels),
)
dashboards = Dashboards(
    f"{spec.name}-dashboards",
    # The sidecar watches its own namespace unless told `searchNamespace: ALL`: put them there.
    DashboardsArgs(bundle=bundle, placement=KubernetesPlacement(namespace=namespace), run_grafana=False),
)

# ...and the rest of your stack, as before.
k8s.core.v1.ConfigMap(
    "team-notes", metadata={"namespace": namespace}, data={"owner": spec.labels.get("team", "unknown")}
)

pulumi.export("rulesDigest", rules.rules_digest)
pulumi.export("dashboards", dashboards.dashboards)
