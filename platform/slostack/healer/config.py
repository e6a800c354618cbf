"""What one healer runs with: its policy, its token, where its state lives, and the few knobs tests turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..render.healer_policy import HealerPolicyFile

__all__ = ["ACTUATORS", "ConfigError", "HealerConfig", "load_token"]

ACTUATORS = ("local", "docker", "kubernetes", "pulumi")
_MIN_TOKEN = 16


class ConfigError(Exception):
    """The healer cannot start with what it was given; the message says what to fix."""


@dataclass(frozen=True)
class HealerConfig:
    policy: HealerPolicyFile
    token: str = field(repr=False)
    state_path: Path
    actuator: str = "local"
    state_dir: Path | None = None  # the local runtime's supervisor directory (local actuator only)
    prometheus_url: str | None = None  # None: verify by the alert's resolution alone
    max_body_bytes: int = 1 << 20  # Alertmanager caps alerts per message; 1 MiB is far above that
    verify_interval: float | None = None  # None: about six Prometheus checks per verify window
    action_timeout: float = 300.0
    notify_timeout: float = 5.0
    # Relative receiver `url_file` paths (notify and relay) are read from here; None: the healer's
    # working directory (the local runtime starts it in the stack's folder).
    receivers_dir: Path | None = None
    dedup_cache: int = 100_000  # alert keys remembered in memory to answer repeats without SQLite

    def __post_init__(self) -> None:
        if len(self.token) < _MIN_TOKEN:
            raise ConfigError(f"the healer token must be at least {_MIN_TOKEN} characters")
        if self.actuator not in ACTUATORS:
            raise ConfigError(f"unknown actuator {self.actuator!r}; choose one of {', '.join(ACTUATORS)}")
        if self.max_body_bytes < 1024:
            raise ConfigError("max_body_bytes must be at least 1024")


def load_token(path: str | Path) -> str:
    """Read the bearer token; its file holds nothing else (a trailing newline is fine)."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"cannot read the token file {path}: {e.strerror or e}") from e
    if len(token) < _MIN_TOKEN or any(ch.isspace() for ch in token):
        raise ConfigError(f"{path}: the token must be one word of at least {_MIN_TOKEN} characters")
    return token
