"""Bounds on a period that runs into a year whose holiday arrangement is not published
(cppolicy/calendar/bounds.py, docs/calendar.md "Periods that run into an unknown year").

The assumption the latest end rests on is tested by leaving a published year out: the bounds
computed without it must hold that year's real ends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cppolicy.calendar import WorkingDayCalendar
from cppolicy.calendar.bounds import BoundedCalendar, bounded, latest_span, longest_rest_run, most_rest_days
from cppolicy.errors import CalendarYearUnknown


class _WithoutYear(WorkingDayCalendar):
    """The bundled calendar with one published year taken as unknown."""

    __slots__ = ("hidden",)

    def __init__(self, hidden: int) -> None:
        super().__init__()
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "covered_years", frozenset(y for y in self.covered_years if y != hidden))

    def is_working_day(self, d: date) -> bool:
        if d.year == self.hidden:
            raise CalendarYearUnknown(d.year, "test")
        return super().is_working_day(d)

    def add_working_days(self, start: date, n: int, *, start_counted: bool = False) -> date:
        out = super().add_working_days(start, n, start_counted=start_counted)
        if out.year >= self.hidden and start.year <= self.hidden:
            raise CalendarYearUnknown(self.hidden, "test")
        return out

    def add_calendar_days(
        self, start: date, n: int, *, start_counted: bool = False, roll_forward: bool = False
    ) -> date:
        out = super().add_calendar_days(start, n, start_counted=start_counted, roll_forward=roll_forward)
        if roll_forward and out.year == self.hidden:
            raise CalendarYearUnknown(self.hidden, "test")
        return out


def _days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def test_the_published_arrangements_bound_the_rest_days_of_a_window(calendar):
    # the longest run of rest days published: 2020-01-24 to 2020-02-02 (Spring Festival extended)
    assert longest_rest_run(calendar) == 10
    assert [most_rest_days(calendar, n) for n in (10, 11, 12)] == [10, 10, 10]
    # one working day comes within 11 days of any day, two within 12
    assert (latest_span(calendar, 1), latest_span(calendar, 2)) == (11, 12)


def test_a_period_into_2027_has_an_earliest_and_a_latest_end(calendar):
    early, late = bounded(calendar, "earliest"), bounded(calendar, "latest")
    with pytest.raises(CalendarYearUnknown):
        calendar.add_working_days(date(2026, 12, 30), 2)
    # 2026-12-31 is known; the second working day is a day of 2027
    assert early.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 1)
    assert late.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 11)
    # counted from the start day itself (start_counted): one day earlier at both ends
    assert early.add_working_days(date(2026, 12, 31), 2, start_counted=True) == date(2027, 1, 1)
    # a known period is the calendar's own at both ends
    assert early.add_working_days(date(2025, 9, 26), 15) == late.add_working_days(date(2025, 9, 26), 15)
    # roll forward (民法典 Art. 203): a last day in 2027 stays at the earliest, moves at most
    # the longest published run of rest days at the latest
    assert early.add_calendar_days(date(2026, 12, 20), 15, roll_forward=True) == date(2027, 1, 4)
    assert late.add_calendar_days(date(2026, 12, 20), 15, roll_forward=True) == date(2027, 1, 14)
    # without roll forward no calendar is needed: one end
    assert late.add_calendar_days(date(2026, 12, 20), 15) == date(2027, 1, 4)
    # the other questions stay the calendar's, and fail closed
    with pytest.raises(CalendarYearUnknown):
        late.working_days_between(date(2026, 12, 30), date(2027, 1, 5))


@pytest.mark.parametrize("hidden", [2016, 2019, 2021, 2024, 2025, 2026])
def test_bounds_computed_without_a_published_year_hold_its_real_ends(calendar, hidden):
    view = _WithoutYear(hidden)
    early, late = BoundedCalendar(view, "earliest"), BoundedCalendar(view, "latest")
    last = min(date(hidden, 11, 30), date(2026, 10, 31))
    for start in _days(date(hidden - 1, 12, 1), last):
        for n in (2, 3, 5, 15):
            real = calendar.add_working_days(start, n)
            assert early.add_working_days(start, n) <= real <= late.add_working_days(start, n), (start, n)
        for n in (7, 15, 30):
            real = calendar.add_calendar_days(start, n, roll_forward=True)
            ends = (
                early.add_calendar_days(start, n, roll_forward=True),
                late.add_calendar_days(start, n, roll_forward=True),
            )
            assert ends[0] <= real <= ends[1], (start, n)


def test_2020_is_the_one_published_year_the_others_do_not_bound(calendar):
    """Without 2020, no published run of rest days is as long as its Spring Festival extended by
    a notice of 2020-01-27, mid-holiday (10 days, 2020-01-24 to 02-02): limits ending in or just
    after it end later than the latest end computed from the other years. Every such miss ends
    by mid-February (docs/calendar.md names this exception)."""
    view = _WithoutYear(2020)
    early, late = BoundedCalendar(view, "earliest"), BoundedCalendar(view, "latest")
    assert longest_rest_run(view) < 10
    assert calendar.add_calendar_days(date(2019, 12, 25), 30, roll_forward=True) == date(2020, 2, 3)
    assert late.add_calendar_days(date(2019, 12, 25), 30, roll_forward=True) < date(2020, 2, 3)
    missed = []
    for start in _days(date(2019, 12, 1), date(2020, 11, 30)):
        for n in (2, 3, 5, 15):
            real = calendar.add_working_days(start, n)
            assert early.add_working_days(start, n) <= real
            if real > late.add_working_days(start, n):
                missed.append(real)
    assert missed and all(date(2020, 1, 31) <= real <= date(2020, 2, 15) for real in missed)
