"""Options shared by several commands, and turning them into the objects that work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from cppolicy.calendar import WorkingDayCalendar, parse_moment
from cppolicy.errors import InputError
from cppolicy.plugin import Plugins
from cppolicy.reports import FORMATS
from cppolicy.rules import RuleModule, load_module, resolve_module

AS_OF_HELP = (
    "Audit moment: an RFC 3339 date-time with offset (2026-01-31T09:00:00+08:00) or a date "
    "(2026-01-31 = the end of that day, 24:00 Asia/Shanghai). Events after it are ignored."
)
MODULE_HELP = (
    "Rule module: ID, ID@VERSION (registered) or a folder path (holding a / or starting with . or ~; "
    "a bare name is never a folder). Repeatable; --policy is its former name. "
    "Default: every registered module."
)
CALENDAR_HELP = "A year's working-day arrangement as a data file (repeatable); see docs/calendar.md."
LANG_HELP = "Language of messages: zh or en."
EXCEL_HELP = (
    "With --format csv: begin with a UTF-8 byte-order mark, so that Excel (e.g. on Chinese Windows) "
    "reads the file as UTF-8, not in the system's code page. Off by default: the mark would become "
    "part of the first column's name for most other readers (docs/reports.md)."
)

CalendarData = typer.Option(None, "--calendar-data", metavar="FILE", help=CALENDAR_HELP, exists=False)
ExcelOption = typer.Option(False, "--excel", help=EXCEL_HELP)
ModuleOption = typer.Option(None, "--module", "-m", "--policy", "-p", metavar="MODULE", help=MODULE_HELP)
NO_MASK_HELP = (
    "Show personal data unmasked (names, phone, ID-card and account numbers; default: masked, "
    "also turned off by CPPOLICY_NO_MASK=1). See docs/privacy.md."
)
NoMaskOption = typer.Option(False, "--no-mask", help=NO_MASK_HELP)


def format_option(subject: str) -> Any:
    """A command's ``--format`` / ``-f``: the choices and the default of ``subject`` in the format
    registry."""
    return typer.Option(
        FORMATS.names(subject)[0], "--format", "-f", help=FORMATS.help(subject), show_default=False
    )


def format_name(fmt: str | Enum) -> str:
    return fmt.value if isinstance(fmt, Enum) else fmt


def byte_order_mark(excel: bool, fmt: str) -> str:
    """What ``--excel`` writes first: U+FEFF, only with ``--format csv``."""
    if excel and fmt != "csv":
        raise InputError(
            f"--excel: only with --format csv (not {fmt}): it marks a CSV file as UTF-8 for Excel"
        )
    return "\ufeff" if excel else ""


def as_of_option(text: str) -> datetime:
    """``--as-of``: a bare date is the end of that day in Asia/Shanghai."""
    return parse_moment(text, "--as-of")


def language(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise InputError(f"--lang: {lang!r} is not zh or en")
    return lang


def modules_from(specs: Sequence[str] | None, plugins: Plugins) -> list[RuleModule]:
    """The modules named by --module (ID, ID@VERSION or a folder), resolved among those the
    plugins register (built-in ones included); all registered modules when none is named."""
    registered = plugins.rule_module_paths()
    if specs:
        return [resolve_module(spec, registered) for spec in specs]
    return [load_module(path) for path in registered]


def calendar_from(files: Sequence[Path] | None, plugins: Plugins) -> WorkingDayCalendar:
    return plugins.calendar("cn", [Path(f) for f in files or []])
