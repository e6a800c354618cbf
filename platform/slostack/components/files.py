"""Slicing a rendered Bundle into what each component deploys (no Pulumi import).

Components take bundle files BY PREFIX (`prometheus/`, `grafana/dashboards/`, ...) and never look
inside them, so a file render adds under a prefix is deployed without a change here. Kubernetes
ConfigMap keys cannot hold `/`, so nested paths are flattened into keys and put back in place by the
volume's `items` (key -> path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..render.bundle import Bundle

__all__ = ["ConfigMapFiles", "FilesError", "configmap_files", "files_digest", "under"]

_KEY_CHARS = re.compile(r"[^-._a-zA-Z0-9]")
# Kubernetes refuses an object over 1 MiB; leave room for metadata.
CONFIGMAP_LIMIT = 1_000_000


class FilesError(ValueError):
    """Bundle files cannot be delivered as asked (a key clash, an oversized ConfigMap)."""


def under(bundle: Mapping[str, str], prefix: str, *, exclude: Iterable[str] = ()) -> dict[str, str]:
    """Files below `prefix` (a folder, ending in `/`), keyed by their path relative to it, in order."""
    if not prefix.endswith("/"):
        raise ValueError(f"prefix must name a folder and end with '/' (got {prefix!r})")
    skip = tuple(exclude)
    return {
        path[len(prefix) :]: text
        for path, text in sorted(bundle.items())
        if path.startswith(prefix) and not any(path.startswith(s) for s in skip)
    }


def files_digest(files: Mapping[str, str]) -> str:
    """The same digest a Bundle of exactly these files would have: stable, order-independent."""
    return Bundle.digest_of(files)


@dataclass(frozen=True)
class ConfigMapFiles:
    data: dict[str, str]  # ConfigMap key -> file text
    items: list[dict[str, str]]  # volume items: {"key": ..., "path": ...}, to put each file back


def configmap_files(files: Mapping[str, str]) -> ConfigMapFiles:
    data: dict[str, str] = {}
    items: list[dict[str, str]] = []
    for path, text in sorted(files.items()):
        key = _KEY_CHARS.sub("-", path.replace("/", "__"))
        if key in data:
            raise FilesError(f"bundle files {path!r} and another one map to the same ConfigMap key {key!r}")
        data[key] = text
        items.append({"key": key, "path": path})
    size = sum(len(k) + len(v.encode()) for k, v in data.items())
    if size > CONFIGMAP_LIMIT:
        raise FilesError(f"{size} bytes of files do not fit one ConfigMap (Kubernetes' limit is 1 MiB)")
    return ConfigMapFiles(data, items)
