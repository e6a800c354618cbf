"""Where a component goes: a Docker network or a Kubernetes namespace (no Pulumi import at run time).

Every component takes one of these in its Args; its type picks the target, so a component never
takes a target name and an unrelated set of options.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pulumi

__all__ = [
    "ArgsError",
    "DockerPlacement",
    "KubernetesPlacement",
    "Placement",
    "check_name",
    "child",
    "part_of",
]

PART_OF = "slostack"
# A DNS label (Kubernetes names, container names, network aliases are built from it).
NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class ArgsError(ValueError):
    """A component was given arguments it cannot deploy; raised before any resource is registered."""

    def __init__(self, component: str, name: str, message: str) -> None:
        super().__init__(f"{component} {name!r}: {message}")


def check_name(component: str, name: str) -> str:
    # Children's Kubernetes and container names are built from it, so it must be a DNS label.
    if not isinstance(name, str) or len(name) > 40 or not NAME.fullmatch(name):
        raise ArgsError(component, str(name), f"name must match {NAME.pattern} and be at most 40 chars")
    return name


def child(name: str, part: str) -> str:
    """The logical (URN) name of a component's child: always derived from the component's name."""
    return f"{name}-{part}"


def part_of(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    labels = {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi"}
    labels.update(extra or {})
    return labels


@dataclass(frozen=True)
class DockerPlacement:
    """Containers joined to one user-defined network, where they find each other by alias."""

    network: pulumi.Input[str]  # the network's name
    prefix: str  # container names are `<prefix>-<host>`, so two stacks on one daemon never clash
    publish: bool = True  # publish UIs on 127.0.0.1 (never 0.0.0.0): dev stacks are for one machine
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KubernetesPlacement:
    """One namespace; with `operator`, an existing prometheus-operator installation does the rest."""

    namespace: pulumi.Input[str]
    operator: bool = False
    # Labels the installation selects PrometheusRules, ServiceMonitors and AlertmanagerConfigs by
    # (kube-prometheus-stack: `release: <helm release>`); put on those objects only.
    selector_labels: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)  # reserved for provider-specific knobs


Placement = DockerPlacement | KubernetesPlacement
