"""`ReliabilityStack(name, spec, target)`: the whole stack of one spec, from one rendered Bundle.

It renders once, then hands each part its slice: the app (SampleService), Prometheus and the rules
(Monitoring), Alertmanager (AlertRouting), Grafana (Dashboards) and the Healer. On Docker it also
makes the network they share, on Kubernetes the namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from ..render.options import RenderOptions
from ..render.stack import has_healer
from ..spec.model import Spec
from . import images
from .alert_routing import AlertRouting, AlertRoutingArgs
from .dashboards import Dashboards, DashboardsArgs
from .healer import Healer, HealerArgs
from .monitoring import AppScrape, Monitoring, MonitoringArgs
from .placement import ArgsError, DockerPlacement, KubernetesPlacement, Placement, check_name, child
from .sample_service import SampleService, SampleServiceArgs
from .secrets import HealerToken
from .targets import (
    Target,
    TargetError,
    alertmanager_secret_paths,
    bundle_for,
    check_target,
    healer_secret_paths,
    may_scale,
    render_options,
    service_host,
)

__all__ = ["DEFAULT_HOST_PORTS", "ReliabilityStack", "ReliabilityStackArgs"]

TYPE = "slostack:index:ReliabilityStack"
# Docker: where a developer opens each UI, on 127.0.0.1 only.
DEFAULT_HOST_PORTS: Mapping[str, int] = {
    "app": 8000,
    "prometheus": 9090,
    "alertmanager": 9093,
    "grafana": 3000,
}


@dataclass(frozen=True)
class ReliabilityStackArgs:
    """Everything besides the spec; the defaults make a dev stack on the local Docker daemon."""

    healer_token: pulumi.Input[str] | None = None  # required with a healer: a secret read from a file
    secret_files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # spec path -> content
    namespace: str | None = None  # Kubernetes; default the spec's deploy.namespace, else its name
    operator: bool | None = None  # Kubernetes; default the spec's deploy.operator
    selector_labels: Mapping[str, str] = field(default_factory=dict)  # operator installation selectors
    prometheus_endpoint: str | None = None  # operator mode: the installation's Prometheus host:port
    alertmanager_endpoint: str | None = None
    app_image: str | None = None  # overrides the spec's image (Kubernetes cannot build)
    previous_app_image: str | None = None  # the docker actuator rolls back to it
    healer_image: str = images.HEALER
    build_root: str = "."  # the spec's `build:` folder is resolved from here
    docker_prefix: str | None = None  # container names `<prefix>-<host>`; default the stack name
    publish: bool = True
    host_ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_HOST_PORTS))
    sloth_labels: bool = False
    render_options: RenderOptions | None = None  # None: the target's (components/targets.py)


class ReliabilityStack(pulumi.ComponentResource):
    bundle_digest: pulumi.Output[str]
    urls: pulumi.Output[dict[str, str]]  # app, prometheus, alertmanager, grafana, healer
    namespace: pulumi.Output[str]  # Kubernetes namespace, or the Docker network's name

    def __init__(
        self,
        name: str,
        spec: Spec,
        target: Target | str,
        args: ReliabilityStackArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        check_name("ReliabilityStack", name)
        args = args or ReliabilityStackArgs()
        try:
            target = check_target(target)
        except TargetError as e:
            raise ArgsError("ReliabilityStack", name, str(e)) from None
        healer = has_healer(spec)
        if healer and args.healer_token is None:
            raise ArgsError(
                "ReliabilityStack", name, "the spec heals: give `healer_token` (read from a file)"
            )
        missing = sorted(
            set(alertmanager_secret_paths(spec) + healer_secret_paths(spec)) - set(args.secret_files)
        )
        if missing:
            raise ArgsError(
                "ReliabilityStack", name, f"secret files the spec names are not given: {', '.join(missing)}"
            )
        namespace = args.namespace or spec.deploy.namespace or spec.name
        operator = target == "kubernetes" and (
            spec.deploy.operator if args.operator is None else args.operator
        )
        options = args.render_options or render_options(
            spec,
            target,
            namespace=namespace,
            operator=operator,
            prometheus=args.prometheus_endpoint,
            alertmanager=args.alertmanager_endpoint,
            sloth_labels=args.sloth_labels,
        )
        bundle = bundle_for(spec, options)  # rendering errors surface before anything registers
        where = options.endpoints
        assert where is not None
        super().__init__(TYPE, name, None, opts)

        placement: Placement
        if target == "docker":
            import pulumi_docker as docker

            prefix = args.docker_prefix or f"{name}-{pulumi.get_stack()}"
            net = docker.Network(
                child(name, "network"), name=prefix, opts=pulumi.ResourceOptions(parent=self)
            )
            placement = DockerPlacement(network=net.name, prefix=prefix, publish=args.publish)
            self.namespace = net.name
        else:
            from pulumi_kubernetes.core import v1 as core

            from .placement import part_of

            ns = core.Namespace(
                child(name, "namespace"),
                metadata={"name": namespace, "labels": part_of()},
                opts=pulumi.ResourceOptions(parent=self),
            )
            placement = KubernetesPlacement(
                namespace=ns.metadata.name, operator=operator, selector_labels=dict(args.selector_labels)
            )
            self.namespace = ns.metadata.name
        ports = args.host_ports if target == "docker" else {}
        child_opts = pulumi.ResourceOptions(parent=self)
        urls: dict[str, pulumi.Input[str]] = {}

        if spec.service is not None:
            app = SampleService(
                child(name, "app"),
                SampleServiceArgs(
                    service=spec.service,
                    placement=placement,
                    host=service_host(where.app[0]),
                    image=args.app_image,
                    build_root=args.build_root,
                    previous_image=args.previous_app_image,
                    keep_replicas=may_scale(spec),
                    host_port=ports.get("app"),
                ),
                opts=child_opts,
            )
            urls["app"] = app.url
        scrape = None
        if spec.service is not None:
            scrape = AppScrape(
                selector={"app.kubernetes.io/name": spec.service.name, "app.kubernetes.io/component": "app"},
                path=spec.service.scrape_path,
                interval=str(spec.service.scrape_interval),
            )
        monitoring = Monitoring(
            child(name, "monitoring"),
            MonitoringArgs(
                bundle=bundle,
                placement=placement,
                host=service_host(where.prometheus),
                app=scrape,
                external_url=f"http://{where.prometheus}" if operator else None,
                host_port=ports.get("prometheus"),
            ),
            opts=child_opts,
        )
        urls["prometheus"] = monitoring.url
        token: HealerToken | None = None
        if healer:
            assert args.healer_token is not None
            healer_part = Healer(
                child(name, "healer"),
                HealerArgs(
                    bundle=bundle,
                    placement=placement,
                    host=service_host(where.healer),
                    token=args.healer_token,
                    image=args.healer_image,
                    prometheus_url=f"http://{where.prometheus}",
                    secret_files={p: args.secret_files[p] for p in healer_secret_paths(spec)},
                ),
                opts=child_opts,
            )
            urls["healer"] = healer_part.url
            token = HealerToken(
                value=args.healer_token,
                secret_name=healer_part.token_secret if target == "kubernetes" else None,
            )
        routing = AlertRouting(
            child(name, "alerting"),
            AlertRoutingArgs(
                bundle=bundle,
                placement=placement,
                host=service_host(where.alertmanager),
                token=token,
                secret_files={p: args.secret_files[p] for p in alertmanager_secret_paths(spec)},
                external_url=f"http://{where.alertmanager}" if operator else None,
                host_port=ports.get("alertmanager"),
            ),
            opts=child_opts,
        )
        urls["alertmanager"] = routing.url
        dashboards = Dashboards(
            child(name, "dashboards"),
            DashboardsArgs(
                bundle=bundle,
                placement=placement,
                host=service_host(where.grafana),
                host_port=ports.get("grafana"),
            ),
            opts=child_opts,
        )
        urls["grafana"] = dashboards.url
        if target == "docker" and args.publish:
            # What a developer opens: the published ports, not the network-internal names.
            for part, port in ports.items():
                if part in urls:
                    urls[part] = f"http://127.0.0.1:{port}"
        self.bundle_digest = pulumi.Output.from_input(bundle.digest)
        self.urls = pulumi.Output.all(**urls).apply(lambda u: {k: v for k, v in u.items() if v})
        self.register_outputs(
            {"bundle_digest": self.bundle_digest, "urls": self.urls, "namespace": self.namespace}
        )
