"""The docker actuator at its client boundary: the Docker SDK against a fake Engine API (a real HTTP
server on 127.0.0.1 with canned Docker JSON that records every request). No Docker daemon runs on the
build machines; this checks exactly which Engine API calls a restart and a rollback make."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from slostack.healer.actuators.base import ActuatorError
from slostack.healer.actuators.docker_sdk import PREVIOUS_IMAGE_LABEL, DockerActuator

from .harness import Recorder

V = "/v1.44"
OLD_ID = "a" * 64
NEW_ID = "b" * 64


def inspect(previous: str | None = "sample-app:1.2.0") -> dict[str, Any]:
    labels = {"slostack.target": "checkout", "slostack.version": "1.3.0"}
    if previous:
        labels[PREVIOUS_IMAGE_LABEL] = previous
    return {
        "Id": OLD_ID,
        "Name": "/checkout",
        "State": {"Status": "running"},
        "Config": {
            "Image": "sample-app:1.3.0",
            "Env": ["PATH=/usr/local/bin:/usr/bin", "APP_VERSION=1.3.0", "FAIL_MODE=none"],
            "Labels": labels,
            "ExposedPorts": {"8000/tcp": {}},
            "Healthcheck": {"Test": ["CMD", "true"]},
        },
        "HostConfig": {
            "NetworkMode": "slostack",
            "RestartPolicy": {"Name": "unless-stopped"},
            "Memory": 268435456,
        },
        "NetworkSettings": {
            "Networks": {
                "slostack": {"Aliases": ["checkout", OLD_ID[:12]]},
                "zz-metrics": {"Aliases": ["checkout-metrics"]},
            }
        },
    }


class FakeDocker:
    def __init__(self, *, previous: str | None = "sample-app:1.2.0", fail_start: bool = False) -> None:
        self.container = inspect(previous)
        self.fail_start = fail_start
        self.images = {
            "sample-app:1.3.0": {"Config": {"Env": ["PATH=/usr/local/bin:/usr/bin", "APP_VERSION=1.3.0"]}},
            "sample-app:1.2.0": {"Config": {"Env": ["PATH=/usr/local/bin:/usr/bin", "APP_VERSION=1.2.0"]}},
        }

    def respond(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        assert path.startswith(V), path
        path = path[len(V) :]
        summary = {"Id": OLD_ID, "Names": ["/checkout"], "Image": "sample-app:1.3.0", "State": "running",
                   "Labels": self.container["Config"]["Labels"]}  # fmt: skip
        if method == "GET" and path == "/containers/json":
            filters = json.loads(query["filters"][0])
            hit = filters.get("label") == ["slostack.target=checkout"] or filters.get("name") == [
                "^/checkout$"
            ]
            return 200, [summary] if hit else []
        if method == "GET" and path == f"/containers/{OLD_ID}/json":
            return 200, self.container
        if method == "GET" and path.startswith("/images/") and path.endswith("/json"):
            name = path[len("/images/") : -len("/json")]
            return (
                (200, self.images[name])
                if name in self.images
                else (404, {"message": f"No such image: {name}"})
            )
        if method == "POST" and path == "/containers/create":
            return 201, {"Id": NEW_ID, "Warnings": []}
        if method == "POST" and path == f"/containers/{NEW_ID}/start" and self.fail_start:
            return 500, {"message": "port is already allocated"}
        if method in ("POST", "DELETE"):
            return 200, {}
        return 404, {"message": "not found"}


@pytest.fixture
def fake_docker() -> Iterator[tuple[FakeDocker, Recorder, DockerActuator]]:
    fake = FakeDocker()
    with Recorder(fake.respond) as server:
        api = docker.APIClient(base_url=f"tcp://127.0.0.1:{server.port}", version="1.44", timeout=5)
        yield fake, server, DockerActuator(api, stop_timeout=7)


def calls(server: Recorder) -> list[str]:
    return [f"{r['method']} {r['path'][len(V) :]}" for r in server.requests if r["method"] != "GET"]


def test_restart_restarts_each_labelled_container(fake_docker):
    _, server, actuator = fake_docker
    assert actuator.restart("checkout") == "restarted container(s) checkout"
    assert calls(server) == [f"POST /containers/{OLD_ID}/restart"]
    restart = next(r for r in server.requests if r["method"] == "POST")
    assert restart["query"]["t"] == ["7"]


def test_rollback_recreates_on_the_previous_image_keeping_config(fake_docker):
    _, server, actuator = fake_docker
    assert actuator.rollback("checkout") == "recreated checkout on sample-app:1.2.0 (was sample-app:1.3.0)"
    assert [c.split("?")[0] for c in calls(server)] == [
        f"POST /containers/{OLD_ID}/rename",
        f"POST /containers/{OLD_ID}/stop",
        "POST /containers/create",
        "POST /networks/zz-metrics/connect",
        f"POST /containers/{NEW_ID}/start",
        f"DELETE /containers/{OLD_ID}",
    ]
    create = next(r for r in server.requests if r["path"].endswith("/containers/create"))
    assert create["query"]["name"] == ["checkout"]
    body = json.loads(create["body"])
    assert body["Image"] == "sample-app:1.2.0"
    assert body["Env"] == ["FAIL_MODE=none"]  # the newer image's own env is not carried over
    assert body["Labels"][PREVIOUS_IMAGE_LABEL] == "sample-app:1.3.0"  # a second rollback rolls forward
    assert "slostack.version" not in body["Labels"]
    assert body["HostConfig"]["RestartPolicy"] == {"Name": "unless-stopped"}
    assert body["NetworkingConfig"] == {"EndpointsConfig": {"slostack": {"Aliases": ["checkout"]}}}
    connect = next(r for r in server.requests if r["path"].endswith("/connect"))
    assert json.loads(connect["body"])["EndpointConfig"]["Aliases"] == ["checkout-metrics"]


def test_a_failed_start_puts_the_old_container_back():
    fake = FakeDocker(fail_start=True)
    with Recorder(fake.respond) as server:
        actuator = DockerActuator(docker.APIClient(base_url=f"tcp://127.0.0.1:{server.port}", version="1.44"))
        with pytest.raises(ActuatorError, match=r"did not start.*kept sample-app:1\.3\.0"):
            actuator.rollback("checkout")
        tail = [c.split("?")[0] for c in calls(server)][-4:]
        assert tail == [
            f"POST /containers/{NEW_ID}/start",
            f"DELETE /containers/{NEW_ID}",
            f"POST /containers/{OLD_ID}/rename",
            f"POST /containers/{OLD_ID}/start",
        ]
        rename_back = [r for r in server.requests if r["path"].endswith(f"{OLD_ID}/rename")][-1]
        assert rename_back["query"]["name"] == ["checkout"]


def test_refusals_without_side_effects():
    fake = FakeDocker(previous=None)
    with Recorder(fake.respond) as server:
        actuator = DockerActuator(docker.APIClient(base_url=f"tcp://127.0.0.1:{server.port}", version="1.44"))
        with pytest.raises(ActuatorError, match=r"no slostack\.previous-image label"):
            actuator.rollback("checkout")
        with pytest.raises(ActuatorError, match="does not scale"):
            actuator.scale("checkout", 3)
        with pytest.raises(ActuatorError, match="refusing target"):
            actuator.restart("checkout --privileged")
        with pytest.raises(ActuatorError, match="no container"):
            actuator.restart("payments")
        assert calls(server) == []
        assert "scale" not in actuator.capabilities
        assert actuator.describe("checkout").version == "1.3.0"
