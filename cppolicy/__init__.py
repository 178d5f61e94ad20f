"""cppolicy: rules-as-code for Chinese financial consumer-protection complaint handling.

The public API, re-exported here (docs/architecture.md shows where each lives)::

    from cppolicy import Evaluator, audit_archive, load_module, load_calendar, hookimpl

Every exception the API raises is a :class:`CppolicyError` (with its documented exit code), and
each kind is exported. ``import cppolicy`` loads no command-line library (typer, rich).
"""

from __future__ import annotations

from cppolicy.audit import (
    ArchiveContents,
    AuditObserver,
    AuditReport,
    JudgedComplaint,
    WorkerError,
    audit_archive,
    read_archive,
)
from cppolicy.calendar import WorkingDayCalendar, load_calendar
from cppolicy.errors import (
    CalendarError,
    CalendarYearUnknown,
    CppolicyError,
    EvaluationError,
    ExitCode,
    InputError,
    RuleModuleError,
    TrailError,
)
from cppolicy.evaluation import (
    Alert,
    AlertKind,
    ComplaintResult,
    Engine,
    Finding,
    Judge,
    Judgement,
    ModuleRef,
    Severity,
    Status,
)
from cppolicy.events import Event, Invalid, parse_and_validate
from cppolicy.host import Evaluator, Monitor
from cppolicy.plugin import Plugins, hookimpl
from cppolicy.resources import VERSION
from cppolicy.rules import RuleModule, load_module, resolve_module
from cppolicy.trail import TrailWriter, verify_trail

__version__ = VERSION

__all__ = [
    "Alert",
    "AlertKind",
    "ArchiveContents",
    "AuditObserver",
    "AuditReport",
    "CalendarError",
    "CalendarYearUnknown",
    "ComplaintResult",
    "CppolicyError",
    "Engine",
    "EvaluationError",
    "Evaluator",
    "Event",
    "ExitCode",
    "Finding",
    "InputError",
    "Invalid",
    "Judge",
    "Judgement",
    "JudgedComplaint",
    "ModuleRef",
    "Monitor",
    "Plugins",
    "RuleModule",
    "RuleModuleError",
    "Severity",
    "Status",
    "TrailError",
    "TrailWriter",
    "WorkerError",
    "WorkingDayCalendar",
    "__version__",
    "audit_archive",
    "hookimpl",
    "load_calendar",
    "load_module",
    "parse_and_validate",
    "read_archive",
    "resolve_module",
    "verify_trail",
]
