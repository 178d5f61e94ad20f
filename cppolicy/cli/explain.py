"""``cppolicy explain``: the reasoning behind one complaint's findings."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cppolicy.authoring import explain_complaint
from cppolicy.cli import fail
from cppolicy.cli.options import (
    AS_OF_HELP,
    LANG_HELP,
    CalendarData,
    ModuleOption,
    NoMaskOption,
    as_of_option,
    calendar_from,
    format_name,
    format_option,
    language,
    modules_from,
)
from cppolicy.cli.outputs import guard_inputs
from cppolicy.errors import CppolicyError
from cppolicy.plugin import Plugins
from cppolicy.reports import FORMATS

ExplainFormat = FORMATS.choices("explain")


def explain(
    complaint_id: str = typer.Argument(..., help="The complaint to explain."),
    archives: list[str] = typer.Argument(..., metavar="ARCHIVE...", help="JSONL or gzip files; - for stdin."),
    as_of: str = typer.Option(..., "--as-of", help=AS_OF_HELP),
    module: list[str] | None = ModuleOption,
    lang: str = typer.Option("en", "--lang", help=LANG_HELP),
    fmt: ExplainFormat = format_option("explain"),  # type: ignore[valid-type]
    calendar_data: list[Path] | None = CalendarData,
    no_mask: bool = NoMaskOption,
) -> None:
    """Show COMPLAINT_ID's timeline, each clock (start, unit, rest days skipped, deadline) and
    each rule's outcome with its citation. Exit 0, or 2 when the complaint is not in the input."""
    try:
        lang = language(lang)
        moment = as_of_option(as_of)
        plugins = Plugins(mask_data=False) if no_mask else Plugins()
        modules = modules_from(module, plugins)
        calendar = calendar_from(calendar_data, plugins)
        guard_inputs(archives, calendar_data, modules).claim_stdout()
        docs, quarantined = explain_complaint(complaint_id, archives, modules, calendar, moment, plugins)
    except CppolicyError as error:
        raise fail(error) from None
    FORMATS.render("explain", format_name(fmt), docs, sys.stdout, lang)
    if quarantined:
        print(
            f"cppolicy: {quarantined} invalid line(s) in the input were ignored "
            f"(run `cppolicy validate` to list them)",
            file=sys.stderr,
        )


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)
