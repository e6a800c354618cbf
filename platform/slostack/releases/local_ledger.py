"""The local release ledger: an append-only JSON-lines file and an atomically replaced `current` pointer.

Layout under the ledger folder:
    releases.jsonl      one JSON object per event, never rewritten (a release, then its outcome)
    current             the id of the current release (replaced with os.replace, so never half-written)
    <id>/spec.yaml      the spec text the release was made from
    <id>/bundle/...     the rendered files it deployed
    ledger.lock         flock'd for every change, so concurrent deploys and rollbacks serialize

A crash at any point leaves `current` naming either the old or the new release, never a mix: the
pointer moves only after the release's files are complete and its outcome is written.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..fileio import write_atomic
from ..render.bundle import Bundle
from .model import NoPreviousRelease, Outcome, Release

__all__ = ["LocalLedger", "new_release_id"]


def new_release_id(now: datetime | None = None) -> str:
    """Sortable by time, unique without coordination: `r20261204T201500Z-3f9a`."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"r{stamp}-{secrets.token_hex(2)}"


class LocalLedger:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._log = self.root / "releases.jsonl"
        self._current = self.root / "current"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the ledger lock: deploys and rollbacks, even from other processes, run one at a time."""
        with open(self.root / "ledger.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- reading -------------------------------------------------------------------------------
    def releases(self) -> list[Release]:
        if not self._log.exists():
            return []
        by_id: dict[str, Release] = {}
        for line in self._log.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line after a crash: the event never happened
            if event.get("event") == "release":
                by_id[event["release"]["id"]] = Release.model_validate(event["release"])
            elif event.get("event") == "outcome" and event.get("id") in by_id:
                by_id[event["id"]] = by_id[event["id"]].model_copy(update={"outcome": event["outcome"]})
        return list(by_id.values())

    def get(self, release_id: str) -> Release:
        for release in self.releases():
            if release.id == release_id:
                return release
        raise KeyError(release_id)

    def current(self) -> Release | None:
        if not self._current.exists():
            return None
        wanted = self._current.read_text(encoding="utf-8").strip()
        try:
            return self.get(wanted)
        except KeyError:
            return None

    def previous_good(self, before: str | None = None) -> Release:
        history = self.releases()
        current = self.current()
        anchor = before or (current.id if current else None)
        ids = [r.id for r in history]
        end = ids.index(anchor) if anchor in ids else len(history)
        for release in reversed(history[:end]):
            if release.outcome != "succeeded":
                continue
            # Going "back" to what already runs is not a rollback.
            if current is not None and _same_content(release, current):
                continue
            return release
        raise NoPreviousRelease("no earlier successful release to roll back to")

    def spec_text(self, release_id: str) -> str:
        return (self.root / release_id / "spec.yaml").read_text(encoding="utf-8")

    def bundle(self, release_id: str) -> Bundle:
        return Bundle.read(self.root / release_id / "bundle")

    # --- writing -------------------------------------------------------------------------------
    def record(self, release: Release, spec_text: str = "", bundle: Bundle | None = None) -> Release:
        """Store the release files first, then append it: a crash in between leaves an orphan folder only."""
        folder = self.root / release.id
        if bundle is not None:
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            bundle.write(folder / "bundle")
        if spec_text:
            write_atomic(folder / "spec.yaml", spec_text)
        self._append({"event": "release", "release": release.model_dump(mode="json")})
        return release

    def finish(self, release_id: str, outcome: Outcome) -> Release:
        release = self.get(release_id).model_copy(update={"outcome": outcome})
        self._append(
            {"event": "outcome", "id": release_id, "outcome": outcome, "at": datetime.now(UTC).isoformat()}
        )
        if outcome == "succeeded":
            write_atomic(self._current, release_id + "\n")
        return release

    def _append(self, event: dict[str, object]) -> None:
        line = json.dumps(event, sort_keys=True) + "\n"
        with open(self._log, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def _same_content(a: Release, b: Release) -> bool:
    return (a.bundle_digest, a.app_version, a.settings) == (b.bundle_digest, b.app_version, b.settings)
