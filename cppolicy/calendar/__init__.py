"""The mainland-China working-day calendar, and time in Asia/Shanghai.

* :mod:`~cppolicy.calendar.zone` — Asia/Shanghai day boundaries, local dates, moments given as text;
* :mod:`~cppolicy.calendar.days` — what a day is and why (:class:`DayInfo`);
* :mod:`~cppolicy.calendar.years` — the years cppolicy trusts and python-holidays' data for them;
* :mod:`~cppolicy.calendar.data` — a year supplied by the user as a data file;
* :mod:`~cppolicy.calendar.working` — :class:`WorkingDayCalendar` and :func:`load_calendar`;
* :mod:`~cppolicy.calendar.bounds` — the earliest and latest end of a period into an unknown year.
"""

from __future__ import annotations

from cppolicy.calendar.data import CalendarYearData, read_calendar_data
from cppolicy.calendar.days import MAKE_UP_NAME, MAKE_UP_REASON, DayInfo, DayKind
from cppolicy.calendar.working import WorkingDayCalendar, load_calendar
from cppolicy.calendar.years import BUNDLED_YEARS, CALENDAR_NAME, HOLIDAYS_CHECKED_VERSION, BundledYear
from cppolicy.calendar.zone import SHANGHAI, aware_moment, end_of_day, local_date, parse_moment

__all__ = [
    "BUNDLED_YEARS",
    "CALENDAR_NAME",
    "HOLIDAYS_CHECKED_VERSION",
    "MAKE_UP_NAME",
    "MAKE_UP_REASON",
    "SHANGHAI",
    "BundledYear",
    "CalendarYearData",
    "DayInfo",
    "DayKind",
    "WorkingDayCalendar",
    "aware_moment",
    "end_of_day",
    "load_calendar",
    "local_date",
    "parse_moment",
    "read_calendar_data",
]
