"""cppolicy: rules-as-code for Chinese financial consumer-protection complaint handling.

The public API is flat: ``from cppolicy import Engine, load_module, load_calendar``. Names are
imported lazily so that ``import cppolicy`` (and the CLI's start-up) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "AuditReport": "cppolicy.audit",
    "read_archive": "cppolicy.audit",
    "evaluate_archive": "cppolicy.audit",
    "WorkingDayCalendar": "cppolicy.calendar",
    "load_calendar": "cppolicy.calendar",
    "Engine": "cppolicy.engine",
    "Evaluator": "cppolicy.host",
    "CppolicyError": "cppolicy.errors",
    "CalendarYearUnknown": "cppolicy.errors",
    "ExitCode": "cppolicy.errors",
    "Event": "cppolicy.events",
    "Invalid": "cppolicy.events",
    "parse_and_validate": "cppolicy.events",
    "ComplaintResult": "cppolicy.findings",
    "Finding": "cppolicy.findings",
    "Plugins": "cppolicy.plugins",
    "hookimpl": "cppolicy.plugins",
    "Alert": "cppolicy.alerts",
    "RuleModule": "cppolicy.rule_module",
    "load_module": "cppolicy.rule_module",
    "resolve_module": "cppolicy.rule_module",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cppolicy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
