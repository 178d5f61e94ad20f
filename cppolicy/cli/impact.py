"""``cppolicy impact``: what a rule change does to past cases."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import orjson
import typer

from cppolicy.audit import read_archive
from cppolicy.cli.options import AS_OF_HELP, CalendarData, calendar_from, parse_as_of
from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.impact import compare, render_text
from cppolicy.plugins import Plugins
from cppolicy.rule_module import resolve_module


def impact(
    archives: list[str] = typer.Argument(..., metavar="ARCHIVE...", help="JSONL or gzip files; - for stdin."),
    before: str = typer.Option(..., "--from", help="Module judged now: ID, ID@VERSION or a folder."),
    after: str = typer.Option(..., "--to", help="Module to compare: ID, ID@VERSION or a folder."),
    as_of: str = typer.Option(..., "--as-of", help=AS_OF_HELP),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    calendar_data: Optional[list[Path]] = CalendarData,
) -> None:
    """Replay ARCHIVE... under two modules and list each complaint whose verdict changes (new
    breach, cleared breach, changed breach, moved deadline), summarised by obligation, branch
    and half-year. Exit 0 when nothing changes, 1 when something does, 2 on errors."""
    from cppolicy.cli import fail

    try:
        if fmt not in ("text", "json"):
            raise InputError(f"--format: {fmt!r} is not text or json")
        moment = parse_as_of(as_of)
        plugins = Plugins()
        known = [entry.path for entry in plugins.policies()]
        a, b = resolve_module(before, known), resolve_module(after, known)
        calendar = calendar_from(calendar_data, plugins)
        contents = read_archive(archives)
        report = compare(contents, a, b, calendar, moment)
    except CppolicyError as error:
        raise fail(error) from None
    if fmt == "json":
        sys.stdout.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render_text(report))
    if contents.quarantined:
        print(f"cppolicy: {len(contents.quarantined)} invalid line(s) in the input were ignored", file=sys.stderr)
    code = ExitCode.USAGE if contents.quarantined or report.errors else (
        ExitCode.FINDINGS if report.changes else ExitCode.OK)
    raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    app.command("impact")(impact)
