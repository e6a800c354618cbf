"""What a deploy target changes about a bundle, decided once for every component (no Pulumi import).

The bundle is the same for Docker and Kubernetes except the addresses inside it (`render.options`
Endpoints) and the path the healer token is read from. The Automation layer (`releases.pulumi_*`)
renders through here too, so the bundle digest it records is the one the program deploys.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from ..render.bundle import Bundle
from ..render.options import Endpoints, RenderOptions, default_endpoints
from ..spec.model import Spec

__all__ = [
    "HEALER_TOKEN_PATH",
    "OPERATOR_ALERTMANAGER",
    "OPERATOR_PROMETHEUS",
    "TARGETS",
    "Target",
    "TargetError",
    "alertmanager_secret_paths",
    "bundle_for",
    "check_target",
    "endpoints_for",
    "healer_secret_paths",
    "host_port",
    "may_scale",
    "render_options",
    "service_host",
]

Target = Literal["docker", "kubernetes"]
TARGETS: tuple[Target, ...] = ("docker", "kubernetes")

# Absolute, so the same rendered alertmanager.yml works whatever folder its file is mounted in; each
# target puts the token here (a container upload, a Secret volume).
HEALER_TOKEN_PATH = "/run/secrets/slostack/healer-token"  # noqa: S105 - a path, not a secret


class TargetError(ValueError):
    """A target name, or what a target needs, is wrong; the message says what to change."""


def check_target(target: str) -> Target:
    if target == "docker":
        return "docker"
    if target == "kubernetes":
        return "kubernetes"
    choices = " or ".join(TARGETS)
    raise TargetError(f"unknown target {target!r}: the Pulumi components deploy to {choices}")


# The installation's own services, as kube-prometheus and kube-prometheus-stack name them.
OPERATOR_PROMETHEUS = "prometheus-operated.monitoring.svc:9090"
OPERATOR_ALERTMANAGER = "alertmanager-operated.monitoring.svc:9093"


def endpoints_for(
    spec: Spec,
    target: str,
    *,
    namespace: str | None = None,
    operator: bool = False,
    prometheus: str | None = None,
    alertmanager: str | None = None,
) -> Endpoints:
    """Where each part is as the others reach it (Docker: network aliases; Kubernetes: Services).

    With a prometheus-operator installation, its Prometheus and Alertmanager live in another
    namespace: what they reach in ours needs the namespace in its name, and theirs are given.
    """
    port = spec.service.port if spec.service is not None else 8000
    base = default_endpoints(check_target(target), spec.name, port)
    if target != "kubernetes" or not operator:
        return base
    ns = namespace or spec.deploy.namespace or spec.name

    def qualify(endpoint: str) -> str:
        host, port_text = host_port(endpoint)
        return f"{host}.{ns}.svc:{port_text}"

    return replace(
        base,
        app=tuple(qualify(a) for a in base.app),
        healer=qualify(base.healer),
        grafana=qualify(base.grafana),
        prometheus=prometheus or OPERATOR_PROMETHEUS,
        alertmanager=alertmanager or OPERATOR_ALERTMANAGER,
    )


def render_options(
    spec: Spec,
    target: str,
    *,
    namespace: str | None = None,
    operator: bool = False,
    prometheus: str | None = None,
    alertmanager: str | None = None,
    sloth_labels: bool = False,
) -> RenderOptions:
    endpoints = endpoints_for(
        spec, target, namespace=namespace, operator=operator, prometheus=prometheus, alertmanager=alertmanager
    )
    return RenderOptions(endpoints=endpoints, healer_token_file=HEALER_TOKEN_PATH, sloth_labels=sloth_labels)


def bundle_for(spec: Spec, options: RenderOptions) -> Bundle:
    from ..render.pipeline import render

    return render(spec, options)


def service_host(endpoint: str) -> str:
    """The Service or alias behind an endpoint: `checkout-healer.slo.svc:8080` -> `checkout-healer`."""
    return host_port(endpoint)[0].split(".", 1)[0]


def may_scale(spec: Spec) -> bool:
    """Whether the healer may change the replica count (then `pulumi up` must not fight it).

    `auto` lets the healer choose its remedy, scaling included, so it counts as scaling.
    """
    if not spec.healing.enabled:
        return False
    return any(step.action in ("scale", "auto") for p in spec.healing.policies for step in p.ladder)


def host_port(endpoint: str) -> tuple[str, int]:
    """`checkout-prometheus:9090` -> (`checkout-prometheus`, 9090)."""
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise TargetError(f"endpoint {endpoint!r} is not host:port")
    return host, int(port)


def alertmanager_secret_paths(spec: Spec) -> tuple[str, ...]:
    """Secret files Alertmanager reads itself (Slack URL, PagerDuty key, SMTP password)."""
    paths: list[str] = []
    for r in spec.alerting.receivers:
        if r.slack is not None:
            paths.append(r.slack.api_url_file)
        if r.pagerduty is not None:
            paths.append(r.pagerduty.routing_key_file)
        if r.email is not None and r.email.auth_password_file:
            paths.append(r.email.auth_password_file)
    return tuple(dict.fromkeys(paths))


def healer_secret_paths(spec: Spec) -> tuple[str, ...]:
    """Secret files the healer reads: webhook URLs it relays to, and Slack URLs it notifies."""
    paths: list[str] = []
    for r in spec.alerting.receivers:
        if r.webhook is not None and r.webhook.url_file:
            paths.append(r.webhook.url_file)
        if r.slack is not None:
            paths.append(r.slack.api_url_file)
    return tuple(dict.fromkeys(paths))
