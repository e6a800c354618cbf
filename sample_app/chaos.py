"""``/chaos``: change the injected fault at runtime, so a drill needs no restart.

Only mounted when a token is configured, so a service without one answers 404 like for any unknown
path. Checks run in a fixed order: token first (401), body second (422), so a caller without the
token learns nothing about what a valid body looks like.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from sample_app.faults import FaultInjector, FaultState
from sample_app.settings import (
    After,
    FailMode,
    FaultConfig,
    parse_after,
    parse_byte_size,
    parse_duration,
    parse_lasts,
    parse_rate,
)

__all__ = ["ChaosRequest", "chaos_router", "describe"]

_log = logging.getLogger("sample_app.chaos")


def _as_text(value: object) -> str:
    """Let JSON numbers and strings go through the same parsers as the environment variables."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be a string or a number")
    if isinstance(value, float):
        return format(value, "f")
    return str(value)


Rate = Annotated[float, BeforeValidator(lambda value: parse_rate(_as_text(value)))]
Duration = Annotated[float, BeforeValidator(lambda value: parse_duration(_as_text(value)))]
ByteSize = Annotated[int, BeforeValidator(lambda value: parse_byte_size(_as_text(value)))]
AfterSpec = Annotated[After, BeforeValidator(lambda value: parse_after(_as_text(value)))]
Lasts = Annotated[float, BeforeValidator(lambda value: parse_lasts(_as_text(value)))]

_DEFAULTS = FaultConfig()


class ChaosRequest(BaseModel):
    """A whole fault: fields left out take their defaults, they do not keep the current values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: FailMode
    rate: Rate = _DEFAULTS.rate
    latency: Duration = _DEFAULTS.latency
    after: AfterSpec = _DEFAULTS.after
    memory_step: ByteSize = _DEFAULTS.memory_step
    memory_cap: ByteSize = _DEFAULTS.memory_cap
    # `for` reads best in a body ({"after": "30s", "for": "6s"}) but is a Python keyword, hence the alias.
    # Only the alias is accepted: extra="forbid" refuses "lasts" like any unknown key.
    lasts: Lasts = Field(default=_DEFAULTS.lasts, alias="for")

    def to_config(self) -> FaultConfig:
        return FaultConfig(
            mode=self.mode,
            rate=self.rate,
            latency=self.latency,
            after=self.after,
            memory_step=self.memory_step,
            memory_cap=self.memory_cap,
            lasts=self.lasts,
        )


def describe(state: FaultState) -> dict[str, Any]:
    config = state.config
    return {
        "mode": config.mode.value,
        "rate": config.rate,
        "latency_seconds": config.latency,
        "after": config.after.describe(),
        "memory_step_bytes": config.memory_step,
        "memory_cap_bytes": config.memory_cap,
        "for_seconds": config.lasts,
        "active": state.active and config.mode is not FailMode.NONE,
        "expired": state.expired and config.mode is not FailMode.NONE,
        "requests_seen": state.requests_seen,
        "leaked_bytes": state.leaked_bytes,
        "injected": {
            mode.value: count for mode, count in state.injected.items() if mode is not FailMode.NONE
        },
    }


def chaos_router(injector: FaultInjector, token: str) -> APIRouter:
    expected = token.encode("ascii")

    async def require_token(request: Request) -> None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # compare_digest even for the wrong scheme, so timing does not reveal which check failed.
        valid = hmac.compare_digest(given.strip().encode("utf-8", "replace"), expected)
        if scheme.lower() != "bearer" or not valid:
            raise HTTPException(401, "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"})

    router = APIRouter(prefix="/chaos", tags=["chaos"], dependencies=[Depends(require_token)])

    @router.get("")
    async def show() -> dict[str, Any]:
        return describe(injector.state())

    # The body is parsed here, not declared as a parameter: FastAPI would reject a malformed body with
    # 422 before the token dependency runs, answering unauthenticated callers.
    @router.post("", response_model=None)
    async def configure(request: Request) -> dict[str, Any] | JSONResponse:
        try:
            body = ChaosRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            return JSONResponse({"detail": errors}, status_code=422)
        injector.configure(body.to_config())
        _log.warning(
            "fault configured: mode=%s rate=%g latency=%gs after=%s for=%s",
            body.mode.value,
            body.rate,
            body.latency,
            body.after.describe(),
            f"{body.lasts:g}s" if body.lasts else "until cleared",
            extra={"fail_mode": body.mode.value},
        )
        return describe(injector.state())

    @router.delete("")
    async def clear() -> dict[str, Any]:
        injector.configure(FaultConfig())
        _log.warning("fault cleared: mode=none, leaked memory released", extra={"fail_mode": "none"})
        return describe(injector.state())

    return router
