"""Built-in plugin: the mainland-China working-day calendar (tried last, so plugins can replace it)."""

from __future__ import annotations

from cppolicy.calendar import CALENDAR_NAME, load_calendar
from cppolicy.plugins import hookimpl


@hookimpl(trylast=True)
def cppolicy_provide_calendar(name, data_files):
    if name == CALENDAR_NAME:
        return load_calendar(name, data_files)
    return None
