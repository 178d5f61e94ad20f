"""A year's State Council arrangement supplied by the user as a data file (docs/calendar.md).

A year cppolicy does not carry (see :mod:`cppolicy.calendar.years`) can be supplied as JSON or
YAML: ``{calendar, year, source, rest_days, working_days}``. The file is validated strictly;
every defect is one line naming the file and the JSON path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from cppolicy.calendar.years import CALENDAR_NAME, statutory_names
from cppolicy.documents import MAX_DEPTH, LimitedLoader, json_too_deep, read_text
from cppolicy.errors import CalendarError

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


#: raises the one-line error for a JSON path and a problem
Bad = Callable[[str, str], CalendarError]


def _parse(path: Path, where: str, bad: Bad) -> Any:
    """The document in ``path`` (JSON or YAML, by suffix)."""
    if not path.exists():
        raise CalendarError(f"{where}: file not found")
    text = read_text(path, CalendarError, where)  # at most MAX_DOCUMENT_BYTES
    suffix = path.suffix.lower()
    if suffix == ".json":
        deep = json_too_deep(text)
        if deep is not None:
            raise CalendarError(
                f"{where}: line {deep[0]}, column {deep[1]}: nested deeper than {MAX_DEPTH} levels"
            )
        try:
            return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise CalendarError(f"{where}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
        except ValueError as exc:  # duplicate key
            raise bad("$", str(exc)) from None
    if suffix in (".yaml", ".yml"):
        try:
            # safe_load's semantics within the limits on nesting and alias expansion
            return yaml.load(text, Loader=LimitedLoader)  # noqa: S506 — LimitedLoader is a SafeLoader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise CalendarError(f"{where}: {line}invalid YAML: {problem}") from None
    raise CalendarError(f"{where}: unknown file type {suffix or '(none)'!r}: use .json, .yaml or .yml")


def _header(doc: Any, calendar: str, bad: Bad) -> tuple[str, int, str]:
    """The document's ``calendar``, ``year`` and ``source``, checked."""
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
    return cal, year, source


def _dates(doc: dict[str, Any], key: str, year: int, bad: Bad) -> list[tuple[str, date]]:
    """The dates listed under ``key``, each with its JSON path: real dates of ``year``, once each."""
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


def _check_days(rest: list[tuple[str, date]], work: list[tuple[str, date]], year: int, bad: Bad) -> None:
    """Make-up working days are weekends and not rest days; weekend rest days are statutory holidays."""
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
        statutory = statutory_names(year, "zh_CN")
        for jp, d in weekend_rest:
            if d not in statutory:
                raise bad(
                    jp,
                    f"{d.isoformat()} is a {d.strftime('%A')} and not a statutory holiday: weekends are "
                    f"rest days already, list only weekday rest days (or put a make-up working "
                    f"day in working_days)",
                )


def read_calendar_data(path: Path, *, calendar: str = CALENDAR_NAME) -> CalendarYearData:
    """Read and strictly validate one year's arrangement from a JSON or YAML file.

    Every defect raises :class:`CalendarError` with one line naming the file and the JSON path.
    """
    path = Path(path)
    where = f"calendar data {path}"

    def bad(json_path: str, problem: str) -> CalendarError:
        return CalendarError(f"{where}: {json_path}: {problem}")

    doc = _parse(path, where, bad)
    cal, year, source = _header(doc, calendar, bad)
    rest = _dates(doc, "rest_days", year, bad)
    work = _dates(doc, "working_days", year, bad)
    _check_days(rest, work, year, bad)
    return CalendarYearData(
        calendar=cal,
        year=year,
        source=source.strip(),
        rest_days=frozenset(d for _, d in rest),
        working_days=frozenset(d for _, d in work),
        path=path,
    )
