"""Bounds on a period that runs into a year whose holiday arrangement is not published.

A period counted into an unknown year (2027 today) has no single end, but it has an earliest and
a latest possible one, and many verdicts are the same at both (docs/calendar.md, "Periods that
run into an unknown year"):

- **earliest**: every day of the unknown year is taken as a working day. No assumption: a real
  arrangement can only add rest days, so no period ends sooner (a make-up Saturday is a working
  day, never a rest day that was not one).
- **latest**: the unknown year is assumed to have, in no window of ``L`` consecutive days, more
  rest days than the most any window of ``L`` days had in the published arrangements the
  calendar holds (:data:`~cppolicy.calendar.years.BUNDLED_YEARS`, 2012–2026: the State Council
  notices cited there). That is :data:`LATEST_ASSUMPTION`; for a single roll-forward over rest
  days (民法典 Art. 203) it is the longest run of consecutive rest days ever published
  (:func:`longest_rest_run`, 10 days: 2020-01-24 to 2020-02-02, the Spring Festival extended by
  国务院办公厅关于延长2020年春节假期的通知).

:class:`BoundedCalendar` is a view of a :class:`~cppolicy.calendar.working.WorkingDayCalendar`
that answers ``add_working_days`` and ``add_calendar_days`` with one of the two bounds where the
calendar would raise :class:`~cppolicy.errors.CalendarYearUnknown`; everything else is the
calendar's own (and still raises for an unknown year).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final, Literal

from cppolicy.calendar.working import WorkingDayCalendar
from cppolicy.errors import CalendarYearUnknown

#: The assumption the latest possible end rests on (documented in docs/calendar.md).
LATEST_ASSUMPTION: Final = (
    "no window of consecutive days in an unknown year has more rest days than the most any window "
    "of the same length had in the published arrangements (State Council notices {years})"
)

Side = Literal["earliest", "latest"]

#: per calendar id: (the calendar, rest-day flags per contiguous run of covered years)
_blocks: dict[int, tuple[WorkingDayCalendar, list[bytes]]] = {}
#: per calendar id: (the calendar, most rest days in a window of length L, by L)
_most: dict[int, tuple[WorkingDayCalendar, dict[int, int]]] = {}


def _published(calendar: WorkingDayCalendar) -> list[bytes]:
    """Per contiguous run of covered years, one byte per day: 1 = rest day."""
    hit = _blocks.get(id(calendar))
    if hit is not None and hit[0] is calendar:
        return hit[1]
    blocks: list[bytes] = []
    current = bytearray()
    previous: int | None = None
    for year in sorted(calendar.covered_years):
        if previous is not None and year != previous + 1:
            blocks.append(bytes(current))
            current = bytearray()
        day, end = date(year, 1, 1), date(year + 1, 1, 1)
        while day < end:
            current.append(0 if calendar.is_working_day(day) else 1)
            day += timedelta(days=1)
        previous = year
    if current:
        blocks.append(bytes(current))
    _blocks[id(calendar)] = (calendar, blocks)
    return blocks


def most_rest_days(calendar: WorkingDayCalendar, length: int) -> int:
    """The most rest days any window of ``length`` consecutive days held in the covered years
    (``length`` itself when no published window is that long: the upper side is then open)."""
    hit = _most.get(id(calendar))
    if hit is None or hit[0] is not calendar:
        hit = _most[id(calendar)] = (calendar, {})
    known = hit[1].get(length)
    if known is not None:
        return known
    best = -1
    for flags in _published(calendar):
        if len(flags) < length:
            continue
        count = sum(flags[:length])
        best = max(best, count)
        for i in range(length, len(flags)):
            count += flags[i] - flags[i - length]
            if count > best:
                best = count
    result = hit[1][length] = length if best < 0 else best
    return result


def longest_rest_run(calendar: WorkingDayCalendar) -> int:
    """The longest run of consecutive rest days in the covered years' arrangements."""
    length = 1
    while most_rest_days(calendar, length + 1) == length + 1:
        length += 1
    return length


def latest_span(calendar: WorkingDayCalendar, working: int) -> int:
    """The fewest consecutive days that hold at least ``working`` working days under
    :data:`LATEST_ASSUMPTION`: ``working`` working days after a day of an unknown year end at the
    latest this many days after it."""
    length = working
    while length - most_rest_days(calendar, length) < working:
        length += 1
        if length > working + 3660:  # never reached on published data; a guard, not a bound
            raise ValueError("no published window bounds the rest days")
    return length


class BoundedCalendar(WorkingDayCalendar):
    """A view of ``calendar`` answering period ends with their ``side`` bound where a year is
    unknown (see the module docstring). Its other answers are the calendar's own."""

    __slots__ = ("inner", "side")

    inner: WorkingDayCalendar
    side: Side

    def __init__(self, calendar: WorkingDayCalendar, side: Side) -> None:  # noqa: D107
        setattr_ = object.__setattr__
        for slot in ("_bundled", "_user", "_years", "covered_years", "name", "version"):
            setattr_(self, slot, getattr(calendar, slot))  # shared: the memo of years included
        setattr_(self, "inner", calendar)
        setattr_(self, "side", side)

    def __repr__(self) -> str:
        return f"<BoundedCalendar {self.side} {self.version}>"

    def add_working_days(self, start: date, n: int, *, start_counted: bool = False) -> date:
        try:
            return self.inner.add_working_days(start, n, start_counted=start_counted)
        except CalendarYearUnknown:
            pass
        # the n-th working day from ``start`` itself is the n-th after the day before it
        day = start - timedelta(days=1) if start_counted else start
        remaining = n
        while True:
            following = day + timedelta(days=1)
            try:
                working = self.inner.is_working_day(following)
            except CalendarYearUnknown:
                break
            day = following
            remaining -= working
            if remaining == 0:
                return day
        # ``day`` is the last known day; ``remaining`` working days follow in unknown years
        if self.side == "earliest":
            return day + timedelta(days=remaining)
        return day + timedelta(days=latest_span(self.inner, remaining))

    def add_calendar_days(
        self, start: date, n: int, *, start_counted: bool = False, roll_forward: bool = False
    ) -> date:
        try:
            return self.inner.add_calendar_days(
                start, n, start_counted=start_counted, roll_forward=roll_forward
            )
        except CalendarYearUnknown:
            pass
        last = self.inner.add_calendar_days(start, n, start_counted=start_counted)
        while True:  # roll forward over known rest days up to the first unknown day
            try:
                if self.inner.is_working_day(last):
                    return last
            except CalendarYearUnknown:
                break
            last += timedelta(days=1)
        if self.side == "earliest":
            return last  # the unknown day may be a working day
        return last + timedelta(days=longest_rest_run(self.inner))


def bounded(calendar: WorkingDayCalendar, side: Side) -> BoundedCalendar:
    """The ``side`` view of ``calendar`` (one per calendar and side, so that deadlines computed
    on it are remembered like the calendar's own)."""
    hit = _views.get((id(calendar), side))
    if hit is None or hit.inner is not calendar:
        hit = _views[(id(calendar), side)] = BoundedCalendar(calendar, side)
    return hit


_views: dict[tuple[int, Side], BoundedCalendar] = {}
