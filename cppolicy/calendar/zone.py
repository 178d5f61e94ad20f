"""Asia/Shanghai: day boundaries, local dates, and moments given as text (an as-of time).

Deadlines are evaluated in Asia/Shanghai (民法典 Art. 203: a period ends at 24:00 of its last
day). :func:`parse_moment` reads the moments users give — ``--as-of`` on the command line,
``as_of=`` in the Python API, ``as_of:`` in a golden case — and names the argument it was
given as in its one-line error.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Final

from cppolicy.errors import InputError

try:
    SHANGHAI: Final[tzinfo] = zoneinfo.ZoneInfo("Asia/Shanghai")
except zoneinfo.ZoneInfoNotFoundError:  # pragma: no cover - a machine without tz data
    # China has used UTC+8 without daylight saving since 1992; a fixed offset is exact for
    # every date cppolicy can evaluate (the covered years start in 2012).
    # The one other binding of the Final name: mypy cannot see the two are exclusive.
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # type: ignore[misc]


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


def parse_moment(text: str, what: str = "as_of") -> datetime:
    """A moment written as an RFC 3339 date-time with offset, or a bare date (the end of that
    day, 24:00 Asia/Shanghai), in Asia/Shanghai. ``what`` names the argument in the one-line
    :class:`~cppolicy.errors.InputError` (``--as-of`` for the command line)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if day.year > LAST_YEAR:
                raise InputError(f"{what}: {text!r} is out of range: {_RANGE}")
            return end_of_day(day)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what}: {text!r} is neither YYYY-MM-DD nor an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise InputError(f"{what}: {text!r} has no UTC offset (write e.g. {text}+08:00)")
    return _in_range(moment, repr(text), what)


#: The last year of a moment cppolicy takes: deadlines and day ends are computed after a moment,
#: and must stay before the last date Python represents (9999-12-31).
LAST_YEAR = 9998
_RANGE = f"a moment must fall within the years 0001-{LAST_YEAR} (in Asia/Shanghai and in UTC)"


def _in_range(moment: datetime, shown: str, what: str) -> datetime:
    """``moment`` in Asia/Shanghai, if it falls within the years 0001-9998 there and in UTC."""
    try:
        local = moment.astimezone(SHANGHAI)
        years: tuple[int, ...] = (moment.year, local.year, moment.astimezone(UTC).year)
    except (OverflowError, ValueError):
        years = (0,)
    if not 1 <= min(years) <= max(years) <= LAST_YEAR:
        raise InputError(f"{what}: {shown} is out of range: {_RANGE}")
    return local


def aware_moment(value: datetime | str, what: str = "as_of") -> datetime:
    """``value`` as an aware moment: a datetime must carry its offset; text is read by
    :func:`parse_moment`."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InputError(
                f"{what}: {value.isoformat()} has no UTC offset (a timezone-aware time is needed)"
            )
        _in_range(value, value.isoformat(), what)
        return value
    return parse_moment(value, what)
