"""Pulumi ComponentResources that deploy a rendered Bundle to Docker or Kubernetes (ARCHITECTURE.md).

    from slostack.components import ReliabilityStack
    ReliabilityStack("checkout", load_spec("checkout.slo.yaml"), "docker", ReliabilityStackArgs(...))

Each part is usable alone (`SloRules` and `Dashboards` into an existing kube-prometheus
installation). Names resolve lazily, so `import slostack` and the pure helpers here (targets,
settings, files) never import Pulumi.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "AlertRouting",
    "AlertRoutingArgs",
    "AppScrape",
    "ArgsError",
    "Dashboards",
    "DashboardsArgs",
    "DockerPlacement",
    "Healer",
    "HealerArgs",
    "HealerToken",
    "KubernetesPlacement",
    "Monitoring",
    "MonitoringArgs",
    "ReliabilityStack",
    "ReliabilityStackArgs",
    "SampleService",
    "SampleServiceArgs",
    "SloRules",
    "SloRulesArgs",
]

_HOMES = {
    "AlertRouting": "alert_routing",
    "AlertRoutingArgs": "alert_routing",
    "AppScrape": "monitoring",
    "ArgsError": "placement",
    "Dashboards": "dashboards",
    "DashboardsArgs": "dashboards",
    "DockerPlacement": "placement",
    "Healer": "healer",
    "HealerArgs": "healer",
    "HealerToken": "secrets",
    "KubernetesPlacement": "placement",
    "Monitoring": "monitoring",
    "MonitoringArgs": "monitoring",
    "ReliabilityStack": "reliability_stack",
    "ReliabilityStackArgs": "reliability_stack",
    "SampleService": "sample_service",
    "SampleServiceArgs": "sample_service",
    "SloRules": "slo_rules",
    "SloRulesArgs": "slo_rules",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'slostack.components' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
