"""The `docker` actuator, through the Docker SDK's low-level `APIClient` (plain dicts, one call each).

A target's containers carry the label `slostack.target=<target>` (the Pulumi docker component sets it);
a container simply named like the target is accepted too. Rollback recreates a container from the
image recorded in its `slostack.previous-image` label, keeping its name, user env, labels, host config
and networks, and records the image it replaced in the same label (so a second rollback rolls forward).
If the new container does not start, the old one is put back. Scaling containers behind Pulumi's back
would fight the next `pulumi up`, so `scale` is not offered here.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from .base import ActuatorError, TargetState, check_target

__all__ = ["PREVIOUS_IMAGE_LABEL", "TARGET_LABEL", "VERSION_LABEL", "DockerActuator"]

TARGET_LABEL = "slostack.target"
PREVIOUS_IMAGE_LABEL = "slostack.previous-image"
VERSION_LABEL = "slostack.version"


def _docker_errors() -> tuple[type[BaseException], ...]:
    # Imported lazily: the docker package is only needed when this actuator is chosen.
    import docker.errors
    import requests

    return (docker.errors.DockerException, requests.RequestException)


class DockerActuator:
    name = "docker"
    capabilities = frozenset({"restart", "rollback"})

    def __init__(self, api: Any, *, stop_timeout: int = 10) -> None:
        """`api` is a `docker.APIClient` (e.g. `docker.from_env().api`)."""
        self.api = api
        self.stop_timeout = stop_timeout
        self._errors = _docker_errors()

    def _containers(self, target: str) -> list[dict[str, Any]]:
        check_target(target)
        try:
            found: list[dict[str, Any]] = self.api.containers(
                all=True, filters={"label": f"{TARGET_LABEL}={target}"}
            )
            if not found:
                found = [c for c in self.api.containers(all=True, filters={"name": f"^/{target}$"})]
        except self._errors as e:
            raise ActuatorError(f"docker: cannot list containers of {target}: {e}") from e
        if not found:
            raise ActuatorError(f"docker: no container labelled {TARGET_LABEL}={target} or named {target}")
        return found

    def restart(self, target: str) -> str:
        names = []
        for c in self._containers(target):
            try:
                self.api.restart(c["Id"], timeout=self.stop_timeout)
            except self._errors as e:
                raise ActuatorError(f"docker: restart of {c['Id'][:12]} failed: {e}") from e
            names.append(_name(c))
        return f"restarted container(s) {', '.join(names)}"

    def scale(self, target: str, replicas: int) -> str:
        raise ActuatorError("the docker actuator does not scale (it would fight `pulumi up`)")

    def rollback(self, target: str) -> str:
        done = []
        for c in self._containers(target):
            done.append(self._recreate_previous(c["Id"]))
        return "; ".join(done)

    def describe(self, target: str) -> TargetState:
        containers = self._containers(target)
        running = sum(1 for c in containers if c.get("State") == "running")
        labels = containers[0].get("Labels") or {}
        return TargetState(replicas=running, version=labels.get(VERSION_LABEL) or containers[0].get("Image"))

    def _recreate_previous(self, container_id: str) -> str:
        try:
            info: dict[str, Any] = self.api.inspect_container(container_id)
        except self._errors as e:
            raise ActuatorError(f"docker: cannot inspect {container_id[:12]}: {e}") from e
        config = info.get("Config") or {}
        labels = dict(config.get("Labels") or {})
        previous = labels.get(PREVIOUS_IMAGE_LABEL)
        if not previous:
            raise ActuatorError(
                f"docker: {_name(info)} has no {PREVIOUS_IMAGE_LABEL} label; nothing to roll back to"
            )
        current = config.get("Image", "")
        name = _name(info)
        try:
            self.api.inspect_image(previous)
        except self._errors:
            try:
                self.api.pull(previous)
            except self._errors as e:
                raise ActuatorError(f"docker: previous image {previous} is not available: {e}") from e
        body = self._create_body(info, previous, current, labels)
        parked = f"{name}-replaced-{int(time.time())}"
        try:
            self.api.rename(container_id, parked)
            self.api.stop(container_id, timeout=self.stop_timeout)
        except self._errors as e:
            raise ActuatorError(f"docker: cannot set {name} aside: {e}") from e
        new_id: str | None = None
        try:
            created = self.api.create_container_from_config(body, name=name)
            new_id = created["Id"]
            for net, endpoint in _extra_networks(info):
                self.api.connect_container_to_network(new_id, net, aliases=endpoint.get("Aliases"))
            self.api.start(new_id)
        except self._errors as e:
            self._put_back(container_id, name, new_id)
            raise ActuatorError(f"docker: {name} on {previous} did not start ({e}); kept {current}") from e
        try:
            self.api.remove_container(container_id, force=True)
        except self._errors as e:
            return f"recreated {name} on {previous} (was {current}); old container {parked} left: {e}"
        return f"recreated {name} on {previous} (was {current})"

    def _put_back(self, old_id: str, name: str, new_id: str | None) -> None:
        """Undo a failed recreate: drop the new container, give the old one its name back, start it."""
        # Best effort, each step on its own: the error that matters is re-raised by the caller.
        if new_id is not None:
            with contextlib.suppress(*self._errors):
                self.api.remove_container(new_id, force=True)
        with contextlib.suppress(*self._errors):
            self.api.rename(old_id, name)
        with contextlib.suppress(*self._errors):
            self.api.start(old_id)

    def _create_body(
        self, info: dict[str, Any], image: str, replaced: str, labels: dict[str, str]
    ) -> dict[str, Any]:
        config = info.get("Config") or {}
        # Config.Env mixes the image's own env with the user's; keep only the user's, or the new
        # image's defaults (its version, its PATH) would be carried into the old image.
        image_env: set[str] = set()
        try:
            image_env = set((self.api.inspect_image(replaced).get("Config") or {}).get("Env") or [])
        except self._errors:
            image_env = set()
        env = [e for e in config.get("Env") or [] if e not in image_env]
        labels = dict(labels)
        labels[PREVIOUS_IMAGE_LABEL] = replaced
        labels.pop(VERSION_LABEL, None)  # the old image's version is not known here; don't lie
        body: dict[str, Any] = {
            "Image": image,
            "Env": env,
            "Labels": labels,
            "ExposedPorts": config.get("ExposedPorts") or {},
            "HostConfig": info.get("HostConfig") or {},
        }
        if config.get("Healthcheck"):
            body["Healthcheck"] = config["Healthcheck"]
        networks = _networks(info)
        if networks:
            first, endpoint = networks[0]
            body["NetworkingConfig"] = {"EndpointsConfig": {first: _endpoint(endpoint)}}
        return body


def _name(container: dict[str, Any]) -> str:
    if "Name" in container:
        return str(container["Name"]).lstrip("/")
    names = container.get("Names") or [container.get("Id", "?")[:12]]
    return str(names[0]).lstrip("/")


def _networks(info: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    nets = ((info.get("NetworkSettings") or {}).get("Networks")) or {}
    return sorted(nets.items())


def _extra_networks(info: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(net, _endpoint(ep)) for net, ep in _networks(info)[1:]]


def _endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
    # Docker adds the short container id as an alias; the new container gets its own.
    aliases = [a for a in endpoint.get("Aliases") or [] if len(a) != 12]
    return {"Aliases": aliases} if aliases else {}
