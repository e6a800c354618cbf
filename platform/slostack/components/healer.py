"""`Healer`: the webhook Alertmanager pages, with exactly the access its actuator needs.

Docker: the docker actuator restarts and recreates containers through the Docker API. Handing a
container the Docker socket hands it root on the host, read-only mount or not (`:ro` stops writes to
the socket FILE, not API calls through it). So by default the healer never sees the socket: a
socket proxy on a network only the two of them share answers the container, image and network calls
the actuator makes (list, inspect, restart, pull, create, rename, start, stop, remove, connect) and
nothing else (no exec, no volumes, no swarm, no build). `docker_access="socket"` mounts the socket
read-only instead, for daemons where the proxy image cannot run; prefer the proxy.

Kubernetes: a ServiceAccount bound to a Role in the namespace with exactly the verbs the kubernetes
actuator uses (RBAC_RULES); the token comes from a Secret made from a file, never from the program.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from ..render.healer_policy import POLICY_PATH
from . import images
from .files import files_digest, under
from .placement import ArgsError, DockerPlacement, KubernetesPlacement, Placement, check_name, child
from .secrets import container_path
from .targets import HEALER_TOKEN_PATH

__all__ = ["RBAC_RULES", "Healer", "HealerArgs", "healer_command"]

TYPE = "slostack:index:Healer"
CONFIG_DIR = "/etc/slostack"  # bundle `healer/` files land under it; relative secret paths too
STATE_DIR = "/var/lib/slostack-healer"
PREFIX = "healer/"
PROXY_PORT = 2375
PROXY_ALIAS = "docker-proxy"
# The kubernetes actuator's calls, and nothing more: read and patch Deployments (restart by
# annotation, rollback by template), scale through the scale subresource, read ReplicaSets to find
# the previous template.
RBAC_RULES: tuple[dict[str, list[str]], ...] = (
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch", "patch"]},
    {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "patch"]},
    {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list"]},
)
# What the socket proxy lets through (tecnativa/docker-socket-proxy switches; all else is denied).
PROXY_ALLOW = {"CONTAINERS": "1", "IMAGES": "1", "NETWORKS": "1", "POST": "1"}


@dataclass(frozen=True)
class HealerArgs:
    bundle: Mapping[str, str]
    placement: Placement
    host: str  # as rendered (e.g. `checkout-healer`)
    token: pulumi.Input[str]  # the webhook bearer token, a secret read from a file by the caller
    port: int = 8080
    image: str = images.HEALER
    prometheus_url: str | None = None  # for verifying a remedy worked; None: by alert resolution
    # Files the healer reads (webhook URLs it relays to): the path the spec names -> content.
    secret_files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    docker_access: Literal["socket-proxy", "socket"] = "socket-proxy"
    docker_socket: str = "/var/run/docker.sock"
    proxy_image: str = images.SOCKET_PROXY
    host_port: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


def healer_command(actuator: str, port: int, prometheus_url: str | None) -> list[str]:
    """`python -m slostack.healer` with the files where this component puts them."""
    command = [
        "python",
        "-m",
        "slostack.healer",
        "--policy",
        f"{CONFIG_DIR}/{POLICY_PATH}",
        "--token-file",
        HEALER_TOKEN_PATH,
        "--state",
        f"{STATE_DIR}/healer.db",
        "--host",
        "0.0.0.0",  # noqa: S104 - inside its container/pod; only the network/Service exposes it
        "--port",
        str(port),
        "--actuator",
        actuator,
    ]
    if prometheus_url:
        command += ["--prometheus", prometheus_url]
    return command


class Healer(pulumi.ComponentResource):
    url: pulumi.Output[str]
    policy_digest: pulumi.Output[str]
    service_account: pulumi.Output[str]  # Kubernetes: who the healer acts as ("" on Docker)
    token_secret: pulumi.Output[str]  # Kubernetes: the Secret holding the token ("" on Docker)

    def __init__(self, name: str, args: HealerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_name("Healer", name)
        files = under(args.bundle, PREFIX)
        if POLICY_PATH.removeprefix(PREFIX) not in files:
            raise ArgsError("Healer", name, f"the bundle has no {POLICY_PATH}")
        if isinstance(args.token, str):
            raise ArgsError("Healer", name, "pass the token as a secret Output read from a file, not a str")
        if args.docker_access not in ("socket-proxy", "socket"):
            raise ArgsError(
                "Healer", name, f"docker_access must be socket-proxy or socket ({args.docker_access!r})"
            )
        super().__init__(TYPE, name, None, opts)

        self.service_account = pulumi.Output.from_input("")
        self.token_secret = pulumi.Output.from_input("")
        if isinstance(args.placement, DockerPlacement):
            self._docker(name, args, args.placement, files)
        else:
            self._kubernetes(name, args, args.placement, files)
        self.url = pulumi.Output.from_input(f"http://{args.host}:{args.port}")
        self.policy_digest = pulumi.Output.from_input(files_digest(files))
        self.register_outputs(
            {
                "url": self.url,
                "policy_digest": self.policy_digest,
                "service_account": self.service_account,
                "token_secret": self.token_secret,
            }
        )

    def _docker(self, name: str, args: HealerArgs, placement: DockerPlacement, files: dict[str, str]) -> None:
        import pulumi_docker as docker

        from . import docker_parts as parts

        networks = parts.network(placement, args.host)
        envs: list[str] = []
        volumes = []
        if args.docker_access == "socket-proxy":
            # A network of two: only the healer can reach the proxy, and the proxy reaches nothing.
            private = docker.Network(
                child(name, "docker-net"),
                name=parts.container_name(placement, f"{args.host}-docker"),
                internal=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            proxy_image = docker.RemoteImage(
                child(name, "proxy-image"),
                name=args.proxy_image,
                keep_locally=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            docker.Container(
                child(name, "docker-proxy"),
                name=parts.container_name(placement, f"{args.host}-docker-proxy"),
                image=proxy_image.image_id,
                envs=[f"{k}={v}" for k, v in sorted(PROXY_ALLOW.items())],
                volumes=[
                    docker.ContainerVolumeArgs(
                        host_path=args.docker_socket, container_path="/var/run/docker.sock", read_only=True
                    )
                ],
                networks_advanced=[
                    docker.ContainerNetworksAdvancedArgs(name=private.name, aliases=[PROXY_ALIAS])
                ],
                labels=parts.labels({**placement.labels, **args.labels}),
                restart=parts.RESTART,
                opts=pulumi.ResourceOptions(parent=self),
            )
            networks.append(docker.ContainerNetworksAdvancedArgs(name=private.name))
            envs.append(f"DOCKER_HOST=tcp://{PROXY_ALIAS}:{PROXY_PORT}")
        else:
            volumes.append(
                docker.ContainerVolumeArgs(
                    host_path=args.docker_socket, container_path="/var/run/docker.sock", read_only=True
                )
            )
        state = docker.Volume(
            child(name, "state"),
            name=f"{parts.container_name(placement, args.host)}-state",
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        volumes.append(docker.ContainerVolumeArgs(volume_name=state.name, container_path=STATE_DIR))
        secrets: dict[str, pulumi.Input[str]] = {HEALER_TOKEN_PATH: args.token}
        secrets.update({container_path(p, CONFIG_DIR): c for p, c in args.secret_files.items()})
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
            health=parts.python_ready(args.port, "/health"),
            command=healer_command("docker", args.port, args.prometheus_url),
            working_dir=CONFIG_DIR,
            envs=envs,
            uploads=parts.uploads({PREFIX + rel: text for rel, text in files.items()}, CONFIG_DIR)
            + parts.uploads(secrets, "/"),
            volumes=volumes,
            networks_advanced=networks,
        )

    def _kubernetes(
        self, name: str, args: HealerArgs, placement: KubernetesPlacement, files: dict[str, str]
    ) -> None:
        from pulumi_kubernetes.core import v1 as core
        from pulumi_kubernetes.rbac import v1 as rbac

        from . import k8s_parts as parts

        opts = pulumi.ResourceOptions(parent=self)
        account = core.ServiceAccount(
            child(name, "serviceaccount"), metadata=parts.metadata(args.host, placement), opts=opts
        )
        role = rbac.Role(
            child(name, "role"),
            metadata=parts.metadata(args.host, placement),
            rules=[
                rbac.PolicyRuleArgs(api_groups=r["apiGroups"], resources=r["resources"], verbs=r["verbs"])
                for r in RBAC_RULES
            ],
            opts=opts,
        )
        rbac.RoleBinding(
            child(name, "rolebinding"),
            metadata=parts.metadata(args.host, placement),
            role_ref=rbac.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name
            ),
            subjects=[
                rbac.SubjectArgs(
                    kind="ServiceAccount", name=account.metadata.name, namespace=placement.namespace
                )
            ],
            opts=opts,
        )
        token = core.Secret(
            child(name, "token"),
            metadata=parts.metadata(f"{args.host}-token", placement),
            string_data={"token": args.token},
            opts=opts,
        )
        policy_cm, policy_packed = parts.config_map(
            child(name, "policy"), self, f"{args.host}-policy", placement, files
        )
        volumes = [
            parts.config_volume("policy", policy_cm, policy_packed),
            core.VolumeArgs(
                name="token",
                secret=core.SecretVolumeSourceArgs(
                    secret_name=token.metadata.name,
                    items=[core.KeyToPathArgs(key="token", path=HEALER_TOKEN_PATH.rsplit("/", 1)[1])],
                ),
            ),
            core.VolumeArgs(name="state", empty_dir=core.EmptyDirVolumeSourceArgs()),
        ]
        mounts = [
            core.VolumeMountArgs(
                name="policy", mount_path=f"{CONFIG_DIR}/{PREFIX.rstrip('/')}", read_only=True
            ),
            core.VolumeMountArgs(
                name="token", mount_path=HEALER_TOKEN_PATH.rsplit("/", 1)[0], read_only=True
            ),
            core.VolumeMountArgs(name="state", mount_path=STATE_DIR),
        ]
        if args.secret_files:
            relay = core.Secret(
                child(name, "secrets"),
                metadata=parts.metadata(f"{args.host}-secrets", placement),
                string_data={
                    f"f{i}": content for i, (_, content) in enumerate(sorted(args.secret_files.items()))
                },
                opts=opts,
            )
            volumes.append(
                core.VolumeArgs(
                    name="secrets", secret=core.SecretVolumeSourceArgs(secret_name=relay.metadata.name)
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
        selector = {"app.kubernetes.io/name": args.host, "app.kubernetes.io/component": "healer"}
        container = core.ContainerArgs(
            name="healer",
            image=args.image,
            command=healer_command("kubernetes", args.port, args.prometheus_url),
            working_dir=CONFIG_DIR,
            env=[
                core.EnvVarArgs(
                    name="SLOSTACK_NAMESPACE",
                    value_from=core.EnvVarSourceArgs(
                        field_ref=core.ObjectFieldSelectorArgs(field_path="metadata.namespace")
                    ),
                )
            ],
            ports=[core.ContainerPortArgs(name="http", container_port=args.port)],
            readiness_probe=parts.http_probe("/health", "http"),
            liveness_probe=parts.http_probe("/health", "http"),
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
            annotations={parts.CONFIG_DIGEST: files_digest(files)},
            service_account=account.metadata.name,
            recreate=True,  # one writer to the SQLite journal at a time
        )
        parts.service(name, self, args.host, placement, selector, args.port)
        self.service_account = account.metadata.name
        self.token_secret = token.metadata.name
