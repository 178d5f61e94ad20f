"""Readings a clock declaration may opt into (issue 19), each tied to a text that leaves no choice.

* ``start.when_true`` — the clock starts at the first start event with that data field true:
  Order 2020 No. 3 Art. 20 counts 30 days 自收到核查申请之日起, and the application is a written
  one (书面申请核查), so an oral request before it starts nothing (:func:`first_start`).
* ``met_by`` with ``reports`` — an act that reports another (a result notice, a report to the
  forwarding regulator, a PBoC feedback: each reports the decision) and is timestamped before
  the first act it reports cannot be its evidence (:func:`met_in_order`).
* ``restart.within_limit`` — Art. 18 ¶3: new facts and reasons restart the handling period only
  for a repeat complaint brought 在消费投诉处理期限内 (:func:`restart_in_time`).
* ``extension.fall_back`` — Art. 18 ¶1: only the second 30 days need approval and notice; a
  request its tier does not allow stands as the highest lower tier whose requirements hold
  (:func:`fall_back`).

The deadline arithmetic stays in :mod:`cppolicy.evaluation.clocks`; these functions only choose
events and tiers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from cppolicy.events import Event
from cppolicy.rules import ClockSpec


def first_start(spec: ClockSpec, events: Sequence[Event], first: dict[str, Event]) -> Event | None:
    """The event that starts the clock: the first of its type, or, with ``start.when_true``, the
    first of its type whose data field of that name is ``true``."""
    if spec.start_when is None:
        return first.get(spec.start_event)
    return next(
        (e for e in events if e.type == spec.start_event and e.data.get(spec.start_when) is True), None
    )


def met_in_order(
    spec: ClockSpec, scope: Sequence[Event], annotations: dict[str, dict[str, Any]]
) -> Event | None:
    """The first ``met_by`` event of ``scope`` that meets the clock.

    With ``reports``, a ``met_by`` event timestamped strictly before the first event of the
    reported type in the scope cannot report it: it meets nothing, and its fact is annotated
    ``out_of_order: true`` and ``reports_id`` (the reported event, for the warning that names
    both); the first one that can meet the clock is annotated ``first_in_order: true``."""
    acts = [e for e in scope if e.type == spec.met_by]
    if spec.reports is None:
        return acts[0] if acts else None
    reported = next((e for e in scope if e.type == spec.reports), None)
    met = None
    for act in acts:
        if reported is not None and act.time < reported.time:
            annotations.setdefault(act.event_id, {}).update(
                {"out_of_order": True, "reports_id": reported.event_id}
            )
        elif met is None:
            met = act
            annotations.setdefault(act.event_id, {})["first_in_order"] = True
    return met


#: the exclusive end (epoch seconds) of the period that starts at an event, counted over the
#: events of a window, as the limit stood at a moment: ``due(start, window, at)``
DueAt = Callable[[Event, list[Event], datetime], float]


def restart_in_time(spec: ClockSpec, events: Sequence[Event], start: Event, due: DueAt) -> Event | None:
    """With ``restart.within_limit``: the last restart event made while the limit then in force
    ran (counted from the start, or from the restart before it, with the pauses and extensions
    recorded before it); a restart event after the limit lapsed restarts nothing. Without it:
    the last restart event at or after the start. Raises what ``due`` raises (CalendarError)."""
    assert spec.restart is not None
    field, within = spec.restart.get("when_true"), bool(spec.restart.get("within_limit"))
    current, chosen = start, None
    for event in events:
        if event.type != spec.restart["event"] or event.time < current.time:
            continue
        if field is not None and event.data.get(field) is not True:
            continue
        window = [e for e in events if current.time <= e.time < event.time]
        if within and event.epoch >= due(current, window, event.time):
            continue
        current = chosen = event
    return chosen


def extension_checks(
    data: dict[str, Any], before_expiry: bool, levels: Sequence[str] | None
) -> dict[str, bool]:
    """Which requirements an extension event's data meets: ``notified`` (a notice channel),
    ``reason`` (non-empty), ``before_expiry`` (given), ``approval`` (at one of ``levels``, if any)."""
    approval = data.get("approval") or {}
    return {
        "notified": bool(data.get("notice_channel")),
        "reason": bool((data.get("reason") or "").strip()),
        "before_expiry": before_expiry,
        "approval": bool(approval) and (levels is None or approval.get("level") in levels),
    }


def fall_back(
    ext: dict[str, Any], tiers: list[dict[str, Any]], index: int, checks: dict[str, bool]
) -> int | None:
    """With ``extension.fall_back``, the highest tier below ``index`` whose requirements all hold
    (the extension takes effect up to that tier's limit); None without it or when none does."""
    if not ext.get("fall_back"):
        return None
    return next((j for j in range(index - 1, -1, -1) if all(checks[k] for k in tiers[j]["requires"])), None)
