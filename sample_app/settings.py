"""Settings read once from the environment, validated before the server binds a port.

Every parser raises ``ValueError`` with the "must be ..." part of the message only; ``load_settings``
adds the variable name and the offending value, so one bad variable gives exactly one readable line.
The same parsers validate the body of ``POST /chaos``, so the environment and the runtime control
accept the same spellings.

Spellings, chosen to match what drill authors already type for Kubernetes and Prometheus:

- durations (``FAIL_LATENCY``, ``STARTUP_DELAY``): ``250ms``, ``2s``, ``1m`` or a bare number of seconds.
- byte sizes (``FAIL_MEMORY_STEP``, ``FAIL_MEMORY_CAP``): bare bytes, ``Ki``/``Mi``/``Gi`` (powers of
  1024) or ``k``/``M``/``G`` (powers of 1000), as in Kubernetes quantities.
- ``FAIL_AFTER``: a duration WITH a unit (``30s``, ``500ms``, ``2m``) means time since the fault was
  configured (process start, or the ``POST /chaos``); ``100r`` or a bare integer ``100`` means "after
  the first 100 fault-eligible requests". A bare number is a request count here, unlike in
  ``FAIL_LATENCY``, because "after N" most often counts requests in drills; time always needs a unit.
- ``FAIL_FOR``: how long the fault lasts once it has started (``6s``, ``2m``, or a bare number of
  seconds as in ``FAIL_LATENCY``), at most 1 hour. It counts from the start, not from the
  configuration: ``FAIL_AFTER=30s FAIL_FOR=10s`` injects from 30 s to 40 s, and with ``FAIL_AFTER=100``
  the clock starts at request 101. Then the fault stops by itself, so a drill can watch the service
  recover without anyone clearing it. Unset or ``0`` means until cleared.

An empty variable counts as unset, so ``ENV FAIL_MODE=`` in an image does not break the start.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

__all__ = [
    "MAX_MEMORY_CAP",
    "MIN_TOKEN_LENGTH",
    "After",
    "FailMode",
    "FaultConfig",
    "Settings",
    "SettingsError",
    "load_settings",
    "parse_after",
    "parse_byte_size",
    "parse_duration",
    "parse_lasts",
    "parse_rate",
]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# A drill must never take the machine down: no configuration can leak more than this.
MAX_MEMORY_CAP = 1 * GiB
MAX_LATENCY_SECONDS = 60.0
MAX_STARTUP_DELAY_SECONDS = 300.0
MAX_AFTER_SECONDS = 86_400.0
MAX_AFTER_REQUESTS = 1_000_000_000
# Long enough for any drill; a longer "temporary" fault is really a forgotten one.
MAX_LASTS_SECONDS = 3_600.0
# Short tokens are guessable, and this one lets a caller break the service on purpose.
MIN_TOKEN_LENGTH = 16


class FailMode(StrEnum):
    NONE = "none"
    LATENCY = "latency"
    ERROR = "error"
    CRASH = "crash"
    MEMORY = "memory"


LOG_LEVELS = ("debug", "info", "warning", "error")
SWITCH_VALUES = ("on", "off")

_DURATION = re.compile(r"(?P<number>\d+(?:\.\d+)?)(?P<unit>ms|s|m)?")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}
_BYTE_SIZE = re.compile(r"(?P<number>\d+)(?P<unit>Ki|Mi|Gi|k|M|G)?")
_BYTE_UNITS = {"Ki": KiB, "Mi": MiB, "Gi": GiB, "k": 1000, "M": 1000**2, "G": 1000**3, None: 1}
_REQUEST_COUNT = re.compile(r"(?P<number>\d+)r?")
_T = TypeVar("_T")

_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")


@dataclass(frozen=True, slots=True)
class After:
    """When a fault starts: ``seconds`` after it was configured, or after ``requests`` requests."""

    seconds: float = 0.0
    requests: int = 0

    def describe(self) -> str:
        if self.requests:
            return f"{self.requests}r"
        return f"{self.seconds:g}s"


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """One injected fault. ``rate`` is the share of eligible requests it hits, from 0 to 1.

    ``lasts`` is how many seconds the fault stays on once it started (``FAIL_FOR``); 0 means until
    cleared.
    """

    mode: FailMode = FailMode.NONE
    rate: float = 1.0
    latency: float = 2.0
    after: After = After()
    memory_step: int = 1 * MiB
    memory_cap: int = 200 * MiB
    lasts: float = 0.0


@dataclass(frozen=True, slots=True)
class Settings:
    fault: FaultConfig = FaultConfig()
    app_version: str = "dev"
    # repr=False: settings get logged and printed while debugging; the token must never be.
    chaos_token: str | None = field(default=None, repr=False)
    seed: int | None = None
    log_level: str = "info"
    startup_delay: float = 0.0
    # Benchmark-only switch (SAMPLE_APP_METRICS=off) to measure what our middleware costs.
    metrics_enabled: bool = True


class SettingsError(ValueError):
    """Every invalid variable, as one line: ``NAME: must be ... (got '...')``, joined by "; "."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_rate(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError("must be a number between 0 and 1")
    return value


def parse_duration(raw: str, *, maximum: float = MAX_LATENCY_SECONDS) -> float:
    match = _DURATION.fullmatch(raw.strip())
    if match is None:
        raise ValueError(f"must be a duration like 250ms, 2s or 1.5 (seconds), at most {maximum:g}s")
    seconds = float(match["number"]) * _DURATION_UNITS[match["unit"]]
    if seconds > maximum:
        raise ValueError(f"must be a duration of at most {maximum:g}s")
    return seconds


def parse_byte_size(raw: str, *, maximum: int = MAX_MEMORY_CAP) -> int:
    match = _BYTE_SIZE.fullmatch(raw.strip())
    if match is None:
        raise ValueError(
            f"must be a byte size like 1048576, 512Ki, 1Mi or 1G, from 1 to {_format_size(maximum)}"
        )
    size = int(match["number"]) * _BYTE_UNITS[match["unit"]]
    if not 1 <= size <= maximum:
        raise ValueError(f"must be a byte size from 1 to {_format_size(maximum)}")
    return size


def parse_after(raw: str) -> After:
    text = raw.strip()
    count = _REQUEST_COUNT.fullmatch(text)
    if count is not None:
        requests = int(count["number"])
        if requests > MAX_AFTER_REQUESTS:
            raise ValueError(f"must be a request count of at most {MAX_AFTER_REQUESTS}r")
        return After(requests=requests)
    duration = _DURATION.fullmatch(text)
    if duration is None or duration["unit"] is None:
        raise ValueError("must be a duration like 30s or 500ms, or a request count like 100r or 100")
    return After(seconds=parse_duration(text, maximum=MAX_AFTER_SECONDS))


def parse_lasts(raw: str) -> float:
    return parse_duration(raw, maximum=MAX_LASTS_SECONDS)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read every variable, collect every problem, and raise them together as one line."""
    problems: list[str] = []

    def get(name: str) -> str | None:
        value = environ.get(name, "").strip()
        return value or None

    def parsed(name: str, parser: Callable[[str], _T], default: _T) -> _T:
        raw = get(name)
        if raw is None:
            return default
        try:
            return parser(raw)
        except ValueError as exc:
            problems.append(f"{name}: {exc} (got {raw!r})")
            return default

    defaults = FaultConfig()
    fault = FaultConfig(
        mode=parsed("FAIL_MODE", _parse_mode, defaults.mode),
        rate=parsed("FAIL_RATE", parse_rate, defaults.rate),
        latency=parsed("FAIL_LATENCY", parse_duration, defaults.latency),
        after=parsed("FAIL_AFTER", parse_after, defaults.after),
        memory_step=parsed("FAIL_MEMORY_STEP", parse_byte_size, defaults.memory_step),
        memory_cap=parsed("FAIL_MEMORY_CAP", parse_byte_size, defaults.memory_cap),
        lasts=parsed("FAIL_FOR", parse_lasts, defaults.lasts),
    )
    settings = Settings(
        fault=fault,
        app_version=parsed("APP_VERSION", _parse_version, "dev"),
        chaos_token=_load_token(get("CHAOS_TOKEN_FILE"), get("CHAOS_TOKEN"), problems),
        seed=parsed("FAIL_SEED", _parse_seed, None),
        log_level=parsed("LOG_LEVEL", _choice(LOG_LEVELS), "info"),
        startup_delay=parsed("STARTUP_DELAY", _parse_startup_delay, 0.0),
        metrics_enabled=parsed("SAMPLE_APP_METRICS", _choice(SWITCH_VALUES), "on") == "on",
    )
    if problems:
        raise SettingsError(problems)
    return settings


def _parse_mode(raw: str) -> FailMode:
    try:
        return FailMode(raw.strip().lower())
    except ValueError:
        raise ValueError(f"must be one of {', '.join(FailMode)}") from None


def _choice(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def _parse_seed(raw: str) -> int:
    if not raw.strip().isdigit():
        raise ValueError("must be a non-negative integer")
    return int(raw)


def _parse_version(raw: str) -> str:
    if _VERSION.fullmatch(raw) is None:
        raise ValueError(
            "must be 1-64 characters: letters, digits and . _ + -, starting with a letter or digit"
        )
    return raw


def _parse_startup_delay(raw: str) -> float:
    return parse_duration(raw, maximum=MAX_STARTUP_DELAY_SECONDS)


def _load_token(path: str | None, inline: str | None, problems: list[str]) -> str | None:
    """The file wins over the inline variable: files stay out of `ps`, `docker inspect` and crash dumps.

    Problems never quote the token itself, only the file path.
    """
    name, token = "CHAOS_TOKEN", inline
    if path is not None:
        name = "CHAOS_TOKEN_FILE"
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            problems.append(f"{name}: must name a readable UTF-8 file (got {path!r}: {reason})")
            return None
    if token is None:
        return None
    if len(token) < MIN_TOKEN_LENGTH or not token.isascii() or not token.isprintable() or " " in token:
        problems.append(
            f"{name}: must be at least {MIN_TOKEN_LENGTH} printable ASCII characters without spaces "
            f"(got {len(token)} characters; value not shown)"
        )
        return None
    return token


def _format_size(size: int) -> str:
    for unit, factor in (("Gi", GiB), ("Mi", MiB), ("Ki", KiB)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)
