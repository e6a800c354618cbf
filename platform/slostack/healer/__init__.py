"""The healer: Alertmanager's webhook in, safe, audited remediation out (see ARCHITECTURE.md).

    app = create_app(HealerConfig(policy=load_policy("healer/policy.yml"), token=..., state_path=...))
    run_healer(policy_path, token_file, state_path, host, port, actuator_name, prometheus_url, state_dir)

Modules, one job each: payload (webhook models), matching (labels -> policy/target), gates (may a step
run now), store (SQLite state and journal), engine (ladders), verify + prometheus (did it work),
notify (tell humans), relay (forward Alertmanager's webhook notifications to URLs kept in files),
diagnosis/ (evidence -> hypotheses -> remedy, for `action: auto`), report/ (incident reports),
actuators/ (act), metrics, app (HTTP), serve (run for real).
"""

from .actuators.base import Actuator, ActuatorError, TargetState
from .app import create_app
from .clock import Clock, SystemClock
from .config import ConfigError, HealerConfig, load_token
from .report import incident_report
from .serve import build_actuator, load_policy, run_healer, serve

__all__ = [
    "Actuator",
    "ActuatorError",
    "Clock",
    "ConfigError",
    "HealerConfig",
    "SystemClock",
    "TargetState",
    "build_actuator",
    "create_app",
    "incident_report",
    "load_policy",
    "load_token",
    "run_healer",
    "serve",
]
