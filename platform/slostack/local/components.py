"""How each part of a local stack is started: one `ProcessSpec` per component, on 127.0.0.1.

Ports are chosen once per environment (and kept in environment.json), because the rendered configs
name them: Prometheus must know where Alertmanager is, Alertmanager where the healer is.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ..checks.tools import find_tool
from ..spec.model import Spec
from .layout import EnvLayout
from .supervisor import GroupSpec, ProcessSpec

__all__ = ["COMPONENTS", "Ports", "app_group", "find_app_dir", "grafana_binary", "server_specs"]

COMPONENTS = ("prometheus", "alertmanager", "healer", "grafana")


@dataclass(frozen=True)
class Ports:
    app: int
    prometheus: int
    alertmanager: int
    healer: int
    grafana: int

    def as_dict(self) -> dict[str, int]:
        return {
            "app": self.app,
            "prometheus": self.prometheus,
            "alertmanager": self.alertmanager,
            "healer": self.healer,
            "grafana": self.grafana,
        }


def find_app_dir(spec: Spec) -> Path:
    """The folder that holds the service's package (`build: sample_app`), searched from the spec upward."""
    service = spec.service
    if service is None or not service.build:
        raise ValueError(
            "the local target runs a service built from source (`service.build`); an image "
            "needs the docker or kubernetes target"
        )
    name = Path(service.build)
    starts = [Path(spec.source).resolve().parent, Path.cwd(), Path(__file__).resolve().parents[3]]
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / name
            if (candidate / "__main__.py").is_file():
                return candidate
    raise ValueError(
        f"cannot find the service's package {service.build!r} (a folder with __main__.py) "
        f"next to {spec.source} or above it"
    )


def app_group(
    spec: Spec, layout: EnvLayout, ports: Ports, version: str, settings: dict[str, str]
) -> GroupSpec:
    assert spec.service is not None
    app_dir = find_app_dir(spec)
    env = {**settings, "APP_VERSION": version, "CHAOS_TOKEN_FILE": str(layout.secret("chaos-token"))}
    template = ProcessSpec(
        name=spec.name,
        argv=(
            sys.executable,
            "-m",
            app_dir.name,
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--drain-delay",
            "0",
            "--graceful-timeout",
            "5",
        ),
        env=env,
        cwd=str(app_dir.parent),
        port=ports.app,
        inherit_env=False,
        stop_timeout=8.0,
    )
    return GroupSpec(
        name=spec.name,
        template=template,
        replicas=spec.service.replicas,
        targets_file=str(layout.targets_file.relative_to(layout.root)),
        labels={"version": version, "service": spec.name},
    )


def grafana_binary() -> str | None:
    return shutil.which("grafana-server") or shutil.which("grafana")


def server_specs(spec: Spec, layout: EnvLayout, ports: Ports) -> dict[str, ProcessSpec]:
    """Prometheus, Alertmanager, the healer and (when installed) Grafana."""
    active, data = layout.active, layout.data
    prometheus = ProcessSpec(
        name="prometheus",
        argv=(
            find_tool("prometheus"),
            f"--config.file={active / 'prometheus' / 'prometheus.yml'}",
            f"--storage.tsdb.path={data / 'prometheus'}",
            "--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=2d",
        ),
        port=ports.prometheus,
        inherit_env=False,
        ready_timeout=30.0,
    )
    alertmanager = ProcessSpec(
        name="alertmanager",
        argv=(
            find_tool("alertmanager"),
            f"--config.file={active / 'alertmanager' / 'alertmanager.yml'}",
            f"--storage.path={data / 'alertmanager'}",
            "--web.listen-address=127.0.0.1:{port}",
            # No gossip port: a single local Alertmanager has no peers, and 9094 may be taken.
            "--cluster.listen-address=",
        ),
        port=ports.alertmanager,
        inherit_env=False,
        ready_timeout=30.0,
    )
    healer = ProcessSpec(
        name="healer",
        argv=(
            sys.executable,
            "-m",
            "slostack",
            "healer",
            "--policy",
            str(active / "healer" / "policy.yml"),
            "--token-file",
            str(layout.secret("healer-token")),
            "--state",
            str(data / "healer.db"),
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--actuator",
            "local",
            "--prometheus",
            f"http://127.0.0.1:{ports.prometheus}",
            "--state-dir",
            str(layout.root),
        ),
        port=ports.healer,
        inherit_env=True,
        ready_timeout=30.0,
    )
    out = {"prometheus": prometheus, "alertmanager": alertmanager, "healer": healer}
    grafana = grafana_binary()
    if grafana:
        out["grafana"] = ProcessSpec(
            name="grafana",
            argv=(
                grafana,
                f"--homepath={_grafana_home()}",
                f"cfg:default.paths.provisioning={active / 'grafana' / 'provisioning'}",
                f"cfg:default.paths.data={data / 'grafana'}",
                "cfg:default.server.http_addr=127.0.0.1",
                "cfg:default.server.http_port={port}",
            ),
            env={
                "SLOSTACK_DASHBOARDS": str(active / "grafana" / "dashboards"),
                "PROMETHEUS_URL": f"http://127.0.0.1:{ports.prometheus}",
            },
            port=ports.grafana,
            inherit_env=False,
            ready_timeout=60.0,
        )
    return out


def _grafana_home() -> str:
    for candidate in ("/usr/share/grafana", "/usr/local/share/grafana", "/opt/grafana"):
        if Path(candidate).is_dir():
            return candidate
    return "/usr/share/grafana"
