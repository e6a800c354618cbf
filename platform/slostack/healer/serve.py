"""Running a healer for real: build the actuator by name, load the files, serve under uvicorn."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import uvicorn
import yaml
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ..render.healer_policy import HealerPolicyFile, load_policy_file
from .actuators.base import Actuator
from .actuators.local import Rollbacker
from .clock import Clock
from .config import ACTUATORS, ConfigError, HealerConfig, load_token
from .notify import Notifier
from .prometheus import Prometheus

__all__ = ["build_actuator", "load_policy", "run_healer", "serve"]

_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def build_actuator(
    name: str,
    state_dir: Path,
    *,
    rollbacker: Rollbacker | None = None,
    pulumi_rollback: Callable[[str], str] | None = None,
) -> Actuator:
    """The named actuator, with its client built from the environment (kubeconfig, DOCKER_HOST...).

    Rollback needs the release ledger, which lives in other layers: pass `rollbacker` (local) or
    `pulumi_rollback` (pulumi); without them a rollback step fails with a clear error."""
    if name == "local":
        from ..local.supervisor import Supervisor
        from .actuators.local import LocalActuator

        return LocalActuator(Supervisor(state_dir), rollbacker)
    if name == "docker":
        import docker

        from .actuators.docker_sdk import DockerActuator

        return DockerActuator(docker.from_env().api)
    if name == "kubernetes":
        from kubernetes import client
        from kubernetes import config as kube_config

        from .actuators.kubernetes_api import KubernetesActuator

        try:
            kube_config.load_incluster_config()  # type: ignore[no-untyped-call]
        except kube_config.ConfigException:
            kube_config.load_kube_config()  # type: ignore[no-untyped-call]
        namespace = os.environ.get("SLOSTACK_NAMESPACE") or (
            _NAMESPACE_FILE.read_text(encoding="utf-8").strip() if _NAMESPACE_FILE.exists() else "default"
        )
        return KubernetesActuator(client.ApiClient(), namespace)
    if name == "pulumi":
        from .actuators.pulumi_stack import PulumiActuator

        return PulumiActuator(pulumi_rollback)
    raise ConfigError(f"unknown actuator {name!r}; choose one of {', '.join(ACTUATORS)}")


def load_policy(path: str | Path) -> HealerPolicyFile:
    try:
        return load_policy_file(path)
    except OSError as e:
        raise ConfigError(f"cannot read the policy file {path}: {e.strerror or e}") from e
    except (yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"{path}: not a healer policy file: {e}") from e


def serve(
    config: HealerConfig,
    host: str,
    port: int,
    *,
    clock: Clock | None = None,
    actuator: Actuator | None = None,
    prometheus: Prometheus | None = None,
    notifier: Notifier | None = None,
    registry: CollectorRegistry | None = None,
    log_level: str = "info",
) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn stops gracefully; a pending action is journaled as such)."""
    from .app import create_app

    app = create_app(
        config, clock=clock, actuator=actuator, prometheus=prometheus, notifier=notifier, registry=registry
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=log_level,
            access_log=False,  # the audit journal is the record; per-request lines would drown it
            lifespan="on",
            timeout_graceful_shutdown=10,
        )
    )
    server.run()
    if not server.started:
        raise ConfigError("the healer did not start; see the log above")


def run_healer(
    policy_path: str | Path,
    token_file: str | Path,
    state_path: str | Path,
    host: str,
    port: int,
    actuator_name: str = "local",
    prometheus_url: str | None = None,
    state_dir: str | Path | None = None,
    *,
    rollbacker: Rollbacker | None = None,
    pulumi_rollback: Callable[[str], str] | None = None,
) -> None:
    """Everything `slostack healer` does. Raises ConfigError (one line, for the CLI to print)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = HealerConfig(
        policy=load_policy(policy_path),
        token=load_token(token_file),
        state_path=Path(state_path),
        actuator=actuator_name,
        state_dir=Path(state_dir) if state_dir is not None else None,
        prometheus_url=prometheus_url,
    )
    actuator = build_actuator(
        actuator_name,
        config.state_dir or config.state_path.parent,
        rollbacker=rollbacker,
        pulumi_rollback=pulumi_rollback,
    )
    serve(config, host, port, actuator=actuator)
