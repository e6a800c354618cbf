"""Where a local environment keeps its things: `.slostack/<env>/` under the working directory.

procs/ groups/ logs/ targets/ .lock    the process supervisor's state (see supervisor.py)
releases/                              the release ledger (releases/local_ledger.py)
active/                                the bundle Prometheus, Alertmanager and the healer read now
data/                                  Prometheus TSDB, Alertmanager state, the healer's SQLite
secrets/                               generated tokens (0600): healer webhook, chaos endpoint
environment.json                       ports, spec path and profile of this environment
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_ROOT", "EnvLayout"]

DEFAULT_ROOT = Path(".slostack")
_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


@dataclass(frozen=True)
class EnvLayout:
    root: Path

    @classmethod
    def for_env(cls, env: str, base: Path | None = None) -> EnvLayout:
        if not _ENV_NAME.match(env):
            raise ValueError(f"--env must be lowercase letters, digits and '-' (got {env!r})")
        return cls(((base or DEFAULT_ROOT) / env).resolve())

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def active(self) -> Path:
        return self.root / "active"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def environment_file(self) -> Path:
        return self.root / "environment.json"

    @property
    def targets_file(self) -> Path:
        return self.root / "targets" / "app.json"

    def secret(self, name: str) -> Path:
        """A generated secret file, created once with mode 0600 and never printed."""
        path = self.secrets / name
        if not path.exists():
            self.secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
        return path
