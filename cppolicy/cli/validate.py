"""``cppolicy validate FILE...``: check event archives against complaint-event/v1.

Text output: one ``FILE:LINE: $.path: message [keyword]`` line per error as it is found, then a
summary line ``checked N events in M files: V valid, I invalid``. JSON output (``--format json``):
one document with the counts and the errors. Exit 0 when every event is valid, 1 when any is
invalid, 2 on usage errors (e.g. a missing file).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO, Annotated, Any

import typer

from cppolicy.cli import fail
from cppolicy.cli.options import NoMaskOption, format_name, format_option
from cppolicy.cli.outputs import guard_inputs
from cppolicy.errors import CppolicyError, ExitCode
from cppolicy.events import SCHEMA_ID, Invalid, iter_lines, parse_and_validate
from cppolicy.plugin import Plugins
from cppolicy.reports import FORMATS


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(checked: int, files: int, valid: int, invalid: int) -> str:
    """``checked 120 events in 2 files: 118 valid, 2 invalid``."""
    events, files_ = _plural(checked, "event"), _plural(files, "file")
    return f"checked {events} in {files_}: {valid} valid, {invalid} invalid"


class Validation:
    """The validation of files, run as it is written: :meth:`invalid_lines` reads the lines and
    yields those that are not valid events, counting as it goes."""

    def __init__(self, files: list[str], plugins: Plugins | None = None) -> None:
        self.files = files
        self.plugins = plugins if plugins is not None else Plugins(load_entry_points=False)
        self.checked = self.invalid = 0
        self._lines = iter_lines(files)  # checks that every file is readable, now

    def invalid_lines(self) -> Iterator[Invalid]:
        for raw in self._lines:
            self.checked += 1
            result = parse_and_validate(raw)
            if isinstance(result, Invalid):
                self.invalid += 1
                yield self.plugins.mask_invalid(result)

    @property
    def valid(self) -> int:
        return self.checked - self.invalid


@FORMATS.register("validate", "text", help="one line per error, then a summary")
def write_text(run: Validation, out: IO[str], lang: str) -> None:
    for invalid in run.invalid_lines():
        for text in invalid.format_lines():
            out.write(text + "\n")
    out.write(summary_line(run.checked, len(run.files), run.valid, run.invalid) + "\n")


@FORMATS.register("validate", "json", help="the counts and every error")
def write_json(run: Validation, out: IO[str], lang: str) -> None:
    errors: list[dict[str, Any]] = [
        {"source": invalid.source, "line": invalid.line, **error.as_dict()}
        for invalid in run.invalid_lines()
        for error in invalid.errors
    ]
    document = {
        "schema": SCHEMA_ID,
        "files": len(run.files),
        "checked": run.checked,
        "valid": run.valid,
        "invalid": run.invalid,
        "errors": errors,
    }
    out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


ValidateFormat = FORMATS.choices("validate")


def validate(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE", help="JSONL event archives (gzip accepted); '-' reads stdin.", show_default=False
        ),
    ],
    fmt: ValidateFormat = format_option("validate"),  # type: ignore[valid-type]
    no_mask: bool = NoMaskOption,
) -> None:
    """Validate complaint events against the complaint-event/v1 schema."""
    try:
        guard_inputs(files).claim_stdout()  # `validate f >> f` would read its own errors back
        run = Validation(files, Plugins(mask_data=False) if no_mask else Plugins())
        FORMATS.render("validate", format_name(fmt), run, sys.stdout)
    except CppolicyError as error:
        sys.stdout.flush()
        raise fail(error) from None
    if run.invalid:
        raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Mount ``validate`` on the ``cppolicy`` app."""
    app.command("validate")(validate)
