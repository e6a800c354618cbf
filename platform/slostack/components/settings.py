"""Stack config -> what to deploy and where: read the same way by the program and the Automation layer.

Both must agree byte for byte on the bundle (its digest is recorded for rollback), so both build it
from the same `StackSettings` (no Pulumi import: values come in as the raw strings of stack config,
objects as JSON, which is how `pulumi.Config.get` and `stack.get_all_config()` both hand them out).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..render.bundle import Bundle
from ..render.options import RenderOptions
from ..spec.model import Spec
from .targets import Target, TargetError, bundle_for, check_target, render_options

__all__ = ["NAMESPACE", "USER_KEYS", "SettingsError", "StackSettings"]

NAMESPACE = "slostack"
# Keys a person sets in stacks/Pulumi.<env>.yaml (release keys are in releases/pulumi_config.py).
USER_KEYS = (
    "spec",
    "target",
    "namespace",
    "operator",
    "appImage",
    "healerImage",
    "healerTokenFile",
    "secretFiles",
    "selectorLabels",
    "prometheusEndpoint",
    "alertmanagerEndpoint",
    "publish",
    "slothLabels",
)


class SettingsError(ValueError):
    """Stack config is missing or malformed; the message names the `slostack:` key to fix."""


def _bool(key: str, raw: str | None, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise SettingsError(f"{NAMESPACE}:{key} must be true or false (got {raw!r})")


def _object(key: str, raw: str | None) -> dict[str, str]:
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise SettingsError(f"{NAMESPACE}:{key} must be a map of strings ({e.msg})") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise SettingsError(f"{NAMESPACE}:{key} must be a map of strings")
    return {str(k): v for k, v in value.items()}


@dataclass(frozen=True)
class StackSettings:
    spec_path: str
    target: Target
    namespace: str | None = None  # Kubernetes; default: the spec's deploy.namespace, else the service
    operator: bool | None = None  # None: the spec's deploy.operator
    app_image: str | None = None  # overrides the spec's service image (Kubernetes cannot build)
    healer_image: str | None = None
    healer_token_file: str | None = None  # a path on the machine running `pulumi up`, never the token
    secret_files: dict[str, str] = field(default_factory=dict)  # path the spec names -> local file
    selector_labels: dict[str, str] = field(default_factory=dict)
    prometheus_endpoint: str | None = None  # operator mode: the installation's Prometheus host:port
    alertmanager_endpoint: str | None = None
    publish: bool = True
    sloth_labels: bool = False

    @classmethod
    def from_config(cls, get: Callable[[str], str | None]) -> StackSettings:
        """`get(key)` returns the raw value of `slostack:<key>`, or None when unset."""
        spec_path = get("spec")
        if not spec_path:
            raise SettingsError(f"{NAMESPACE}:spec is not set: the path of the SLO spec file to deploy")
        try:
            target = check_target(get("target") or "")
        except TargetError as e:
            raise SettingsError(f"{NAMESPACE}:target: {e}") from None
        operator_raw = get("operator")
        return cls(
            spec_path=spec_path,
            target=target,
            namespace=get("namespace") or None,
            operator=None if operator_raw in (None, "") else _bool("operator", operator_raw, False),
            app_image=get("appImage") or None,
            healer_image=get("healerImage") or None,
            healer_token_file=get("healerTokenFile") or None,
            secret_files=_object("secretFiles", get("secretFiles")),
            selector_labels=_object("selectorLabels", get("selectorLabels")),
            prometheus_endpoint=get("prometheusEndpoint") or None,
            alertmanager_endpoint=get("alertmanagerEndpoint") or None,
            publish=_bool("publish", get("publish"), True),
            sloth_labels=_bool("slothLabels", get("slothLabels"), False),
        )

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> StackSettings:
        """From `{"slostack:spec": ..., ...}` (Automation API config, history entries)."""
        return cls.from_config(lambda key: values.get(f"{NAMESPACE}:{key}"))

    def spec_file(self, project_root: Path) -> Path:
        """Relative spec paths are relative to the project root (where Pulumi.yaml is)."""
        path = Path(self.spec_path)
        return path if path.is_absolute() else project_root / path

    def kube_namespace(self, spec: Spec) -> str:
        return self.namespace or spec.deploy.namespace or spec.name

    def uses_operator(self, spec: Spec) -> bool:
        operator = spec.deploy.operator if self.operator is None else self.operator
        return self.target == "kubernetes" and operator

    def render_options(self, spec: Spec) -> RenderOptions:
        return render_options(
            spec,
            self.target,
            namespace=self.kube_namespace(spec),
            operator=self.uses_operator(spec),
            prometheus=self.prometheus_endpoint,
            alertmanager=self.alertmanager_endpoint,
            sloth_labels=self.sloth_labels,
        )

    def bundle(self, spec: Spec) -> Bundle:
        return bundle_for(spec, self.render_options(spec))
