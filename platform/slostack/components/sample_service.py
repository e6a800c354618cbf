"""`SampleService`: the service under watch (the sample app, or any image speaking its contract).

Its contract: HTTP on `port`, `/health` (alive), `/ready` (take traffic), `/metrics`, config by env.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from ..spec.model import Service
from .placement import ArgsError, DockerPlacement, KubernetesPlacement, Placement, check_name, child

__all__ = ["SampleService", "SampleServiceArgs"]

TYPE = "slostack:index:SampleService"
_MIB = 1024 * 1024


@dataclass(frozen=True)
class SampleServiceArgs:
    service: Service  # `spec.service` of a loaded spec
    placement: Placement
    host: str | None = None  # the name others reach it by; default the service name
    image: str | None = None  # an image reference overriding the spec's (Kubernetes cannot build)
    build_root: str = "."  # where the spec's `build:` folder is resolved
    previous_image: str | None = None  # what the docker actuator's rollback goes back to
    keep_replicas: bool = False  # True: replicas are set at creation only, the healer owns them after
    host_port: int | None = None  # Docker: publish on 127.0.0.1:<host_port>


class SampleService(pulumi.ComponentResource):
    url: pulumi.Output[str]  # as the other components reach it
    image: pulumi.Output[str]
    workload: pulumi.Output[str]  # container name or Deployment name: what the healer targets

    def __init__(
        self, name: str, args: SampleServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check_name("SampleService", name)
        service = args.service
        if service is None:
            raise ArgsError("SampleService", name, "the spec has no `service` section to deploy")
        host = args.host or service.name
        reference = args.image or service.image
        if isinstance(args.placement, KubernetesPlacement) and reference is None:
            raise ArgsError(
                "SampleService",
                name,
                f"Kubernetes cannot build `{service.build}`: push the image and set it as the spec's "
                "service.image or the stack config slostack:appImage",
            )
        context = None
        if reference is None:
            context = Path(args.build_root) / str(service.build)
            if not (context / "Dockerfile").is_file():
                raise ArgsError("SampleService", name, f"no Dockerfile in the build folder {context}")
        super().__init__(TYPE, name, None, opts)

        if isinstance(args.placement, DockerPlacement):
            image, workload = self._docker(name, args, args.placement, host, reference, context)
        else:
            assert reference is not None
            image, workload = (
                pulumi.Output.from_input(reference),
                self._kubernetes(name, args, args.placement, host, reference),
            )
        self.url = pulumi.Output.from_input(f"http://{host}:{service.port}")
        self.image = image
        self.workload = workload
        self.register_outputs({"url": self.url, "image": self.image, "workload": self.workload})

    def _docker(
        self,
        name: str,
        args: SampleServiceArgs,
        placement: DockerPlacement,
        host: str,
        reference: str | None,
        context: Path | None,
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        import pulumi_docker as docker

        from . import docker_parts as parts

        service = args.service
        image_ref: pulumi.Output[str]
        if context is not None:
            built = docker.Image(
                child(name, "image"),
                image_name=f"{service.name}:{service.version}",
                build=docker.DockerBuildArgs(
                    context=str(context),
                    dockerfile=str(context / "Dockerfile"),
                    args={"APP_VERSION": service.version},
                ),
                skip_push=True,  # a dev stack runs on the daemon that built it
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The digest, not the tag: a rebuild with the same version still replaces the container.
            image_ref = built.repo_digest
        else:
            assert reference is not None
            image_ref = parts.remote_image(name, reference, self).image_id
        labels = {
            parts.TARGET_LABEL: service.name,
            parts.VERSION_LABEL: service.version,
            **placement.labels,
        }
        if args.previous_image:
            labels[parts.PREVIOUS_IMAGE_LABEL] = args.previous_image
        if service.replicas > 1:
            pulumi.log.warn(
                f"{name}: the docker target runs one container of {service.name} "
                f"(the spec asks for {service.replicas}); use the kubernetes target to run replicas",
                resource=self,
            )
        container = parts.service_container(
            name,
            self,
            placement,
            host,
            image=image_ref,
            port=service.port,
            host_port=args.host_port,
            labels=labels,
            health=parts.python_ready(service.port, "/health"),
            envs=[f"{k}={v}" for k, v in sorted(service.env.items())],
            memory=max(6, service.memory_limit // _MIB) if service.memory_limit else None,
            # The app drains for up to 25 s on SIGTERM (sample_app/Dockerfile); don't cut it short.
            stop_timeout=30,
        )
        return image_ref, container.name

    def _kubernetes(
        self,
        name: str,
        args: SampleServiceArgs,
        placement: KubernetesPlacement,
        host: str,
        reference: str,
    ) -> pulumi.Output[str]:
        from pulumi_kubernetes.core import v1 as core

        from . import k8s_parts as parts

        service = args.service
        selector = {"app.kubernetes.io/name": service.name, "app.kubernetes.io/component": "app"}
        limits = {}
        if service.memory_limit:
            limits["memory"] = str(service.memory_limit)
        if service.cpu_limit is not None:
            limits["cpu"] = format(service.cpu_limit, "f")
        container = core.ContainerArgs(
            name="app",
            image=reference,
            ports=[core.ContainerPortArgs(name="http", container_port=service.port)],
            env=[core.EnvVarArgs(name=k, value=v) for k, v in sorted(service.env.items())],
            readiness_probe=parts.http_probe("/ready", "http", period=5),
            liveness_probe=parts.http_probe("/health", "http"),
            resources=core.ResourceRequirementsArgs(limits=limits) if limits else None,
            security_context=parts.container_security(),
        )
        deployment = parts.deployment(
            name,
            self,
            host,
            placement,
            selector,
            [container],
            replicas=service.replicas,
            # The healer scales this Deployment through its scale subresource. Under server-side apply
            # the next `pulumi up` would take `spec.replicas` back (and reset the healer's remedy):
            # ignoring it after creation leaves the field to whoever scaled last.
            ignore_changes=["spec.replicas"] if args.keep_replicas else (),
        )
        parts.service(
            name,
            self,
            host,
            placement,
            selector,
            service.port,
            # The ServiceMonitor takes the job label from here, so rules' job="..." selectors match.
            labels={"slostack.dev/scrape-job": service.scrape_job},
        )
        return deployment.metadata.name
