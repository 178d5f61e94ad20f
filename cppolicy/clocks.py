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

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Sequence

from cppolicy.calendar import WorkingDayCalendar, end_of_day, local_date
from cppolicy.errors import CalendarError
from cppolicy.rule_module import ClockSpec, RuleModule


@dataclass(slots=True)
class Deadline:
    due_date: date | None
    due: datetime  # exclusive end instant, aware (Asia/Shanghai)


def compute_deadline(
    calendar: WorkingDayCalendar,
    start: datetime,
    period: dict,
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
    day = local_date(start)
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
    state: str  # not_applicable | not_started | undetermined | running | met | met_late | overdue | stopped
    start: datetime | None = None
    start_id: str | None = None
    period: dict | None = None
    deadline: Deadline | None = None
    base_due: datetime | None = None
    cap_due: datetime | None = None
    met_at: datetime | None = None
    met_id: str | None = None
    reason: str | None = None
    extensions: list[dict] = field(default_factory=list)

    def fact(self) -> dict | None:
        if self.deadline is None or self.start is None:
            return None
        out = {
            "f": "clock",
            "clock": self.name,
            "start": self.start.timestamp(),
            "start_id": self.start_id,
            "due": self.deadline.due.timestamp(),
            "base_due": (self.base_due or self.deadline.due).timestamp(),
        }
        if self.cap_due is not None:
            out["cap_due"] = self.cap_due.timestamp()
        return out

    def describe(self, calendar: WorkingDayCalendar) -> dict[str, Any]:
        """A plain dict for explanations and reports. The days between start and deadline are
        listed here, on demand, rather than on the audit's hot path."""
        d = self.deadline
        between = []
        if d and d.due_date and self.start:
            first = local_date(self.start)
            between = [calendar.day_kind(first + timedelta(days=i))
                       for i in range(1, (d.due_date - first).days + 1)]
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
            "reason": self.reason,
        }


def _last_day(end: datetime | None) -> str | None:
    """The last day of a period whose exclusive end instant is ``end`` (24:00 of that day)."""
    return (end - timedelta(seconds=1)).date().isoformat() if end else None


def _day(info: Any) -> dict:
    """A day with why it is what it is, in English and Chinese."""
    zh = {"weekend": "周末", "make_up_working_day": "调休上班日"}.get(info.kind) or info.name or "休息日"
    return {"date": info.date.isoformat(), "why": info.reason, "why_zh": zh}


def _dig(data: dict, dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def compute_clocks(
    module: RuleModule,
    events: Sequence,
    calendar: WorkingDayCalendar,
    params: dict[str, Any],
    as_of: datetime,
    annotations: dict[str, dict],
) -> list[ClockResult]:
    """Compute every clock of ``module`` over ``events`` (sorted, all at or before ``as_of``).

    ``annotations`` receives, per event id, extra numeric fields for the event's fact
    (``limit_due``, ``new_due`` on extensions).
    """
    start_counted = bool(params.get("start_day_counted", False))
    roll_forward = bool(params.get("roll_forward_on_holiday", False))
    first: dict[str, Any] = {}
    for event in events:
        first.setdefault(event.type, event)
    withdrawn = first.get("withdrawn")
    results = []
    for name, spec in module.clocks.items():
        result = ClockResult(name=name, spec=spec, state="not_started")
        results.append(result)
        if spec.applies_if:
            received = first.get("received")
            if received is None:
                result.state = "undetermined"
                result.reason = "no 'received' event: cannot tell whether this clock applies"
                continue
            if _dig(received.data, spec.applies_if["field"]) not in params[spec.applies_if["in"]["param"]]:
                result.state = "not_applicable"
                continue
        start_event = first.get(spec.start_event)
        if start_event is None:
            if spec.start_event == "received":
                result.state = "undetermined"
                result.reason = "no 'received' event for this complaint in the input"
            continue
        result.start, result.start_id = start_event.time, start_event.event_id
        result.period = params[spec.period_param]
        try:
            result.deadline = compute_deadline(
                calendar, result.start, result.period, start_counted=start_counted, roll_forward=roll_forward
            )
            result.base_due = result.deadline.due
            if spec.extension:
                _apply_extensions(result, spec, events, calendar, params, start_counted, roll_forward, annotations)
        except CalendarError as exc:
            result.state, result.reason, result.deadline = "undetermined", exc.message, None
            continue
        met = first.get(spec.met_by) if spec.met_by else None
        due = result.deadline.due
        if met is not None:
            result.met_at, result.met_id = met.time, met.event_id
            result.state = "met" if met.time < due else "met_late"
        elif withdrawn is not None and withdrawn.time < due:
            result.state = "stopped"
        else:
            result.state = "overdue" if as_of >= due else "running"
    return results


def _apply_extensions(
    result: ClockResult,
    spec: ClockSpec,
    events: Sequence,
    calendar: WorkingDayCalendar,
    params: dict,
    start_counted: bool,
    roll_forward: bool,
    annotations: dict[str, dict],
) -> None:
    ext = spec.extension
    cap = compute_deadline(calendar, result.start, params[ext["cap"]["param"]], start_counted=start_counted,
                           roll_forward=roll_forward)
    result.cap_due = cap.due
    requires = set(ext["requires"])
    for event in events:
        if event.type != ext["event"]:
            continue
        limit_due = result.deadline.due
        data = event.data
        if data.get("new_due_date"):
            new = Deadline(date.fromisoformat(data["new_due_date"]), end_of_day(date.fromisoformat(data["new_due_date"])))
        else:
            new = compute_deadline(calendar, result.start, data["new_limit"], start_counted=start_counted,
                                   roll_forward=roll_forward)
        checks = {
            "notified": bool(data.get("notice_channel")),
            "reason": bool((data.get("reason") or "").strip()),
            "before_expiry": event.time < limit_due,
            "approval": bool(data.get("approval")),
        }
        missing = sorted(k for k in requires if not checks[k])
        effective = not missing and new.due > limit_due
        annotations.setdefault(event.event_id, {}).update(
            {"limit_due": limit_due.timestamp(), "new_due": new.due.timestamp()}
        )
        if effective:
            capped = new if new.due <= cap.due else cap
            result.deadline = Deadline(capped.due_date, capped.due)
        result.extensions.append({
            "event": event.event_id,
            "at": event.time.isoformat(),
            "limit_then": limit_due.isoformat(),
            "requested_due": new.due.isoformat(),
            "requested_due_date": new.due_date.isoformat() if new.due_date else None,
            "effective": effective,
            "capped": effective and new.due > cap.due,
            "missing": missing,
        })
