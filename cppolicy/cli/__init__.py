"""The ``cppolicy`` command line: one module per command, mounted here.

The command line is the only layer that imports typer and rich's console. Each command parses
its options into plain values, computes its result with the layers below, and writes it through
the format registry (:data:`cppolicy.reports.FORMATS`). An expected failure is one line on stderr,
``cppolicy: error: …``, and a documented exit code (docs/exit-codes.md) — a usage error (a missing
option, an unknown ``--format``) too: never a traceback, never a box.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperGroup

from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.reports.escape import visible


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
        get_app()()
    except CppolicyError as error:  # raised outside a command body (e.g. during parsing)
        print(f"cppolicy: error: {visible(error.message)}", file=sys.stderr)
        sys.exit(int(error.exit_code))


__all__ = ["ExitCode", "app", "fail", "get_app", "main"]
