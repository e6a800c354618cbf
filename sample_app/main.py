"""The app factory, and ``app`` for ``uvicorn sample_app.main:app``.

``app`` is built on first access, not at import: importing this module for ``create_app`` must not
read the environment, register metrics or exit on bad settings.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from prometheus_client import CollectorRegistry

from sample_app.api import api_router
from sample_app.chaos import chaos_router
from sample_app.faults import FaultInjector
from sample_app.jsonlog import configure_logging
from sample_app.metrics import (
    METRICS_CONTENT_TYPE,
    AppCollector,
    HttpMetrics,
    MetricsMiddleware,
    add_default_collectors,
    render,
)
from sample_app.probes import Lifecycle, probes_router
from sample_app.requestlog import RequestLogMiddleware
from sample_app.settings import Settings, SettingsError, load_settings

# `app` is served by the module __getattr__ below, and left out of __all__ so `import *` does not build it.
__all__ = ["SETTINGS_EXIT_CODE", "create_app"]

# Like a usage error, and distinct from an injected crash (3) and a uvicorn startup failure (1).
SETTINGS_EXIT_CODE = 2

_log = logging.getLogger("sample_app")


def create_app(
    settings: Settings | None = None,
    registry: CollectorRegistry | None = None,
    *,
    lifecycle: Lifecycle | None = None,
    injector: FaultInjector | None = None,
) -> FastAPI:
    """Build one independent app.

    ``settings`` defaults to the environment (raising ``SettingsError``). ``registry`` must be a fresh
    ``CollectorRegistry``; the process, platform and GC collectors are added to it. Pass ``lifecycle``
    to flip readiness from outside (the server does on SIGTERM).
    """
    if settings is None:
        settings = load_settings(os.environ)
    if registry is None:
        registry = CollectorRegistry()
    add_default_collectors(registry)
    lifecycle = lifecycle if lifecycle is not None else Lifecycle()
    if injector is None:
        injector = FaultInjector(settings.fault, rng=random.Random(settings.seed))  # noqa: S311 - chaos, not crypto
    registry.register(AppCollector(settings.app_version, injector))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warm_up: asyncio.Task[None] | None = None
        if settings.startup_delay > 0:
            warm_up = asyncio.create_task(lifecycle.ready_after(settings.startup_delay))
        else:
            lifecycle.mark_ready()
        _log.info(
            "started: version=%s fail_mode=%s chaos=%s",
            settings.app_version,
            settings.fault.mode.value,
            "enabled" if settings.chaos_token else "disabled",
            extra={"version": settings.app_version, "fail_mode": settings.fault.mode.value},
        )
        try:
            yield
        finally:
            lifecycle.begin_drain()
            if warm_up is not None:
                warm_up.cancel()

    app = FastAPI(
        title="sample_app",
        version=settings.app_version,
        lifespan=lifespan,
        # A small production service exposes no interactive docs to the internet.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.lifecycle = lifecycle
    app.state.injector = injector

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(render(registry), media_type=METRICS_CONTENT_TYPE)

    app.include_router(probes_router(lifecycle))
    app.include_router(api_router(injector))
    if settings.chaos_token:
        app.include_router(chaos_router(injector, settings.chaos_token))

    # Added last = outermost: the access log's duration then includes the metrics middleware.
    if settings.metrics_enabled:
        app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(registry))
    app.add_middleware(RequestLogMiddleware)
    return app


@functools.cache
def _app_from_environment() -> FastAPI:
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        # One line and no traceback: the operator needs the variable and the allowed values, nothing else.
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(SETTINGS_EXIT_CODE) from None
    configure_logging(settings.log_level)
    return create_app(settings)


def __getattr__(name: str) -> FastAPI:
    if name == "app":
        return _app_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
