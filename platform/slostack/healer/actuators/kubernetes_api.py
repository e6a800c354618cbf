"""The `kubernetes` actuator: a target is a Deployment of the same name, acted on the way kubectl does.

- restart: `kubectl rollout restart` = a strategic-merge patch of the pod template's
  `kubectl.kubernetes.io/restartedAt` annotation, so the Deployment controller rolls every pod.
- scale: the `scale` subresource (what `kubectl scale` and HPAs use), not a patch of the Deployment.
- rollback: `kubectl rollout undo` = find the ReplicaSets the Deployment owns, take the one with the
  previous `deployment.kubernetes.io/revision`, and JSON-patch its pod template (minus the
  `pod-template-hash` label) and annotations back into the Deployment.
Paused Deployments are refused for restart and rollback, as kubectl refuses them: someone paused
the rollout on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .base import ActuatorError, TargetState, check_target

__all__ = ["RESTARTED_AT", "REVISION", "KubernetesActuator"]

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
REVISION = "deployment.kubernetes.io/revision"
POD_TEMPLATE_HASH = "pod-template-hash"
# kubectl's annotationsToSkip (pkg/polymorphichelpers/rollback.go): these describe the Deployment's own
# rollout, not the template, so they are kept from the Deployment, never copied from the ReplicaSet.
_ANNOTATIONS_TO_SKIP = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)


def _now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KubernetesActuator:
    name = "kubernetes"
    capabilities = frozenset({"restart", "scale", "rollback"})

    def __init__(
        self, api_client: Any, namespace: str, *, now: Callable[[], str] = _now_rfc3339, timeout: float = 30
    ) -> None:
        """`api_client` is a `kubernetes.client.ApiClient` (configured from kubeconfig or in-cluster)."""
        from kubernetes import client  # lazy: only needed when this actuator is chosen
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        self.api_client = api_client
        self.apps = client.AppsV1Api(api_client)
        self.namespace = check_target(namespace)  # same rules as a DNS-1123 label
        self._now = now
        self._timeout = timeout
        # ValueError: the client's models reject a malformed answer.
        self._errors: tuple[type[BaseException], ...] = (ApiException, HTTPError, ValueError)

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, _request_timeout=self._timeout, **kwargs)
        except self._errors as e:
            status = getattr(e, "status", None)
            raise ActuatorError(f"kubernetes: {what} failed{f' ({status})' if status else ''}: {e}") from e

    def _deployment(self, target: str) -> Any:
        check_target(target)
        return self._call(
            f"read deployment {target}", self.apps.read_namespaced_deployment, target, self.namespace
        )

    def _refuse_paused(self, dep: Any, verb: str) -> None:
        if dep.spec is not None and dep.spec.paused:
            raise ActuatorError(
                f"kubernetes: deployment {dep.metadata.name} is paused; refusing to {verb} it "
                "(resume it with `kubectl rollout resume` first)"
            )

    def restart(self, target: str) -> str:
        dep = self._deployment(target)
        self._refuse_paused(dep, "restart")
        stamp = self._now()
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        self._call(f"restart {target}", self.apps.patch_namespaced_deployment, target, self.namespace, patch)
        return f"rollout restart of deployment {target} ({RESTARTED_AT}={stamp})"

    def scale(self, target: str, replicas: int) -> str:
        check_target(target)
        if replicas < 1:
            raise ActuatorError(f"refusing to scale {target} to {replicas} replicas")
        body = {"spec": {"replicas": replicas}}
        self._call(
            f"scale {target}", self.apps.patch_namespaced_deployment_scale, target, self.namespace, body
        )
        return f"scaled deployment {target} to {replicas} replica(s)"

    def rollback(self, target: str) -> str:
        dep = self._deployment(target)
        self._refuse_paused(dep, "roll back")
        selector = (dep.spec.selector.match_labels or {}) if dep.spec and dep.spec.selector else {}
        label_selector = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        rs_list = self._call(
            f"list replicasets of {target}",
            self.apps.list_namespaced_replica_set,
            self.namespace,
            label_selector=label_selector,
        )
        owned = [rs for rs in rs_list.items or [] if _owned_by(rs, dep.metadata.uid)]
        previous = _previous_revision(owned)
        if previous is None:
            raise ActuatorError(f"kubernetes: deployment {target} has no previous revision to roll back to")
        revision, rs = previous
        serialize = self.api_client.sanitize_for_serialization
        template: dict[str, Any] = serialize(rs.spec.template)
        current: dict[str, Any] = serialize(dep.spec.template)
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.pop(POD_TEMPLATE_HASH, None)
        template.setdefault("metadata", {})["labels"] = labels
        if _without_hash(current) == template:
            return f"deployment {target} already runs revision {revision}'s template; skipped rollback"
        annotations = {k: v for k, v in (dep.metadata.annotations or {}).items() if k in _ANNOTATIONS_TO_SKIP}
        for k, v in (rs.metadata.annotations or {}).items():
            if k not in _ANNOTATIONS_TO_SKIP:
                annotations[k] = v
        patch = [
            {"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        ]
        self._call(
            f"roll back {target}", self.apps.patch_namespaced_deployment, target, self.namespace, patch
        )
        return f"rolled deployment {target} back to revision {revision}"

    def describe(self, target: str) -> TargetState:
        dep = self._deployment(target)
        replicas = dep.spec.replicas if dep.spec is not None else None
        version = (dep.metadata.annotations or {}).get(REVISION)
        return TargetState(replicas=replicas, version=f"revision {version}" if version else None)


def _owned_by(rs: Any, uid: str | None) -> bool:
    refs = rs.metadata.owner_references or []
    return any(ref.uid == uid and ref.kind == "Deployment" for ref in refs)


def _previous_revision(replica_sets: list[Any]) -> tuple[int, Any] | None:
    """kubectl's rule: the highest revision is the current one; undo goes to the next highest."""
    revisions = []
    for rs in replica_sets:
        try:
            revisions.append((int((rs.metadata.annotations or {}).get(REVISION, "")), rs))
        except ValueError:
            continue
    revisions.sort(key=lambda pair: pair[0], reverse=True)
    return revisions[1] if len(revisions) > 1 else None


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    out = dict(template)
    meta = dict(out.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.pop(POD_TEMPLATE_HASH, None)
    meta["labels"] = labels
    out["metadata"] = meta
    return out
