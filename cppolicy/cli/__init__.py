"""The ``cppolicy`` command line: one module per command, mounted here.

The command line is the only layer that imports typer and rich's console. Each command parses
its options into plain values, computes its result with the layers below, and writes it through
the format registry (:data:`cppolicy.reports.FORMATS`). An expected failure is one line on stderr,
``cppolicy: error: …``, and a documented exit code (docs/exit-codes.md) — a usage error (a missing
option, an unknown ``--format``) too: never a traceback, never a box.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperGroup

from cppolicy.errors import CppolicyError, ExitCode, InputError, Terminated, interruption_code
from cppolicy.reports.escape import visible


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a service manager stopping a job) raises
    :class:`~cppolicy.errors.Terminated`, a KeyboardInterrupt: the command stops as on ^C — its
    files closed, an audit trail's run finished with its ``run_finished`` record — where the
    default action would kill it mid-write. A second SIGTERM during that clean-up is ignored
    (SIGKILL still ends it). Only in the main thread, where Python runs signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        signal.signal(signum, signal.SIG_IGN)
        raise Terminated(signum)

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)


def _stopped_by(stop: KeyboardInterrupt) -> str:
    return str(stop.args[0]) if isinstance(stop, Terminated) else "interrupted (^C, SIGINT)"


class _OneLineErrors(TyperGroup):
    """The application's group: a usage error is one line on stderr and exit 2, as every other
    expected error (typer would draw a box around it). So is a file a command cannot read or
    write, and an output its reader closed early (``| head``: click would exit 1 in silence, the
    code of "violations found")."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # what is still buffered cannot be written either: let the exit flush into nothing
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise fail(
                InputError("standard output: the reader closed it (broken pipe); the output is incomplete")
            ) from None
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            raise fail(InputError(f"{where}{error.strerror or error}")) from None
        except RecursionError:  # a safety net: readers of nested input refuse it with its place first
            where = " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))
            raise fail(InputError(f"{where}: an input is nested too deeply to read")) from None
        except KeyboardInterrupt as stop:  # ^C, or SIGTERM (see _terminate_as_interrupt)
            print(f"cppolicy: error: {_stopped_by(stop)}; the run is incomplete", file=sys.stderr)
            raise typer.Exit(interruption_code(stop)) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            with _terminate_as_interrupt():
                code = super().main(
                    args,
                    prog_name,
                    complete_var,
                    standalone_mode=False,
                    windows_expand_args=windows_expand_args,
                    **extra,
                )
        except typer.TyperException as error:  # typer's (vendored click's) usage errors
            if not standalone_mode:
                raise
            where = f"{error.ctx.command_path}: " if getattr(error, "ctx", None) is not None else ""  # type: ignore[attr-defined]
            message = " ".join(error.format_message().split())
            if message:  # (none when the help was shown for want of arguments)
                print(visible(f"cppolicy: error: {where}{message}"), file=sys.stderr)
            sys.exit(int(error.exit_code))
        except typer.Abort:
            if not standalone_mode:
                raise
            print("cppolicy: aborted", file=sys.stderr)
            sys.exit(130)
        if standalone_mode:
            sys.exit(code if isinstance(code, int) else 0)
        return code


app = typer.Typer(
    name="cppolicy",
    cls=_OneLineErrors,
    help="Rules-as-code for Chinese financial consumer-protection complaint handling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_mounted = False


def get_app() -> typer.Typer:
    """The application with every command mounted (once)."""
    global _mounted
    if not _mounted:
        for name in COMMAND_MODULES:
            import_module(f"cppolicy.cli.{name}").register(app)
        _mounted = True
    return app


#: Command modules, each providing ``register(app)``; mounted in this order.
COMMAND_MODULES = (
    "validate",
    "calendar",
    "audit",
    "trail",
    "explain",
    "plugins",
    "monitor",
    "importer",
    "check_institution",
    "report",
    "modules",
    "impact",
)


def fail(error: CppolicyError) -> typer.Exit:
    """Print an expected error as one line on stderr (control and bidi characters from the input
    made visible) and return the Exit to raise."""
    print(f"cppolicy: error: {visible(error.message)}", file=sys.stderr)
    return typer.Exit(int(error.exit_code))


def main() -> None:
    try:
        with _terminate_as_interrupt():  # from the start: loading the commands takes a second
            get_app()()
    except CppolicyError as error:  # raised outside a command body (e.g. during parsing)
        print(f"cppolicy: error: {visible(error.message)}", file=sys.stderr)
        sys.exit(int(error.exit_code))
    except KeyboardInterrupt as stop:  # before a command ran (while the commands were loaded)
        print(f"cppolicy: error: {_stopped_by(stop)}; nothing was done", file=sys.stderr)
        sys.exit(interruption_code(stop))


__all__ = ["ExitCode", "app", "fail", "get_app", "main"]
