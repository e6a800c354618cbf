"""Telling humans: POST a JSON message to a receiver's URL, read from its `url_file` at send time.

The URL comes from a file (never from an alert, never from the policy text) so it can hold a secret
and be rotated without restarting the healer. Receiver kinds that need more than a URL (PagerDuty,
email) are Alertmanager's job: the healer records the escalation without delivering it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from ..render.healer_policy import ReceiverRef

__all__ = ["HttpNotifier", "Notifier", "NotifyError", "Undeliverable", "hide_request_urls", "receiver_url"]


class _NoRequestLines(logging.Filter):
    """httpx logs every request's full URL at INFO; a receiver URL is a secret (often with a token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("HTTP Request:")


_FILTER = _NoRequestLines()


def hide_request_urls() -> None:
    """Drop httpx's per-request log lines in this process (idempotent: one filter, added once)."""
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


class NotifyError(Exception):
    """The message could not be delivered (the receiver exists but did not take it)."""


class Undeliverable(Exception):
    """The receiver kind has no URL the healer can post to; the escalation is recorded only."""


class Notifier(Protocol):
    async def send(self, receiver: ReceiverRef, message: dict[str, Any]) -> str:
        """Deliver `message`; return a one-line summary. Raises NotifyError or Undeliverable."""
        ...


def receiver_url(receiver: ReceiverRef, base_dir: Path | None) -> str:
    """The receiver's URL, read from its `url_file` now (so a rotated secret is picked up at once).

    A relative `url_file` is read from `base_dir`, or from the healer's working directory when that is
    None: the policy file does not say where the spec it came from lives, and the local runtime starts
    the healer in the stack's folder. Errors name the file, never the URL (it is a secret)."""
    if receiver.kind not in ("webhook", "slack") or not receiver.url_file:
        raise Undeliverable(f"receiver {receiver.name!r} ({receiver.kind}) is paged by Alertmanager only")
    path = Path(receiver.url_file)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        url = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise NotifyError(
            f"cannot read the URL of receiver {receiver.name!r} from {path}: {e.strerror or e}"
        ) from e
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NotifyError(f"receiver {receiver.name!r}: {path} does not hold an http(s) URL")
    return url


class HttpNotifier:
    def __init__(
        self, client: httpx.AsyncClient | None = None, timeout: float = 5.0, base_dir: Path | None = None
    ):
        hide_request_urls()
        self._client = client or httpx.AsyncClient(follow_redirects=False)
        self.timeout = timeout
        self.base_dir = base_dir  # relative url_file paths are read from here (None: the cwd)

    async def send(self, receiver: ReceiverRef, message: dict[str, Any]) -> str:
        url = receiver_url(receiver, self.base_dir)
        body: dict[str, Any] = {"text": message.get("summary", "")} if receiver.kind == "slack" else message
        try:
            resp = await self._client.post(url, json=body, timeout=self.timeout)
        except httpx.HTTPError as e:
            # The error's type only: httpx messages can quote the URL, which is a secret.
            raise NotifyError(f"receiver {receiver.name!r}: {type(e).__name__}") from e
        if resp.status_code >= 300:
            raise NotifyError(f"receiver {receiver.name!r} answered {resp.status_code}")
        # Never echo the URL: it is a secret.
        return f"delivered to {receiver.name} ({resp.status_code})"

    async def aclose(self) -> None:
        await self._client.aclose()
