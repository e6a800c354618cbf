"""Request ids and the access log: one JSON line per request, correlated by ``X-Request-ID``.

A pure ASGI middleware for the same reason as the metrics one: it runs on every request.
"""

from __future__ import annotations

import logging
import re
import uuid
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sample_app.jsonlog import REQUEST_ID
from sample_app.metrics import route_template

__all__ = ["REQUEST_ID_HEADER", "RequestLogMiddleware", "request_id_from"]

REQUEST_ID_HEADER = "x-request-id"
# An id from a client ends up in our logs and response headers: short and boring, or we make our own.
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")

_log = logging.getLogger("sample_app.access")


def request_id_from(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` if it is safe to repeat, else a fresh random one."""
    value: bytes
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if _SAFE_REQUEST_ID.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = request_id_from(scope)
        header = (REQUEST_ID_HEADER.encode("ascii"), request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = REQUEST_ID.set(request_id)
        start = perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # Checked first: formatting a line nobody will see would cost every request.
            if _log.isEnabledFor(logging.INFO):
                _log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "route": route_template(scope),
                        "status": status,
                        "duration_ms": round((perf_counter() - start) * 1000, 3),
                    },
                )
            REQUEST_ID.reset(token)
