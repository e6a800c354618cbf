"""Forward Alertmanager's notification for a user webhook receiver to the URL in its `url_file`.

Alertmanager 0.25's webhook config cannot read its URL from a file, and the URL is a secret, so the
rendered alertmanager.yml points every user webhook receiver at the healer (`POST /v1/relay/{name}`,
see `conventions.healer_relay_path`). The healer posts the body unchanged: the receiver sees exactly
what Alertmanager would have sent. Any failure is reported so the caller can answer 502 and let
Alertmanager retry; no message ever contains the URL.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from ..render.healer_policy import ReceiverRef
from .notify import NotifyError, Undeliverable, hide_request_urls, receiver_url

__all__ = ["Relay", "RelayError"]


class RelayError(Exception):
    """Not delivered; the message is one line, safe to show (no URL)."""


class Relay:
    def __init__(
        self, client: httpx.AsyncClient | None = None, timeout: float = 5.0, base_dir: Path | None = None
    ) -> None:
        hide_request_urls()
        # No redirects: a 3xx would send the alert (and maybe a token in the URL) somewhere unvetted.
        self._client = client or httpx.AsyncClient(follow_redirects=False)
        self.timeout = timeout
        self.base_dir = base_dir  # relative url_file paths are read from here (None: the cwd)

    async def forward(self, receiver: ReceiverRef, body: bytes) -> int:
        """POST `body` as JSON; the receiver's status code when it took it (2xx)."""
        try:
            url = receiver_url(receiver, self.base_dir)
        except (NotifyError, Undeliverable) as e:
            raise RelayError(str(e)) from e
        try:
            resp = await self._client.post(
                url, content=body, headers={"Content-Type": "application/json"}, timeout=self.timeout
            )
        except httpx.TimeoutException as e:
            raise RelayError(f"receiver {receiver.name!r} did not answer in {self.timeout:g}s") from e
        except httpx.HTTPError as e:
            raise RelayError(f"receiver {receiver.name!r}: {type(e).__name__}") from e
        if not 200 <= resp.status_code < 300:
            raise RelayError(f"receiver {receiver.name!r} answered {resp.status_code}")
        return resp.status_code

    async def aclose(self) -> None:
        await self._client.aclose()
