"""Clocks: deadlines computed from a complaint's events, a rule module and the calendar.

A clock is declared in the rule module (what starts it, its period as a parameter with a
unit, what meets it, how an extension moves it). Here it becomes plain numbers — epoch
seconds of the exclusive end of its last day (24:00 Asia/Shanghai) — that the rule engine
compares with event times. Nothing here decides a breach; the rules do.

Counting follows the module's parameters: ``start_day_counted`` (民法典 Art. 201 default:
the day of receipt is not counted) and, for calendar-day periods, ``roll_forward_on_holiday``
(民法典 Art. 203; default off, see docs/rule-modules.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cppolicy.calendar import DayInfo, WorkingDayCalendar, end_of_day, local_date
from cppolicy.documents import dig
from cppolicy.errors import CalendarError, CalendarYearUnknown
from cppolicy.evaluation.chronology import acts_before_receipt, clock_conflict
from cppolicy.evaluation.clock_readings import (
    DueAt,
    extension_checks,
    fall_back,
    first_start,
    met_in_order,
    restart_in_time,
)
from cppolicy.events import Event
from cppolicy.rules import ClockSpec, RuleModule


@dataclass(frozen=True, slots=True)
class Deadline:
    due_date: date | None
    due: datetime  # exclusive end instant, aware (Asia/Shanghai)
    #: ``due`` as epoch seconds, computed once (deadlines are shared between complaints)
    due_t: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "due_t", self.due.timestamp())


def compute_deadline(
    calendar: WorkingDayCalendar,
    start: datetime,
    period: dict[str, Any],
    *,
    start_counted: bool,
    roll_forward: bool = False,
) -> Deadline:
    """The deadline of a period ``{value, unit}`` that starts at ``start``.

    Raises CalendarError (e.g. CalendarYearUnknown) when the calendar cannot answer.
    """
    value, unit = int(period["value"]), period["unit"]
    if unit == "hour":
        return Deadline(None, start + timedelta(hours=value))
    # A day-based deadline depends only on the start's local date: remembered per calendar
    # object (immutable), by the start instant (the tiers and modules of one complaint) and by
    # its date (the many complaints of one day), which spares the calendar walk.
    flags = (value, unit, start_counted, roll_forward)
    hit = _deadlines.get((id(calendar), start, flags))
    if hit is not None and hit[0] is calendar:
        return hit[1]
    day = local_date(start)
    hit = _deadlines.get((id(calendar), day, flags))
    if hit is None or hit[0] is not calendar:
        hit = (calendar, _day_deadline(calendar, day, value, unit, start_counted, roll_forward))
        _deadlines[(id(calendar), day, flags)] = hit
    if len(_deadlines) >= 65536:
        _deadlines.clear()
    _deadlines[(id(calendar), start, flags)] = hit
    return hit[1]


#: keyed by (calendar id, start instant or local date, (value, unit, start counted, roll forward))
_deadlines: dict[tuple[int, date, tuple[int, str, bool, bool]], tuple[WorkingDayCalendar, Deadline]] = {}


def _day_deadline(
    calendar: WorkingDayCalendar, day: date, value: int, unit: str, start_counted: bool, roll_forward: bool
) -> Deadline:
    if unit == "working_day":
        due_date = calendar.add_working_days(day, value, start_counted=start_counted)
    elif unit == "calendar_day":
        due_date = calendar.add_calendar_days(
            day, value, start_counted=start_counted, roll_forward=roll_forward
        )
    else:
        raise CalendarError(f"unknown period unit {unit!r}")
    return Deadline(due_date, end_of_day(due_date))


@dataclass(slots=True)
class ClockResult:
    """One clock's computation, for the engine (``fact``) and for ``explain`` (``describe``)."""

    name: str
    spec: ClockSpec
    state: str  # not_applicable | not_started | undetermined | running | paused | met | met_late | overdue | stopped
    start: datetime | None = None
    start_id: str | None = None
    period: dict[str, Any] | None = None
    deadline: Deadline | None = None
    base: Deadline | None = None  # the deadline before pauses and extensions moved it
    cap: Deadline | None = None  # the latest an extension may move it to
    met_at: datetime | None = None
    met_id: str | None = None
    reason: str | None = None
    extensions: list[dict[str, Any]] = field(default_factory=list)
    pauses: list[dict[str, Any]] = field(default_factory=list)
    paused_open: bool = False
    restarted_by: str | None = None
    start_t: float | None = None  # ``start`` as epoch seconds (the start event's)
    #: the calendar could not count it: a year's arrangement is unknown (then judged at both ends)
    unknown_year: bool = False
    #: the earliest and latest possible deadline, when it runs into an unknown year
    bounds: tuple[Deadline, Deadline] | None = None

    @property
    def base_due(self) -> datetime | None:
        return self.base.due if self.base else None

    @property
    def cap_due(self) -> datetime | None:
        return self.cap.due if self.cap else None

    def fact(self) -> dict[str, Any] | None:
        if self.deadline is None or self.start is None:
            return None
        out: dict[str, Any] = {
            "f": "clock",
            "clock": self.name,
            "start": self.start_t if self.start_t is not None else self.start.timestamp(),
            "start_id": self.start_id,
            "due": self.deadline.due_t,
            "base_due": (self.base or self.deadline).due_t,
        }
        if self.cap is not None:
            out["cap_due"] = self.cap.due_t
        return out

    def describe(self, calendar: WorkingDayCalendar) -> dict[str, Any]:
        """A plain dict for explanations and reports. The days between start and deadline are
        listed here, on demand, rather than on the audit's hot path."""
        d = self.deadline
        between = []
        # Only working-day periods skip rest days; calendar days count every day.
        if d and d.due_date and self.start and (self.period or {}).get("unit") == "working_day":
            first = local_date(self.start)
            days = [first + timedelta(days=i) for i in range(1, (d.due_date - first).days + 1)]
            # a bounded deadline lists only the days of published years
            between = [calendar.day_kind(day) for day in days if day.year in calendar.covered_years]
        return {
            "clock": self.name,
            "description": self.spec.description,
            "cite": self.spec.cite,
            "state": self.state,
            "start": self.start.isoformat() if self.start else None,
            "start_event": self.start_id,
            "period": self.period,
            "due_date": d.due_date.isoformat() if d and d.due_date else None,
            "due": d.due.isoformat() if d else None,
            "base_due": self.base_due.isoformat() if self.base_due else None,
            "base_due_date": _last_day(self.base_due),
            "cap_due": self.cap_due.isoformat() if self.cap_due else None,
            "cap_due_date": _last_day(self.cap_due),
            "rest_days_skipped": [_day(i) for i in between if not i.working],
            "make_up_days_counted": [_day(i) for i in between if i.kind == "make_up_working_day"],
            "met_at": self.met_at.isoformat() if self.met_at else None,
            "met_by_event": self.met_id,
            "extensions": self.extensions,
            "pauses": self.pauses,
            "restarted_by": self.restarted_by,
            "reason": self.reason,
            **_bounds(self.bounds),
        }


def _bounds(bounds: tuple[Deadline, Deadline] | None) -> dict[str, Any]:
    """The earliest and latest possible deadline of a clock that runs into an unknown year."""
    if bounds is None:
        return {}
    return {
        "earliest_due": bounds[0].due.isoformat(),
        "earliest_due_date": _last_day(bounds[0].due),
        "latest_due": bounds[1].due.isoformat(),
        "latest_due_date": _last_day(bounds[1].due),
    }


def _last_day(end: datetime | None) -> str | None:
    """The last day of a period whose exclusive end instant is ``end`` (24:00 of that day)."""
    return (end - timedelta(seconds=1)).date().isoformat() if end else None


def _day(info: DayInfo) -> dict[str, str]:
    """A day with why it is what it is, in English and Chinese."""
    zh = {"weekend": "周末", "make_up_working_day": "调休上班日"}.get(info.kind) or info.name or "休息日"
    return {"date": info.date.isoformat(), "why": info.reason, "why_zh": zh}


def compute_clocks(
    module: RuleModule,
    events: Sequence[Event],
    calendar: WorkingDayCalendar,
    params: dict[str, Any],
    as_of: datetime,
    annotations: dict[str, dict[str, Any]],
    only: set[str] | None = None,
) -> list[ClockResult]:
    """Compute the clocks of ``module`` (those named in ``only``, when given) over ``events``
    (sorted, all at or before ``as_of``).

    ``annotations`` receives, per event id, extra numeric fields for the event's fact
    (``limit_due``, ``new_due`` on extensions). A clock that reads an act dated before the
    complaint's receipt is ``undetermined`` (:mod:`~cppolicy.evaluation.chronology`).
    """
    early = acts_before_receipt(events)
    first: dict[str, Event] = {}
    for event in events:
        first.setdefault(event.type, event)
    results = []
    for name, spec in module.clocks.items():
        if only is not None and name not in only:
            continue
        result = ClockResult(name=name, spec=spec, state="not_started")
        results.append(result)
        scope = _started(result, spec, events, first, params, calendar)
        if scope is None:
            continue
        conflict = clock_conflict(module, name, early)
        if conflict is not None:
            result.state, result.reason = "undetermined", conflict
            continue
        try:
            _deadline(result, spec, scope, calendar, params, as_of, annotations)
        except CalendarError as exc:
            result.state, result.reason, result.deadline = "undetermined", exc.message, None
            result.unknown_year = isinstance(exc, CalendarYearUnknown)
            continue
        _state(result, spec, scope, first.get("withdrawn"), as_of, annotations)
    return results


def _started(
    result: ClockResult,
    spec: ClockSpec,
    events: Sequence[Event],
    first: dict[str, Event],
    params: dict[str, Any],
    calendar: WorkingDayCalendar,
) -> list[Event] | None:
    """Whether the clock applies and has started: its start set, and the events that count for it
    (from a restart on, when there was one); None when it does not run (its state says why)."""
    if spec.applies_if:
        received = first.get("received")
        if received is None:
            result.state = "undetermined"
            result.reason = "no 'received' event: cannot tell whether this clock applies"
            return None
        if dig(received.data, spec.applies_if["field"]) not in params[spec.applies_if["in"]["param"]]:
            result.state = "not_applicable"
            return None
    start_event = first_start(spec, events, first)
    if start_event is None:
        if spec.start_event == "received":
            result.state = "undetermined"
            result.reason = "no 'received' event for this complaint in the input"
        return None
    # A restart (e.g. a repeat complaint with new facts) starts the period again; what came
    # before it no longer counts for this clock.
    scope = list(events)
    restart = _last_restart(spec, events)
    if restart is not None and (spec.restart or {}).get("within_limit"):
        try:
            restart = restart_in_time(spec, events, start_event, _due_at(result, spec, calendar, params))
        except CalendarError as exc:
            result.state, result.reason = "undetermined", exc.message
            return None
    if restart is not None and restart.time >= start_event.time:
        start_event = restart
        scope = [e for e in events if e.time >= restart.time]
        result.restarted_by = restart.event_id
    result.start, result.start_id, result.start_t = start_event.time, start_event.event_id, start_event.epoch
    result.period = params[spec.period_param]
    return scope


def _deadline(
    result: ClockResult,
    spec: ClockSpec,
    scope: list[Event],
    calendar: WorkingDayCalendar,
    params: dict[str, Any],
    as_of: datetime,
    annotations: dict[str, dict[str, Any]],
) -> None:
    """The clock's deadline: its period from its start, moved by pauses and extensions.
    Raises CalendarError when the calendar cannot count it."""
    assert result.start is not None and result.period is not None
    start_counted = bool(params.get("start_day_counted", False))
    roll_forward = bool(params.get("roll_forward_on_holiday", False))
    result.deadline = compute_deadline(
        calendar, result.start, result.period, start_counted=start_counted, roll_forward=roll_forward
    )
    result.base = result.deadline
    if spec.pauses:
        _apply_pauses(result, spec, scope, calendar, params, as_of, annotations)
    if spec.extension:
        _apply_extensions(result, spec, scope, calendar, params, start_counted, roll_forward, annotations)


def _state(
    result: ClockResult,
    spec: ClockSpec,
    scope: list[Event],
    withdrawn: Event | None,
    as_of: datetime,
    annotations: dict[str, dict[str, Any]],
) -> None:
    """Met (in time or late), stopped by a withdrawal, paused, overdue or still running."""
    assert result.deadline is not None
    met = met_in_order(spec, scope, annotations) if spec.met_by else None
    due = result.deadline.due
    if met is not None:
        result.met_at, result.met_id = met.time, met.event_id
        result.state = "met" if met.time < due else "met_late"
    elif withdrawn is not None and withdrawn.time < due:
        result.state = "stopped"
    elif result.paused_open:
        result.state = "paused"
    else:
        result.state = "overdue" if as_of >= due else "running"


def _due_at(
    result: ClockResult, spec: ClockSpec, calendar: WorkingDayCalendar, params: dict[str, Any]
) -> DueAt:
    """The clock's deadline from a start event over a window of events, as it stood at a moment."""

    def due(start: Event, window: list[Event], at: datetime) -> float:
        probe = ClockResult(result.name, spec, "running", start=start.time, period=params[spec.period_param])
        _deadline(probe, spec, window, calendar, params, at, {})
        assert probe.deadline is not None
        return probe.deadline.due_t

    return due


def _last_restart(spec: ClockSpec, events: Sequence[Event]) -> Event | None:
    if not spec.restart:
        return None
    field = spec.restart.get("when_true")
    found = None
    for event in events:
        if event.type == spec.restart["event"] and (field is None or event.data.get(field) is True):
            found = event
    return found


def _shift(
    calendar: WorkingDayCalendar, deadline: Deadline, period: dict[str, Any], days: int, working: int
) -> Deadline:
    """Move a deadline later by excluded time: calendar days, or working days for working-day periods."""
    if deadline.due_date is None:
        return Deadline(None, deadline.due + timedelta(days=days))
    if period["unit"] == "working_day":
        due_date = calendar.add_working_days(deadline.due_date, working) if working else deadline.due_date
    else:
        due_date = deadline.due_date + timedelta(days=days)
    return Deadline(due_date, end_of_day(due_date))


def _apply_pauses(
    result: ClockResult,
    spec: ClockSpec,
    events: Sequence[Event],
    calendar: WorkingDayCalendar,
    params: dict[str, Any],
    as_of: datetime,
    annotations: dict[str, dict[str, Any]],
) -> None:
    """Exclude pause periods (e.g. external appraisal, mediation) from the clock.

    A pause of an allowed reason runs from the pause event to the next resume event; its days
    (from the pause day to the resume day) are added to the deadline. A pause still open at the
    as-of time suspends the clock (state ``paused``). A pause for another reason excludes nothing.
    """
    pauses = spec.pauses
    # the caller checked spec.pauses; _deadline set the deadline and asserted the period
    assert pauses is not None and result.deadline is not None and result.period is not None
    allowed = params[pauses["reasons"]["param"]]
    open_pause = None
    for event in events:
        if event.type == pauses["start"] and open_pause is None:
            counted = event.data.get("reason") in allowed
            annotations.setdefault(event.event_id, {})["pause_excluded"] = counted
            if counted:
                open_pause = event
        elif event.type == pauses["end"] and open_pause is not None:
            first_day, last_day = local_date(open_pause.time), local_date(event.time)
            days = (last_day - first_day).days
            working = calendar.working_days_between(first_day, last_day)
            result.deadline = _shift(calendar, result.deadline, result.period, days, working)
            result.pauses.append(
                {"from": open_pause.event_id, "to": event.event_id, "days": days, "working_days": working}
            )
            open_pause = None
    if open_pause is not None:
        first_day = local_date(open_pause.time)
        days = (local_date(as_of) - first_day).days + 1
        working = calendar.working_days_between(first_day, local_date(as_of)) + 1
        result.deadline = _shift(calendar, result.deadline, result.period, days, working)
        result.pauses.append({"from": open_pause.event_id, "to": None, "days": days, "working_days": working})
        result.paused_open = True


def _apply_extensions(
    result: ClockResult,
    spec: ClockSpec,
    events: Sequence[Event],
    calendar: WorkingDayCalendar,
    params: dict[str, Any],
    start_counted: bool,
    roll_forward: bool,
    annotations: dict[str, dict[str, Any]],
) -> None:
    """Apply extension events in order.

    An extension names ``new_limit`` (``{value, unit}`` from the clock's start) or
    ``new_due_date``. Its *tier* is the first tier whose limit covers the requested deadline
    (the last tier when none does); it moves the deadline only when every requirement of its
    tier holds — ``notified`` (a notice channel), ``reason`` (non-empty), ``before_expiry``
    (sent before the limit then in force ended), ``approval`` (an approval, at one of the tier's
    ``approval_levels`` when given) — and then never beyond the last tier's limit. Each
    extension event's fact gets ``limit_due``, ``new_due``, ``ext_tier`` and ``ext_tier_due``.
    """
    ext, start = spec.extension, result.start
    assert ext is not None and start is not None and result.deadline is not None  # see _deadline
    tiers = ext.get("tiers") or [{"up_to": ext["cap"], "requires": ext["requires"]}]
    # Paused time is excluded from the whole handling period, extensions and cap included.
    paused_days = sum(p["days"] for p in result.pauses)
    paused_working = sum(p["working_days"] for p in result.pauses)

    def limit(period: dict[str, Any]) -> Deadline:
        plain = compute_deadline(
            calendar, start, period, start_counted=start_counted, roll_forward=roll_forward
        )
        return _shift(calendar, plain, period, paused_days, paused_working) if result.pauses else plain

    limits = [limit(params[t["up_to"]["param"]]) for t in tiers]
    cap = result.cap = limits[-1]
    for event in events:
        if event.type != ext["event"]:
            continue
        limit_due = result.deadline.due
        data = event.data
        if data.get("new_due_date"):
            day = date.fromisoformat(data["new_due_date"])
            new = Deadline(day, end_of_day(day))
        else:
            new = limit(data["new_limit"])
        index = next((i for i, limit in enumerate(limits) if new.due <= limit.due), len(tiers) - 1)
        tier = tiers[index]
        levels = params[tier["approval_levels"]["param"]] if tier.get("approval_levels") else None
        checks = extension_checks(data, event.time < limit_due, levels)
        missing = sorted(k for k in tier["requires"] if not checks[k])
        # with fall_back, a request its tier does not allow stands as the highest lower tier it meets
        granted = index if not missing else fall_back(ext, tiers, index, checks)
        target = new if granted == index else limits[granted] if granted is not None else new
        effective = granted is not None and target.due > limit_due
        annotations.setdefault(event.event_id, {}).update(
            {
                "limit_due": limit_due.timestamp(),
                "new_due": new.due.timestamp(),
                "ext_tier": index + 1,
                "ext_tier_due": limits[index].due.timestamp(),
            }
        )
        if effective:
            result.deadline = target if target.due <= cap.due else cap
        result.extensions.append(
            {
                "event": event.event_id,
                "at": event.time.isoformat(),
                "limit_then": limit_due.isoformat(),
                "requested_due": new.due.isoformat(),
                "requested_due_date": new.due_date.isoformat() if new.due_date else None,
                "tier": index + 1,
                "effective": effective,
                "capped": effective and target.due > cap.due,
                "missing": missing,
                "granted_tier": granted + 1 if effective and granted is not None else None,
            }
        )
