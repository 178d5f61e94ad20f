"""Key dates, the Asia/Shanghai time zone, mainland-China working days and time helpers.

The working-day :class:`Calendar` reads python-holidays directly (``holidays.China`` and its
``weekend_workdays``), not cppolicy's calendar; a limit ends at 24:00 of its last day
(:func:`end_of`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import holidays

CST = timezone(timedelta(hours=8))  # Asia/Shanghai: UTC+8, no DST since 1991
AS_OF = datetime(2026, 1, 31, 0, 0, 0, tzinfo=CST)
FIRST_RECEIPT = date(2019, 1, 1)
O3_FROM = date(2020, 3, 1)  # Order 2020 No. 3 in force (Art. 45); point 九 superseded from that day
PBC_FROM = date(2020, 11, 1)  # PBoC Order 2020 No. 5 in force (Art. 68)
NFRA_FROM = date(2023, 5, 18)  # the NFRA took over the CBIRC's functions
LAST_RECEIPT = date(2025, 12, 15)
# Scenarios that may run up to 60 (working or calendar) days are received early enough to finish
# before AS_OF.
LAST_LONG_RECEIPT = date(2025, 10, 10)
CALENDAR_YEARS = tuple(range(2019, 2027))


class Calendar:
    """Mainland-China working days from python-holidays, nothing else.

    A day is a working day unless it is a holiday or substituted rest day in ``holidays.China``,
    or a Saturday/Sunday that is not one of its ``weekend_workdays`` (调休上班). Days outside the
    years asked for raise: python-holidays answers for unpublished years with a wrong calendar.
    """

    def __init__(self, years: tuple[int, ...]) -> None:
        cn = holidays.China(years=list(years))
        self.years = frozenset(years)
        self.rest_days = frozenset(d for d in cn if d.year in self.years)
        self.makeup_days = frozenset(d for d in cn.weekend_workdays if d.year in self.years)
        assert not self.rest_days & self.makeup_days
        assert all(d.weekday() >= 5 for d in self.makeup_days)

    def is_working(self, day: date) -> bool:
        if day.year not in self.years:
            raise ValueError(f"no working-day calendar for {day.year}")
        if day in self.rest_days:
            return False
        if day.weekday() >= 5:
            return day in self.makeup_days
        return True

    def nth(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is never counted); n=0 is start."""
        day, count = start, 0
        while count < n:
            day += timedelta(days=1)
            if self.is_working(day):
                count += 1
        return day

    def index_of(self, start: date, day: date) -> int:
        """How many working days after ``start`` ``day`` is (0 when ``day`` is ``start``)."""
        count, cur = 0, start
        while cur < day:
            cur += timedelta(days=1)
            if self.is_working(cur):
                count += 1
        return count


def end_of(day: date) -> datetime:
    """24:00 Asia/Shanghai of ``day``: the instant a limit whose last day is ``day`` ends."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=CST)


def last_day(limit: datetime) -> date:
    """The last day of a limit ending at ``limit`` (24:00 of that day)."""
    return (limit - timedelta(seconds=1)).date()


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=CST)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (``Z`` or an offset; Python 3.11 reads both) as an Asia/Shanghai datetime."""
    return datetime.fromisoformat(text).astimezone(CST)
