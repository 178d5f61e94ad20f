"""``cppolicy report``: periodic reports built from event archives (docs/reports.md)."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import typer

from cppolicy.audit import read_archive
from cppolicy.cli import fail
from cppolicy.cli.options import (
    AS_OF_HELP,
    CalendarData,
    ExcelOption,
    ModuleOption,
    NoMaskOption,
    as_of_option,
    byte_order_mark,
    calendar_from,
    format_name,
    format_option,
    modules_from,
)
from cppolicy.cli.outputs import guard_inputs
from cppolicy.errors import CppolicyError, ExitCode
from cppolicy.plugin import Plugins
from cppolicy.reports import FORMATS, compute_semiannual, parse_period

SemiannualFormat = FORMATS.choices("semiannual")
group = typer.Typer(name="report", help="Periodic reports built from event archives.", no_args_is_help=True)


@group.command("semiannual")
def semiannual(
    archives: list[str] = typer.Argument(..., metavar="ARCHIVE...", help="JSONL or gzip files; - for stdin."),
    period: str = typer.Option(..., "--period", help="The half-year: YYYYH1 (Jan–Jun) or YYYYH2 (Jul–Dec)."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help=AS_OF_HELP + " Default: the end of the report's due date (30 July / 30 January).",
    ),
    fmt: SemiannualFormat = format_option("semiannual"),  # type: ignore[valid-type]
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    institution: str | None = typer.Option(
        None,
        "--institution",
        metavar="ID",
        help="Only this institution and every institution under it (tree as recorded in the archive).",
    ),
    module: list[str] | None = ModuleOption,
    calendar_data: list[Path] | None = CalendarData,
    excel: bool = ExcelOption,
    no_mask: bool = NoMaskOption,
) -> None:
    """The half-yearly complaint statistics and analysis report of 银监发〔2012〕13号 point 十六
    (due by 30 July for H1 and 30 January of the next year for H2), for the complaints received
    in the period.
    Exit 0; 2 on bad options or input (the report is still written when lines were quarantined);
    5 when the input holds no event at all (the report of nothing is still written)."""
    try:
        half = parse_period(period)
        bom = byte_order_mark(excel, format_name(fmt))
        moment = as_of_option(as_of) if as_of is not None else None
        plugins = Plugins(mask_data=False) if no_mask else Plugins()
        modules = modules_from(module, plugins)
        calendar = calendar_from(calendar_data, plugins)
        guard = guard_inputs(archives, calendar_data, modules).claim("--output", output)
        if output is None:
            guard.claim_stdout()
        contents = read_archive(archives, mask=plugins.mask_invalid)
        report = compute_semiannual(contents, half, modules, calendar, moment, institution, plugins=plugins)
        with guard.open_text("--output", output) if output else nullcontext(sys.stdout) as out:
            out.write(bom)
            FORMATS.render("semiannual", format_name(fmt), report, out)
    except CppolicyError as error:
        raise fail(error) from None
    if report.quarantined:
        print(
            f"cppolicy: {report.quarantined} invalid line(s) in the input were left out of the report "
            f"(run `cppolicy validate` to list them)",
            file=sys.stderr,
        )
        raise typer.Exit(int(ExitCode.USAGE))
    if not contents.lines:
        print(
            f"cppolicy: nothing judged: the input holds no event; the report counts nothing "
            f"(exit {int(ExitCode.NOTHING_JUDGED)})",
            file=sys.stderr,
        )
        raise typer.Exit(int(ExitCode.NOTHING_JUDGED))


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="report")
