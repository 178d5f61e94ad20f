"""Options and argument parsing shared by several commands."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Optional

import typer

from cppolicy.calendar import SHANGHAI, end_of_day
from cppolicy.errors import InputError
from cppolicy.plugins import Plugins
from cppolicy.rule_module import RuleModule, load_module, resolve_module

AS_OF_HELP = (
    "Audit moment: an RFC 3339 date-time with offset (2026-01-31T09:00:00+08:00) or a date "
    "(2026-01-31 = the end of that day, 24:00 Asia/Shanghai). Events after it are ignored."
)
POLICY_HELP = "Rule module: ID, ID@VERSION or a folder path (repeatable). Default: every bundled module."
CALENDAR_HELP = "A year's working-day arrangement as a data file (repeatable); see docs/calendar.md."

CalendarData = typer.Option(None, "--calendar-data", help=CALENDAR_HELP, exists=False)
Policy = typer.Option(None, "--policy", "-p", help=POLICY_HELP)


def parse_as_of(text: str) -> datetime:
    """Parse --as-of; a bare date is the end of that day in Asia/Shanghai."""
    try:
        if len(text) == 10:
            return end_of_day(date.fromisoformat(text))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--as-of: {text!r} is neither YYYY-MM-DD nor an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise InputError(f"--as-of: {text!r} has no UTC offset (write e.g. {text}+08:00)")
    return moment.astimezone(SHANGHAI)


def modules_from(policies: Optional[list[str]], plugins: Plugins) -> list[RuleModule]:
    """The modules named by --policy (ID, ID@VERSION or a folder), resolved among those the
    plugins register (built-in ones included); all registered modules when none is named."""
    registered = [entry.path for entry in plugins.policies()]
    if policies:
        return [resolve_module(spec, registered) for spec in policies]
    return [load_module(path) for path in registered]


def calendar_from(files: Optional[list[Path]], plugins: Plugins):
    return plugins.calendar("cn", [Path(f) for f in files or []])
