"""Secret inputs: read from files at program time, handed on as Pulumi secrets, never written inline."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi

__all__ = ["HealerToken", "SecretFileError", "container_path", "read_secret", "read_secrets"]

MIN_TOKEN = 16  # the healer refuses shorter tokens (healer/config.py); fail at `pulumi up` instead


class SecretFileError(ValueError):
    """A secret file named in stack config cannot be used; the message names the file."""


@dataclass(frozen=True)
class HealerToken:
    """The bearer token Alertmanager presents to the healer's webhook."""

    value: pulumi.Input[str]  # the token itself, as a secret Output (Docker uploads it)
    secret_name: pulumi.Input[str] | None = None  # Kubernetes: the Secret holding it
    key: str = "token"


def read_secret(path: str | Path, *, what: str, min_length: int = 1) -> pulumi.Output[str]:
    """The file's text (trailing newline dropped) as a Pulumi secret, checked before anything registers."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8").rstrip("\n")
    except OSError as e:
        raise SecretFileError(f"{what}: cannot read {file}: {e.strerror or e}") from None
    if len(text) < min_length:
        raise SecretFileError(f"{what}: {file} must hold at least {min_length} characters")
    return pulumi.Output.secret(text)


def read_secrets(files: Mapping[str, str], *, what: str) -> dict[str, pulumi.Output[str]]:
    """{path the spec names: local file} -> {path the spec names: secret content}."""
    return {name: read_secret(local, what=f"{what} {name}") for name, local in sorted(files.items())}


def container_path(path: str, base: str) -> str:
    """Where a file the spec names goes in a container: relative paths resolve from `base`."""
    return path if posixpath.isabs(path) else posixpath.normpath(posixpath.join(base, path))
