"""The mainland-China working-day calendar (工作日), and Asia/Shanghai day boundaries.

A working day is Monday–Friday, except statutory holidays and the extra rest days of the State
Council's yearly arrangement (国务院办公厅《关于20XX年部分节假日安排的通知》); a Saturday or
Sunday is a rest day unless that arrangement declares it a make-up working day (调休上班).

The bundled data is python-holidays' ``holidays.China`` (its holidays plus ``weekend_workdays``).
python-holidays answers for *any* year, but for a year whose State Council notice it does not carry
it returns the statutory days without the bridged rest days and make-up working days, which looks
valid and is wrong. So the years cppolicy trusts are a table in this module (``BUNDLED_YEARS``),
each with a fingerprint of its arrangement as checked against holidays ``HOLIDAYS_CHECKED_VERSION``
(and cross-checked against the independent ``chinesecalendar`` package, see the tests). Any other
year raises :class:`~cppolicy.errors.CalendarYearUnknown` unless the user supplies that year's
arrangement as a data file (:func:`load_calendar`, docs/calendar.md).

Counting follows 民法典 Art. 200–204: the start day is not counted (Art. 201) unless asked, a
period ends at 24:00 Asia/Shanghai of its last day (Art. 203), and a calendar-day period whose last
day is a rest day may be rolled forward to the next working day (Art. 203; optional, see
docs/calendar.md).
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
import zoneinfo
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import holidays

from cppolicy.errors import CalendarError, CalendarYearUnknown

__all__ = [
    "BUNDLED_YEARS",
    "HOLIDAYS_CHECKED_VERSION",
    "SHANGHAI",
    "CalendarYearData",
    "DayInfo",
    "WorkingDayCalendar",
    "end_of_day",
    "load_calendar",
    "local_date",
    "read_calendar_data",
]

# --------------------------------------------------------------------------------------------
# Asia/Shanghai
# --------------------------------------------------------------------------------------------

try:
    SHANGHAI: Final[Any] = zoneinfo.ZoneInfo("Asia/Shanghai")
except zoneinfo.ZoneInfoNotFoundError:  # pragma: no cover - a machine without tz data
    # China has used UTC+8 without daylight saving since 1992; a fixed offset is exact for
    # every date cppolicy can evaluate (the covered years start in 2012).
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


#: Asia/Shanghai has been UTC+8 all year since 1992 (its last daylight-saving time ended on
#: 1991-09-15): from then on, a time written with +08:00 is already Shanghai's local time.
_UTC8 = timedelta(hours=8)


def local_date(dt: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware datetime (a naive one is refused)."""
    if not isinstance(dt, datetime):
        raise TypeError(f"local_date() needs a datetime, got {type(dt).__name__}")
    offset = dt.utcoffset() if dt.tzinfo is not None else None
    if offset is None:
        raise ValueError(f"local_date() needs an aware datetime (with an offset), got {dt.isoformat()}")
    if offset == _UTC8 and dt.year >= 1992:  # most events: no conversion needed
        return dt.date()
    return dt.astimezone(SHANGHAI).date()


def end_of_day(d: date) -> datetime:
    """24:00 Asia/Shanghai of ``d`` (民法典 Art. 203), i.e. 00:00+08:00 of the next day."""
    if isinstance(d, datetime):
        raise TypeError("end_of_day() needs a date, not a datetime (use local_date() first)")
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=SHANGHAI)


# --------------------------------------------------------------------------------------------
# The years cppolicy itself knows
# --------------------------------------------------------------------------------------------

CALENDAR_NAME: Final = "cn"

#: The python-holidays release the table below was checked against (day by day, 2012–2026,
#: against holidays' China and the independent chinesecalendar 1.11.0: no difference).
HOLIDAYS_CHECKED_VERSION: Final = "0.109"


@dataclass(frozen=True, slots=True)
class _BundledYear:
    #: sha256 (first 16 hex) of the year's weekday rest days and weekend make-up working days,
    #: see :func:`_fingerprint`
    fingerprint: str
    #: the State Council notice(s), as cited by python-holidays 0.109 (gov.cn 国务院公报 pages)
    notice: str


def _notice(year: int, url: str, extra: str = "") -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知 ({url}){extra}"


_GONGBAO = "https://www.gov.cn/gongbao/content"

#: Years whose State Council arrangement the bundled source carries, as checked by cppolicy.
#: A year that is not here is refused even though python-holidays would answer for it.
BUNDLED_YEARS: Final[Mapping[int, _BundledYear]] = MappingProxyType({
    2012: _BundledYear("ff833e14334289a2", _notice(2012, f"{_GONGBAO}/2011/content_2020918.htm")),
    2013: _BundledYear("bd0e281254d6c2f8", _notice(2013, f"{_GONGBAO}/2012/content_2292057.htm")),
    2014: _BundledYear("c3f592afbba13c1c", _notice(2014, f"{_GONGBAO}/2014/content_2561299.htm")),
    2015: _BundledYear(
        "e82f309cfabff50b",
        _notice(
            2015,
            f"{_GONGBAO}/2015/content_2799019.htm",
            "; 3 September 2015 rest day for the 70th anniversary of the victory of the War of Resistance",
        ),
    ),
    2016: _BundledYear("05586985730ca1fc", _notice(2016, f"{_GONGBAO}/2016/content_2979719.htm")),
    2017: _BundledYear("996dd337ed6a718b", _notice(2017, f"{_GONGBAO}/2016/content_5148793.htm")),
    2018: _BundledYear("eba2eca9f7c3da6a", _notice(2018, f"{_GONGBAO}/2017/content_5248221.htm")),
    2019: _BundledYear(
        "55df9041a9dc9bcf",
        _notice(
            2019,
            f"{_GONGBAO}/2018/content_5350046.htm",
            f"; Labour Day change ({_GONGBAO}/2019/content_5380356.htm)",
        ),
    ),
    2020: _BundledYear(
        "6b45b68cb161ef63",
        _notice(
            2020,
            f"{_GONGBAO}/2019/content_5459138.htm",
            f"; 国务院办公厅关于延长2020年春节假期的通知 ({_GONGBAO}/2020/content_5477297.htm)",
        ),
    ),
    2021: _BundledYear("4e4d60778fd8f226", _notice(2021, f"{_GONGBAO}/2020/content_5567750.htm")),
    2022: _BundledYear("ba6340a339bb6b95", _notice(2022, f"{_GONGBAO}/2021/content_5651728.htm")),
    2023: _BundledYear("47f4e5668e70d3ac", _notice(2023, f"{_GONGBAO}/2023/content_5736714.htm")),
    2024: _BundledYear(
        "b88c0e3849b3d9cc",
        _notice(2024, "https://www.gov.cn/gongbao/2023/issue_10806/202311/content_6913823.html"),
    ),
    2025: _BundledYear(
        "8f088eb49af8388b",
        _notice(2025, "https://www.gov.cn/gongbao/2024/issue_11726/202411/content_6989767.html"),
    ),
    2026: _BundledYear(
        "ef5e75eabce173fe",
        _notice(2026, "https://www.gov.cn/gongbao/2025/issue_12406/202511/content_7048922.html"),
    ),
})


def _fingerprint(year: int, rest_weekdays: Iterable[date], working_weekends: Iterable[date]) -> str:
    text = (
        f"{year}|rest:{','.join(d.isoformat() for d in sorted(rest_weekdays))}"
        f"|work:{','.join(d.isoformat() for d in sorted(working_weekends))}"
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def _installed_holidays_version() -> str:
    return str(getattr(holidays, "__version__", "unknown"))


def _format_years(years: Iterable[int]) -> str:
    """``2012-2026`` or ``2012-2015,2017-2026,2028``; ``none`` when empty."""
    ordered = sorted(set(years))
    if not ordered:
        return "none"
    runs: list[list[int]] = []
    for y in ordered:
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
    return ",".join(parts)


# --------------------------------------------------------------------------------------------
# Day information
# --------------------------------------------------------------------------------------------

DayKind = Literal["working_day", "weekend", "holiday", "make_up_working_day"]

MAKE_UP_REASON: Final = "make-up working day (调休)"
MAKE_UP_NAME: Final = "调休上班"

_BRIDGED_RE = re.compile(r"休息日（由 (\d{4}-\d{2}-\d{2}) 调休）")
_CJK_RE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What a day is and why.

    ``kind`` is ``working_day`` (an ordinary Monday–Friday), ``weekend`` (an ordinary
    Saturday/Sunday), ``holiday`` (a rest day named by the arrangement: a statutory holiday, a
    bridged rest day, or a weekend that is itself a named holiday) or ``make_up_working_day``
    (a Saturday/Sunday declared a working day, 调休上班).
    """

    date: date
    working: bool
    kind: DayKind
    #: the holiday name as published in Chinese (e.g. ``国庆节``, ``休息日（由 2025-09-28 调休）``)
    name: str | None = None
    #: the same in English (e.g. ``National Day``)
    name_en: str | None = None

    @property
    def weekday(self) -> str:
        return self.date.strftime("%a")

    @property
    def reason(self) -> str:
        """``weekday``, ``weekend``, the holiday name, or ``make-up working day (调休)``."""
        if self.kind == "working_day":
            return "weekday"
        if self.kind == "weekend":
            return "weekend"
        if self.kind == "make_up_working_day":
            return MAKE_UP_REASON
        if self.name_en and self.name and self.name_en != self.name and not _CJK_RE.search(self.name_en):
            return f"{self.name_en} ({self.name})"
        return self.name_en or self.name or "rest day"

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "weekday": self.weekday,
            "working": self.working,
            "kind": self.kind,
            "name": self.name,
            "name_en": self.name_en,
            "reason": self.reason,
        }


# --------------------------------------------------------------------------------------------
# User-supplied year data
# --------------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATA_KEYS = ("calendar", "year", "source", "rest_days", "working_days")


@dataclass(frozen=True, slots=True)
class CalendarYearData:
    """One year's State Council arrangement, supplied by the user (docs/calendar.md)."""

    calendar: str
    year: int
    source: str
    #: weekday rest days (statutory holidays and bridged days); weekend holidays may be listed too
    rest_days: frozenset[date]
    #: weekend make-up working days (调休上班)
    working_days: frozenset[date]
    #: the file it was read from (for messages); None when built in code
    path: Path | None = None

    def canonical(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "year": self.year,
            "source": self.source,
            "rest_days": sorted(d.isoformat() for d in self.rest_days),
            "working_days": sorted(d.isoformat() for d in self.working_days),
        }


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _statutory_names(year: int, language: str) -> dict[date, str]:
    """python-holidays' statutory holidays of ``year`` (no observed/bridged days), by date."""
    table = holidays.China(years=year, observed=False, language=language)
    return {d: "; ".join(table.get_list(d)) for d in table if d.year == year}


def read_calendar_data(path: Path, *, calendar: str = CALENDAR_NAME) -> CalendarYearData:
    """Read and strictly validate one year's arrangement from a JSON or YAML file.

    Every defect raises :class:`CalendarError` with one line naming the file and the JSON path.
    """
    path = Path(path)
    where = f"calendar data {path}"

    def bad(json_path: str, problem: str) -> CalendarError:
        return CalendarError(f"{where}: {json_path}: {problem}")

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalendarError(f"{where}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarError(f"{where}: cannot read: {exc}") from None

    suffix = path.suffix.lower()
    doc: Any
    if suffix == ".json":
        try:
            doc = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise CalendarError(f"{where}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
        except ValueError as exc:  # duplicate key
            raise bad("$", str(exc)) from None
    elif suffix in (".yaml", ".yml"):
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise CalendarError(f"{where}: {line}invalid YAML: {problem}") from None
    else:
        raise CalendarError(f"{where}: unknown file type {suffix or '(none)'!r}: use .json, .yaml or .yml")

    if not isinstance(doc, dict):
        raise bad("$", f"expected an object with keys {', '.join(_DATA_KEYS)}, got {_type_name(doc)}")
    unknown = [k for k in doc if k not in _DATA_KEYS]
    if unknown:
        raise bad(f"$.{unknown[0]}", f"unknown key (allowed: {', '.join(_DATA_KEYS)})")
    for key in _DATA_KEYS:
        if key not in doc:
            raise bad(f"$.{key}", "required key is missing")

    cal = doc["calendar"]
    if not isinstance(cal, str):
        raise bad("$.calendar", f"expected a string, got {_type_name(cal)}")
    if cal != calendar:
        raise bad("$.calendar", f"is {cal!r}, but this is the {calendar!r} calendar")

    year = doc["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise bad("$.year", f"expected an integer year, got {_type_name(year)}")
    if not 1950 <= year <= 2100:
        raise bad("$.year", f"{year} is out of range (1950-2100)")

    source = doc["source"]
    if not isinstance(source, str) or not source.strip():
        raise bad("$.source", "expected a non-empty string naming the State Council notice")

    def dates(key: str) -> list[tuple[str, date]]:
        value = doc[key]
        if not isinstance(value, list):
            raise bad(f"$.{key}", f"expected a list of YYYY-MM-DD dates, got {_type_name(value)}")
        out: list[tuple[str, date]] = []
        seen: dict[date, str] = {}
        for i, item in enumerate(value):
            jp = f"$.{key}[{i}]"
            if isinstance(item, date) and not isinstance(item, datetime):  # YAML parses bare dates
                d = item
            elif isinstance(item, str) and _DATE_RE.match(item):
                try:
                    d = date.fromisoformat(item)
                except ValueError:
                    raise bad(jp, f"{item!r} is not a valid date") from None
            elif isinstance(item, str):
                raise bad(jp, f"{item!r} is not a date in YYYY-MM-DD form")
            else:
                raise bad(jp, f"expected a date string YYYY-MM-DD, got {_type_name(item)} ({item!r})")
            if d.year != year:
                raise bad(jp, f"{d.isoformat()} is outside the year {year}")
            if d in seen:
                raise bad(jp, f"{d.isoformat()} is listed twice (also at {seen[d]})")
            seen[d] = jp
            out.append((jp, d))
        return out

    rest = dates("rest_days")
    work = dates("working_days")
    rest_set = {d for _, d in rest}
    for jp, d in work:
        if d in rest_set:
            raise bad(jp, f"{d.isoformat()} is in both rest_days and working_days")
        if d.weekday() < 5:
            raise bad(
                jp,
                f"{d.isoformat()} is a {d.strftime('%A')}: working_days lists weekend make-up "
                f"working days only (weekdays are working days unless in rest_days)",
            )
    weekend_rest = [(jp, d) for jp, d in rest if d.weekday() >= 5]
    if weekend_rest:
        statutory = _statutory_names(year, "zh_CN")
        for jp, d in weekend_rest:
            if d not in statutory:
                raise bad(
                    jp,
                    f"{d.isoformat()} is a {d.strftime('%A')} and not a statutory holiday: weekends are "
                    f"rest days already, list only weekday rest days (or put a make-up working "
                    f"day in working_days)",
                )
    return CalendarYearData(
        calendar=cal,
        year=year,
        source=source.strip(),
        rest_days=frozenset(rest_set),
        working_days=frozenset(d for _, d in work),
        path=path,
    )


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------


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


def _bundled_arrangement(year: int) -> tuple[frozenset[date], frozenset[date], dict[date, tuple[str, str]]]:
    """Weekday rest days, weekend make-up days and holiday names of ``year`` from holidays.China."""
    # A make-up day can be listed with the next year's holiday (e.g. 2011-12-31 for 2012's
    # New Year), so the next year is populated too and everything is filtered to ``year``.
    zh = holidays.China(years=[year, year + 1], language="zh_CN")
    en = holidays.China(years=[year], language="en_US")
    rest_weekdays = frozenset(d for d in zh if d.year == year and d.weekday() < 5)
    make_up = frozenset(d for d in zh.weekend_workdays if d.year == year and d.weekday() >= 5)
    names: dict[date, tuple[str, str]] = {}
    paid_for: dict[date, list[date]] = {}
    for d in zh:
        if d.year != year or d in make_up:
            continue
        zh_name, en_name = "；".join(zh.get_list(d)), "; ".join(en.get_list(d))
        # A bridged rest day is labelled 休息日（由 2025-09-28 调休）: say which weekend pays for it.
        bridged = _BRIDGED_RE.fullmatch(zh_name)
        if bridged is not None:
            paid = date.fromisoformat(bridged.group(1))
            en_name = f"bridged rest day (调休; made up on {paid.strftime('%a')} {paid.isoformat()})"
            if paid in make_up:
                paid_for.setdefault(paid, []).append(d)
        names[d] = (zh_name, en_name)
    for paid, rest_days in paid_for.items():
        listed = ", ".join(f"{r.strftime('%a')} {r.isoformat()}" for r in sorted(rest_days))
        names[paid] = (MAKE_UP_NAME, f"make-up working day for the rest day {listed}")
    return rest_weekdays, make_up, names


class WorkingDayCalendar:
    """The mainland-China working-day calendar (immutable; each year is computed once, lazily).

    Build it with :func:`load_calendar`. Every question about a year outside ``covered_years``
    raises :class:`CalendarYearUnknown`: the calendar fails closed.
    """

    __slots__ = ("_bundled", "_user", "_years", "covered_years", "name", "version")

    name: str
    version: str
    covered_years: frozenset[int]

    def __init__(self, user_data: Sequence[CalendarYearData] = ()) -> None:
        installed = _installed_holidays_version()
        checked = installed == HOLIDAYS_CHECKED_VERSION
        bundled = frozenset(BUNDLED_YEARS)
        if not checked:
            warnings.warn(
                f"cppolicy's calendar table was checked against holidays {HOLIDAYS_CHECKED_VERSION}, "
                f"but holidays {installed} is installed: only the table's years whose data is unchanged "
                f"are trusted",
                RuntimeWarning,
                stacklevel=2,
            )
            trusted = set()
            for year in sorted(bundled):
                rest, make_up, _ = _bundled_arrangement(year)
                if _fingerprint(year, rest, make_up) == BUNDLED_YEARS[year].fingerprint:
                    trusted.add(year)
            bundled = frozenset(trusted)

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

        release = installed if checked else f"{installed}-unchecked"
        version = f"{CALENDAR_NAME}/holidays-{release}/{_format_years(bundled)}"
        if user:
            canonical = json.dumps(
                [user[y].canonical() for y in sorted(user)], ensure_ascii=False, sort_keys=True,
                separators=(",", ":"),
            )
            digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
            years = _format_years(user)
            overrides = sorted(y for y in user if y in bundled)
            detail = years if not overrides else f"{years};overrides:{_format_years(overrides)}"
            version += f"+user:{digest}({detail})"

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
    def covered(self) -> str:
        """The covered years as text, e.g. ``2012-2026``."""
        return _format_years(self.covered_years)

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._load_year(year)
        return table

    def _load_year(self, year: int) -> _Year:
        if year in self._user:
            data = self._user[year]
            zh = _statutory_names(year, "zh_CN")
            en = _statutory_names(year, "en_US")
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
            rest, make_up, names = _bundled_arrangement(year)
            found = _fingerprint(year, rest, make_up)
            if found != BUNDLED_YEARS[year].fingerprint:
                raise CalendarError(
                    f"holidays {_installed_holidays_version()} gives a {year} arrangement that differs from "
                    f"the one cppolicy checked (fingerprint {found}, expected "
                    f"{BUNDLED_YEARS[year].fingerprint}); supply {year} with --calendar-data FILE"
                )
            table = _build_year(
                year, rest, make_up, names,
                f"{BUNDLED_YEARS[year].notice} via python-holidays {_installed_holidays_version()}", False,
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
