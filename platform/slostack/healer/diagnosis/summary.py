"""An optional hook for a language-model summary of a diagnosis. Off by default; nothing depends on it.

The healer never calls a model by itself: a deployment that wants one passes a `Summarizer` to
`create_app`. Its answer is stored as a note next to the diagnosis, bounded in time and size, and any
failure is ignored, so a model being slow, wrong or unreachable cannot change what the healer does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

__all__ = ["Summarizer", "summarize"]

log = logging.getLogger("slostack.healer")
_MAX_CHARS = 2000


class Summarizer(Protocol):
    async def summarize(self, diagnosis: dict[str, Any]) -> str:
        """A short human summary of `diagnosis` (the JSON stored with the incident)."""
        ...


async def summarize(summarizer: Summarizer | None, diagnosis: dict[str, Any], timeout: float) -> str | None:
    """The summary, or None when there is no summarizer or it failed (never raises)."""
    if summarizer is None:
        return None
    try:
        text = await asyncio.wait_for(summarizer.summarize(diagnosis), timeout=timeout)
    except Exception as e:  # any failure of an optional extra is logged and dropped
        log.warning("the summary hook failed (%s); the diagnosis stands without it", type(e).__name__)
        return None
    return str(text)[:_MAX_CHARS]
