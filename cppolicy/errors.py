"""Error types and the documented exit codes of the command-line tool.

Every expected failure is a :class:`CppolicyError` carrying its exit code and a one-line
message that names the place (file, line, JSON path). The CLI prints the message and exits;
it never shows a traceback for these.
"""

from __future__ import annotations

import signal
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes shared by every ``cppolicy`` command (see docs/exit-codes.md)."""

    OK = 0
    #: violations found (audit) or invalid events (validate)
    FINDINGS = 1
    #: bad usage or unreadable / invalid input
    USAGE = 2
    #: the engine failed on at least one complaint: its result is an error, never compliance
    EVALUATION_ERROR = 3
    #: no violation, but some obligation could not be determined (e.g. calendar year unknown)
    UNDETERMINED = 4
    #: nothing was judged: the input held no complaint that a selected rule module judges (an
    #: empty archive, or none in force) — never to be read as a clean audit
    NOTHING_JUDGED = 5


class CppolicyError(Exception):
    """An expected failure with a one-line message and an exit code."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(CppolicyError):
    """Unreadable or malformed input (a file, a line, a field)."""


class RuleModuleError(CppolicyError):
    """A rule module that does not load or does not validate."""


class CalendarError(CppolicyError):
    """A calendar question that cannot be answered (e.g. a year with no known arrangement)."""


class CalendarYearUnknown(CalendarError):
    """A date falls in a year whose State Council holiday arrangement is not known."""

    def __init__(self, year: int, covered: str) -> None:
        self.year = year
        super().__init__(
            f"no working-day arrangement is known for {year} (covered: {covered}); "
            f"supply that year's State Council arrangement with --calendar-data FILE "
            f"(see docs/calendar.md for the format)"
        )


class EvaluationError(CppolicyError):
    """The engine failed on a complaint; never to be read as compliance."""

    exit_code = ExitCode.EVALUATION_ERROR


class TrailError(CppolicyError):
    """A trail that cannot be written (broken, locked, unwritable) or a record that cannot be made."""


class Terminated(KeyboardInterrupt):
    """A termination signal (SIGTERM) the command line received: handled as ^C
    (:class:`KeyboardInterrupt`) is — files closed, an audit trail's run finished as aborted — and
    the process exits ``128 + signum`` (143), the shell's code for it (docs/exit-codes.md)."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"terminated by {signal.Signals(signum).name}")


def interruption_code(stop: KeyboardInterrupt) -> int:
    """The exit code of a run stopped by ``stop``: 143 for SIGTERM, 130 for ^C (SIGINT)."""
    return stop.exit_code if isinstance(stop, Terminated) else 128 + signal.SIGINT
