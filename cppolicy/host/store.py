"""The monitor's durable state behind one interface (:class:`StateStore`), SQLite behind it.

What the state holds (docs/monitor.md): the events received (idempotent on ``event_id``), the
conflicts, one evaluation record per complaint (when it must be looked at again and which
events it has seen), the alerts raised — the *outbox* — with one delivery row per alert and
sink, and the clock. A store is used by one writer at a time: :meth:`StateStore.open` takes a
lock held until :meth:`StateStore.close`.

Every change the monitor makes for one event happens inside one :meth:`StateStore.transaction`:
the event, the evaluation of its complaint and the alerts it raises are committed together or
not at all. The relay reads pending deliveries and marks them in short transactions of its own,
and calls no sink inside a transaction.

The interface names no SQL type, so another store (PostgreSQL for the HTTP service) implements
the same methods: ``transaction`` as a database transaction, the lock as an advisory lock.
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from cppolicy.errors import CppolicyError
from cppolicy.host.schema import SCHEMA, SCHEMA_VERSION, TABLES, migrate

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


#: the times (seconds since the epoch) a state's clock may hold: 1900-01-01 to 3000-01-01 UTC.
#: A finite value past them (1e300, 1e20, year 10000) would overflow a datetime later, after
#: alerts were sent; refusing it at open is one line before anything is delivered.
EARLIEST, LATEST = -2208988800.0, 32503680000.0


class StateError(CppolicyError):
    """A state that cannot be used: locked by another monitor, damaged, foreign or uninitialised.

    Exit code 2 (docs/exit-codes.md); raised before anything is delivered."""


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """One outbox row: an alert as raised, with what the store knows of it. ``masked``: the
    payload went through ``cppolicy_mask_payload`` (if a mask plugin failed, it did not, and
    the relay masks it before each delivery)."""

    seq: int
    key: str
    complaint_id: str
    kind: str
    clock: str | None
    code: str | None
    as_of: float
    evaluated_seq: int
    masked: bool
    payload: bytes


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """An alert not yet delivered to ``sink``; ``attempts`` failed so far."""

    alert: StoredAlert
    sink: str
    attempts: int


class StateStore(Protocol):
    """What the monitor needs of its state. Creating a store opens it, checks it (raising
    :class:`StateError` for a state it cannot trust) and takes its writer's lock, held until
    :meth:`close`; the other methods are called inside :meth:`transaction` (the store
    serialises the transactions of one process)."""

    def transaction(self) -> AbstractContextManager[None]:
        """A context manager: commit on normal exit, roll back on an exception; a transaction
        opened inside another is part of it."""

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...

    def find_event(self, event_id: str) -> str | None:
        """The digest of the event stored for ``event_id`` (taken as received), or None."""

    def add_event(
        self, event_id: str, complaint_id: str | None, epoch: float, raw: bytes, digest: str
    ) -> int:
        """Store a new event (``raw``: as stored, masked; ``digest``: of the event as received);
        return its receipt sequence number (1, 2, …)."""

    def add_conflict(self, event_id: str, seen_at: str, raw: bytes) -> None: ...

    def complaint_events(self, complaint_id: str) -> list[tuple[bytes, int, float, str]]:
        """``(raw, received_seq, epoch, digest)`` of the complaint's events by time then receipt."""

    def record_evaluation(
        self, complaint_id: str, next_check: float | None, status: str, evaluated_seq: int
    ) -> None: ...

    def stale_complaints(self) -> list[str]:
        """Complaints with an event received after their last evaluation (or never evaluated)."""

    def due_complaints(self, now: float) -> list[str]:
        """Complaints whose ``next_check`` is at or before ``now``."""

    def alerts_of(self, complaint_id: str) -> list[StoredAlert]: ...
    def all_alerts(self) -> list[StoredAlert]: ...
    def has_alert(self, key: str) -> bool: ...

    def add_alert(self, alert: StoredAlert, created_at: str, sinks: Sequence[str]) -> None:
        """Put an alert in the outbox (its ``seq`` is assigned here) with one pending delivery
        per sink."""

    def pending(self, sinks: Sequence[str], now: float, limit: int) -> list[PendingDelivery]:
        """Deliveries to ``sinks`` not yet made whose next attempt is due, oldest alert first."""

    def next_attempt(self, sinks: Sequence[str]) -> float | None:
        """When the earliest pending delivery to ``sinks`` is due, or None when none is pending."""

    def mark_delivered(self, alert_seq: int, sink: str, at: str) -> None: ...
    def mark_failed(self, alert_seq: int, sink: str, error: str, next_attempt: float) -> None: ...

    def pending_by_sink(self) -> dict[str, int]:
        """How many deliveries are pending, by sink."""

    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


def _lock(handle: IO[bytes], where: str) -> None:
    if fcntl is None:  # not POSIX: one writer per state is then the host's job
        return  # type: ignore[unreachable]  # mypy checks for POSIX, where fcntl is never None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise StateError(f"{where}: in use by another monitor (one writer per state)") from None
    except OSError:  # a file system without flock: carry on unlocked
        return


class SQLiteStore:
    """:class:`StateStore` in one SQLite file (WAL journal, so a crash loses no commit).

    ``init``: create the tables in an existing file that lacks them (a missing file is always
    created). A file whose tables are missing, whose schema version or clock is not this
    cppolicy's, or whose pages are damaged raises :class:`StateError`.
    """

    def __init__(self, path: str | Path, *, init: bool = False) -> None:
        self.path = Path(path)
        self.where = f"--state {self.path}"
        self._mutex = threading.RLock()
        self._depth = 0
        fresh = not self.path.exists()
        try:
            # owner-only when new: the events table holds masked events, but what a rule reads
            # is kept whole, and an older state's events were stored as received, personal data
            # included (docs/privacy.md); SQLite gives its journal files the same permissions
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._handle: IO[bytes] | None = os.fdopen(fd, "ab")
        except OSError as exc:
            raise StateError(f"{self.where}: cannot open: {exc.strerror or exc}") from None
        try:
            _lock(self._handle, self.where)
            self.db = self._connect()
            self._check(fresh or init)
        except BaseException:
            self._handle.close()
            self._handle = None
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            return db
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.where}: not a usable SQLite database: {exc}") from None

    def _check(self, create: bool) -> None:
        try:
            verdict = "; ".join(str(row[0]) for row in self.db.execute("PRAGMA quick_check(5)"))
            if verdict != "ok":
                raise StateError(f"{self.where}: damaged: {' '.join(verdict.split())[:300]}")
            present = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            older = self.get_meta("schema_version") if "meta" in present else None
            if older in ("1", "2") and "alerts" in present and "events" in present:
                with self.transaction():
                    migrate(self.db, int(older))
                present = {
                    r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
            missing = [t for t in TABLES if t not in present]
            if missing and not create:
                raise StateError(
                    f"{self.where}: not a monitor state (no table {', '.join(missing)}); "
                    "give --init to start a new state in this file"
                )
            if missing and "alerts" in missing and "deliveries" in present:
                orphans = self.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
                if orphans:  # their alerts are lost: --init would leave them pending for ever
                    raise StateError(
                        f"{self.where}: damaged: no table alerts, but {orphans} delivery rows refer to "
                        "alerts; not started over (move the file away to start a new state)"
                    )
            if missing:
                with self.transaction():
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                    if self.get_meta("schema_version") is None:
                        self.set_meta("schema_version", str(SCHEMA_VERSION))
            self._check_meta()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.where}: damaged: {' '.join(str(exc).split())}") from None

    def _check_meta(self) -> None:
        version = self.get_meta("schema_version")
        if version != str(SCHEMA_VERSION):
            raise StateError(
                f"{self.where}: schema version {version!r}, this cppolicy expects {SCHEMA_VERSION}"
            )
        for key in ("clock", "latest_event"):
            value = self.get_meta(key)
            if value is None:
                continue
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not (math.isfinite(number) and EARLIEST <= number <= LATEST):  # nan fails too
                raise StateError(f"{self.where}: meta {key} {value!r} is not a time between 1900 and 3000")

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._mutex:
            if self._depth:  # nested: part of the enclosing transaction
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise StateError(f"{self.where}: {exc}") from None
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self.db.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                self.db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                raise StateError(f"{self.where}: {exc}") from None

    def _q(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.where}: damaged: {exc}") from None

    # -- meta, events ---------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._q("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._q(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def find_event(self, event_id: str) -> str | None:
        row = self._q("SELECT digest FROM events WHERE event_id = ?", (event_id,)).fetchone()
        return str(row[0]) if row else None

    def add_event(
        self, event_id: str, complaint_id: str | None, epoch: float, raw: bytes, digest: str
    ) -> int:
        seq = int(self._q("SELECT COALESCE(MAX(received_seq), 0) + 1 FROM events").fetchone()[0])
        self._q(
            "INSERT INTO events (event_id, complaint_id, epoch, raw, received_seq, digest) VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, complaint_id, epoch, raw, seq, digest),
        )
        return seq

    def add_conflict(self, event_id: str, seen_at: str, raw: bytes) -> None:
        self._q("INSERT INTO conflicts (event_id, seen_at, raw) VALUES (?, ?, ?)", (event_id, seen_at, raw))

    def complaint_events(self, complaint_id: str) -> list[tuple[bytes, int, float, str]]:
        rows = self._q(
            "SELECT raw, received_seq, epoch, digest FROM events WHERE complaint_id = ? "
            "ORDER BY epoch, received_seq",
            (complaint_id,),
        )
        return [(bytes(raw), int(seq), float(epoch), str(digest)) for raw, seq, epoch, digest in rows]

    # -- evaluations ----------------------------------------------------------------------------

    def record_evaluation(
        self, complaint_id: str, next_check: float | None, status: str, evaluated_seq: int
    ) -> None:
        self._q(
            "INSERT INTO complaints (complaint_id, next_check, status, evaluated_seq) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(complaint_id) DO UPDATE SET next_check = excluded.next_check, "
            "status = excluded.status, evaluated_seq = excluded.evaluated_seq",
            (complaint_id, next_check, status, evaluated_seq),
        )

    def stale_complaints(self) -> list[str]:
        rows = self._q(
            "SELECT e.complaint_id FROM events e LEFT JOIN complaints c USING (complaint_id) "
            "WHERE e.complaint_id IS NOT NULL GROUP BY e.complaint_id "
            "HAVING MAX(e.received_seq) > COALESCE(MAX(c.evaluated_seq), 0) ORDER BY e.complaint_id"
        )
        return [str(r[0]) for r in rows]

    def due_complaints(self, now: float) -> list[str]:
        rows = self._q(
            "SELECT complaint_id FROM complaints WHERE next_check IS NOT NULL AND next_check <= ? "
            "ORDER BY complaint_id",
            (now,),
        )
        return [str(r[0]) for r in rows]

    # -- the outbox -----------------------------------------------------------------------------

    _ALERT = (
        "SELECT seq, key, complaint_id, kind, clock, code, as_of, evaluated_seq, masked, payload FROM alerts"
    )

    @staticmethod
    def _alert(row: Sequence[Any]) -> StoredAlert:
        seq, key, complaint, kind, clock, code, as_of, evaluated, masked, payload = row
        return StoredAlert(
            seq, key, complaint, kind, clock, code, float(as_of), int(evaluated), bool(masked), bytes(payload)
        )

    def alerts_of(self, complaint_id: str) -> list[StoredAlert]:
        rows = self._q(self._ALERT + " WHERE complaint_id = ? ORDER BY seq", (complaint_id,))
        return [self._alert(r) for r in rows]

    def all_alerts(self) -> list[StoredAlert]:
        return [self._alert(r) for r in self._q(self._ALERT + " ORDER BY seq")]

    def has_alert(self, key: str) -> bool:
        return self._q("SELECT 1 FROM alerts WHERE key = ?", (key,)).fetchone() is not None

    def add_alert(self, alert: StoredAlert, created_at: str, sinks: Sequence[str]) -> None:
        cursor = self._q(
            "INSERT INTO alerts (key, complaint_id, kind, clock, code, as_of, evaluated_seq, created_at, "
            "masked, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                alert.key,
                alert.complaint_id,
                alert.kind,
                alert.clock,
                alert.code,
                alert.as_of,
                alert.evaluated_seq,
                created_at,
                int(alert.masked),
                alert.payload,
            ),
        )
        for sink in sinks:
            self._q("INSERT INTO deliveries (alert_seq, sink) VALUES (?, ?)", (cursor.lastrowid, sink))

    def pending(self, sinks: Sequence[str], now: float, limit: int) -> list[PendingDelivery]:
        if not sinks:
            return []
        marks = ",".join("?" * len(sinks))
        rows = self._q(
            "SELECT a.seq, a.key, a.complaint_id, a.kind, a.clock, a.code, a.as_of, a.evaluated_seq, "
            "a.masked, a.payload, d.sink, d.attempts FROM deliveries d JOIN alerts a ON a.seq = d.alert_seq "
            f"WHERE d.delivered_at IS NULL AND d.next_attempt <= ? AND d.sink IN ({marks}) "
            "ORDER BY a.seq, d.sink LIMIT ?",
            (now, *sinks, limit),
        )
        return [PendingDelivery(self._alert(r[:10]), str(r[10]), int(r[11])) for r in rows]

    def next_attempt(self, sinks: Sequence[str]) -> float | None:
        if not sinks:
            return None
        marks = ",".join("?" * len(sinks))
        row = self._q(
            f"SELECT MIN(next_attempt) FROM deliveries WHERE delivered_at IS NULL AND sink IN ({marks})",
            tuple(sinks),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def mark_delivered(self, alert_seq: int, sink: str, at: str) -> None:
        self._q(
            "UPDATE deliveries SET delivered_at = ?, attempts = attempts + 1, last_error = NULL "
            "WHERE alert_seq = ? AND sink = ?",
            (at, alert_seq, sink),
        )

    def mark_failed(self, alert_seq: int, sink: str, error: str, next_attempt: float) -> None:
        self._q(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt = ? "
            "WHERE alert_seq = ? AND sink = ?",
            (error, next_attempt, alert_seq, sink),
        )

    def pending_by_sink(self) -> dict[str, int]:
        rows = self._q("SELECT sink, COUNT(*) FROM deliveries WHERE delivered_at IS NULL GROUP BY sink")
        return {str(sink): int(n) for sink, n in rows}

    # -- the rest -------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        one = self._q
        return {
            "events": int(one("SELECT COUNT(*) FROM events").fetchone()[0]),
            "complaints": int(one("SELECT COUNT(*) FROM complaints").fetchone()[0]),
            "alerts": int(one("SELECT COUNT(*) FROM alerts").fetchone()[0]),
            "conflicts": int(one("SELECT COUNT(*) FROM conflicts").fetchone()[0]),
            "pending": int(one("SELECT COUNT(*) FROM deliveries WHERE delivered_at IS NULL").fetchone()[0]),
        }

    def close(self) -> None:
        with self._mutex:
            if self._handle is None:
                return
            try:
                self.db.close()
            finally:
                self._handle.close()  # releases the lock, after the database is closed
                self._handle = None
