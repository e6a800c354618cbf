"""Prometheus-style durations (`30d`, `250ms`, `1h30m`), kept as whole milliseconds."""

from __future__ import annotations

import re
from functools import total_ordering
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["Duration"]

_UNITS_MS = {
    "y": 365 * 86_400_000,
    "w": 7 * 86_400_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
}
_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_WHOLE = re.compile(r"^(?:\d+(?:ms|y|w|d|h|m|s))+$")
_ORDER = ["y", "w", "d", "h", "m", "s", "ms"]


@total_ordering
class Duration:
    """An exact duration. `str()` gives the canonical Prometheus spelling (`90m` -> `1h30m`)."""

    __slots__ = ("ms",)

    def __init__(self, ms: int) -> None:
        if ms <= 0:
            raise ValueError("a duration must be positive")
        self.ms = ms

    @classmethod
    def parse(cls, text: str) -> Duration:
        text = text.strip()
        if not _WHOLE.match(text):
            raise ValueError(f"not a duration (got {text!r}); use e.g. 30d, 6h, 5m, 30s, 250ms")
        seen: list[str] = []
        total = 0
        for number, unit in _PART.findall(text):
            if unit in seen or (seen and _ORDER.index(unit) < _ORDER.index(seen[-1])):
                raise ValueError(f"not a duration (got {text!r}); units must go from largest to smallest")
            seen.append(unit)
            total += int(number) * _UNITS_MS[unit]
        if total == 0:
            raise ValueError(f"must be longer than zero (got {text!r})")
        return cls(total)

    @property
    def seconds(self) -> float:
        return self.ms / 1000

    @property
    def days(self) -> float:
        return self.ms / 86_400_000

    def __str__(self) -> str:
        # Weeks and years are valid Prometheus units, but days read better in SLO windows (28d, not 4w).
        rest = self.ms
        out = ""
        for unit in ("d", "h", "m", "s", "ms"):
            size = _UNITS_MS[unit]
            if rest >= size:
                out += f"{rest // size}{unit}"
                rest %= size
        return out

    def __repr__(self) -> str:
        return f"Duration({self})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and other.ms == self.ms

    def __lt__(self, other: Duration) -> bool:
        return self.ms < other.ms

    def __hash__(self) -> int:
        return hash(self.ms)

    def __mul__(self, factor: float) -> Duration:
        return Duration(round(self.ms * factor))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def coerce(value: Any) -> Duration:
            if isinstance(value, Duration):
                return value
            if isinstance(value, bool) or not isinstance(value, str):
                raise ValueError(f"not a duration (got {value!r}); use e.g. 30d, 6h, 5m, 30s, 250ms")
            return cls.parse(value)

        return core_schema.no_info_plain_validator_function(
            coerce,
            json_schema_input_schema=core_schema.str_schema(pattern=_WHOLE.pattern),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )
