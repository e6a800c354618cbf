"""The healer's memory: one SQLite file (WAL) holding everything it must not forget across a SIGKILL.

Tables: `alerts` (every distinct alert notification: the dedup key), `incidents` (one per firing alert
episode, with its ladder position), `actions` (the audit journal: intent written and fsynced BEFORE
acting, outcome after), `breakers` (per target) and `settings` (the kill switch).

Three connections on purpose. The action journal (intents, outcomes, verdicts, breakers, the kill
switch, incident closings) commits with `synchronous=FULL`: an intent is on disk before the actuator
is called. Bookkeeping that is replayed anyway (alert intake, new incidents, notes) commits with
`synchronous=NORMAL`: still safe against a killed process (WAL), and a power cut loses only a suffix of
commits, which Alertmanager re-sends and the journal still guards. One Python lock serializes the two
writers, so SQLite never busy-waits on its own write lock. Reads use a third connection and never wait
for a writer's fsync (WAL readers see the last commit).

Every method is synchronous and short; async callers run them in a worker thread.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clock import iso
from .gates import Allowed, Blocked, GateInputs, decide
from .payload import AlertKey

__all__ = [
    "LADDER",
    "ActionFilter",
    "ActionRow",
    "AlertRow",
    "Breaker",
    "Incident",
    "IncidentFilter",
    "IncidentRecord",
    "StateLocked",
    "StepGates",
    "Store",
    "read_record",
]

LADDER = "ladder"
ESCALATION = "escalation"
TICKET = "ticket"  # a notify that asks for follow-up work (e.g. a memory leak to fix), not a page
OPEN = "open"
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    status      TEXT NOT NULL,
    received_at REAL NOT NULL,
    alertname   TEXT NOT NULL,
    labels      TEXT NOT NULL,
    processed   INTEGER NOT NULL DEFAULT 0,
    result      TEXT,
    PRIMARY KEY (fingerprint, starts_at, status)
);
CREATE INDEX IF NOT EXISTS alerts_unprocessed ON alerts (processed) WHERE processed = 0;
CREATE TABLE IF NOT EXISTS incidents (
    id          INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    alertname   TEXT NOT NULL,
    labels      TEXT NOT NULL,
    policy      INTEGER,
    target      TEXT,
    slo         TEXT,
    status      TEXT NOT NULL,
    step        INTEGER NOT NULL DEFAULT 0,
    resolved    INTEGER NOT NULL DEFAULT 0,
    opened_at   REAL NOT NULL,
    closed_at   REAL,
    detail      TEXT NOT NULL DEFAULT '',
    UNIQUE (fingerprint, starts_at)
);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status);
CREATE TABLE IF NOT EXISTS actions (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    target      TEXT NOT NULL,
    action      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    step        INTEGER,
    params      TEXT NOT NULL DEFAULT '{}',
    dry_run     INTEGER NOT NULL,
    counts      INTEGER NOT NULL,
    intent_at   REAL NOT NULL,
    outcome     TEXT NOT NULL,
    finished_at REAL,
    detail      TEXT NOT NULL DEFAULT '',
    verdict     TEXT,
    verified_at REAL,
    inert       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS actions_target ON actions (target, intent_at);
CREATE INDEX IF NOT EXISTS actions_incident ON actions (incident_id);
CREATE TABLE IF NOT EXISTS breakers (
    target    TEXT PRIMARY KEY,
    open      INTEGER NOT NULL DEFAULT 0,
    failures  INTEGER NOT NULL DEFAULT 0,
    opened_at REAL,
    reason    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS diagnoses (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    step        INTEGER NOT NULL,
    created_at  REAL NOT NULL,
    hypothesis  TEXT NOT NULL,
    confidence  REAL NOT NULL,
    remedy      TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (incident_id, step)
);
"""

# Schema 1 -> 2: `actions.inert` (a failed action that changed nothing starts no cooldown) and the
# `diagnoses` table (created by _SCHEMA). Columns cannot be added by CREATE TABLE IF NOT EXISTS.
_MIGRATIONS = {"inert": "ALTER TABLE actions ADD COLUMN inert INTEGER NOT NULL DEFAULT 0"}


class StateLocked(Exception):
    """Another healer already uses this state file; two would both act on every alert."""


@dataclass(frozen=True)
class AlertRow:
    key: AlertKey
    alertname: str
    labels: dict[str, str]
    received_at: float


@dataclass(frozen=True)
class Incident:
    id: int
    fingerprint: str
    starts_at: str
    alertname: str
    labels: dict[str, str]
    policy: int | None
    target: str | None
    slo: str | None
    status: str
    step: int
    resolved: bool
    opened_at: float
    closed_at: float | None
    detail: str

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": iso(self.opened_at),
            "closed": iso(self.closed_at),
            "status": self.status,
            "alertname": self.alertname,
            "fingerprint": self.fingerprint,
            "starts_at": self.starts_at,
            "target": self.target,
            "slo": self.slo,
            "policy": self.policy,
            "step": self.step,
            "resolved": self.resolved,
            "labels": self.labels,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ActionRow:
    id: int
    incident_id: int
    target: str
    action: str
    kind: str
    step: int | None
    params: dict[str, Any]
    dry_run: bool
    intent_at: float
    outcome: str
    finished_at: float | None
    detail: str
    verdict: str | None
    verified_at: float | None
    inert: bool = False  # failed without changing anything: started no cooldown

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": iso(self.intent_at),
            "incident": self.incident_id,
            "target": self.target,
            "action": self.action,
            "kind": self.kind,
            "step": self.step,
            "params": self.params,
            "dry_run": self.dry_run,
            "outcome": self.outcome,
            "finished": iso(self.finished_at),
            "detail": self.detail,
            "verdict": self.verdict,
            "verified": iso(self.verified_at),
            "inert": self.inert,
        }


@dataclass(frozen=True)
class Breaker:
    target: str
    open: bool
    failures: int
    opened_at: float | None
    reason: str

    def to_api(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "open": self.open,
            "failures": self.failures,
            "opened": iso(self.opened_at),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class StepGates:
    """The policy numbers a step is checked against (seconds)."""

    enabled: bool
    touches_target: bool
    cooldown: float
    max_attempts: int
    attempts_window: float
    rate_limit: int
    rate_per: float


@dataclass(frozen=True)
class ActionFilter:
    target: str | None = None
    action: str | None = None
    outcome: str | None = None
    incident: int | None = None
    since: float | None = None
    limit: int = 1000


@dataclass(frozen=True)
class IncidentFilter:
    status: str | None = None
    target: str | None = None
    since: float | None = None
    limit: int = 1000


@dataclass(frozen=True)
class IncidentRecord:
    """One incident with everything the journal holds about it: what a report is made from."""

    incident: Incident
    actions: tuple[ActionRow, ...]
    diagnoses: tuple[tuple[float, dict[str, Any]], ...]  # (created at, body), by ladder step


def _record(query: Any, incident_id: int) -> IncidentRecord:
    rows = query("SELECT * FROM incidents WHERE id = ?", (incident_id,))
    if not rows:
        raise KeyError(incident_id)
    actions = query("SELECT * FROM actions WHERE incident_id = ? ORDER BY id", (incident_id,))
    diagnoses = query(
        "SELECT created_at, body FROM diagnoses WHERE incident_id = ? ORDER BY step", (incident_id,)
    )
    return IncidentRecord(
        _incident(rows[0]),
        tuple(_action(r) for r in actions),
        tuple((float(r[0]), dict(json.loads(r[1]))) for r in diagnoses),
    )


def read_record(path: str | Path, incident_id: int) -> IncidentRecord:
    """Read one incident from a state file WITHOUT taking the healer's lock (read-only, so it works
    while the healer runs). KeyError when there is no such incident; FileNotFoundError without a file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return _record(lambda sql, args: conn.execute(sql, args).fetchall(), incident_id)
    finally:
        conn.close()


class _WriteLock:
    """One writer at a time, and intake first: the webhook's insert never queues behind a line of
    engine writes (each may wait for an fsync), only behind the one already running."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._urgent = 0

    @contextmanager
    def hold(self, urgent: bool) -> Iterator[None]:
        with self._cond:
            self._urgent += urgent
            while self._held or (not urgent and self._urgent):
                self._cond.wait()
            self._urgent -= urgent
            self._held = True
        try:
            yield
        finally:
            with self._cond:
                self._held = False
                self._cond.notify_all()


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    # Autocommit mode; every write below opens its own BEGIN IMMEDIATE transaction.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise StateLocked(f"{self.path} is in use by another healer") from None
        self._lock = _WriteLock()
        self._journal = _connect(self.path, "FULL")
        self._light = _connect(self.path, "NORMAL")
        self._read_lock = threading.Lock()
        with self._lock.hold(urgent=False):
            version = self._journal.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer healer (schema {version})")
            self._journal.executescript(_SCHEMA)
            have = {r[1] for r in self._journal.execute("PRAGMA table_info(actions)")}
            for column, sql in _MIGRATIONS.items():
                if column not in have:
                    self._journal.execute(sql)
            self._journal.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._reader = _connect(self.path, "NORMAL")

    def close(self) -> None:
        with self._lock.hold(urgent=False), self._read_lock:
            self._reader.close()
            self._light.close()
            self._journal.close()
        os.close(self._lock_fd)

    @contextmanager
    def _tx(self, durable: bool = True, urgent: bool = False) -> Iterator[sqlite3.Connection]:
        c = self._journal if durable else self._light
        with self._lock.hold(urgent):
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._read_lock:
            return self._reader.execute(sql, args).fetchall()

    # ---- intake ---------------------------------------------------------------------------------------

    def record_alerts(self, alerts: Sequence[tuple[AlertKey, str, dict[str, str]]], now: float) -> list[bool]:
        """Insert each alert unless its key is known; True where it is new. One transaction per call."""
        out = []
        with self._tx(durable=False, urgent=True) as c:
            for key, alertname, labels in alerts:
                cur = c.execute(
                    "INSERT OR IGNORE INTO alerts (fingerprint, starts_at, status, received_at, alertname,"
                    " labels) VALUES (?, ?, ?, ?, ?, ?)",
                    (*key, now, alertname, json.dumps(labels, sort_keys=True)),
                )
                out.append(cur.rowcount == 1)
        return out

    def unprocessed_alerts(self) -> list[AlertRow]:
        rows = self._read(
            "SELECT * FROM alerts WHERE processed = 0 ORDER BY received_at, rowid",
        )
        return [
            AlertRow(
                key=(r["fingerprint"], r["starts_at"], r["status"]),
                alertname=r["alertname"],
                labels=json.loads(r["labels"]),
                received_at=r["received_at"],
            )
            for r in rows
        ]

    def mark_processed(self, key: AlertKey, result: str) -> None:
        with self._tx(durable=False) as c:
            c.execute(
                "UPDATE alerts SET processed = 1, result = ? WHERE fingerprint = ? AND starts_at = ?"
                " AND status = ?",
                (result, *key),
            )

    def has_alert(self, key: AlertKey) -> bool:
        rows = self._read("SELECT 1 FROM alerts WHERE fingerprint = ? AND starts_at = ? AND status = ?", key)
        return bool(rows)

    def count_alerts(self) -> int:
        return int(self._read("SELECT count(*) FROM alerts")[0][0])

    # ---- incidents ------------------------------------------------------------------------------------

    def open_incident(
        self,
        *,
        fingerprint: str,
        starts_at: str,
        alertname: str,
        labels: dict[str, str],
        policy: int | None,
        target: str | None,
        slo: str | None,
        status: str,
        detail: str,
        now: float,
    ) -> tuple[Incident, bool]:
        """The incident of this alert episode, created if new (True) or as it already was (False)."""
        closed = None if status == OPEN else now
        with self._tx(durable=False) as c:
            cur = c.execute(
                "INSERT OR IGNORE INTO incidents (fingerprint, starts_at, alertname, labels, policy, target,"
                " slo, status, opened_at, closed_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fingerprint,
                    starts_at,
                    alertname,
                    json.dumps(labels, sort_keys=True),
                    policy,
                    target,
                    slo,
                    status,
                    now,
                    closed,
                    detail,
                ),
            )
            created = cur.rowcount == 1
            row = c.execute(
                "SELECT * FROM incidents WHERE fingerprint = ? AND starts_at = ?", (fingerprint, starts_at)
            ).fetchone()
        return _incident(row), created

    def incident(self, incident_id: int) -> Incident:
        rows = self._read("SELECT * FROM incidents WHERE id = ?", (incident_id,))
        if not rows:
            raise KeyError(incident_id)
        return _incident(rows[0])

    def incident_for(self, fingerprint: str, starts_at: str) -> Incident | None:
        rows = self._read(
            "SELECT * FROM incidents WHERE fingerprint = ? AND starts_at = ?", (fingerprint, starts_at)
        )
        return _incident(rows[0]) if rows else None

    def open_incidents(self) -> list[Incident]:
        return [
            _incident(r) for r in self._read("SELECT * FROM incidents WHERE status = ? ORDER BY id", (OPEN,))
        ]

    def count_open(self) -> int:
        return int(self._read("SELECT count(*) FROM incidents WHERE status = ?", (OPEN,))[0][0])

    def mark_resolved(self, incident_id: int, now: float) -> bool:
        """Alertmanager said the alert resolved. Closes the incident if still open; True if it did."""
        with self._tx() as c:
            c.execute("UPDATE incidents SET resolved = 1 WHERE id = ?", (incident_id,))
            cur = c.execute(
                "UPDATE incidents SET status = 'resolved', closed_at = ?, detail = 'alert resolved'"
                " WHERE id = ? AND status = ?",
                (now, incident_id, OPEN),
            )
            return cur.rowcount == 1

    def close_incident(self, incident_id: int, status: str, detail: str, now: float) -> bool:
        with self._tx() as c:
            cur = c.execute(
                "UPDATE incidents SET status = ?, closed_at = ?, detail = ? WHERE id = ? AND status = ?",
                (status, now, detail, incident_id, OPEN),
            )
            return cur.rowcount == 1

    def set_step(self, incident_id: int, step: int, detail: str = "") -> None:
        with self._tx(durable=False) as c:
            c.execute("UPDATE incidents SET step = ?, detail = ? WHERE id = ?", (step, detail, incident_id))

    def note(self, incident_id: int, detail: str) -> None:
        with self._tx(durable=False) as c:
            c.execute("UPDATE incidents SET detail = ? WHERE id = ?", (detail, incident_id))

    def list_incidents(self, f: IncidentFilter) -> list[Incident]:
        sql, args = _select(
            "incidents", [("status", f.status), ("target", f.target)], ("opened_at", f.since), f.limit
        )
        return [_incident(r) for r in self._read(sql, args)]

    # ---- the action journal ---------------------------------------------------------------------------

    def begin_action(
        self,
        *,
        incident_id: int,
        target: str,
        action: str,
        step: int,
        next_step: int,
        params: dict[str, Any],
        dry_run: bool,
        gates: StepGates,
        now: float,
    ) -> Allowed | Blocked:
        """Check every gate and, if all pass, write the intent and move the ladder, in ONE transaction:
        two incidents can never both pass the same cooldown, and a crash right after leaves the intent
        (to be marked interrupted) and the ladder already past this step (so it is not re-run)."""
        # Imagined (dry-run) actions never hold back real ones; real ones do hold back imagined ones.
        counted = "counts = 1" + ("" if dry_run else " AND dry_run = 0")  # a constant fragment, no input
        with self._tx() as c:
            paused = c.execute("SELECT value FROM settings WHERE key = 'paused'").fetchone()
            breaker = c.execute("SELECT open FROM breakers WHERE target = ?", (target,)).fetchone()
            last = c.execute(
                # An inert action (refused, nothing changed) leaves nothing to settle: no cooldown.
                f"SELECT max(intent_at) FROM actions WHERE target = ? AND {counted} AND inert = 0",  # noqa: S608
                (target,),
            )
            attempts = c.execute(
                f"SELECT count(*) FROM actions WHERE target = ? AND {counted} AND intent_at > ?",  # noqa: S608
                (target, now - gates.attempts_window),
            ).fetchone()[0]
            rate = c.execute(
                f"SELECT count(*), min(intent_at) FROM actions WHERE {counted} AND intent_at > ?",  # noqa: S608
                (now - gates.rate_per,),
            ).fetchone()
            verdict = decide(
                GateInputs(
                    now=now,
                    enabled=gates.enabled,
                    paused=paused is not None and paused[0] == "1",
                    breaker_open=breaker is not None and bool(breaker[0]),
                    touches_target=gates.touches_target,
                    last_action_at=last.fetchone()[0],
                    cooldown=gates.cooldown,
                    attempts_in_window=attempts,
                    max_attempts=gates.max_attempts,
                    rate_count=rate[0],
                    rate_oldest_at=rate[1],
                    rate_limit=gates.rate_limit,
                    rate_per=gates.rate_per,
                )
            )
            if isinstance(verdict, Blocked):
                return verdict
            cur = c.execute(
                "INSERT INTO actions (incident_id, target, action, kind, step, params, dry_run, counts,"
                " intent_at, outcome, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    incident_id,
                    target,
                    action,
                    LADDER,
                    step,
                    json.dumps(params, sort_keys=True),
                    int(dry_run),
                    int(gates.touches_target),
                    now,
                    "would_do" if dry_run else "pending",
                    now if dry_run else None,
                ),
            )
            c.execute("UPDATE incidents SET step = ?, detail = '' WHERE id = ?", (next_step, incident_id))
            return Allowed(action_id=int(cur.lastrowid or 0))

    def add_escalation(
        self,
        *,
        incident_id: int,
        target: str,
        receiver: str | None,
        reason: str,
        dry_run: bool,
        now: float,
        kind: str = ESCALATION,
    ) -> int:
        """Escalations (and tickets) pass no gate: they are how the healer hands over when gates stop it."""
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO actions (incident_id, target, action, kind, params, dry_run, counts, intent_at,"
                " outcome, detail) VALUES (?, ?, 'notify', ?, ?, ?, 0, ?, ?, ?)",
                (
                    incident_id,
                    target,
                    kind,
                    json.dumps({"receiver": receiver, "reason": reason}, sort_keys=True),
                    int(dry_run),
                    now,
                    "would_do" if dry_run else "pending",
                    reason,
                ),
            )
            return int(cur.lastrowid or 0)

    def finish_action(
        self, action_id: int, outcome: str, detail: str, now: float, *, inert: bool = False
    ) -> None:
        """`inert`: the action failed without changing anything, so it starts no cooldown (it still
        counts as an attempt and toward the rate limit)."""
        with self._tx() as c:
            c.execute(
                "UPDATE actions SET outcome = ?, detail = ?, finished_at = ?, inert = ? WHERE id = ?",
                (outcome, detail[:2000], now, int(inert), action_id),
            )

    def set_verdict(self, action_id: int, verdict: str, detail: str, now: float) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE actions SET verdict = ?, verified_at = ?,"
                " detail = CASE WHEN detail = '' THEN ? ELSE detail || '; ' || ? END WHERE id = ?",
                (verdict, now, detail, detail, action_id),
            )

    def mark_interrupted(self, now: float) -> list[ActionRow]:
        """On start: an intent without an outcome means we died mid-action. Its effect is unknown, so it
        is never re-run; it stays counted as an attempt (cooldown, max attempts, rate limit)."""
        with self._tx() as c:
            rows = c.execute("SELECT * FROM actions WHERE outcome = 'pending'").fetchall()
            c.execute(
                "UPDATE actions SET outcome = 'interrupted', finished_at = ?,"
                " detail = 'the healer stopped between intent and outcome; not re-run'"
                " WHERE outcome = 'pending'",
                (now,),
            )
        return [_action(r) for r in rows]

    def last_ladder_action(self, incident_id: int) -> ActionRow | None:
        rows = self._read(
            "SELECT * FROM actions WHERE incident_id = ? AND kind = ? ORDER BY id DESC LIMIT 1",
            (incident_id, LADDER),
        )
        return _action(rows[0]) if rows else None

    def max_scaled_to(self, incident_id: int, step: int) -> int:
        rows = self._read(
            "SELECT params FROM actions WHERE incident_id = ? AND step = ? AND action = 'scale'",
            (incident_id, step),
        )
        return max((int(json.loads(r[0]).get("replicas", 0)) for r in rows), default=0)

    def action(self, action_id: int) -> ActionRow:
        rows = self._read("SELECT * FROM actions WHERE id = ?", (action_id,))
        if not rows:
            raise KeyError(action_id)
        return _action(rows[0])

    def list_actions(self, f: ActionFilter) -> list[ActionRow]:
        equals = [
            ("target", f.target),
            ("action", f.action),
            ("outcome", f.outcome),
            ("incident_id", f.incident),
        ]
        sql, args = _select("actions", equals, ("intent_at", f.since), f.limit)
        return [_action(r) for r in self._read(sql, args)]

    # ---- diagnoses ------------------------------------------------------------------------------------

    def save_diagnosis(
        self,
        incident_id: int,
        step: int,
        hypothesis: str,
        confidence: float,
        remedy: str,
        body: dict[str, Any],
        now: float,
    ) -> dict[str, Any]:
        """Keep the first diagnosis of a step: a restarted healer acts on what it already decided."""
        with self._tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO diagnoses (incident_id, step, created_at, hypothesis, confidence,"
                " remedy, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (incident_id, step, now, hypothesis, confidence, remedy, json.dumps(body, sort_keys=True)),
            )
            row = c.execute(
                "SELECT body FROM diagnoses WHERE incident_id = ? AND step = ?", (incident_id, step)
            ).fetchone()
        return dict(json.loads(row[0]))

    def diagnosis(self, incident_id: int, step: int | None = None) -> dict[str, Any] | None:
        """The diagnosis of one step, or the incident's latest one."""
        if step is None:
            rows = self._read(
                "SELECT body FROM diagnoses WHERE incident_id = ? ORDER BY step DESC LIMIT 1", (incident_id,)
            )
        else:
            rows = self._read(
                "SELECT body FROM diagnoses WHERE incident_id = ? AND step = ?", (incident_id, step)
            )
        return dict(json.loads(rows[0][0])) if rows else None

    def record(self, incident_id: int) -> IncidentRecord:
        return _record(self._read, incident_id)

    def diagnoses(self, incident_id: int) -> list[dict[str, Any]]:
        rows = self._read("SELECT body FROM diagnoses WHERE incident_id = ? ORDER BY step", (incident_id,))
        return [dict(json.loads(r[0])) for r in rows]

    # ---- breakers -------------------------------------------------------------------------------------

    def breaker(self, target: str) -> Breaker:
        rows = self._read("SELECT * FROM breakers WHERE target = ?", (target,))
        return _breaker(rows[0]) if rows else Breaker(target, False, 0, None, "")

    def breakers(self) -> list[Breaker]:
        return [_breaker(r) for r in self._read("SELECT * FROM breakers ORDER BY target")]

    def add_failure(self, target: str) -> int:
        with self._tx() as c:
            c.execute(
                "INSERT INTO breakers (target, failures) VALUES (?, 1)"
                " ON CONFLICT (target) DO UPDATE SET failures = failures + 1",
                (target,),
            )
            return int(c.execute("SELECT failures FROM breakers WHERE target = ?", (target,)).fetchone()[0])

    def clear_failures(self, target: str) -> None:
        with self._tx() as c:
            c.execute("UPDATE breakers SET failures = 0 WHERE target = ? AND open = 0", (target,))

    def open_breaker(self, target: str, reason: str, now: float) -> bool:
        """True if this call opened it (False: it already was open)."""
        with self._tx() as c:
            row = c.execute("SELECT open FROM breakers WHERE target = ?", (target,)).fetchone()
            if row is not None and row[0]:
                return False
            c.execute(
                "INSERT INTO breakers (target, open, opened_at, reason) VALUES (?, 1, ?, ?)"
                " ON CONFLICT (target) DO UPDATE SET open = 1, opened_at = excluded.opened_at,"
                " reason = excluded.reason",
                (target, now, reason),
            )
            return True

    def reset_breaker(self, target: str) -> bool:
        with self._tx() as c:
            cur = c.execute(
                "UPDATE breakers SET open = 0, failures = 0, reason = '' WHERE target = ? AND open = 1",
                (target,),
            )
            return cur.rowcount == 1

    # ---- the kill switch ------------------------------------------------------------------------------

    def paused(self) -> bool:
        rows = self._read("SELECT value FROM settings WHERE key = 'paused'")
        return bool(rows) and rows[0][0] == "1"

    def set_paused(self, paused: bool, reason: str, now: float) -> None:
        with self._tx() as c:
            for key, value in (
                ("paused", "1" if paused else "0"),
                ("paused_reason", reason),
                ("paused_at", str(now)),
            ):
                c.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def settings(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._read("SELECT key, value FROM settings")}


def _select(
    table: str, equals: list[tuple[str, Any]], since: tuple[str, float | None], limit: int
) -> tuple[str, tuple[Any, ...]]:
    """`SELECT * FROM table WHERE ... ORDER BY id LIMIT ?` for the filters that are set. Table and column
    names are this module's constants; every value goes in as a bound parameter."""
    where = [f"{column} = ?" for column, value in equals if value is not None]
    args: list[Any] = [value for _, value in equals if value is not None]
    if since[1] is not None:
        where.append(f"{since[0]} >= ?")
        args.append(since[1])
    sql = f"SELECT * FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")  # noqa: S608
    return sql + " ORDER BY id LIMIT ?", (*args, limit)


def _incident(r: sqlite3.Row) -> Incident:
    return Incident(
        id=r["id"],
        fingerprint=r["fingerprint"],
        starts_at=r["starts_at"],
        alertname=r["alertname"],
        labels=json.loads(r["labels"]),
        policy=r["policy"],
        target=r["target"],
        slo=r["slo"],
        status=r["status"],
        step=r["step"],
        resolved=bool(r["resolved"]),
        opened_at=r["opened_at"],
        closed_at=r["closed_at"],
        detail=r["detail"],
    )


def _action(r: sqlite3.Row) -> ActionRow:
    return ActionRow(
        id=r["id"],
        incident_id=r["incident_id"],
        target=r["target"],
        action=r["action"],
        kind=r["kind"],
        step=r["step"],
        params=json.loads(r["params"]),
        dry_run=bool(r["dry_run"]),
        intent_at=r["intent_at"],
        outcome=r["outcome"],
        finished_at=r["finished_at"],
        detail=r["detail"],
        verdict=r["verdict"],
        verified_at=r["verified_at"],
        inert=bool(r["inert"]),
    )


def _breaker(r: sqlite3.Row) -> Breaker:
    return Breaker(
        target=r["target"],
        open=bool(r["open"]),
        failures=r["failures"],
        opened_at=r["opened_at"],
        reason=r["reason"],
    )
