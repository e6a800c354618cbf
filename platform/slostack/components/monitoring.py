"""`Monitoring`: Prometheus with the rendered config and SLO rules.

Docker and plain Kubernetes run a Prometheus of our own from the bundle's `prometheus/` files; with a
prometheus-operator installation the rules go in as `PrometheusRule`s and the app is scraped through a
`ServiceMonitor`, so the installation's Prometheus does the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from .. import conventions
from . import images
from .files import configmap_files, files_digest, under
from .placement import ArgsError, DockerPlacement, KubernetesPlacement, Placement, check_name, child
from .slo_rules import RULES_PREFIX, SloRules, SloRulesArgs

__all__ = ["CONFIG_DIR", "AppScrape", "Monitoring", "MonitoringArgs", "runtime_files"]

TYPE = "slostack:index:Monitoring"
CONFIG_DIR = "/etc/prometheus"  # the image's own config folder; rendered paths are relative to it
PREFIX = "prometheus/"
# promtool unit tests are a CI artifact: shipping them would restart Prometheus for nothing.
NOT_DEPLOYED = ("prometheus/tests/",)


@dataclass(frozen=True)
class AppScrape:
    """How a ServiceMonitor finds the app (operator mode): its Service's labels and scrape settings."""

    selector: Mapping[str, str]
    path: str = "/metrics"
    interval: str = "15s"
    port: str = "http"
    job_label: str = "slostack.dev/scrape-job"  # a Service label whose value is the scrape job


@dataclass(frozen=True)
class MonitoringArgs:
    bundle: Mapping[str, str]
    placement: Placement
    host: str  # the Prometheus address' host part, as rendered (e.g. `checkout-prometheus`)
    port: int = 9090
    image: str = images.PROMETHEUS
    app: AppScrape | None = None  # operator mode: the ServiceMonitor for it (None: scrape nothing new)
    external_url: str | None = None  # operator mode: the installation's Prometheus, for outputs
    host_port: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


def runtime_files(bundle: Mapping[str, str]) -> dict[str, str]:
    """Every `prometheus/` file Prometheus reads at run time, relative to its config folder."""
    return under(bundle, PREFIX, exclude=NOT_DEPLOYED)


class Monitoring(pulumi.ComponentResource):
    url: pulumi.Output[str]
    rules_digest: pulumi.Output[str]
    config_digest: pulumi.Output[str]  # config + rules: what a running Prometheus has loaded

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_name("Monitoring", name)
        files = runtime_files(args.bundle)
        if not any(rel.startswith("rules/") for rel in files):
            raise ArgsError("Monitoring", name, f"the bundle has no {RULES_PREFIX} files")
        operator = isinstance(args.placement, KubernetesPlacement) and args.placement.operator
        super().__init__(TYPE, name, None, opts)

        config_name = conventions.PROMETHEUS_CONFIG.removeprefix(PREFIX)
        if not operator and config_name not in files:
            pulumi.log.warn(
                f"{name}: the bundle has no {conventions.PROMETHEUS_CONFIG}; Prometheus starts with its "
                "image's default config and loads no SLO rules",
                resource=self,
            )
        url = f"http://{args.host}:{args.port}"
        if isinstance(args.placement, DockerPlacement):
            self._docker(name, args, args.placement, files)
        elif operator:
            self._operator(name, args, args.placement)
            url = args.external_url or ""
        else:
            self._kubernetes(name, args, args.placement, files)
        self.url = pulumi.Output.from_input(url)
        self.rules_digest = pulumi.Output.from_input(files_digest(under(args.bundle, RULES_PREFIX)))
        self.config_digest = pulumi.Output.from_input(files_digest(files))
        self.register_outputs(
            {"url": self.url, "rules_digest": self.rules_digest, "config_digest": self.config_digest}
        )

    def _command(self, args: MonitoringArgs) -> list[str]:
        return [
            f"--config.file={CONFIG_DIR}/{conventions.PROMETHEUS_CONFIG.removeprefix(PREFIX)}",
            "--storage.tsdb.path=/prometheus",
            f"--web.listen-address=:{args.port}",
        ]

    def _docker(
        self, name: str, args: MonitoringArgs, placement: DockerPlacement, files: dict[str, str]
    ) -> None:
        import pulumi_docker as docker

        from . import docker_parts as parts

        image = parts.remote_image(name, args.image, self)
        # A named volume: the container is replaced whenever the rules change, the TSDB (30 days of
        # SLI history for a 30d SLO) must outlive it.
        data = docker.Volume(
            child(name, "data"),
            name=f"{parts.container_name(placement, args.host)}-data",
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        parts.service_container(
            name,
            self,
            placement,
            args.host,
            image=image.image_id,
            port=args.port,
            host_port=args.host_port,
            labels={**placement.labels, **args.labels},
            health=parts.wget_ready(args.port, "/-/ready"),
            command=self._command(args),
            uploads=parts.uploads(files, CONFIG_DIR),
            volumes=[docker.ContainerVolumeArgs(volume_name=data.name, container_path="/prometheus")],
        )

    def _kubernetes(
        self, name: str, args: MonitoringArgs, placement: KubernetesPlacement, files: dict[str, str]
    ) -> None:
        from pulumi_kubernetes.core import v1 as core

        from . import k8s_parts as parts

        rules = {rel: text for rel, text in files.items() if rel.startswith("rules/")}
        others = {rel: text for rel, text in files.items() if rel not in rules}
        slo_rules = SloRules(
            child(name, "rules"),
            SloRulesArgs(
                bundle={f"{PREFIX}{rel}": text for rel, text in rules.items()},
                namespace=placement.namespace,
                kind="ConfigMap",
                configmap_name=f"{args.host}-rules",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        config_cm, config_packed = parts.config_map(
            child(name, "config"), self, f"{args.host}-config", placement, others
        )
        # Rules live in their own ConfigMap (the one SloRules made), mounted below the config folder.
        rules_packed = configmap_files(under(args.bundle, RULES_PREFIX))
        rules_items = [core.KeyToPathArgs(key=i["key"], path=i["path"]) for i in rules_packed.items]
        selector = {"app.kubernetes.io/name": args.host, "app.kubernetes.io/component": "prometheus"}
        container = core.ContainerArgs(
            name="prometheus",
            image=args.image,
            args=self._command(args),
            ports=[core.ContainerPortArgs(name="http", container_port=args.port)],
            readiness_probe=parts.http_probe("/-/ready", "http"),
            liveness_probe=parts.http_probe("/-/healthy", "http"),
            volume_mounts=[
                core.VolumeMountArgs(name="config", mount_path=CONFIG_DIR, read_only=True),
                core.VolumeMountArgs(name="rules", mount_path=f"{CONFIG_DIR}/rules", read_only=True),
                core.VolumeMountArgs(name="data", mount_path="/prometheus"),
            ],
            security_context=parts.container_security(),
        )
        parts.deployment(
            name,
            self,
            args.host,
            placement,
            selector,
            [container],
            volumes=[
                parts.config_volume("config", config_cm, config_packed),
                core.VolumeArgs(
                    name="rules",
                    config_map=core.ConfigMapVolumeSourceArgs(
                        name=slo_rules.object_names[0], items=rules_items
                    ),
                ),
                core.VolumeArgs(name="data", empty_dir=core.EmptyDirVolumeSourceArgs()),
            ],
            run_as_user=parts.NOBODY,
            annotations={parts.CONFIG_DIGEST: files_digest(files)},
            recreate=True,
        )
        parts.service(name, self, args.host, placement, selector, args.port)

    def _operator(self, name: str, args: MonitoringArgs, placement: KubernetesPlacement) -> None:
        from pulumi_kubernetes import apiextensions

        from . import k8s_parts as parts

        SloRules(
            child(name, "rules"),
            SloRulesArgs(
                bundle=args.bundle,
                namespace=placement.namespace,
                kind="PrometheusRule",
                labels=placement.selector_labels,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.app is None:
            return  # rules without a service of ours: whatever the installation scrapes feeds them
        apiextensions.CustomResource(
            child(name, "servicemonitor"),
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=parts.metadata(args.host, placement, placement.selector_labels),
            spec={
                "jobLabel": args.app.job_label,
                "selector": {"matchLabels": dict(args.app.selector)},
                "endpoints": [{"port": args.app.port, "path": args.app.path, "interval": args.app.interval}],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
