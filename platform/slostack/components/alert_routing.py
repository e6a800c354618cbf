"""`AlertRouting`: Alertmanager with the rendered routes; pages reach the humans and the healer.

Docker and plain Kubernetes run an Alertmanager of our own from the bundle's `alertmanager/` files.
With a prometheus-operator installation the same route tree goes in as an `AlertmanagerConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import yaml

from .. import conventions
from . import images
from .amconfig import AlertmanagerConfigError, alertmanager_config_spec
from .files import files_digest, under
from .placement import ArgsError, DockerPlacement, KubernetesPlacement, Placement, check_name, child
from .secrets import HealerToken, container_path
from .targets import HEALER_TOKEN_PATH

__all__ = ["CONFIG_DIR", "AlertRouting", "AlertRoutingArgs", "runtime_files"]

TYPE = "slostack:index:AlertRouting"
CONFIG_DIR = "/etc/alertmanager"
PREFIX = "alertmanager/"
NOT_DEPLOYED = ("alertmanager/tests/",)  # amtool routing cases: checked in CI, not read at run time


@dataclass(frozen=True)
class AlertRoutingArgs:
    bundle: Mapping[str, str]
    placement: Placement
    host: str  # as rendered (e.g. `checkout-alertmanager`)
    port: int = 9093
    image: str = images.ALERTMANAGER
    token: HealerToken | None = None  # required when the rendered routes reach the healer
    # Files Alertmanager reads secrets from (Slack URL, PagerDuty key...): the path the spec names ->
    # content. Relative paths resolve from the config folder, as Alertmanager resolves them.
    secret_files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    external_url: str | None = None  # operator mode: the installation's Alertmanager, for outputs
    host_port: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


def runtime_files(bundle: Mapping[str, str]) -> dict[str, str]:
    return under(bundle, PREFIX, exclude=NOT_DEPLOYED)


class AlertRouting(pulumi.ComponentResource):
    url: pulumi.Output[str]
    config_digest: pulumi.Output[str]

    def __init__(self, name: str, args: AlertRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_name("AlertRouting", name)
        files = runtime_files(args.bundle)
        config_rel = conventions.ALERTMANAGER_CONFIG.removeprefix(PREFIX)
        if config_rel not in files:
            raise ArgsError("AlertRouting", name, f"the bundle has no {conventions.ALERTMANAGER_CONFIG}")
        needs_token = HEALER_TOKEN_PATH in files[config_rel]
        if needs_token and args.token is None:
            raise ArgsError("AlertRouting", name, "the routes reach the healer: give the healer `token`")
        placement = args.placement
        k8s = isinstance(placement, KubernetesPlacement)
        if k8s and needs_token and (args.token is None or args.token.secret_name is None):
            raise ArgsError(
                "AlertRouting", name, "on Kubernetes the token must name its Secret (`secret_name`)"
            )
        operator_spec = None
        if isinstance(placement, KubernetesPlacement) and placement.operator:
            assert args.token is not None or not needs_token
            try:
                operator_spec = alertmanager_config_spec(
                    yaml.safe_load(files[config_rel]),
                    token_file=HEALER_TOKEN_PATH,
                    secret="",  # filled in below: the Secret's name may be an Output
                    key=args.token.key if args.token else "token",
                )
            except AlertmanagerConfigError as e:
                raise ArgsError("AlertRouting", name, str(e)) from None
        super().__init__(TYPE, name, None, opts)

        url = f"http://{args.host}:{args.port}"
        if isinstance(placement, DockerPlacement):
            self._docker(name, args, placement, files)
        elif operator_spec is not None:
            self._operator(name, args, placement, operator_spec)
            url = args.external_url or ""
        else:
            assert isinstance(placement, KubernetesPlacement)
            self._kubernetes(name, args, placement, files)
        self.url = pulumi.Output.from_input(url)
        self.config_digest = pulumi.Output.from_input(files_digest(files))
        self.register_outputs({"url": self.url, "config_digest": self.config_digest})

    def _command(self, args: AlertRoutingArgs) -> list[str]:
        return [
            f"--config.file={CONFIG_DIR}/{conventions.ALERTMANAGER_CONFIG.removeprefix(PREFIX)}",
            "--storage.path=/alertmanager",
            f"--web.listen-address=:{args.port}",
            "--cluster.listen-address=",  # one instance: no gossip port, no peers to wait for
        ]

    def _docker(
        self, name: str, args: AlertRoutingArgs, placement: DockerPlacement, files: dict[str, str]
    ) -> None:
        import pulumi_docker as docker

        from . import docker_parts as parts

        image = parts.remote_image(name, args.image, self)
        data = docker.Volume(  # silences and the notification log outlive a replaced container
            child(name, "data"),
            name=f"{parts.container_name(placement, args.host)}-data",
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        secrets: dict[str, pulumi.Input[str]] = {
            container_path(path, CONFIG_DIR): content for path, content in args.secret_files.items()
        }
        if args.token is not None:
            secrets[HEALER_TOKEN_PATH] = args.token.value
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
            uploads=parts.uploads(files, CONFIG_DIR) + parts.uploads(secrets, "/"),
            volumes=[docker.ContainerVolumeArgs(volume_name=data.name, container_path="/alertmanager")],
        )

    def _kubernetes(
        self, name: str, args: AlertRoutingArgs, placement: KubernetesPlacement, files: dict[str, str]
    ) -> None:
        from pulumi_kubernetes.core import v1 as core

        from . import k8s_parts as parts

        config_cm, packed = parts.config_map(
            child(name, "config"), self, f"{args.host}-config", placement, files
        )
        volumes = [parts.config_volume("config", config_cm, packed)]
        mounts = [core.VolumeMountArgs(name="config", mount_path=CONFIG_DIR, read_only=True)]
        if args.token is not None:
            volumes.append(_token_volume(args.token))
            mounts.append(
                core.VolumeMountArgs(
                    name="healer-token", mount_path=_dirname(HEALER_TOKEN_PATH), read_only=True
                )
            )
        if args.secret_files:
            secret = core.Secret(
                child(name, "secrets"),
                metadata=parts.metadata(f"{args.host}-secrets", placement),
                string_data={
                    f"f{i}": content for i, (_, content) in enumerate(sorted(args.secret_files.items()))
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
            volumes.append(
                core.VolumeArgs(
                    name="secrets", secret=core.SecretVolumeSourceArgs(secret_name=secret.metadata.name)
                )
            )
            for i, (path, _) in enumerate(sorted(args.secret_files.items())):
                mounts.append(
                    core.VolumeMountArgs(
                        name="secrets",
                        mount_path=container_path(path, CONFIG_DIR),
                        sub_path=f"f{i}",
                        read_only=True,
                    )
                )
        volumes.append(core.VolumeArgs(name="data", empty_dir=core.EmptyDirVolumeSourceArgs()))
        mounts.append(core.VolumeMountArgs(name="data", mount_path="/alertmanager"))
        selector = {"app.kubernetes.io/name": args.host, "app.kubernetes.io/component": "alertmanager"}
        container = core.ContainerArgs(
            name="alertmanager",
            image=args.image,
            args=self._command(args),
            ports=[core.ContainerPortArgs(name="http", container_port=args.port)],
            readiness_probe=parts.http_probe("/-/ready", "http"),
            liveness_probe=parts.http_probe("/-/healthy", "http"),
            volume_mounts=mounts,
            security_context=parts.container_security(),
        )
        parts.deployment(
            name,
            self,
            args.host,
            placement,
            selector,
            [container],
            volumes=volumes,
            run_as_user=parts.NOBODY,
            annotations={parts.CONFIG_DIGEST: files_digest(files)},
        )
        parts.service(name, self, args.host, placement, selector, args.port)

    def _operator(
        self, name: str, args: AlertRoutingArgs, placement: KubernetesPlacement, spec: dict[str, object]
    ) -> None:
        from pulumi_kubernetes import apiextensions

        from . import k8s_parts as parts

        secret_name = args.token.secret_name if args.token is not None else None

        def fill(secret: str | None) -> dict[str, object]:
            # The token Secret's name is only known once it is registered: write it into every
            # webhook that authenticates with the healer token.
            text = yaml.safe_dump(spec)
            filled = yaml.safe_load(text)
            for receiver in filled.get("receivers", []):
                for hook in receiver.get("webhookConfigs", []):
                    credentials = hook.get("httpConfig", {}).get("authorization", {}).get("credentials")
                    if credentials is not None:
                        credentials["name"] = secret
            return dict(filled)

        apiextensions.CustomResource(
            child(name, "config"),
            api_version="monitoring.coreos.com/v1alpha1",
            kind="AlertmanagerConfig",
            metadata=parts.metadata(args.host, placement, placement.selector_labels),
            spec=pulumi.Output.from_input(secret_name).apply(fill),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0]


def _token_volume(token: HealerToken) -> Any:
    from pulumi_kubernetes.core import v1 as core

    return core.VolumeArgs(
        name="healer-token",
        secret=core.SecretVolumeSourceArgs(
            secret_name=token.secret_name,
            items=[core.KeyToPathArgs(key=token.key, path=HEALER_TOKEN_PATH.rsplit("/", 1)[1])],
        ),
    )
