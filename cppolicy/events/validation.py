"""Validating a line: JSON, the schema, then the semantic checks the schema cannot express.

:func:`parse_and_validate` turns a :class:`~cppolicy.events.model.RawLine` into an
:class:`~cppolicy.events.model.Event` or an :class:`~cppolicy.events.model.Invalid` carrying every
error with its JSON path. After the schema, a semantic check rejects impossible dates the patterns
let through (``2025-02-30``) and instants outside the years 0001-9999 in UTC or Asia/Shanghai
(``9999-12-31T20:00:00-08:00``); a leap second (``:60``) is accepted and read as ``:59``.
:func:`revive` rebuilds the Event of a line that already passed (in a worker process, or read back
from a spill) without validating it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from typing import Any, TypeGuard

import orjson

from cppolicy.calendar import SHANGHAI
from cppolicy.documents import json_path
from cppolicy.events.keys import duplicate_keys, unique_keys
from cppolicy.events.model import Event, EventError, Invalid, RawLine, event_from
from cppolicy.events.reading import iter_lines
from cppolicy.events.schema import event_schema, is_valid, schema_errors, shown


def parse_and_validate(raw: RawLine) -> Event | Invalid:
    """Parse one line and validate it against complaint-event/v1 plus the semantic checks."""
    if raw.error is not None:
        return Invalid(raw.source, raw.line, (EventError("$", raw.keyword, raw.error),), raw.text)
    data = raw.text.encode("utf-8", "surrogatepass") if raw.data is None else raw.data
    try:  # (orjson parses text as its UTF-8: the same document, the same message, from either)
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return Invalid(raw.source, raw.line, (EventError("$", "json", f"malformed JSON: {exc}"),), raw.text)
    if type(doc) is dict and not unique_keys(data, doc):
        repeated = duplicate_keys(data)
        if repeated:
            return Invalid(raw.source, raw.line, tuple(repeated), raw.text)
    if not is_valid(doc):
        errors = schema_errors(doc)
        if errors:  # else the reference accepts what the fast check refused: it is right
            errors += _semantic_errors(doc)
            errors.sort(key=lambda e: e.path)
            return Invalid(raw.source, raw.line, tuple(errors), raw.text)
    time = parse_datetime(doc["time"])
    recorded = doc.get("recorded_at")
    # the rarer semantic cases: an instant in the year 1 or 9999 may not convert to Asia/Shanghai
    # (any other year converts whatever its offset), an extension's new date; else none can arise
    if (
        time is None
        or time.year in (1, 9998, 9999)
        or doc["type"] == "extended"
        or (recorded is not None and _edge_or_unreal(recorded))
    ):
        semantic = _semantic_errors(doc)
        if time is None and not semantic:  # cannot happen while _DATETIME mirrors the schema pattern
            semantic = [EventError("$.time", "semantic", f"{shown(doc['time'])} is not a real date-time")]
        if semantic:
            return Invalid(raw.source, raw.line, tuple(semantic), raw.text)
    assert time is not None
    return event_from(doc, time, raw.source, raw.line)


def _edge_or_unreal(text: str) -> bool:
    """Whether a date-time the schema accepted is no real instant or falls in the year 1, 9998
    or 9999."""
    moment = parse_datetime(text)
    return moment is None or moment.year in (1, 9998, 9999)


def parse_events(paths: Iterable[str]) -> Iterator[Event | Invalid]:
    """``parse_and_validate`` over ``iter_lines(paths)`` (same InputError behaviour)."""
    return map(parse_and_validate, iter_lines(paths))


_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


@cache
def _schema_pattern(name: str) -> re.Pattern[str]:
    """The ``pattern`` of ``$defs/<name>``, compiled as jsonschema uses it (``re.search``)."""
    return re.compile(event_schema()["$defs"][name]["pattern"])


def _well_formed(text: Any, name: str) -> TypeGuard[str]:
    return isinstance(text, str) and _schema_pattern(name).search(text) is not None


def parse_datetime(text: Any) -> datetime | None:
    """An aware datetime for a string the schema's date-time pattern accepted; None if no such instant.

    Callers check the pattern first: ``fromisoformat`` alone would accept forms RFC 3339 does not.
    """
    if not isinstance(text, str):
        return None
    try:  # fast path; fromisoformat is laxer than RFC 3339, so only what the pattern passed gets here
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        if parsed.tzinfo is not None:
            return parsed
    except ValueError:
        pass  # a leap second, or an impossible date
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    y, mo, d, h, mi, s, frac, zulu, sign, oh, om = match.groups()
    if zulu:
        tz = UTC
    else:
        offset = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        # a leap second is read as :59 (datetime has no :60)
        return datetime(
            int(y),
            int(mo),
            int(d),
            int(h),
            int(mi),
            min(int(s), 59),
            int((frac or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        return None


def _in_range(moment: datetime) -> bool:
    """Whether the instant falls within the years 0001-9998 as written, in UTC and in
    Asia/Shanghai (``0001-01-01T00:00+08:00`` is a valid RFC 3339 string whose instant falls
    before the year 1 in UTC; 9999 is refused because deadlines and day ends are computed after
    an event, and would fall past the last date Python represents)."""
    if 1 < moment.year < 9998:
        return True
    try:
        years = (moment.year, moment.astimezone(UTC).year, moment.astimezone(SHANGHAI).year)
    except (OverflowError, ValueError):
        return False
    return max(years) <= 9998


def _semantic_errors(doc: Any) -> list[EventError]:
    """Impossible or out-of-range dates in fields whose form is right (the schema already reports
    bad forms)."""
    if not isinstance(doc, dict):
        return []
    errors = []
    for name in ("time", "recorded_at"):
        text = doc.get(name)
        if _well_formed(text, "datetime"):
            moment = parse_datetime(text)
            if moment is None:
                message = f"{shown(text)} is not a real date-time"
                errors.append(EventError(json_path([name]), "semantic", message))
            elif not _in_range(moment):
                message = (
                    f"{shown(text)} is out of range: the instant must fall within the years "
                    f"0001-9998 as written, in UTC and in Asia/Shanghai"
                )
                errors.append(EventError(json_path([name]), "semantic", message))
    data = doc.get("data")
    if doc.get("type") == "extended" and isinstance(data, dict):
        text = data.get("new_due_date")
        if _well_formed(text, "date"):
            try:
                date.fromisoformat(text)
            except ValueError:
                message = f"{shown(text)} is not a real date"
                errors.append(EventError("$.data.new_due_date", "semantic", message))
    return errors


def revive(data: bytes | str, source: str, line: int) -> Event:
    """The Event of a line known to be valid (its bytes, or its text): what
    :func:`parse_and_validate` returned for it."""
    doc = orjson.loads(data)
    time = parse_datetime(doc["time"])
    if time is None:  # cannot happen for a line that passed parse_and_validate
        raise ValueError(f"{source}:{line}: not a validated event line")
    return event_from(doc, time, source, line)
