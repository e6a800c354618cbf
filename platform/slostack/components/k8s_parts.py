"""Small builders for pulumi-kubernetes objects that every Kubernetes-side component repeats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
from pulumi_kubernetes.apps import v1 as apps
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.meta import v1 as meta

from .files import ConfigMapFiles, configmap_files
from .placement import KubernetesPlacement, child, part_of

__all__ = [
    "CONFIG_DIGEST",
    "GRAFANA_UID",
    "NOBODY",
    "config_map",
    "config_volume",
    "container_security",
    "deployment",
    "http_probe",
    "metadata",
    "service",
]

# A pod template annotation carrying the digest of the files a pod mounts: a changed file changes the
# template, so the Deployment rolls (a mounted ConfigMap alone would change under a running process
# that never rereads it).
CONFIG_DIGEST = "slostack.dev/config-digest"
NOBODY = 65534  # prom/prometheus and prom/alertmanager run as `nobody`
GRAFANA_UID = 472  # grafana/grafana's own uid


def metadata(
    name: str,
    placement: KubernetesPlacement,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> meta.ObjectMetaArgs:
    return meta.ObjectMetaArgs(
        name=name,
        namespace=placement.namespace,
        labels=part_of({**placement.labels, **(labels or {})}),
        annotations=dict(annotations) if annotations else None,
    )


def config_map(
    logical: str,
    parent: pulumi.Resource,
    name: str,
    placement: KubernetesPlacement,
    files: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> tuple[core.ConfigMap, ConfigMapFiles]:
    packed = configmap_files(files)
    cm = core.ConfigMap(
        logical,
        metadata=metadata(name, placement, labels, annotations),
        data=packed.data,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return cm, packed


def config_volume(volume: str, cm: core.ConfigMap, packed: ConfigMapFiles) -> core.VolumeArgs:
    return core.VolumeArgs(
        name=volume,
        config_map=core.ConfigMapVolumeSourceArgs(
            name=cm.metadata.name,
            items=[core.KeyToPathArgs(key=i["key"], path=i["path"]) for i in packed.items],
        ),
    )


def container_security() -> core.SecurityContextArgs:
    return core.SecurityContextArgs(
        allow_privilege_escalation=False,
        capabilities=core.CapabilitiesArgs(drop=["ALL"]),
    )


def http_probe(path: str, port: int | str, period: int = 10) -> core.ProbeArgs:
    return core.ProbeArgs(
        http_get=core.HTTPGetActionArgs(path=path, port=port),
        period_seconds=period,
        timeout_seconds=3,
        failure_threshold=3,
    )


def deployment(
    name: str,
    parent: pulumi.Resource,
    k8s_name: str,
    placement: KubernetesPlacement,
    selector: Mapping[str, str],
    containers: Sequence[core.ContainerArgs],
    *,
    volumes: Sequence[core.VolumeArgs] = (),
    annotations: Mapping[str, str] | None = None,
    replicas: int = 1,
    service_account: pulumi.Input[str] | None = None,
    recreate: bool = False,
    ignore_changes: Sequence[str] = (),
    run_as_user: int | None = None,
) -> apps.Deployment:
    return apps.Deployment(
        child(name, "deployment"),
        metadata=metadata(k8s_name, placement, selector),
        spec=apps.DeploymentSpecArgs(
            replicas=replicas,
            selector=meta.LabelSelectorArgs(match_labels=dict(selector)),
            # Recreate for single-writer state (Prometheus' TSDB, the healer's SQLite journal).
            strategy=apps.DeploymentStrategyArgs(type="Recreate") if recreate else None,
            template=core.PodTemplateSpecArgs(
                metadata=meta.ObjectMetaArgs(
                    labels=part_of({**placement.labels, **selector}),
                    annotations=dict(annotations) if annotations else None,
                ),
                spec=core.PodSpecArgs(
                    service_account_name=service_account,
                    automount_service_account_token=service_account is not None,
                    # A numeric uid where the image names its user (`USER nobody` in prom/*): the
                    # kubelet cannot check runAsNonRoot against a user name.
                    security_context=core.PodSecurityContextArgs(
                        run_as_non_root=True, run_as_user=run_as_user
                    ),
                    containers=list(containers),
                    volumes=list(volumes) or None,
                ),
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=list(ignore_changes) or None),
    )


def service(
    name: str,
    parent: pulumi.Resource,
    k8s_name: str,
    placement: KubernetesPlacement,
    selector: Mapping[str, str],
    port: int,
    labels: Mapping[str, str] | None = None,
) -> core.Service:
    return core.Service(
        child(name, "service"),
        metadata=metadata(k8s_name, placement, {**selector, **(labels or {})}),
        spec=core.ServiceSpecArgs(
            selector=dict(selector),
            ports=[core.ServicePortArgs(name="http", port=port, target_port="http")],
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
