"""Readiness probes for the local stack, each bounded in time."""

from __future__ import annotations

import time

import httpx

__all__ = ["READY_PATHS", "probe", "wait_ready"]

READY_PATHS = {
    "prometheus": "/-/ready",
    "alertmanager": "/-/ready",
    "healer": "/health",
    "grafana": "/api/health",
    "app": "/ready",
}


def probe(url: str, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(url: str, timeout: float) -> float | None:
    """Seconds until `url` answered 200, or None when it did not within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if probe(url):
            return time.monotonic() - started
        time.sleep(0.1)
    return None
