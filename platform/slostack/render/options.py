"""What a render may vary besides the spec: where the parts of the stack are, and user templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Endpoints", "RenderOptions", "default_endpoints"]


@dataclass(frozen=True)
class Endpoints:
    """host:port of each component as the OTHER components reach it.

    The bundle is the same for every target except these addresses: a local stack puts everything on
    127.0.0.1 with ports chosen by `slostack up`, Docker uses container names on its network,
    Kubernetes uses Service names. The app's own targets are listed in `app_targets_file` (Prometheus
    file-based discovery) when the runtime scales replicas itself, else `app` is scraped directly.
    """

    app: tuple[str, ...] = ("app:8000",)
    prometheus: str = "prometheus:9090"
    alertmanager: str = "alertmanager:9093"
    healer: str = "healer:8080"
    grafana: str = "grafana:3000"
    app_targets_file: str | None = None  # path as Prometheus sees it, e.g. targets/app.json


def default_endpoints(target: str, service_name: str, port: int = 8000) -> Endpoints:
    if target == "local":
        return Endpoints(
            app=(f"127.0.0.1:{port}",),
            prometheus="127.0.0.1:9090",
            alertmanager="127.0.0.1:9093",
            healer="127.0.0.1:9095",
            grafana="127.0.0.1:3000",
            app_targets_file="targets/app.json",
        )
    return Endpoints(
        app=(f"{service_name}:{port}",),
        prometheus=f"{service_name}-prometheus:9090",
        alertmanager=f"{service_name}-alertmanager:9093",
        healer=f"{service_name}-healer:8080",
        grafana=f"{service_name}-grafana:3000",
    )


@dataclass(frozen=True)
class RenderOptions:
    templates: Path | None = None  # a folder whose files override the packaged templates by name
    sloth_labels: bool = False  # name SLO labels sloth_* so Sloth's public dashboards work unchanged
    endpoints: Endpoints | None = None  # None: the defaults for spec.deploy.target
    # Files the healer and Alertmanager read secrets from, as THEY see the path at run time.
    healer_token_file: str = "secrets/healer-token"  # noqa: S105 - a path, not a secret
