"""The live monitor: events in one at a time, durable state in a store, alerts out through a relay.

- **Idempotent** on ``event_id``: the same event again is a no-op; the same id with different
  content is a *conflict*, recorded in the ``conflicts`` table and not applied.
- **One transaction per event** (the transactional outbox): the event, the evaluation of its
  complaint and the alerts it raises are committed together. Alerts are delivered afterwards by
  the :class:`~cppolicy.host.relay.Relay` (a background thread by default), never on the
  ingest path; each is marked delivered per sink only when that sink accepted it.
- **Clock**: in ``event`` mode the monitor's time is a *watermark*: the latest event time seen
  less the allowed ``lateness``; an event later than the watermark is considered once the
  watermark reaches it. In ``wall`` mode the host calls :meth:`Monitor.tick` with the wall
  clock. A complaint is re-evaluated when one of its events arrives, and once its
  ``next_check`` instant (its earliest running deadline, the next local midnight while a clock
  runs, or its next event not yet visible) has passed.
- **Late evidence**: an event older than a breach alert already raised for its complaint
  re-judges the complaint as of that alert; a breach it contradicts is retracted (a
  ``retracted`` alert naming it).
- **Restarts**: a complaint with events newer than its last evaluation (a crash between the
  two) and a complaint due a check are evaluated when the monitor opens.
- **Personal data**: alerts, the ``conflicts`` table and the ``events`` table are stored masked
  (docs/privacy.md). A stored event keeps whole every field a loaded rule module reads by value
  (:mod:`cppolicy.host.stored`), so re-evaluating it gives the verdicts the event as received
  would; its digest, taken before masking, is stored beside it: duplicates are found by it and
  the trail's ``input_digest`` is computed from it (masking never changes a verdict or a digest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from cppolicy.calendar import SHANGHAI, end_of_day, local_date
from cppolicy.errors import InputError
from cppolicy.evaluation import MET_KINDS, Alert, derive_alerts, relevant_cleared, retraction
from cppolicy.events import Event
from cppolicy.host.api import Evaluator, to_event
from cppolicy.host.relay import Backoff, Relay, alert_from_dict, decode_row, problem_line, sink_names
from cppolicy.host.schema import SCHEMA_VERSION
from cppolicy.host.store import SQLiteStore, StateError, StateStore, StoredAlert
from cppolicy.host.stored import KeptFields, storable
from cppolicy.trail import TrailWriter, complaint_input, event_digest

__all__ = ["DEFAULT_LATENESS", "SCHEMA_VERSION", "IngestResult", "Monitor", "alert_from_dict", "ingest_all"]

#: The default allowed lateness of the event clock: a branch's records commonly reach the host
#: in a daily batch, so an event may arrive up to a day after events of other branches that are
#: later in time. A breach is raised only once the watermark (latest event time less this) has
#: passed its deadline, so no on-time record still in transit is taken for a breach.
DEFAULT_LATENESS = timedelta(hours=24)


@dataclass
class IngestResult:
    status: str  # "new" | "duplicate" | "conflict"
    event_id: str
    #: the alerts this event raised, masked (put in the outbox, delivered by the relay)
    alerts: list[Alert] = field(default_factory=list)


def _canonical(raw: dict[str, Any]) -> bytes:
    return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, SHANGHAI)


class Monitor:
    """A live monitor over one state (a SQLite file, or any :class:`StateStore`).

    One writer per state: opening a state another monitor holds raises ``StateError``. Not
    thread-safe for callers: feed it from one thread (its relay runs in its own).

    ``relay``: deliver in a background thread (default), or not at all (``False``: call
    :meth:`deliver` yourself, or run ``cppolicy monitor --deliver-only``). :meth:`close` drains
    the outbox: what is due at once, then for at most ``drain_seconds``.
    """

    def __init__(
        self,
        state: str | Path | StateStore,
        evaluator: Evaluator,
        *,
        clock: str = "event",
        at_risk_working_days: int = 2,
        trail: TrailWriter | None = None,
        lateness: timedelta = DEFAULT_LATENESS,
        init: bool = False,
        relay: bool = True,
        backoff: Backoff | None = None,
        drain_seconds: float = 10.0,
        report: Callable[[str], None] | None = None,
    ) -> None:
        if clock not in ("event", "wall"):
            raise InputError(f"clock must be 'event' or 'wall', not {clock!r}")
        if lateness < timedelta(0):
            raise InputError(f"allowed lateness must not be negative, not {lateness}")
        self.evaluator = evaluator
        self.plugins = evaluator.plugins
        self.clock_mode = clock
        self.lateness = lateness
        self.at_risk_working_days = at_risk_working_days
        self.trail = trail
        self.drain_seconds = drain_seconds
        #: what the stored (masked) events keep whole: every field a loaded module reads
        self.kept = KeptFields(evaluator.modules)
        self.store: StateStore = state if not isinstance(state, str | Path) else SQLiteStore(state, init=init)
        self.sinks = sink_names(self.plugins)
        self.relay = Relay(self.store, self.plugins, backoff=backoff, report=report)
        #: ``retracted`` alerts raised by this monitor object (a feed out of time order raises some)
        self.retracted = 0
        #: deliveries still pending by sink when :meth:`close` had drained the outbox
        self.pending_at_close: dict[str, int] = {}
        try:
            self.relay.check_pending()
            self.recover()
            if relay:
                self.relay.start()
        except BaseException:
            self.store.close()
            raise

    # -- state ----------------------------------------------------------------------------------

    @property
    def now(self) -> datetime | None:
        """The monitor's clock: the watermark (``event``) or the last tick (``wall``)."""
        with self.store.transaction():
            value = self.store.get_meta("clock")
        return _moment(float(value)) if value else None

    def counts(self) -> dict[str, int]:
        with self.store.transaction():
            return self.store.counts()

    def emitted(self, complaint_id: str | None = None) -> list[dict[str, Any]]:
        """The alerts raised (delivered or not), oldest first, as dicts."""
        with self.store.transaction():
            rows = self.store.alerts_of(complaint_id) if complaint_id else self.store.all_alerts()
        return [decode_row(self.store, a.payload, f"alert row {a.seq}") for a in rows]

    def _events(self, complaint_id: str) -> list[Event]:
        with self.store.transaction():
            rows = self.store.complaint_events(complaint_id)
        return [self._stored_event(raw, seq) for raw, seq, _, _ in rows]

    def _stored(self, event: Event) -> bytes:
        """The event as the ``events`` table keeps it: masked, with what the modules read kept
        whole. A mask plugin that raises, or whose result is no longer a valid event, is
        reported and the event stored as received (an event is never lost)."""
        if not self.plugins.masking.enabled:
            return _canonical(event.raw)
        try:
            masked = storable(event.raw, self.plugins, self.kept)
            to_event(masked, f"event {event.event_id} masked")
        except Exception as exc:  # noqa: BLE001 - a broken mask plugin must not lose an event
            problem = problem_line(exc)
            self.relay.report(f"masking event {event.event_id} failed: {problem}; stored as received")
            return _canonical(event.raw)
        return _canonical(masked)

    def _stored_event(self, raw: bytes, seq: int) -> Event:
        """A stored event; one that cannot be decoded is a :class:`StateError` naming its row."""
        try:
            return to_event(decode_row(self.store, raw, f"event row {seq}"), f"state event {seq}")
        except InputError as exc:
            where = getattr(self.store, "where", "--state")
            raise StateError(f"{where}: damaged: event row {seq}: {exc}") from None

    # -- input ----------------------------------------------------------------------------------

    def ingest(self, item: dict[str, object] | Event) -> IngestResult:
        """Store one event (idempotently), re-evaluate what it affects and put the alerts raised
        in the outbox, in one transaction; returns the new alerts (delivery is the relay's)."""
        event = to_event(item)
        self.relay.check()  # a relay thread met a damaged row: stop before anything more
        digest = event_digest(event.raw)  # before masking: duplicates are found by it
        with self.store.transaction():
            stored = self.store.find_event(event.event_id)
            if stored is not None:
                if stored == digest:
                    return IngestResult("duplicate", event.event_id)
                # kept for a person to look at, never judged: masked (docs/privacy.md)
                masked = _canonical(self.plugins.mask(event.raw, "event"))
                self.store.add_conflict(event.event_id, datetime.now(SHANGHAI).isoformat(), masked)
                return IngestResult("conflict", event.event_id)
            self.store.add_event(event.event_id, event.complaint_id, event.epoch, self._stored(event), digest)
            result = IngestResult("new", event.event_id)
            if self.clock_mode == "event":
                self._advance(event.epoch)
            now = self.now or event.time
            if event.complaint_id is not None:
                result.alerts.extend(self._evaluate(event.complaint_id, now))
        if self.clock_mode == "event":
            result.alerts.extend(self._due(now, skip=event.complaint_id))
        if result.alerts:
            self.relay.notify()
        return result

    def _advance(self, epoch: float | None = None) -> None:
        """Move the watermark to the latest event time (with ``epoch``) less the lateness; it
        never goes back (a run with a longer lateness keeps the watermark it finds)."""
        latest = self.store.get_meta("latest_event")
        if epoch is not None and (latest is None or epoch > float(latest)):
            latest = repr(epoch)
            self.store.set_meta("latest_event", latest)
        if latest is None:
            return
        watermark = float(latest) - self.lateness.total_seconds()
        clock = self.store.get_meta("clock")
        if clock is None or watermark > float(clock):
            self.store.set_meta("clock", repr(watermark))

    def tick(self, now: datetime | None = None) -> list[Alert]:
        """Advance the wall clock (``wall`` mode) and re-evaluate every complaint due a check."""
        if now is not None:
            if now.tzinfo is None:
                raise InputError("tick time must be timezone-aware")
            if self.clock_mode == "wall":
                with self.store.transaction():
                    self.store.set_meta("clock", repr(now.timestamp()))
        current = self.now
        alerts = self._due(current) if current else []
        if alerts:
            self.relay.notify()
        return alerts

    def recover(self) -> list[Alert]:
        """Evaluate every complaint with events newer than its last evaluation, then every
        complaint due a check (what a crash may have left undone)."""
        alerts: list[Alert] = []
        if self.clock_mode == "event":  # this run's lateness may be shorter than the last one's
            with self.store.transaction():
                self._advance()
        current = self.now
        if current is None:
            return alerts
        with self.store.transaction():
            stale = self.store.stale_complaints()
        for complaint_id in stale:
            with self.store.transaction():
                alerts.extend(self._evaluate(complaint_id, current))
        alerts.extend(self._due(current))
        return alerts

    def _due(self, now: datetime, skip: str | None = None) -> list[Alert]:
        with self.store.transaction():
            due = self.store.due_complaints(now.timestamp())
        alerts: list[Alert] = []
        for complaint_id in due:
            if complaint_id != skip:
                with self.store.transaction():
                    alerts.extend(self._evaluate(complaint_id, now))
        return alerts

    # -- evaluation -----------------------------------------------------------------------------

    def _evaluate(self, complaint_id: str, now: datetime) -> list[Alert]:
        """Judge one complaint as of ``now`` and put its new alerts in the outbox (called inside
        a transaction)."""
        rows = self.store.complaint_events(complaint_id)
        events = [self._stored_event(raw, seq) for raw, seq, _, _ in rows]
        seen = max((seq for _, seq, _, _ in rows), default=0)
        stored = self.store.alerts_of(complaint_id)
        new = self._retractions(complaint_id, events, rows, stored, now, seen)
        later = [epoch for _, _, epoch, _ in rows if epoch > now.timestamp()]
        if len(later) == len(rows):  # nothing visible yet: look once the first event is reached
            self.store.record_evaluation(complaint_id, min(later, default=None), "", seen)
            return new
        results = self.evaluator.evaluate_complaint(complaint_id, events, now, notify=False)
        raised = {(a.complaint_id, a.clock) for a in stored if a.kind in ("at_risk", "breach")}
        next_check: float | None = min(later, default=None)
        statuses = []
        for result in results:
            statuses.append(result.status)
            module = self.evaluator.module(f"{result.module.id}@{result.module.version}")
            candidates = derive_alerts(
                result, module, self.evaluator.calendar, now, at_risk_working_days=self.at_risk_working_days
            )
            raised.update((a.complaint_id, a.clock) for a in candidates if a.kind not in MET_KINDS)
            for alert in relevant_cleared(candidates, raised):
                if not self.store.has_alert(alert.key):
                    new.append(self._record(alert, now, seen))
            # the evaluator's results are full: their clocks are ClockResults (a ClockState is slim)
            for clock in result.clocks:
                if clock.state == "running" and clock.deadline is not None:  # type: ignore[union-attr]
                    midnight = end_of_day(local_date(now)).timestamp()
                    candidate = min(clock.deadline.due.timestamp(), midnight)  # type: ignore[union-attr]
                    next_check = candidate if next_check is None else min(next_check, candidate)
        if self.trail is not None:  # the input digest from the digests taken before masking
            digests = {e.event_id: row[3] for e, row in zip(events, rows, strict=True)}
            complaint = complaint_input(events, now, digests)
            for result in results:
                self.trail.evaluation(result, complaint, now)
        self.store.record_evaluation(complaint_id, next_check, ",".join(statuses), seen)
        return new

    def _record(self, alert: Alert, now: datetime, seen: int) -> Alert:
        """Put ``alert`` in the outbox, masked, pending for every installed sink; return it as
        stored. A mask plugin that raises is reported; the alert is then stored unmasked and
        masked on delivery."""
        payload, masked, shown = alert.to_dict(), True, alert
        try:
            private = self.plugins.mask(payload, "alert")
            shown = alert_from_dict(private, self.relay.report)
            payload = private
        except Exception as exc:  # noqa: BLE001 - a broken mask plugin must not stop ingestion
            masked = False
            problem = problem_line(exc)
            self.relay.report(f"masking alert {alert.key} failed: {problem}; masked on delivery")
        stored = StoredAlert(
            seq=0,
            key=alert.key,
            complaint_id=alert.complaint_id,
            kind=alert.kind,
            clock=alert.clock,
            code=alert.code,
            as_of=now.timestamp(),
            evaluated_seq=seen,
            masked=masked,
            payload=orjson.dumps(payload),
        )
        self.store.add_alert(stored, datetime.now(SHANGHAI).isoformat(), self.sinks)
        self.retracted += alert.kind == "retracted"
        return shown

    def _retractions(
        self,
        complaint_id: str,
        events: list[Event],
        rows: list[tuple[bytes, int, float, str]],
        stored: list[StoredAlert],
        now: datetime,
        seen: int,
    ) -> list[Alert]:
        """Retract each breach raised for the complaint that events received since, but dated
        at or before the breach's as-of time, contradict (judged again as of that time)."""
        retracted = {
            decode_row(self.store, a.payload, f"alert row {a.seq}").get("retracts")
            for a in stored
            if a.kind == "retracted"
        }
        out: list[Alert] = []
        verdicts: dict[float, set[str]] = {}
        for breach in stored:
            if breach.kind != "breach" or breach.key in retracted:
                continue
            late = [seq for _, seq, epoch, _ in rows if seq > breach.evaluated_seq and epoch <= breach.as_of]
            if not late:
                continue
            if breach.as_of not in verdicts:
                verdicts[breach.as_of] = self._breach_keys(complaint_id, events, _moment(breach.as_of))
            if breach.key in verdicts[breach.as_of]:
                continue
            evidence = tuple(e.event_id for e in events if e.epoch <= breach.as_of)[-1:]
            payload = decode_row(self.store, breach.payload, f"alert row {breach.seq}")
            alert = retraction(alert_from_dict(payload), now, evidence)
            if not self.store.has_alert(alert.key):
                out.append(self._record(alert, now, seen))
        return out

    def _breach_keys(self, complaint_id: str, events: list[Event], as_of: datetime) -> set[str]:
        keys: set[str] = set()
        for result in self.evaluator.evaluate_complaint(complaint_id, events, as_of, notify=False):
            module = self.evaluator.module(f"{result.module.id}@{result.module.version}")
            candidates = derive_alerts(result, module, self.evaluator.calendar, as_of)
            keys.update(a.key for a in candidates if a.kind == "breach")
        return keys

    # -- delivery -------------------------------------------------------------------------------

    def deliver(self) -> int:
        """Deliver what is due now (without waiting for back-offs); returns how many were made.
        For a monitor opened with ``relay=False`` (its relay threads would deliver the same rows)."""
        return self.relay.deliver_due()

    def close(self) -> None:
        """Stop the relay, drain the outbox for at most ``drain_seconds``, close the state."""
        try:
            self.relay.stop()
            self.relay.drain(self.drain_seconds)
            with self.store.transaction():
                self.pending_at_close = self.store.pending_by_sink()
        finally:
            self.store.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ingest_all(monitor: Monitor, events: Iterable[dict[str, object] | Event]) -> list[Alert]:
    alerts: list[Alert] = []
    for event in events:
        alerts.extend(monitor.ingest(event).alerts)
    return alerts
