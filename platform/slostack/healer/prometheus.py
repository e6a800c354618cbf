"""Instant queries against Prometheus' HTTP API, reduced to one number or "don't know".

"Don't know" (None) covers no data, errors, timeouts and NaN alike: verification must never read
silence as success.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import httpx

__all__ = ["HttpPrometheus", "Prometheus", "reading_from_response"]


class Prometheus(Protocol):
    async def query(self, expr: str, timeout: float) -> float | None:
        """The worst (highest) value of an instant vector or the scalar; None when unknown."""
        ...


def reading_from_response(body: Any) -> float | None:
    if not isinstance(body, dict) or body.get("status") != "success":
        return None
    data = body.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    values: list[Any] = []
    if kind == "vector" and isinstance(result, list):
        values = [s.get("value", [None, None])[1] for s in result if isinstance(s, dict)]
    elif kind == "scalar" and isinstance(result, list) and len(result) == 2:
        values = [result[1]]
    numbers = []
    for v in values:
        try:
            x = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(x):
            numbers.append(x)
    # Several series (e.g. one per replica): judge by the worst one.
    return max(numbers) if numbers else None


class HttpPrometheus:
    def __init__(self, base_url: str, client: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient()

    async def query(self, expr: str, timeout: float) -> float | None:
        try:
            resp = await self._client.get(
                f"{self.base_url}/api/v1/query", params={"query": expr}, timeout=timeout
            )
            if resp.status_code != 200:
                return None
            return reading_from_response(resp.json())
        except (httpx.HTTPError, ValueError):
            return None

    async def aclose(self) -> None:
        await self._client.aclose()
