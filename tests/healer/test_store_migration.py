"""A state file written by the first healer (schema 1) opens in this one and keeps its journal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from slostack.healer.store import ActionFilter, Store

_V1_ACTIONS = """
CREATE TABLE actions (
    id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL, target TEXT NOT NULL, action TEXT NOT NULL,
    kind TEXT NOT NULL, step INTEGER, params TEXT NOT NULL DEFAULT '{}', dry_run INTEGER NOT NULL,
    counts INTEGER NOT NULL, intent_at REAL NOT NULL, outcome TEXT NOT NULL, finished_at REAL,
    detail TEXT NOT NULL DEFAULT '', verdict TEXT, verified_at REAL
);
INSERT INTO actions (incident_id, target, action, kind, dry_run, counts, intent_at, outcome)
VALUES (1, 'checkout', 'restart', 'ladder', 0, 1, 100.0, 'ok');
PRAGMA user_version=1;
"""


def test_schema_1_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "healer.db"
    conn = sqlite3.connect(path)
    conn.executescript(_V1_ACTIONS)
    conn.close()
    store = Store(path)
    try:
        rows = store.list_actions(ActionFilter())
        assert [(r.action, r.outcome, r.inert) for r in rows] == [("restart", "ok", False)]
        assert store.diagnosis(1) is None
    finally:
        store.close()
