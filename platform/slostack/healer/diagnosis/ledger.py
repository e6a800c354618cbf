"""The local runtime's release ledger (`<state_dir>/releases`) as a diagnosis ReleaseSource."""

from __future__ import annotations

from pathlib import Path

from ...releases.local_ledger import LocalLedger
from .evidence import ReleaseInfo

__all__ = ["LedgerReleases"]


class LedgerReleases:
    def __init__(self, root: Path) -> None:
        self.root = root

    def releases(self) -> list[ReleaseInfo]:
        if not self.root.exists():
            return []
        out: list[ReleaseInfo] = []
        good_before = False
        for r in LocalLedger(self.root).releases():  # oldest first
            out.append(
                ReleaseInfo(
                    id=r.id,
                    version=r.app_version,
                    at=r.created_at.timestamp(),
                    kind=r.kind,
                    outcome=r.outcome,
                    has_previous=good_before,
                )
            )
            # rolled_back releases were live once: a later deploy still replaced something good or not,
            # but it had a predecessor to return to only if one succeeded.
            good_before = good_before or r.outcome in ("succeeded", "rolled_back")
        return out
