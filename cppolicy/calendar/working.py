"""The mainland-China working-day calendar (工作日).

A working day is Monday–Friday, except statutory holidays and the extra rest days of the State
Council's yearly arrangement (国务院办公厅《关于20XX年部分节假日安排的通知》); a Saturday or
Sunday is a rest day unless that arrangement declares it a make-up working day (调休上班).

The bundled data is python-holidays' ``holidays.China`` for the years of
:data:`~cppolicy.calendar.years.BUNDLED_YEARS` only; any other year raises
:class:`~cppolicy.errors.CalendarYearUnknown` unless the user supplies that year's arrangement as a
data file (:func:`load_calendar`, docs/calendar.md).

Counting follows 民法典 Art. 200–204: the start day is not counted (Art. 201) unless asked, a
period ends at 24:00 Asia/Shanghai of its last day (Art. 203), and a calendar-day period whose last
day is a rest day may be rolled forward to the next working day (Art. 203; optional, see
docs/calendar.md).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from cppolicy.calendar import years
from cppolicy.calendar.data import CalendarYearData, read_calendar_data
from cppolicy.calendar.days import MAKE_UP_NAME, MAKE_UP_REASON, DayInfo
from cppolicy.calendar.years import CALENDAR_NAME, format_years
from cppolicy.errors import CalendarError, CalendarYearUnknown


@dataclass(frozen=True, slots=True)
class _Year:
    year: int
    base: int  # ordinal of 1 January
    flags: bytes  # per day of the year: 1 = working day
    working: tuple[int, ...]  # ordinals of the working days, ascending
    rest_weekdays: frozenset[date]
    make_up: frozenset[date]
    names: Mapping[date, tuple[str, str]]  # (Chinese, English) for named rest days
    source: str
    user: bool


def _build_year(
    year: int,
    rest_weekdays: frozenset[date],
    make_up: frozenset[date],
    names: Mapping[date, tuple[str, str]],
    source: str,
    user: bool,
) -> _Year:
    first = date(year, 1, 1)
    base = first.toordinal()
    days = date(year + 1, 1, 1).toordinal() - base
    flags = bytearray(days)
    working: list[int] = []
    for i in range(days):
        d = date.fromordinal(base + i)
        is_work = (d.weekday() < 5 and d not in rest_weekdays) or d in make_up
        if is_work:
            flags[i] = 1
            working.append(base + i)
    return _Year(year, base, bytes(flags), tuple(working), rest_weekdays, make_up, names, source, user)


def _trusted_years(installed: str) -> frozenset[int]:
    """The table's years whose arrangement an unchecked holidays release still gives unchanged."""
    warnings.warn(
        f"cppolicy's calendar table was checked against holidays {years.HOLIDAYS_CHECKED_VERSION}, "
        f"but holidays {installed} is installed: only the table's years whose data is unchanged "
        f"are trusted",
        RuntimeWarning,
        stacklevel=3,
    )
    trusted = set()
    for year in sorted(years.BUNDLED_YEARS):
        rest, make_up, _ = years.bundled_arrangement(year)
        if years.fingerprint(year, rest, make_up) == years.BUNDLED_YEARS[year].fingerprint:
            trusted.add(year)
    return frozenset(trusted)


def _user_years(user_data: Sequence[CalendarYearData]) -> dict[int, CalendarYearData]:
    """The user's years by year: for this calendar, one file per year."""
    user: dict[int, CalendarYearData] = {}
    for item in user_data:
        if item.calendar != CALENDAR_NAME:
            raise CalendarError(
                f"calendar data {item.path or '(in code)'}: $.calendar: is {item.calendar!r}, "
                f"but this is the {CALENDAR_NAME!r} calendar"
            )
        if item.year in user:
            raise CalendarError(
                f"calendar data {item.path or '(in code)'}: $.year: {item.year} is also given by "
                f"{user[item.year].path or '(in code)'}; supply one file per year"
            )
        user[item.year] = item
    return user


def _user_suffix(user: Mapping[int, CalendarYearData], bundled: frozenset[int]) -> str:
    """``+user:<digest>(<years>[;overrides:<years>])`` for user-supplied years, else empty."""
    if not user:
        return ""
    canonical = json.dumps(
        [user[y].canonical() for y in sorted(user)], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
    given = format_years(user)
    overrides = sorted(y for y in user if y in bundled)
    detail = given if not overrides else f"{given};overrides:{format_years(overrides)}"
    return f"+user:{digest}({detail})"


class WorkingDayCalendar:
    """The mainland-China working-day calendar (immutable; each year is computed once, lazily).

    Build it with :func:`load_calendar`. Every question about a year outside ``covered_years``
    raises :class:`CalendarYearUnknown`: the calendar fails closed.
    """

    __slots__ = ("_bundled", "_user", "_years", "covered_years", "name", "version")

    name: str
    version: str
    covered_years: frozenset[int]
    _bundled: frozenset[int]
    _user: dict[int, CalendarYearData]
    _years: dict[int, _Year]

    def __init__(self, user_data: Sequence[CalendarYearData] = ()) -> None:
        installed = years.installed_holidays_version()
        checked = installed == years.HOLIDAYS_CHECKED_VERSION
        bundled = frozenset(years.BUNDLED_YEARS) if checked else _trusted_years(installed)
        user = _user_years(user_data)
        release = installed if checked else f"{installed}-unchecked"
        version = f"{CALENDAR_NAME}/holidays-{release}/{format_years(bundled)}" + _user_suffix(user, bundled)
        setattr_ = object.__setattr__
        setattr_(self, "name", CALENDAR_NAME)
        setattr_(self, "version", version)
        setattr_(self, "covered_years", frozenset(bundled | set(user)))
        setattr_(self, "_bundled", bundled)
        setattr_(self, "_user", user)
        setattr_(self, "_years", {})  # year -> _Year, filled lazily (a memo, not state)

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, key: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"<WorkingDayCalendar {self.version}>"

    # -- years -------------------------------------------------------------------------------

    @property
    def data_files(self) -> tuple[str, ...]:
        """The files the user-supplied years were read from (a worker process loads them again)."""
        return tuple(str(data.path) for _, data in sorted(self._user.items()) if data.path is not None)

    @property
    def covered(self) -> str:
        """The covered years as text, e.g. ``2012-2026``."""
        return format_years(self.covered_years)

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._load_year(year)
        return table

    def _load_year(self, year: int) -> _Year:
        if year in self._user:
            data = self._user[year]
            zh = years.statutory_names(year, "zh_CN")
            en = years.statutory_names(year, "en_US")
            file_name = data.path.name if data.path is not None else "user data"
            rest_weekdays = frozenset(d for d in data.rest_days if d.weekday() < 5)
            names: dict[date, tuple[str, str]] = {}
            for d in data.rest_days:
                names[d] = (zh.get(d, "休息日"), en.get(d, f"rest day (per {file_name})"))
            for d, zh_name in zh.items():  # weekend statutory holidays, for display
                if d.weekday() >= 5 and d not in data.working_days and d not in names:
                    names[d] = (zh_name, en.get(d, zh_name))
            table = _build_year(
                year, rest_weekdays, data.working_days, names, f"{data.source} [{file_name}]", True
            )
        elif year in self._bundled:
            rest, make_up, names = years.bundled_arrangement(year)
            found = years.fingerprint(year, rest, make_up)
            if found != years.BUNDLED_YEARS[year].fingerprint:
                raise CalendarError(
                    f"holidays {years.installed_holidays_version()} gives a {year} arrangement that differs from "
                    f"the one cppolicy checked (fingerprint {found}, expected "
                    f"{years.BUNDLED_YEARS[year].fingerprint}); supply {year} with --calendar-data FILE"
                )
            table = _build_year(
                year,
                rest,
                make_up,
                names,
                f"{years.BUNDLED_YEARS[year].notice} via python-holidays {years.installed_holidays_version()}",
                False,
            )
        else:
            raise CalendarYearUnknown(year, self.covered)
        self._years[year] = table
        return table

    def source(self, year: int) -> str:
        """Where the arrangement for ``year`` comes from (notice, file)."""
        return self._year(year).source

    # -- single days -------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day; raises CalendarYearUnknown for a year not covered."""
        if isinstance(d, datetime):
            raise TypeError("is_working_day() needs a date, not a datetime (use local_date() first)")
        table = self._years.get(d.year)
        if table is None:
            table = self._load_year(d.year)
        return table.flags[d.toordinal() - table.base] == 1

    def day_kind(self, d: date) -> DayInfo:
        """What ``d`` is (working or rest) and why."""
        if isinstance(d, datetime):
            raise TypeError("day_kind() needs a date, not a datetime (use local_date() first)")
        table = self._year(d.year)
        named: tuple[str, str] | None
        if d in table.make_up:
            named = table.names.get(d, (MAKE_UP_NAME, MAKE_UP_REASON))
            return DayInfo(d, True, "make_up_working_day", named[0], named[1])
        weekend = d.weekday() >= 5
        named = table.names.get(d)
        if weekend:
            if named is not None:
                return DayInfo(d, False, "holiday", named[0], named[1])
            return DayInfo(d, False, "weekend")
        if d in table.rest_weekdays:
            zh, en = named if named is not None else ("休息日", "rest day")
            return DayInfo(d, False, "holiday", zh, en)
        return DayInfo(d, True, "working_day")

    def notable_days(self, year: int) -> list[DayInfo]:
        """The days of ``year`` that differ from a plain Mon–Fri week, or are named holidays."""
        table = self._year(year)
        days = set(table.rest_weekdays) | set(table.make_up) | set(table.names)
        return [self.day_kind(d) for d in sorted(days)]

    # -- periods -----------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int, *, start_counted: bool = False) -> date:
        """The date of the n-th working day after ``start`` (民法典 Art. 201: start not counted).

        With ``start_counted=True`` a ``start`` that is a working day is day 1.
        """
        _check_n(n)
        if isinstance(start, datetime):
            raise TypeError("add_working_days() needs a date, not a datetime (use local_date() first)")
        remaining = n
        if start_counted and self.is_working_day(start):
            remaining -= 1
            if remaining == 0:
                return start
        ordinal = start.toordinal()
        year = start.year
        if start.month == 12 and start.day == 31:
            year += 1  # nothing of start's year is looked at
        table = self._year(year)
        index = bisect_right(table.working, ordinal)
        while True:
            available = len(table.working) - index
            if remaining <= available:
                return date.fromordinal(table.working[index + remaining - 1])
            remaining -= available
            year += 1
            table = self._year(year)
            index = 0

    def add_calendar_days(
        self, start: date, n: int, *, start_counted: bool = False, roll_forward: bool = False
    ) -> date:
        """The last day of an n-calendar-day period from ``start`` (start not counted by default).

        With ``roll_forward`` a last day that is a rest day (a weekend or holiday) moves to the
        next working day (民法典 Art. 203 reading). Without it no calendar data is needed.
        """
        _check_n(n)
        if isinstance(start, datetime):
            raise TypeError("add_calendar_days() needs a date, not a datetime (use local_date() first)")
        last = start + timedelta(days=n - 1 if start_counted else n)
        if roll_forward:
            while not self.is_working_day(last):
                last += timedelta(days=1)
        return last

    def next_working_day(self, d: date) -> date:
        """``d`` itself when it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days in the half-open interval (a, b]; 0 when b <= a."""
        if isinstance(a, datetime) or isinstance(b, datetime):
            raise TypeError("working_days_between() needs dates, not datetimes (use local_date() first)")
        if b <= a:
            return 0
        lo, hi = a.toordinal(), b.toordinal()
        first_year = (a + timedelta(days=1)).year
        count = 0
        for year in range(first_year, b.year + 1):
            table = self._year(year)
            count += bisect_right(table.working, hi) - bisect_right(table.working, lo)
        return count

    def rest_days_between(self, a: date, b: date) -> list[DayInfo]:
        """The rest days in (a, b], each with its reason; empty when b <= a."""
        if isinstance(a, datetime) or isinstance(b, datetime):
            raise TypeError("rest_days_between() needs dates, not datetimes (use local_date() first)")
        out: list[DayInfo] = []
        d = a + timedelta(days=1)
        while d <= b:
            table = self._year(d.year)
            if table.flags[d.toordinal() - table.base] != 1:
                out.append(self.day_kind(d))
            d += timedelta(days=1)
        return out

    def working_days_in(self, year: int) -> int:
        """How many working days ``year`` has."""
        return len(self._year(year).working)


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")


def load_calendar(name: str = CALENDAR_NAME, data_files: Sequence[Path] = ()) -> WorkingDayCalendar:
    """The working-day calendar ``name`` (only ``cn``), with user-supplied year files.

    A file for a year the bundled data covers overrides that year (the version says so).
    """
    if name != CALENDAR_NAME:
        raise CalendarError(f"unknown calendar {name!r} (known: {CALENDAR_NAME})")
    data = [read_calendar_data(Path(p), calendar=name) for p in data_files]
    return WorkingDayCalendar(data)
