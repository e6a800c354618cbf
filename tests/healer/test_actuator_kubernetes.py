"""The kubernetes actuator at its client boundary: the official client against a fake API server (a
real HTTP server on 127.0.0.1 answering with canned Kubernetes JSON and recording every request).
No cluster runs on the build machines; this checks exactly what we send and how we read answers."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from slostack.healer.actuators.base import ActuatorError
from slostack.healer.actuators.kubernetes_api import RESTARTED_AT, KubernetesActuator

from .harness import AUTH, Recorder, message, policy, wait_for

BASE = "/apis/apps/v1/namespaces/prod"
UID = "5c1e9f0a-0000-4000-8000-000000000001"


def template(image: str, hash_: str, **annotations: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "checkout", "pod-template-hash": hash_}, "annotations": annotations},
        "spec": {
            "containers": [{"name": "app", "image": image, "env": [{"name": "FAIL_MODE", "value": "none"}]}]
        },
    }


def deployment(paused: bool = False) -> dict[str, Any]:
    tpl = template("sample-app:1.3.0", "ccc")
    del tpl["metadata"]["labels"]["pod-template-hash"]  # a Deployment's own template has no hash label
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "checkout",
            "namespace": "prod",
            "uid": UID,
            "annotations": {"deployment.kubernetes.io/revision": "3", "team": "payments"},
        },
        "spec": {
            "replicas": 2,
            "paused": paused,
            "selector": {"matchLabels": {"app": "checkout"}},
            "template": tpl,
        },
    }


def replica_set(name: str, revision: str, image: str, hash_: str, owner: str = UID) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "prod",
            "annotations": {
                "deployment.kubernetes.io/revision": revision,
                "deployment.kubernetes.io/desired-replicas": "2",
                "kubernetes.io/change-cause": f"deploy {image}",
            },
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout", "uid": owner}
            ],
        },
        "spec": {"selector": {"matchLabels": {"app": "checkout"}}, "template": template(image, hash_)},
    }


class FakeKube:
    def __init__(self, *, paused: bool = False, replica_sets: list[dict[str, Any]] | None = None) -> None:
        self.deployment = deployment(paused)
        self.replica_sets = (
            replica_sets
            if replica_sets is not None
            else [
                replica_set("checkout-aaa", "1", "sample-app:1.1.0", "aaa"),
                replica_set("checkout-bbb", "2", "sample-app:1.2.0", "bbb"),
                replica_set("checkout-ccc", "3", "sample-app:1.3.0", "ccc"),
                # Same labels, another owner (and a higher revision): must be ignored.
                replica_set("impostor-zzz", "9", "evil:latest", "zzz", owner="someone-else"),
            ]
        )

    def respond(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        if path == f"{BASE}/deployments/checkout" and method in ("GET", "PATCH"):
            return 200, self.deployment
        if path == f"{BASE}/deployments/checkout/scale" and method == "PATCH":
            replicas = json.loads(body)["spec"]["replicas"]
            return 200, {"apiVersion": "autoscaling/v1", "kind": "Scale", "spec": {"replicas": replicas}}
        if path == f"{BASE}/replicasets" and method == "GET":
            return 200, {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSetList",
                "metadata": {},
                "items": self.replica_sets,
            }
        return 404, {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "reason": "NotFound",
            "code": 404,
        }


@pytest.fixture
def kube() -> Iterator[tuple[FakeKube, Recorder, KubernetesActuator]]:
    fake = FakeKube()
    with Recorder(fake.respond) as server:
        cfg = client.Configuration()
        cfg.host = server.url
        actuator = KubernetesActuator(
            client.ApiClient(cfg), "prod", now=lambda: "2026-01-02T03:04:05Z", timeout=5
        )
        yield fake, server, actuator


def patches(server: Recorder) -> list[dict[str, Any]]:
    return [r for r in server.requests if r["method"] == "PATCH"]


def test_restart_patches_the_restarted_at_annotation(kube):
    _, server, actuator = kube
    assert "rollout restart" in actuator.restart("checkout")
    [patch] = patches(server)
    assert patch["path"] == f"{BASE}/deployments/checkout"
    assert patch["headers"]["Content-Type"] == "application/strategic-merge-patch+json"
    assert json.loads(patch["body"]) == {
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: "2026-01-02T03:04:05Z"}}}}
    }


def test_scale_uses_the_scale_subresource(kube):
    _, server, actuator = kube
    assert actuator.scale("checkout", 3) == "scaled deployment checkout to 3 replica(s)"
    [patch] = patches(server)
    assert patch["path"] == f"{BASE}/deployments/checkout/scale"
    assert json.loads(patch["body"]) == {"spec": {"replicas": 3}}


def test_rollback_patches_the_previous_revision_back_like_kubectl(kube):
    _, server, actuator = kube
    assert actuator.rollback("checkout") == "rolled deployment checkout back to revision 2"
    listing = next(r for r in server.requests if r["path"] == f"{BASE}/replicasets")
    assert listing["query"]["labelSelector"] == ["app=checkout"]
    [patch] = patches(server)
    assert patch["headers"]["Content-Type"] == "application/json-patch+json"
    ops = json.loads(patch["body"])
    assert [op["path"] for op in ops] == ["/spec/template", "/metadata/annotations"]
    tpl = ops[0]["value"]
    assert tpl["spec"]["containers"][0]["image"] == "sample-app:1.2.0"
    assert tpl["metadata"]["labels"] == {"app": "checkout"}  # pod-template-hash removed
    # Rollout bookkeeping stays the Deployment's; the rest comes from the ReplicaSet.
    assert ops[1]["value"] == {
        "deployment.kubernetes.io/revision": "3",
        "kubernetes.io/change-cause": "deploy sample-app:1.2.0",
    }


def test_rollback_is_skipped_when_the_previous_template_is_already_live():
    fake = FakeKube()
    fake.deployment["spec"]["template"] = copy.deepcopy(fake.replica_sets[1]["spec"]["template"])
    with Recorder(fake.respond) as server:
        cfg = client.Configuration()
        cfg.host = server.url
        actuator = KubernetesActuator(client.ApiClient(cfg), "prod")
        assert "skipped rollback" in actuator.rollback("checkout")
        assert patches(server) == []


@pytest.mark.parametrize(
    "fake, verb, message_",
    [
        pytest.param(FakeKube(paused=True), "restart", "paused", id="a paused deployment is not restarted"),
        pytest.param(
            FakeKube(paused=True), "rollback", "paused", id="a paused deployment is not rolled back"
        ),
        pytest.param(
            FakeKube(replica_sets=[replica_set("checkout-ccc", "3", "x:1", "ccc")]),
            "rollback",
            "no previous revision",
            id="one revision: nothing to roll back to",
        ),
    ],
)
def test_refusals(fake: FakeKube, verb: str, message_: str):
    with Recorder(fake.respond) as server:
        cfg = client.Configuration()
        cfg.host = server.url
        actuator = KubernetesActuator(client.ApiClient(cfg), "prod")
        with pytest.raises(ActuatorError, match=message_):
            getattr(actuator, verb)("checkout")
        assert patches(server) == []


def test_api_errors_and_bad_names_become_actuator_errors(kube):
    _, server, actuator = kube
    with pytest.raises(ActuatorError, match=r"\(404\)"):
        actuator.restart("payments")
    before = len(server.requests)
    with pytest.raises(ActuatorError, match="refusing target"):
        actuator.restart("checkout/../../secrets")
    assert len(server.requests) == before  # a bad name never reaches a URL
    assert actuator.describe("checkout").replicas == 2


def test_healer_drives_the_kubernetes_actuator_end_to_end(make_healer, kube):
    _, server, actuator = kube
    p = policy(policy0={"cooldown": "10m", "verify_for": "1h", "ladder": [{"action": "restart"}]})
    h = make_healer(p, actuator=actuator)
    with h.client(headers=AUTH) as c:
        c.post("/v1/alerts", json=message()).raise_for_status()
        done = wait_for(lambda: [a for a in c.get("/v1/actions").json() if a["outcome"] == "ok"])
        assert RESTARTED_AT in done[0]["detail"]
    assert len(patches(server)) == 1
