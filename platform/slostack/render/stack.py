"""Which components a spec's stack has, and where each is as the others see it.

Several artifacts must agree on this (Prometheus scrapes the healer that Alertmanager notifies), so
it is decided here once.
"""

from __future__ import annotations

from ..spec.model import Spec
from .options import Endpoints, RenderOptions, default_endpoints

__all__ = ["endpoints", "has_healer"]


def endpoints(spec: Spec, options: RenderOptions) -> Endpoints:
    if options.endpoints is not None:
        return options.endpoints
    port = spec.service.port if spec.service is not None else 8000
    return default_endpoints(spec.deploy.target, spec.name, port)


def has_healer(spec: Spec) -> bool:
    """The healer runs beside a service it can act on; without one there is nothing to heal."""
    return spec.healing.enabled and spec.service is not None
