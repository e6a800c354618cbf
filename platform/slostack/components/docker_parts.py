"""Small builders for pulumi-docker inputs that every Docker-side component repeats."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_docker as docker

from .placement import DockerPlacement, child

__all__ = [
    "PREVIOUS_IMAGE_LABEL",
    "RESTART",
    "TARGET_LABEL",
    "VERSION_LABEL",
    "container_name",
    "healthcheck",
    "labels",
    "network",
    "published",
    "python_ready",
    "remote_image",
    "service_container",
    "uploads",
    "wget_ready",
]

# The docker actuator finds a target's containers by these labels and rolls back to the image in
# `previous-image` (healer/actuators/docker_sdk.py); a test pins the two spellings together.
TARGET_LABEL = "slostack.target"
PREVIOUS_IMAGE_LABEL = "slostack.previous-image"
VERSION_LABEL = "slostack.version"
# Restarted after a crash or a daemon restart, but not after a deliberate `docker stop`.
RESTART = "unless-stopped"


def container_name(placement: DockerPlacement, host: str) -> str:
    return f"{placement.prefix}-{host}"


def remote_image(name: str, reference: str, parent: pulumi.Resource) -> docker.RemoteImage:
    # keep_locally: a `pulumi destroy` must not delete an image other stacks on the daemon use.
    return docker.RemoteImage(
        child(name, "image"),
        name=reference,
        keep_locally=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def uploads(files: Mapping[str, pulumi.Input[str]], directory: str) -> list[docker.ContainerUploadArgs]:
    """Each file's CONTENT into the container under `directory` (relative paths keep their folders)."""
    return [
        docker.ContainerUploadArgs(file=posixpath.join(directory, rel), content=text)
        for rel, text in sorted(files.items())
    ]


def network(placement: DockerPlacement, host: str) -> list[docker.ContainerNetworksAdvancedArgs]:
    # The alias is the host name the rendered configs use (render.options.default_endpoints).
    return [docker.ContainerNetworksAdvancedArgs(name=placement.network, aliases=[host])]


def labels(values: Mapping[str, str]) -> list[docker.ContainerLabelArgs]:
    return [docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(values.items())]


_label_args = labels  # `service_container` takes a parameter named `labels`


def healthcheck(test: Sequence[str]) -> docker.ContainerHealthcheckArgs:
    return docker.ContainerHealthcheckArgs(
        tests=list(test), interval="10s", timeout="3s", retries=3, start_period="15s"
    )


def wget_ready(port: int, path: str) -> list[str]:
    """For the busybox-based prom/* images, which have wget but no curl."""
    return ["CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}"]


def published(placement: DockerPlacement, port: int, host_port: int | None) -> list[docker.ContainerPortArgs]:
    if not placement.publish or host_port is None:
        return []
    return [docker.ContainerPortArgs(internal=port, external=host_port, ip="127.0.0.1")]


def python_ready(port: int, path: str) -> list[str]:
    """For the Python images (app, healer), which have neither wget nor curl."""
    probe = (
        "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen("
        f"'http://127.0.0.1:{port}{path}', timeout=2).status == 200 else 1)"
    )
    return ["CMD", "python", "-c", probe]


def service_container(
    name: str,
    parent: pulumi.Resource,
    placement: DockerPlacement,
    host: str,
    *,
    image: pulumi.Input[str],
    port: int,
    host_port: int | None,
    labels: Mapping[str, str],
    health: Sequence[str],
    **settings: Any,
) -> docker.Container:
    """One long-running container of the stack: on the stack's network under its rendered host name,
    published on 127.0.0.1 only when asked, labelled, health-checked, restarted unless stopped.
    `settings` are the container's own (command, uploads, volumes...); `networks_advanced` may replace
    the default network."""
    settings.setdefault("networks_advanced", network(placement, host))
    return docker.Container(
        child(name, "container"),
        name=container_name(placement, host),
        image=image,
        ports=published(placement, port, host_port),
        labels=_label_args(labels),
        healthcheck=healthcheck(health),
        restart=RESTART,
        opts=pulumi.ResourceOptions(parent=parent),
        **settings,
    )
