"""The SQLite state's tables (schema version 3) and the migrations from versions 1 and 2.

Version 1 (before the outbox) stored each alert once it had been handed to the sinks; version 2
adds the outbox's per-sink ``deliveries``, each alert's as-of time, the events its evaluation
had seen and whether it was masked, and per complaint the last event evaluated. Version 3 adds
each event's ``digest`` (:func:`~cppolicy.trail.event_digest` of the event as received, taken
before it is stored masked): duplicates are found and the trail's ``input_digest`` computed by
it. Migrating keeps every event and alert: the alerts of a version-1 state count as delivered;
the digest of an event an older version stored is computed from it (it was stored as received).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import orjson

from cppolicy.trail import event_digest

SCHEMA_VERSION = 3

TABLES = ("meta", "events", "complaints", "alerts", "deliveries", "conflicts")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    complaint_id TEXT,
    epoch REAL NOT NULL,
    raw BLOB NOT NULL,
    received_seq INTEGER NOT NULL,
    digest TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_by_complaint ON events (complaint_id, epoch);
CREATE TABLE IF NOT EXISTS complaints (
    complaint_id TEXT PRIMARY KEY,
    next_check REAL,
    status TEXT,
    evaluated_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS complaints_by_check ON complaints (next_check);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    complaint_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    clock TEXT,
    code TEXT,
    as_of REAL NOT NULL,
    evaluated_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    masked INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_complaint ON alerts (complaint_id);
CREATE TABLE IF NOT EXISTS deliveries (
    alert_seq INTEGER NOT NULL REFERENCES alerts (seq),
    sink TEXT NOT NULL,
    delivered_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    PRIMARY KEY (alert_seq, sink)
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (delivered_at, next_attempt);
CREATE TABLE IF NOT EXISTS conflicts (
    event_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    raw BLOB NOT NULL
);
"""


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring a state of schema ``version`` to :data:`SCHEMA_VERSION` (inside a transaction)."""
    if version not in (1, 2):
        raise ValueError(f"no migration from schema version {version}")
    if version == 1:
        _from_version_1(db)
    db.execute("ALTER TABLE events ADD COLUMN digest TEXT NOT NULL DEFAULT ''")
    rows = db.execute("SELECT event_id, raw FROM events").fetchall()
    for event_id, raw in rows:  # stored as received before version 3
        db.execute(
            "UPDATE events SET digest = ? WHERE event_id = ?", (event_digest(orjson.loads(raw)), event_id)
        )
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


def _from_version_1(db: sqlite3.Connection) -> None:
    """Version 1 to 2: the outbox (its events table as in version 2)."""
    db.execute("ALTER TABLE complaints ADD COLUMN evaluated_seq INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE complaints SET evaluated_seq = (SELECT COALESCE(MAX(received_seq), 0) FROM events e "
        "WHERE e.complaint_id = complaints.complaint_id)"
    )
    old = db.execute(
        "SELECT key, complaint_id, kind, clock, code, emitted_at, payload FROM alerts ORDER BY rowid"
    ).fetchall()
    db.execute("DROP TABLE alerts")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    for key, complaint, kind, clock, code, emitted_at, payload in old:
        as_of = datetime.fromisoformat(orjson.loads(payload)["as_of"]).timestamp()
        seen = db.execute(
            "SELECT COALESCE(MAX(received_seq), 0) FROM events WHERE complaint_id = ?", (complaint,)
        ).fetchone()[0]
        db.execute(
            "INSERT INTO alerts (key, complaint_id, kind, clock, code, as_of, evaluated_seq, created_at, masked, "
            "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            (key, complaint, kind, clock, code, as_of, seen, emitted_at, payload),
        )
    latest = db.execute("SELECT MAX(epoch) FROM events").fetchone()[0]
    if latest is not None:  # version 1 kept no latest event time: its event clock was the latest
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('latest_event', ?)", (repr(float(latest)),)
        )
