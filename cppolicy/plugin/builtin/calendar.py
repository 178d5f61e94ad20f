"""Built-in plugin: the mainland-China working-day calendar (tried last, so plugins can replace it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cppolicy.calendar import CALENDAR_NAME, WorkingDayCalendar, load_calendar
from cppolicy.plugin.markers import hookimpl


@hookimpl(trylast=True)
def cppolicy_provide_calendar(name: str, data_files: Sequence[Path]) -> WorkingDayCalendar | None:
    if name == CALENDAR_NAME:
        return load_calendar(name, data_files)
    return None
