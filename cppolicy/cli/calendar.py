"""``cppolicy calendar``: the mainland-China working-day calendar (show, count, add).

Each command computes a result (:class:`YearView`, :class:`Count`, :class:`Addition`), then writes
it through the format registry as ``text`` (the default) or ``json``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.table import Table

from cppolicy.calendar import DayInfo, WorkingDayCalendar, end_of_day, load_calendar
from cppolicy.cli import fail
from cppolicy.cli.formats import OutputConsole, cell
from cppolicy.cli.options import format_name, format_option
from cppolicy.cli.outputs import guard_inputs
from cppolicy.errors import CppolicyError, InputError
from cppolicy.reports import FORMATS

CalendarData = Annotated[
    list[Path] | None,
    typer.Option(
        "--calendar-data",
        metavar="FILE",
        help="A year's State Council arrangement as JSON/YAML (repeatable; see docs/calendar.md).",
    ),
]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT_RE = re.compile(r"^[0-9]+$")


def _parse_date(text: str, what: str) -> date:
    if _DATE_RE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InputError(f"invalid {what} {text!r}: expected a date YYYY-MM-DD")


def _parse_count(text: str, what: str) -> int:
    if not _INT_RE.match(text) or int(text) < 1:
        raise InputError(f"invalid {what} {text!r}: expected a whole number of days, at least 1")
    return int(text)


def _load(data_files: list[Path] | None) -> WorkingDayCalendar:
    return load_calendar("cn", tuple(data_files or ()))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _day(d: date) -> str:
    return f"{d.isoformat()} ({d.strftime('%a')})"


def _rest_lines(rest: list[DayInfo]) -> list[str]:
    return [f"  {info.date.isoformat()} {info.weekday}  {info.reason}" for info in rest]


def _write_json(payload: dict[str, Any], out: IO[str]) -> None:
    out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


# --------------------------------------------------------------------------- show


@dataclass(frozen=True)
class YearView:
    """A year's notable days: weekday rest days, make-up working days, named holidays."""

    calendar: WorkingDayCalendar
    year: int
    source: str
    working_count: int
    days: list[DayInfo]

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar.name,
            "version": self.calendar.version,
            "year": self.year,
            "source": self.source,
            "working_day_count": self.working_count,
            "rest_days": [i.date.isoformat() for i in self.days if not i.working and i.date.weekday() < 5],
            "working_days": [i.date.isoformat() for i in self.days if i.working],
            "days": [i.as_dict() for i in self.days],
        }


@FORMATS.register("calendar.show", "text", help="the days in a table", escape="cells")
def write_year_text(view: YearView, out: IO[str], lang: str) -> None:
    console = OutputConsole(file=out, highlight=False)
    days = view.days
    weekday_rest = sum(1 for i in days if not i.working and i.date.weekday() < 5)
    make_up = sum(1 for i in days if i.working)
    console.print(
        f"[bold]{view.calendar.name} working-day calendar {view.year}[/bold]  ({view.calendar.version})",
        soft_wrap=True,
    )
    console.print(cell(f"source: {view.source}"), soft_wrap=True)
    console.print(
        f"{_plural(view.working_count, 'working day')}; {_plural(weekday_rest, 'weekday rest day')}; "
        f"{_plural(make_up, 'make-up working day')}"
    )
    table = Table(show_header=True, header_style="bold")
    for column in ("month", "date", "day", "status", "why"):
        table.add_column(column)
    for index, info in enumerate(days):
        last_of_month = index + 1 == len(days) or days[index + 1].date.month != info.date.month
        first_of_month = index == 0 or days[index - 1].date.month != info.date.month
        if info.working:
            status = "[green]working[/green]"
        elif info.date.weekday() >= 5:
            status = "rest (weekend)"
        else:
            status = "[red]rest[/red]"
        table.add_row(
            info.date.strftime("%b") if first_of_month else "",
            info.date.isoformat(),
            info.weekday,
            status,
            cell(info.name_en if info.kind == "make_up_working_day" and info.name_en else info.reason),
            end_section=last_of_month,
        )
    console.print(table)


@FORMATS.register("calendar.show", "json", help="the year as one JSON document")
def write_year_json(view: YearView, out: IO[str], lang: str) -> None:
    _write_json(view.to_dict(), out)


YearFormat = FORMATS.choices("calendar.show")


def show(
    year: Annotated[str, typer.Argument(metavar="YEAR", help="The year, e.g. 2025.")],
    fmt: YearFormat = format_option("calendar.show"),  # type: ignore[valid-type]
    calendar_data: CalendarData = None,
) -> None:
    """Show a year's weekday rest days and make-up working days (调休), with holiday names."""
    try:
        if not _INT_RE.match(year):
            raise InputError(f"invalid YEAR {year!r}: expected a year such as 2025")
        y = int(year)
        cal = _load(calendar_data)
        view = YearView(cal, y, cal.source(y), cal.working_days_in(y), cal.notable_days(y))
    except CppolicyError as error:
        raise fail(error) from None
    FORMATS.render("calendar.show", format_name(fmt), view, sys.stdout)


# --------------------------------------------------------------------------- count


@dataclass(frozen=True)
class Count:
    """The working days in (start, end], and the rest days skipped."""

    start: date
    end: date
    working_days: int
    rest: list[DayInfo]
    calendar_version: str


@FORMATS.register("calendar.count", "text", help="the count and the rest days skipped")
def write_count_text(count: Count, out: IO[str], lang: str) -> None:
    out.write(
        f"{_plural(count.working_days, 'working day')} in ({count.start.isoformat()}, {count.end.isoformat()}]\n"
    )
    out.write(f"rest days skipped: {len(count.rest)}\n")
    for line in _rest_lines(count.rest):
        out.write(line + "\n")
    out.write(f"calendar: {count.calendar_version}\n")


@FORMATS.register("calendar.count", "json", help="the count as one JSON document")
def write_count_json(count: Count, out: IO[str], lang: str) -> None:
    _write_json(
        {
            "start": count.start.isoformat(),
            "end": count.end.isoformat(),
            "working_days": count.working_days,
            "rest_days_skipped": [i.as_dict() for i in count.rest],
            "calendar_version": count.calendar_version,
        },
        out,
    )


CountFormat = FORMATS.choices("calendar.count")


def count(
    start: Annotated[str, typer.Argument(metavar="START", help="Start date YYYY-MM-DD (not counted).")],
    end: Annotated[str, typer.Argument(metavar="END", help="End date YYYY-MM-DD (counted).")],
    fmt: CountFormat = format_option("calendar.count"),  # type: ignore[valid-type]
    calendar_data: CalendarData = None,
) -> None:
    """Count the working days in (START, END] and list the rest days skipped."""
    try:
        a = _parse_date(start, "START")
        b = _parse_date(end, "END")
        if b < a:
            raise InputError(f"END {b.isoformat()} is before START {a.isoformat()}")
        cal = _load(calendar_data)
        result = Count(a, b, cal.working_days_between(a, b), cal.rest_days_between(a, b), cal.version)
    except CppolicyError as error:
        raise fail(error) from None
    FORMATS.render("calendar.count", format_name(fmt), result, sys.stdout)


# --------------------------------------------------------------------------- add


@dataclass
class Addition:
    """N working (or calendar) days added to a date: the last day, its 24:00 deadline, and why."""

    start: date
    n: int
    calendar_days: bool
    start_counted: bool
    roll_forward: bool
    result: date
    calendar_version: str
    rolled_from: date | None = None
    rest: list[DayInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return "calendar day" if self.calendar_days else "working day"


def _add(
    cal: WorkingDayCalendar, start: date, n: int, start_counted: bool, calendar_days: bool, roll_forward: bool
) -> Addition:
    if not calendar_days:
        result = cal.add_working_days(start, n, start_counted=start_counted)
        return Addition(
            start,
            n,
            False,
            start_counted,
            roll_forward,
            result,
            cal.version,
            rest=cal.rest_days_between(start, result),
        )
    unrolled = cal.add_calendar_days(start, n, start_counted=start_counted)
    added = Addition(start, n, True, start_counted, roll_forward, unrolled, cal.version)
    if roll_forward:
        added.result = cal.add_calendar_days(start, n, start_counted=start_counted, roll_forward=True)
        if added.result != unrolled:
            added.rolled_from = unrolled
            added.notes.append(
                f"last day {_day(unrolled)} is a rest day ({cal.day_kind(unrolled).reason}); "
                f"rolled forward to the next working day (民法典 Art. 203)"
            )
        return added
    try:
        if not cal.is_working_day(unrolled):
            alt = cal.next_working_day(unrolled)
            added.notes.append(
                f"last day is a rest day ({cal.day_kind(unrolled).reason}); with "
                f"--roll-forward (民法典 Art. 203) it would be {_day(alt)}"
            )
    except CppolicyError:
        added.notes.append(
            f"whether {unrolled.isoformat()} is a rest day is unknown: no working-day "
            f"arrangement for {unrolled.year} (needed only for --roll-forward)"
        )
    return added


@FORMATS.register("calendar.add", "text", help="the date, its deadline and the rest days skipped")
def write_addition_text(added: Addition, out: IO[str], lang: str) -> None:
    d = added.start
    if added.start_counted:
        counted = f"counting from {d.isoformat()} (start day counted as day 1 if it is a working day)"
    else:
        counted = f"after {d.isoformat()} (start day not counted, 民法典 Art. 201)"
    out.write(f"{_day(added.result)}: the {_ordinal(added.n)} {added.unit} {counted}\n")
    out.write(
        f"deadline: 24:00 Asia/Shanghai on {added.result.isoformat()} = "
        f"{end_of_day(added.result).isoformat()}\n"
    )
    for note in added.notes:
        out.write(f"note: {note}\n")
    if not added.calendar_days:
        out.write(f"rest days skipped: {len(added.rest)}\n")
        for line in _rest_lines(added.rest):
            out.write(line + "\n")
    out.write(f"calendar: {added.calendar_version}\n")


@FORMATS.register("calendar.add", "json", help="the addition as one JSON document")
def write_addition_json(added: Addition, out: IO[str], lang: str) -> None:
    _write_json(
        {
            "start": added.start.isoformat(),
            "n": added.n,
            "unit": added.unit.replace(" ", "_"),
            "start_counted": added.start_counted,
            "roll_forward": added.roll_forward,
            "date": added.result.isoformat(),
            "rolled_from": added.rolled_from.isoformat() if added.rolled_from else None,
            "deadline": end_of_day(added.result).isoformat(),
            "rest_days_skipped": [i.as_dict() for i in added.rest],
            "notes": added.notes,
            "calendar_version": added.calendar_version,
        },
        out,
    )


AddFormat = FORMATS.choices("calendar.add")


def add(
    start: Annotated[str, typer.Argument(metavar="DATE", help="Start date YYYY-MM-DD (e.g. receipt).")],
    n: Annotated[str, typer.Argument(metavar="N", help="Number of days, at least 1.")],
    start_counted: Annotated[
        bool, typer.Option("--start-counted", help="Count DATE itself as day 1 when it is a working day.")
    ] = False,
    calendar_days: Annotated[
        bool, typer.Option("--calendar-days", help="Count calendar days instead of working days.")
    ] = False,
    roll_forward: Annotated[
        bool,
        typer.Option(
            "--roll-forward",
            help="With --calendar-days: a last day that is a rest day moves to the "
            "next working day (民法典 Art. 203).",
        ),
    ] = False,
    fmt: AddFormat = format_option("calendar.add"),  # type: ignore[valid-type]
    calendar_data: CalendarData = None,
) -> None:
    """Add N working days (or calendar days) to DATE; print the date and its 24:00 deadline."""
    try:
        d = _parse_date(start, "DATE")
        days = _parse_count(n, "N")
        if roll_forward and not calendar_days:
            raise InputError(
                "--roll-forward needs --calendar-days (a working-day period ends on a working day)"
            )
        guard_inputs([], calendar_data).claim_stdout()
        added = _add(_load(calendar_data), d, days, start_counted, calendar_days, roll_forward)
    except CppolicyError as error:
        raise fail(error) from None
    except OverflowError:
        raise fail(InputError(f"N {n} takes the date out of range")) from None
    FORMATS.render("calendar.add", format_name(fmt), added, sys.stdout)


def register(app: typer.Typer) -> None:
    """Mount the ``calendar`` command group on ``app``."""
    group = typer.Typer(
        name="calendar",
        help="The mainland-China working-day calendar (State Council arrangement, 调休).",
        no_args_is_help=True,
    )
    group.command("show")(show)
    group.command("count")(count)
    group.command("add")(add)
    app.add_typer(group, name="calendar")
