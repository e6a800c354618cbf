"""One JSON object per line on stdout, so log shippers need no parsing rules.

Named ``jsonlog`` rather than ``logging`` so it never shadows the standard library module.
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = ["REQUEST_ID", "JsonFormatter", "configure_logging", "logging_config"]

# Set by the request middleware, so a line logged deep inside a handler still names its request.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

# Extra fields a record may carry (logger.info(..., extra={...})), in output order.
_FIELDS = ("request_id", "method", "route", "status", "duration_ms", "fail_mode", "version")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id is not None:
            payload["request_id"] = request_id
        for name in _FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                payload[name] = value
        if record.exc_info:
            # Kept inside the object: a multi-line traceback would break one-object-per-line.
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, separators=(",", ":"), default=str)


def logging_config(level: str = "info") -> dict[str, Any]:
    """A ``dictConfig`` that routes our loggers and uvicorn's through the JSON formatter.

    uvicorn's access log is silenced: our middleware writes a richer line (route, request id).
    """
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stdout": handler},
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure_logging(level: str = "info") -> None:
    logging.config.dictConfig(logging_config(level))
