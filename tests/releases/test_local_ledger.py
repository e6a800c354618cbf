"""The local ledger: append-only history, atomic current pointer, previous good release, locking."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slostack.releases.local_ledger import LocalLedger, new_release_id
from slostack.releases.model import NoPreviousRelease, Release
from slostack.render.bundle import Bundle


def _release(version: str, settings: dict[str, str] | None = None, digest: str = "sha256:a") -> Release:
    return Release(
        id=new_release_id(),
        created_at=datetime.now(UTC),
        spec_digest="sha256:s",
        bundle_digest=digest,
        app_version=version,
        settings=settings or {},
    )


def test_a_succeeded_release_becomes_current_and_the_history_is_kept(tmp_path: Path) -> None:
    ledger = LocalLedger(tmp_path)
    first = ledger.record(_release("1.0"), "spec: 1\n", Bundle({"a.txt": "one"}))
    assert ledger.current() is None  # recorded is not deployed
    ledger.finish(first.id, "succeeded")
    second = ledger.record(_release("1.1"), "spec: 2\n", Bundle({"a.txt": "two"}))
    ledger.finish(second.id, "failed")
    assert ledger.current() is not None and ledger.current().id == first.id  # type: ignore[union-attr]
    assert [(r.app_version, r.outcome) for r in ledger.releases()] == [
        ("1.0", "succeeded"),
        ("1.1", "failed"),
    ]
    assert ledger.bundle(first.id)["a.txt"] == "one"
    assert ledger.spec_text(second.id) == "spec: 2\n"


def test_previous_good_skips_failed_releases_and_the_content_already_running(tmp_path: Path) -> None:
    ledger = LocalLedger(tmp_path)
    good = ledger.finish(ledger.record(_release("1.0")).id, "succeeded")
    ledger.finish(ledger.record(_release("1.1", {"FAIL_MODE": "error"})).id, "failed")
    same_as_good = ledger.finish(ledger.record(_release("1.0")).id, "succeeded")
    bad = ledger.finish(ledger.record(_release("1.2", {"FAIL_MODE": "error"})).id, "succeeded")
    assert ledger.current().id == bad.id  # type: ignore[union-attr]
    assert ledger.previous_good().id == same_as_good.id
    assert ledger.previous_good(before=same_as_good.id).id != same_as_good.id
    del good


def test_no_previous_release_is_refused(tmp_path: Path) -> None:
    ledger = LocalLedger(tmp_path)
    only = ledger.finish(ledger.record(_release("1.0")).id, "succeeded")
    with pytest.raises(NoPreviousRelease):
        ledger.previous_good()
    assert ledger.current().id == only.id  # type: ignore[union-attr]


def test_a_torn_last_line_after_a_crash_is_ignored(tmp_path: Path) -> None:
    ledger = LocalLedger(tmp_path)
    first = ledger.finish(ledger.record(_release("1.0")).id, "succeeded")
    with open(tmp_path / "releases.jsonl", "a") as handle:
        handle.write('{"event": "release", "release": {"id": "r-torn"')  # killed mid-write
    assert [r.id for r in ledger.releases()] == [first.id]
    assert ledger.current().id == first.id  # type: ignore[union-attr]


def _hold_lock_and_append(root: str, label: str, hold: float, out: str) -> None:
    ledger = LocalLedger(root)
    with ledger.locked():
        with open(out, "a") as handle:
            handle.write(f"{label} start {time.monotonic()}\n")
        time.sleep(hold)
        with open(out, "a") as handle:
            handle.write(f"{label} end {time.monotonic()}\n")


def test_concurrent_changes_are_serialized_by_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "order.txt"
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_hold_lock_and_append, args=(str(tmp_path / "ledger"), f"p{i}", 0.3, str(out)))
        for i in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    events = [line.split() for line in out.read_text().splitlines()]
    # No start may come between another process's start and end: the critical sections never overlap.
    for i in range(0, len(events), 2):
        assert events[i][0] == events[i + 1][0] and events[i][1] == "start" and events[i + 1][1] == "end"


def test_a_release_rolled_back_from_is_never_picked_again(tmp_path: Path) -> None:
    ledger = LocalLedger(tmp_path)
    good = ledger.finish(ledger.record(_release("1.0")).id, "succeeded")
    bad = ledger.finish(
        ledger.record(_release("1.1", {"FAIL_MODE": "error"}, digest="sha256:b")).id, "succeeded"
    )
    back = ledger.finish(ledger.record(_release("1.0")).id, "succeeded")  # the rollback re-applies `good`
    ledger.finish(bad.id, "rolled_back")
    assert ledger.current().id == back.id  # type: ignore[union-attr]
    with pytest.raises(NoPreviousRelease):
        ledger.previous_good()  # `good` has the content already running, and `bad` was rolled back from
    assert good.outcome == "succeeded"
