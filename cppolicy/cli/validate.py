"""``cppolicy validate FILE...``: check event archives against complaint-event/v1.

Text output: one ``FILE:LINE: $.path: message [keyword]`` line per error, then a summary line
``checked N events in M files: V valid, I invalid``. JSON output (``--format json``): one
document with the counts and the errors. Exit 0 when every event is valid, 1 when any is
invalid, 2 on usage errors (e.g. a missing file).
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated

import typer

from cppolicy.cli import fail
from cppolicy.errors import CppolicyError, ExitCode
from cppolicy.events import SCHEMA_ID, Invalid, iter_lines, parse_and_validate


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(checked: int, files: int, valid: int, invalid: int) -> str:
    """``checked 120 events in 2 files: 118 valid, 2 invalid``."""
    events, files_ = _plural(checked, "event"), _plural(files, "file")
    return f"checked {events} in {files_}: {valid} valid, {invalid} invalid"


def validate(
    files: Annotated[
        list[str],
        typer.Argument(metavar="FILE", help="JSONL event archives (gzip accepted); '-' reads stdin.",
                       show_default=False),
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text (one line per error) or json.")
    ] = OutputFormat.text,
) -> None:
    """Validate complaint events against the complaint-event/v1 schema."""
    as_json = output_format is OutputFormat.json
    checked = invalid = 0
    errors: list[dict[str, object]] = []
    try:
        for raw in iter_lines(files):
            checked += 1
            result = parse_and_validate(raw)
            if not isinstance(result, Invalid):
                continue
            invalid += 1
            if as_json:
                errors.extend({"source": result.source, "line": result.line, **error.as_dict()}
                              for error in result.errors)
            else:
                for text in result.format_lines():
                    print(text)
    except CppolicyError as error:
        sys.stdout.flush()
        raise fail(error) from None

    valid = checked - invalid
    if as_json:
        document = {"schema": SCHEMA_ID, "files": len(files), "checked": checked, "valid": valid,
                    "invalid": invalid, "errors": errors}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(summary_line(checked, len(files), valid, invalid))
    if invalid:
        raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Mount ``validate`` on the ``cppolicy`` app."""
    app.command("validate")(validate)
