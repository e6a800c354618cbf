"""Releases: one deployed Bundle with its spec digest, app version, time and outcome.

Rollback means deploying the previous good Release again, never "restore old state and hope". Two
backends implement the `Ledger` protocol: local files (`releases.local`) and Pulumi stack history
(`releases.pulumi`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Ledger", "NoPreviousRelease", "Outcome", "Release", "ReleaseKind"]

# rolled_back: it was live, then a rollback replaced it; it is never a rollback target again.
Outcome = Literal["pending", "succeeded", "failed", "rolled_back"]
ReleaseKind = Literal["deploy", "rollback"]


class Release(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    created_at: datetime
    kind: ReleaseKind = "deploy"
    spec_digest: str
    bundle_digest: str
    app_version: str
    settings: dict[str, str] = Field(default_factory=dict)  # the app's env: FAIL_MODE etc.
    outcome: Outcome = "pending"
    source_release: str | None = None  # for a rollback: the release it re-applies
    note: str = ""


class NoPreviousRelease(Exception):
    """Rollback was asked for but there is no earlier good release to go back to."""


class Ledger(Protocol):
    """Append-only history of releases plus the pointer to the current one."""

    def releases(self) -> list[Release]:
        """Every release, oldest first."""
        ...

    def current(self) -> Release | None: ...

    def record(self, release: Release) -> Release:
        """Append a release (outcome usually `pending`); it does not become current by itself."""
        ...

    def finish(self, release_id: str, outcome: Outcome) -> Release:
        """Set the outcome; a succeeded release becomes current atomically."""
        ...

    def previous_good(self, before: str | None = None) -> Release:
        """The newest succeeded release older than `before` (default: the current one).

        Raises NoPreviousRelease when there is none.
        """
        ...
