"""``cppolicy calendar``: the mainland-China working-day calendar (show, count, add)."""

from __future__ import annotations

import json
import re
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cppolicy.errors import CppolicyError, InputError

if TYPE_CHECKING:  # the calendar imports python-holidays (~0.1 s): loaded only when a command runs
    from cppolicy.calendar import DayInfo, WorkingDayCalendar


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


CalendarData = Annotated[
    list[Path] | None,
    typer.Option(
        "--calendar-data",
        metavar="FILE",
        help="A year's State Council arrangement as JSON/YAML (repeatable; see docs/calendar.md).",
    ),
]
Format = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT_RE = re.compile(r"^[0-9]+$")


def _fail(error: CppolicyError) -> typer.Exit:
    from cppolicy.cli import fail

    return fail(error)


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
    from cppolicy.calendar import load_calendar

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


def _emit_json(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def show(
    year: Annotated[str, typer.Argument(metavar="YEAR", help="The year, e.g. 2025.")],
    output: Format = OutputFormat.text,
    calendar_data: CalendarData = None,
) -> None:
    """Show a year's weekday rest days and make-up working days (调休), with holiday names."""
    try:
        if not _INT_RE.match(year):
            raise InputError(f"invalid YEAR {year!r}: expected a year such as 2025")
        y = int(year)
        cal = _load(calendar_data)
        days = cal.notable_days(y)
        source = cal.source(y)
        working_count = cal.working_days_in(y)
    except CppolicyError as error:
        raise _fail(error) from None

    if output is OutputFormat.json:
        _emit_json(
            {
                "calendar": cal.name,
                "version": cal.version,
                "year": y,
                "source": source,
                "working_day_count": working_count,
                "rest_days": [i.date.isoformat() for i in days if not i.working and i.date.weekday() < 5],
                "working_days": [i.date.isoformat() for i in days if i.working],
                "days": [i.as_dict() for i in days],
            }
        )
        return

    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    weekday_rest = sum(1 for i in days if not i.working and i.date.weekday() < 5)
    make_up = sum(1 for i in days if i.working)
    console.print(f"[bold]{cal.name} working-day calendar {y}[/bold]  ({cal.version})", soft_wrap=True)
    console.print(f"source: {source}", soft_wrap=True)
    console.print(
        f"{_plural(working_count, 'working day')}; {_plural(weekday_rest, 'weekday rest day')}; "
        f"{_plural(make_up, 'make-up working day')}"
    )
    table = Table(show_header=True, header_style="bold")
    table.add_column("month")
    table.add_column("date")
    table.add_column("day")
    table.add_column("status")
    table.add_column("why")
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
            info.name_en if info.kind == "make_up_working_day" and info.name_en else info.reason,
            end_section=last_of_month,
        )
    console.print(table)


def count(
    start: Annotated[str, typer.Argument(metavar="START", help="Start date YYYY-MM-DD (not counted).")],
    end: Annotated[str, typer.Argument(metavar="END", help="End date YYYY-MM-DD (counted).")],
    output: Format = OutputFormat.text,
    calendar_data: CalendarData = None,
) -> None:
    """Count the working days in (START, END] and list the rest days skipped."""
    try:
        a = _parse_date(start, "START")
        b = _parse_date(end, "END")
        if b < a:
            raise InputError(f"END {b.isoformat()} is before START {a.isoformat()}")
        cal = _load(calendar_data)
        n = cal.working_days_between(a, b)
        rest = cal.rest_days_between(a, b)
    except CppolicyError as error:
        raise _fail(error) from None

    if output is OutputFormat.json:
        _emit_json(
            {
                "start": a.isoformat(),
                "end": b.isoformat(),
                "working_days": n,
                "rest_days_skipped": [i.as_dict() for i in rest],
                "calendar_version": cal.version,
            }
        )
        return
    typer.echo(f"{_plural(n, 'working day')} in ({a.isoformat()}, {b.isoformat()}]")
    typer.echo(f"rest days skipped: {len(rest)}")
    for line in _rest_lines(rest):
        typer.echo(line)
    typer.echo(f"calendar: {cal.version}")


def add(
    start: Annotated[str, typer.Argument(metavar="DATE", help="Start date YYYY-MM-DD (e.g. receipt).")],
    n: Annotated[str, typer.Argument(metavar="N", help="Number of days, at least 1.")],
    start_counted: Annotated[
        bool,
        typer.Option("--start-counted", help="Count DATE itself as day 1 when it is a working day."),
    ] = False,
    calendar_days: Annotated[
        bool, typer.Option("--calendar-days", help="Count calendar days instead of working days.")
    ] = False,
    roll_forward: Annotated[
        bool,
        typer.Option(
            "--roll-forward",
            help="With --calendar-days: a last day that is a rest day moves to the next working day "
            "(民法典 Art. 203).",
        ),
    ] = False,
    output: Format = OutputFormat.text,
    calendar_data: CalendarData = None,
) -> None:
    """Add N working days (or calendar days) to DATE; print the date and its 24:00 deadline."""
    from cppolicy.calendar import end_of_day

    try:
        d = _parse_date(start, "DATE")
        days = _parse_count(n, "N")
        if roll_forward and not calendar_days:
            raise InputError(
                "--roll-forward needs --calendar-days (a working-day period ends on a working day)"
            )
        cal = _load(calendar_data)
        notes: list[str] = []
        rolled_from: date | None = None
        if calendar_days:
            unrolled = cal.add_calendar_days(d, days, start_counted=start_counted)
            result = unrolled
            if roll_forward:
                result = cal.add_calendar_days(d, days, start_counted=start_counted, roll_forward=True)
                if result != unrolled:
                    rolled_from = unrolled
                    notes.append(
                        f"last day {_day(unrolled)} is a rest day ({cal.day_kind(unrolled).reason}); "
                        f"rolled forward to the next working day (民法典 Art. 203)"
                    )
            else:
                try:
                    if not cal.is_working_day(unrolled):
                        alt = cal.next_working_day(unrolled)
                        notes.append(
                            f"last day is a rest day ({cal.day_kind(unrolled).reason}); with "
                            f"--roll-forward (民法典 Art. 203) it would be {_day(alt)}"
                        )
                except CppolicyError:
                    notes.append(
                        f"whether {unrolled.isoformat()} is a rest day is unknown: no working-day "
                        f"arrangement for {unrolled.year} (needed only for --roll-forward)"
                    )
            unit = "calendar day"
        else:
            result = cal.add_working_days(d, days, start_counted=start_counted)
            unit = "working day"
        rest = cal.rest_days_between(d, result) if not calendar_days else []
    except CppolicyError as error:
        raise _fail(error) from None
    except OverflowError:
        raise _fail(InputError(f"N {n} takes the date out of range")) from None

    deadline = end_of_day(result)
    if start_counted:
        counted = f"counting from {d.isoformat()} (start day counted as day 1 if it is a working day)"
    else:
        counted = f"after {d.isoformat()} (start day not counted, 民法典 Art. 201)"
    if output is OutputFormat.json:
        _emit_json(
            {
                "start": d.isoformat(),
                "n": days,
                "unit": unit.replace(" ", "_"),
                "start_counted": start_counted,
                "roll_forward": roll_forward,
                "date": result.isoformat(),
                "rolled_from": rolled_from.isoformat() if rolled_from else None,
                "deadline": deadline.isoformat(),
                "rest_days_skipped": [i.as_dict() for i in rest],
                "notes": notes,
                "calendar_version": cal.version,
            }
        )
        return
    typer.echo(f"{_day(result)}: the {_ordinal(days)} {unit} {counted}")
    typer.echo(f"deadline: 24:00 Asia/Shanghai on {result.isoformat()} = {deadline.isoformat()}")
    for note in notes:
        typer.echo(f"note: {note}")
    if not calendar_days:
        typer.echo(f"rest days skipped: {len(rest)}")
        for line in _rest_lines(rest):
            typer.echo(line)
    typer.echo(f"calendar: {cal.version}")


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
