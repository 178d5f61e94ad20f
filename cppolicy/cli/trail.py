"""``cppolicy trail``: the hash-chained audit trail (``verify``)."""

from __future__ import annotations

from pathlib import Path

import typer

from cppolicy.cli import fail
from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.trail import verify_trail


def verify(
    file: Path = typer.Argument(..., metavar="FILE", help="The trail (JSONL) to verify."),
    anchor: list[str] | None = typer.Option(
        None,
        "--anchor",
        metavar="HASH",
        help="A hash kept elsewhere from an earlier run (e.g. the last hash printed then); it must be "
        "the hash of a record in FILE. Repeatable.",
    ),
) -> None:
    """Verify every record's hash, the chain, the sequence and the runs of FILE.

    Prints ``ok: N records, M runs, last hash …`` and exits 0; otherwise prints the first bad
    line (``FILE:LINE: seq S: problem``) and exits 1. Exit 2 when FILE cannot be read."""
    try:
        if not file.exists():
            raise InputError(f"{file}: no such file")
        if file.is_dir():
            raise InputError(f"{file}: is a directory, not a trail file")
        try:
            result = verify_trail(file, anchors=anchor or ())
        except OSError as exc:
            raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from None
        if not result.ok:
            raise CppolicyError(result.message(), exit_code=ExitCode.FINDINGS)
    except CppolicyError as error:
        raise fail(error) from None
    typer.echo(result.message())


def register(app: typer.Typer) -> None:
    """Mount the ``trail`` command group on ``app``."""
    group = typer.Typer(name="trail", help="The hash-chained audit trail.", no_args_is_help=True)
    group.command("verify")(verify)
    app.add_typer(group, name="trail")
