"""The live monitor: events in one at a time, durable state in SQLite, alerts out through hooks.

- **Idempotent** on ``event_id``: the same event again is a no-op; the same id with different
  content is a *conflict*, recorded in the ``conflicts`` table and not applied.
- **Out of order**: every evaluation replays the complaint's stored events sorted by time,
  so arrival order does not matter.
- **Clock**: in ``event`` mode the monitor's time is the latest event time seen (ticks happen
  as events arrive); in ``wall`` mode the host calls :meth:`Monitor.tick` with the wall clock.
  A complaint is re-evaluated when one of its events arrives, and on a tick once its
  ``next_check`` instant (its earliest running deadline, or the next local midnight while a
  clock runs — when at-risk counts change) has passed.
- **Personal data**: alerts and the ``conflicts`` table are stored masked (docs/privacy.md); the
  ``events`` table keeps each event as received, because every re-evaluation judges it and the
  trail's ``input_digest`` is taken over it (masking must never change a verdict or a digest).
- **Alerts once**: every alert key emitted is stored; after a restart the state is reloaded
  and nothing is emitted twice. Delivery is at-least-once across a crash between emitting and
  committing (sinks get ``Alert.key`` as an idempotency key); a clean restart repeats nothing.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from cppolicy.calendar import SHANGHAI, end_of_day, local_date
from cppolicy.errors import InputError
from cppolicy.evaluation import Alert, ModuleRef, derive_alerts, relevant_cleared
from cppolicy.events import Event
from cppolicy.host.api import Evaluator, to_event
from cppolicy.trail import TrailWriter

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    complaint_id TEXT,
    epoch REAL NOT NULL,
    raw BLOB NOT NULL,
    received_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_complaint ON events (complaint_id, epoch);
CREATE TABLE IF NOT EXISTS complaints (
    complaint_id TEXT PRIMARY KEY,
    next_check REAL,
    status TEXT
);
CREATE INDEX IF NOT EXISTS complaints_by_check ON complaints (next_check);
CREATE TABLE IF NOT EXISTS alerts (
    key TEXT PRIMARY KEY,
    complaint_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    clock TEXT,
    code TEXT,
    emitted_at TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS conflicts (
    event_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    raw BLOB NOT NULL
);
"""


@dataclass
class IngestResult:
    status: str  # "new" | "duplicate" | "conflict"
    event_id: str
    alerts: list[Alert] = field(default_factory=list)


def _canonical(raw: dict[str, Any]) -> bytes:
    return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)


def _create_private(state: str | Path) -> None:
    """Create a new state file readable and writable by its owner only: its ``events`` table
    holds the events as received, personal data included (docs/privacy.md). SQLite gives its
    journal the database file's permissions. An existing file is left as it is."""
    if str(state) == ":memory:" or str(state).startswith("file:"):
        return
    try:
        os.close(os.open(state, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise InputError(f"--state {state}: cannot create: {exc.strerror or exc}") from None


def alert_from_dict(data: dict[str, Any]) -> Alert:
    module = data["module"]
    return Alert(
        **{
            **data,
            "module": ModuleRef(**module) if isinstance(module, dict) else module,
            "evidence": tuple(data.get("evidence", ())),
        }
    )


class Monitor:
    """A live monitor over one SQLite state file. Not thread-safe: one writer per state file."""

    def __init__(
        self,
        state: str | Path,
        evaluator: Evaluator,
        *,
        clock: str = "event",
        at_risk_working_days: int = 2,
        trail: TrailWriter | None = None,
    ) -> None:
        if clock not in ("event", "wall"):
            raise InputError(f"clock must be 'event' or 'wall', not {clock!r}")
        self.evaluator = evaluator
        self.plugins = evaluator.plugins
        self.clock_mode = clock
        self.at_risk_working_days = at_risk_working_days
        self.trail = trail
        try:
            _create_private(state)
            self.db = sqlite3.connect(str(state))
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"--state {state}: not a usable SQLite database: {exc}") from None
        version = self._meta("schema_version")
        if version is None:
            self._set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(version) != SCHEMA_VERSION:
            raise InputError(
                f"--state {state}: schema version {version}, this cppolicy expects {SCHEMA_VERSION}"
            )
        self.db.commit()

    # -- state ----------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def now(self) -> datetime | None:
        value = self._meta("clock")
        return datetime.fromtimestamp(float(value), SHANGHAI) if value else None

    def counts(self) -> dict[str, int]:
        q = self.db.execute
        return {
            "events": q("SELECT COUNT(*) FROM events").fetchone()[0],
            "complaints": q("SELECT COUNT(*) FROM complaints").fetchone()[0],
            "alerts": q("SELECT COUNT(*) FROM alerts").fetchone()[0],
            "conflicts": q("SELECT COUNT(*) FROM conflicts").fetchone()[0],
        }

    def emitted(self, complaint_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT payload FROM alerts"
            + (" WHERE complaint_id = ?" if complaint_id else "")
            + " ORDER BY rowid"
        )
        return [orjson.loads(row[0]) for row in self.db.execute(sql, (complaint_id,) if complaint_id else ())]

    def _events(self, complaint_id: str) -> list[Event]:
        rows = self.db.execute(
            "SELECT raw, received_seq FROM events WHERE complaint_id = ? ORDER BY epoch, received_seq",
            (complaint_id,),
        )
        return [to_event(orjson.loads(raw), f"state event {seq}") for raw, seq in rows]

    # -- input ----------------------------------------------------------------------------------

    def ingest(self, item: dict[str, object] | Event) -> IngestResult:
        """Store one event (idempotently) and re-evaluate what it affects; returns new alerts."""
        event = to_event(item)
        raw = _canonical(event.raw)
        row = self.db.execute("SELECT raw FROM events WHERE event_id = ?", (event.event_id,)).fetchone()
        if row is not None:
            if bytes(row[0]) == raw:
                return IngestResult("duplicate", event.event_id)
            self.db.execute(  # kept for a person to look at, never judged: masked (docs/privacy.md)
                "INSERT INTO conflicts (event_id, seen_at, raw) VALUES (?, ?, ?)",
                (
                    event.event_id,
                    datetime.now(SHANGHAI).isoformat(),
                    _canonical(self.plugins.mask(event.raw, "event")),
                ),
            )
            self.db.commit()
            return IngestResult("conflict", event.event_id)
        seq = self.db.execute("SELECT COALESCE(MAX(received_seq), 0) + 1 FROM events").fetchone()[0]
        self.db.execute(
            "INSERT INTO events (event_id, complaint_id, epoch, raw, received_seq) VALUES (?, ?, ?, ?, ?)",
            (event.event_id, event.complaint_id, event.epoch, raw, seq),
        )
        result = IngestResult("new", event.event_id)
        if self.clock_mode == "event":
            current = self.now
            if current is None or event.time > current:
                self._set_meta("clock", repr(event.epoch))
        self.db.commit()
        now = self.now or event.time
        if event.complaint_id is not None:
            result.alerts.extend(self._evaluate(event.complaint_id, now))
        if self.clock_mode == "event":
            result.alerts.extend(self._due(now, skip=event.complaint_id))
        return result

    def tick(self, now: datetime | None = None) -> list[Alert]:
        """Advance the wall clock (``wall`` mode) and re-evaluate every complaint due a check."""
        if now is not None:
            if now.tzinfo is None:
                raise InputError("tick time must be timezone-aware")
            if self.clock_mode == "wall":
                self._set_meta("clock", repr(now.timestamp()))
                self.db.commit()
        current = self.now
        return self._due(current) if current else []

    def _due(self, now: datetime, skip: str | None = None) -> list[Alert]:
        rows = self.db.execute(
            "SELECT complaint_id FROM complaints WHERE next_check IS NOT NULL AND next_check <= ? "
            "ORDER BY complaint_id",
            (now.timestamp(),),
        ).fetchall()
        alerts: list[Alert] = []
        for (complaint_id,) in rows:
            if complaint_id != skip:
                alerts.extend(self._evaluate(complaint_id, now))
        return alerts

    # -- evaluation -----------------------------------------------------------------------------

    def _evaluate(self, complaint_id: str, now: datetime) -> list[Alert]:
        events = self._events(complaint_id)
        results = self.evaluator.evaluate_complaint(complaint_id, events, now, notify=False)
        emitted_clocks = {
            (cid, clock)
            for cid, clock in self.db.execute(
                "SELECT complaint_id, clock FROM alerts WHERE complaint_id = ? AND kind != 'cleared'",
                (complaint_id,),
            )
        }
        new: list[Alert] = []
        next_check: float | None = None
        statuses = []
        for result in results:
            statuses.append(result.status)
            module = self.evaluator.module(f"{result.module.id}@{result.module.version}")
            candidates = derive_alerts(
                result, module, self.evaluator.calendar, now, at_risk_working_days=self.at_risk_working_days
            )
            for alert in candidates:
                if alert.kind != "cleared":
                    emitted_clocks.add((alert.complaint_id, alert.clock))
            for alert in relevant_cleared(candidates, emitted_clocks):
                if self.db.execute("SELECT 1 FROM alerts WHERE key = ?", (alert.key,)).fetchone():
                    continue
                masked = alert_from_dict(self.plugins.mask(alert.to_dict(), "alert"))
                self.plugins.handle_alert(masked)
                self.db.execute(
                    "INSERT INTO alerts (key, complaint_id, kind, clock, code, emitted_at, payload) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        alert.key,
                        alert.complaint_id,
                        alert.kind,
                        alert.clock,
                        alert.code,
                        datetime.now(SHANGHAI).isoformat(),
                        orjson.dumps(masked.to_dict()),
                    ),
                )
                new.append(masked)
            # the evaluator's results are full: their clocks are ClockResults (a ClockState is slim)
            for clock in result.clocks:
                if clock.state == "running" and clock.deadline is not None:  # type: ignore[union-attr]
                    midnight = end_of_day(local_date(now)).timestamp()
                    candidate = min(clock.deadline.due.timestamp(), midnight)  # type: ignore[union-attr]
                    next_check = candidate if next_check is None else min(next_check, candidate)
        later = [e.epoch for e in events if e.epoch > now.timestamp()]
        if later:  # wall clock behind an event's time: look again once it is reached
            next_check = min(later) if next_check is None else min(next_check, min(later))
        if self.trail is not None:
            for result in results:
                self.trail.evaluation(result, events, now)
        self.db.execute(
            "INSERT INTO complaints (complaint_id, next_check, status) VALUES (?, ?, ?) "
            "ON CONFLICT(complaint_id) DO UPDATE SET next_check = excluded.next_check, status = excluded.status",
            (complaint_id, next_check, ",".join(statuses)),
        )
        self.db.commit()
        return new

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ingest_all(monitor: Monitor, events: Iterable[dict[str, object] | Event]) -> list[Alert]:
    alerts: list[Alert] = []
    for event in events:
        alerts.extend(monitor.ingest(event).alerts)
    return alerts
