"""``cppolicy impact``: what a rule change does to past cases."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cppolicy.authoring import compare
from cppolicy.cli import fail
from cppolicy.cli.options import (
    AS_OF_HELP,
    CalendarData,
    as_of_option,
    calendar_from,
    format_name,
    format_option,
)
from cppolicy.cli.outputs import guard_inputs
from cppolicy.errors import CppolicyError, ExitCode
from cppolicy.plugin import Plugins
from cppolicy.reports import FORMATS
from cppolicy.rules import resolve_module

ImpactFormat = FORMATS.choices("impact")


def impact(
    archives: list[str] = typer.Argument(..., metavar="ARCHIVE...", help="JSONL or gzip files; - for stdin."),
    before: str = typer.Option(..., "--from", help="Module judged now: ID, ID@VERSION or a folder."),
    after: str = typer.Option(..., "--to", help="Module to compare: ID, ID@VERSION or a folder."),
    as_of: str = typer.Option(..., "--as-of", help=AS_OF_HELP),
    fmt: ImpactFormat = format_option("impact"),  # type: ignore[valid-type]
    calendar_data: list[Path] | None = CalendarData,
) -> None:
    """Replay ARCHIVE... under two modules and list each complaint whose verdict changes (new
    breach, cleared breach, changed breach, moved deadline), summarised by obligation, branch
    and half-year. Exit 0 when nothing changes, 1 when something does, 2 on errors."""
    try:
        moment = as_of_option(as_of)
        plugins = Plugins()
        known = plugins.rule_module_paths()
        a, b = resolve_module(before, known), resolve_module(after, known)
        calendar = calendar_from(calendar_data, plugins)
        guard_inputs(archives, calendar_data, [a, b]).claim_stdout()
        report = compare(archives, a, b, calendar, moment)
    except CppolicyError as error:
        raise fail(error) from None
    FORMATS.render("impact", format_name(fmt), report, sys.stdout)
    if report.quarantined:
        print(f"cppolicy: {report.quarantined} invalid line(s) in the input were ignored", file=sys.stderr)
    code = (
        ExitCode.USAGE
        if report.quarantined or report.errors
        else (ExitCode.FINDINGS if report.changes else ExitCode.OK)
    )
    raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    app.command("impact")(impact)
