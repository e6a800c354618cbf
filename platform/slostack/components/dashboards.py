"""`Dashboards`: the rendered Grafana dashboards, with a Grafana provisioned to show them.

Docker and plain Kubernetes run a Grafana of our own, provisioned from the bundle's
`grafana/provisioning/` files. Everywhere, each dashboard is also a ConfigMap labelled for the Grafana
sidecar (`grafana_dashboard: "1"`), which is all an existing kube-prometheus installation needs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from .. import conventions
from . import images
from .files import files_digest, under
from .placement import ArgsError, DockerPlacement, KubernetesPlacement, Placement, check_name, child

__all__ = ["DASHBOARDS_DIR", "SIDECAR_LABEL", "Dashboards", "DashboardsArgs"]

TYPE = "slostack:index:Dashboards"
PROVISIONING_PREFIX = "grafana/provisioning/"
DASHBOARDS_PREFIX = conventions.GRAFANA_DASHBOARDS_DIR + "/"
PROVISIONING_DIR = "/etc/grafana/provisioning"  # the image's GF_PATHS_PROVISIONING
# Where we put the dashboard files; the rendered provider reads the folder from an env variable.
DASHBOARDS_DIR = "/var/lib/slostack/dashboards"
SIDECAR_LABEL = ("grafana_dashboard", "1")  # kube-prometheus-stack's default sidecar label
FOLDER_ANNOTATION = "grafana_folder"  # the sidecar's folderAnnotation, where one is configured


@dataclass(frozen=True)
class DashboardsArgs:
    bundle: Mapping[str, str]
    placement: Placement
    host: str = ""  # as rendered (e.g. `checkout-grafana`); unused when only ConfigMaps are made
    port: int = 3000
    image: str = images.GRAFANA
    run_grafana: bool | None = None  # None: not with an operator installation (it has a Grafana)
    sidecar_label: tuple[str, str] = SIDECAR_LABEL
    folder: str | None = None  # the sidecar's folder annotation (`grafana_folder`), if yours uses it
    host_port: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


def _object_name(prefix: str, rel: str) -> str:
    stem = posixpath.basename(rel).removesuffix(".json")
    return re.sub(r"[^a-z0-9-]+", "-", f"{prefix}-{stem}".lower()).strip("-")[:63]


class Dashboards(pulumi.ComponentResource):
    url: pulumi.Output[str]
    dashboards: pulumi.Output[list[str]]  # bundle paths of the dashboards delivered
    dashboards_digest: pulumi.Output[str]

    def __init__(self, name: str, args: DashboardsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_name("Dashboards", name)
        boards = under(args.bundle, DASHBOARDS_PREFIX)
        provisioning = under(args.bundle, PROVISIONING_PREFIX)
        placement = args.placement
        operator = isinstance(placement, KubernetesPlacement) and placement.operator
        run_grafana = (not operator) if args.run_grafana is None else args.run_grafana
        if run_grafana and not args.host:
            raise ArgsError("Dashboards", name, "running Grafana needs `host` (its rendered address)")
        if isinstance(placement, DockerPlacement) and not run_grafana:
            raise ArgsError("Dashboards", name, "on Docker the dashboards live in the Grafana it runs")
        super().__init__(TYPE, name, None, opts)

        if not boards:
            pulumi.log.warn(f"{name}: the bundle has no {DASHBOARDS_PREFIX} files yet", resource=self)
        if run_grafana and not provisioning:
            pulumi.log.warn(f"{name}: the bundle has no {PROVISIONING_PREFIX} files yet", resource=self)
        url = f"http://{args.host}:{args.port}" if run_grafana else ""
        if isinstance(placement, DockerPlacement):
            self._docker(name, args, placement, boards, provisioning)
        else:
            maps = self._dashboard_maps(name, args, placement, boards)
            if run_grafana:
                self._kubernetes(name, args, placement, boards, provisioning, maps)
        self.url = pulumi.Output.from_input(url)
        self.dashboards = pulumi.Output.from_input([DASHBOARDS_PREFIX + rel for rel in boards])
        self.dashboards_digest = pulumi.Output.from_input(files_digest(boards))
        self.register_outputs(
            {"url": self.url, "dashboards": self.dashboards, "dashboards_digest": self.dashboards_digest}
        )

    def _env(self, args: DashboardsArgs) -> dict[str, str]:
        return {
            conventions.GRAFANA_DASHBOARDS_ENV: DASHBOARDS_DIR,
            "GF_SERVER_HTTP_PORT": str(args.port),
            # A dev stack's Grafana: look without logging in, change nothing.
            "GF_AUTH_ANONYMOUS_ENABLED": "true",
            "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
            "GF_ANALYTICS_REPORTING_ENABLED": "false",
        }

    def _docker(
        self,
        name: str,
        args: DashboardsArgs,
        placement: DockerPlacement,
        boards: dict[str, str],
        provisioning: dict[str, str],
    ) -> None:

        from . import docker_parts as parts

        image = parts.remote_image(name, args.image, self)
        parts.service_container(
            name,
            self,
            placement,
            args.host,
            image=image.image_id,
            port=args.port,
            host_port=args.host_port,
            labels={**placement.labels, **args.labels},
            health=parts.wget_ready(args.port, "/api/health"),
            envs=[f"{k}={v}" for k, v in sorted(self._env(args).items())],
            uploads=parts.uploads(provisioning, PROVISIONING_DIR) + parts.uploads(boards, DASHBOARDS_DIR),
        )

    def _dashboard_maps(
        self, name: str, args: DashboardsArgs, placement: KubernetesPlacement, boards: dict[str, str]
    ) -> list[tuple[pulumi.Output[str], str, str]]:
        """One ConfigMap per dashboard (each may be large; a ConfigMap holds 1 MiB)."""
        from . import k8s_parts as parts

        key, value = args.sidecar_label
        prefix = args.host or name
        maps = []
        for rel, text in boards.items():
            obj = _object_name(prefix, rel)
            filename = posixpath.basename(rel)
            cm, _ = parts.config_map(
                child(name, obj.removeprefix(f"{prefix}-")),
                self,
                obj,
                placement,
                {filename: text},
                {key: value, **args.labels},
                {FOLDER_ANNOTATION: args.folder} if args.folder else None,
            )
            maps.append((cm.metadata.name, filename, rel))
        return maps

    def _kubernetes(
        self,
        name: str,
        args: DashboardsArgs,
        placement: KubernetesPlacement,
        boards: dict[str, str],
        provisioning: dict[str, str],
        maps: list[tuple[pulumi.Output[str], str, str]],
    ) -> None:
        from pulumi_kubernetes.core import v1 as core

        from . import k8s_parts as parts

        prov_cm, prov_packed = parts.config_map(
            child(name, "provisioning"), self, f"{args.host}-provisioning", placement, provisioning
        )
        # Every dashboard ConfigMap projected into one folder, as the rendered provider expects.
        boards_volume = core.VolumeArgs(
            name="dashboards",
            projected=core.ProjectedVolumeSourceArgs(
                sources=[
                    core.VolumeProjectionArgs(
                        config_map=core.ConfigMapProjectionArgs(
                            name=cm_name, items=[core.KeyToPathArgs(key=filename, path=rel)]
                        )
                    )
                    for cm_name, filename, rel in maps
                ]
            ),
        )
        selector = {"app.kubernetes.io/name": args.host, "app.kubernetes.io/component": "grafana"}
        container = core.ContainerArgs(
            name="grafana",
            image=args.image,
            env=[core.EnvVarArgs(name=k, value=v) for k, v in sorted(self._env(args).items())],
            ports=[core.ContainerPortArgs(name="http", container_port=args.port)],
            readiness_probe=parts.http_probe("/api/health", "http"),
            volume_mounts=[
                core.VolumeMountArgs(name="provisioning", mount_path=PROVISIONING_DIR, read_only=True),
                core.VolumeMountArgs(name="dashboards", mount_path=DASHBOARDS_DIR, read_only=True),
            ],
            security_context=parts.container_security(),
        )
        volumes = [parts.config_volume("provisioning", prov_cm, prov_packed)]
        if maps:
            volumes.append(boards_volume)
        else:
            volumes.append(core.VolumeArgs(name="dashboards", empty_dir=core.EmptyDirVolumeSourceArgs()))
        parts.deployment(
            name,
            self,
            args.host,
            placement,
            selector,
            [container],
            volumes=volumes,
            run_as_user=parts.GRAFANA_UID,
            annotations={parts.CONFIG_DIGEST: files_digest({**provisioning, **boards})},
        )
        parts.service(name, self, args.host, placement, selector, args.port)
