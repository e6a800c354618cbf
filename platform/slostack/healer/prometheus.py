"""Instant queries against Prometheus' HTTP API, reduced to one number or "don't know".

"Don't know" (None) covers no data, errors, timeouts and NaN alike: verification must never read
silence as success.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

__all__ = [
    "HttpPrometheus",
    "Prometheus",
    "QueryFailed",
    "Sample",
    "Series",
    "reading_from_response",
]

_MAX_POINTS = 11_000  # Prometheus' own cap per series; refuse to ask for more


class QueryFailed(Exception):
    """Prometheus did not answer usefully (timeout, HTTP error, error status). Not the same as no data."""


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float  # may be NaN or infinite: callers decide


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]  # (unix time, value), finite values only


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

    async def vector(self, expr: str, timeout: float) -> list[Sample]:
        """Every sample of an instant query ([] is "no data"); QueryFailed when there is no answer."""
        body = await self._get("/api/v1/query", {"query": expr}, timeout)
        data = body.get("data") or {}
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list) and len(result) == 2:
            return [Sample({}, _float(result[1]))]
        if kind != "vector" or not isinstance(result, list):
            raise QueryFailed(f"unexpected result type {kind!r}")
        return [
            Sample(dict(s.get("metric") or {}), _float((s.get("value") or [None, None])[1]))
            for s in result
            if isinstance(s, dict)
        ]

    async def range(self, expr: str, start: float, end: float, step: float, timeout: float) -> list[Series]:
        """A bounded range query: refused (QueryFailed) if it would return more than _MAX_POINTS points."""
        if step <= 0 or end <= start or (end - start) / step > _MAX_POINTS:
            raise QueryFailed("range too long for its step")
        body = await self._get(
            "/api/v1/query_range", {"query": expr, "start": start, "end": end, "step": step}, timeout
        )
        result = (body.get("data") or {}).get("result")
        if not isinstance(result, list):
            raise QueryFailed("no matrix in the answer")
        out = []
        for s in result:
            if not isinstance(s, dict):
                continue
            points = []
            for pair in s.get("values") or []:
                t, v = float(pair[0]), _float(pair[1])
                if math.isfinite(v):
                    points.append((t, v))
            out.append(Series(dict(s.get("metric") or {}), tuple(points)))
        return out

    async def _get(self, path: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
        try:
            resp = await self._client.get(f"{self.base_url}{path}", params=params, timeout=timeout)
        except httpx.TimeoutException as e:
            raise QueryFailed(f"no answer in {timeout:g}s") from e
        except httpx.HTTPError as e:
            raise QueryFailed(type(e).__name__) from e
        try:
            body = resp.json()
        except ValueError as e:
            raise QueryFailed(f"HTTP {resp.status_code}, not JSON") from e
        if resp.status_code != 200 or not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error", "") if isinstance(body, dict) else ""
            raise QueryFailed(f"HTTP {resp.status_code}: {str(error)[:200]}")
        return body

    async def aclose(self) -> None:
        await self._client.aclose()


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan
