"""`SloRules`: just the rendered SLO rules, for Kubernetes, usable alone.

Drop it into an existing kube-prometheus installation (as `PrometheusRule` objects its operator
loads) or hand the rules to a Prometheus you run yourself (as one ConfigMap to mount). The rule
groups are the rendered files' own, never rebuilt here.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import yaml

from .files import files_digest, under
from .placement import ArgsError, KubernetesPlacement, check_name, child

__all__ = ["RULES_PREFIX", "SloRules", "SloRulesArgs"]

TYPE = "slostack:index:SloRules"
RULES_PREFIX = "prometheus/rules/"


@dataclass(frozen=True)
class SloRulesArgs:
    bundle: Mapping[str, str]  # a rendered Bundle (only `prometheus/rules/*` is read)
    namespace: pulumi.Input[str]
    kind: Literal["PrometheusRule", "ConfigMap"] = "PrometheusRule"
    # PrometheusRule: the labels your Prometheus' ruleSelector wants (kube-prometheus-stack:
    # `release: <helm release name>`; kube-prometheus: `prometheus: k8s, role: alert-rules`).
    labels: Mapping[str, str] = field(default_factory=dict)
    configmap_name: str | None = None  # ConfigMap kind: the object's name (default: the component's)


def _object_name(name: str, rel: str) -> str:
    stem = posixpath.basename(rel)
    for suffix in (".yml", ".yaml"):
        stem = stem.removesuffix(suffix)
    return re.sub(r"[^a-z0-9-]+", "-", f"{name}-{stem}".lower()).strip("-")[:63]


def _groups(name: str, rel: str, text: str) -> list[Any]:
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise ArgsError("SloRules", name, f"{RULES_PREFIX}{rel} is not a Prometheus rules file (no `groups`)")
    return list(data["groups"])


class SloRules(pulumi.ComponentResource):
    rules_digest: pulumi.Output[str]  # digest of the rules files delivered
    object_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: SloRulesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_name("SloRules", name)
        rules = under(args.bundle, RULES_PREFIX)
        if not rules:
            raise ArgsError("SloRules", name, f"the bundle has no {RULES_PREFIX} files")
        if args.kind not in ("PrometheusRule", "ConfigMap"):
            raise ArgsError("SloRules", name, f"kind must be PrometheusRule or ConfigMap (got {args.kind!r})")
        # Parse before registering anything: a bad file fails the whole component, not half of it.
        groups = (
            {rel: _groups(name, rel, text) for rel, text in rules.items()}
            if args.kind == "PrometheusRule"
            else {}
        )
        super().__init__(TYPE, name, None, opts)

        from pulumi_kubernetes import apiextensions

        from . import k8s_parts as parts

        placement = KubernetesPlacement(namespace=args.namespace)
        names: list[pulumi.Output[str]] = []
        if args.kind == "PrometheusRule":
            for rel, rule_groups in groups.items():
                obj = _object_name(name, rel)
                rule = apiextensions.CustomResource(
                    child(name, obj.removeprefix(f"{name}-")),
                    api_version="monitoring.coreos.com/v1",
                    kind="PrometheusRule",
                    metadata=parts.metadata(obj, placement, args.labels),
                    spec={"groups": rule_groups},
                    opts=pulumi.ResourceOptions(parent=self),
                )
                # A CustomResource's metadata is untyped; the name is ours, carried with the dependency.
                names.append(pulumi.Output.all(rule.urn, obj).apply(lambda pair: str(pair[1])))
        else:
            cm, _ = parts.config_map(
                child(name, "configmap"), self, args.configmap_name or name, placement, rules, args.labels
            )
            names.append(cm.metadata.name)
        self.rules_digest = pulumi.Output.from_input(files_digest(rules))
        self.object_names = pulumi.Output.all(*names).apply(list)
        self.register_outputs({"rules_digest": self.rules_digest, "object_names": self.object_names})
