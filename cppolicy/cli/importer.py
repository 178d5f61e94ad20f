"""``cppolicy import NAME FILE``: run an importer plugin and write its events as JSON Lines.

Importers come from plugins (``cppolicy_register_importers``). Every event an importer yields is
validated against complaint-event/v1 before it is written; the command never loses a row
silently:

* A row (a record of the host's file) that the importer could not read, or any of whose events
  is invalid or repeats an event id already written, is **skipped whole** — none of its events
  is written — and reported on stderr, one line per problem::

      cppolicy: error: complaints.csv: row 3: $.data.channel: "fax" is not one of: ...

  The events of the other rows are still written, and the command exits 2 (input errors), as
  ``cppolicy audit`` does when it quarantines lines.
* A problem with the whole file (unreadable, wrong encoding, a bad option) is one error line and
  exit 2; with ``--output`` nothing is written then.
* The last stderr line is a summary: ``imported 12 events from 4 rows``, plus
  ``; skipped 1 of 5 rows (errors above)`` when rows were skipped.

An importer returns an iterator of event dicts. To have its rows reported it may return an
iterator object with these optional attributes (the ``csv`` importer does):

``row``
    the row (a 1-based number, as the host would show it) of the event just yielded; events of
    one row come together. Without it each event is its own unit, reported as ``event N``.
``rows``
    how many rows it read, skipped ones included.
``skipped``
    a growing list of problems in rows it yielded nothing for; each has ``row`` and ``reason``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

import orjson
import typer

from cppolicy.cli import fail
from cppolicy.cli.options import NoMaskOption
from cppolicy.cli.outputs import OutputGuard
from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.events import Invalid, RawLine, parse_and_validate
from cppolicy.plugin import Plugins
from cppolicy.reports.escape import visible

OPTION_HELP = "key=value passed to the importer (repeatable), e.g. --option mapping=columns.yaml."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def parse_options(items: list[str] | None) -> dict[str, str]:
    """``["mapping=m.yaml", "encoding=gb18030"]`` → a dict; a malformed or repeated key is an error."""
    options: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--option: {item!r} is not key=value")
        if key in options:
            raise InputError(f"--option: {key} given twice")
        options[key] = value
    return options


class _Run:
    """Validates what one importer yields, row by row, and writes the rows that pass."""

    def __init__(self, source: str, out: IO[bytes], plugins: Plugins) -> None:
        self.source = source
        self.out = out
        self.plugins = plugins  # masks the values an error message quotes (docs/privacy.md)
        self.seen: dict[str, str] = {}  # event id -> where it was imported from
        self.events = 0
        self.rows_written: set[Any] = set()
        self.skipped: dict[Any, None] = {}  # units skipped, in order
        self.reported = 0  # importer-reported problems printed so far

    def label(self, unit: tuple[str, int]) -> str:
        return f"{unit[0]} {unit[1]}"

    def skip(self, unit: tuple[str, int], problems: list[str]) -> None:
        self.skipped[unit] = None
        for problem in problems:
            print(visible(f"cppolicy: error: {self.source}: {self.label(unit)}: {problem}"), file=sys.stderr)

    def report_importer_skips(self, importer_run: Any) -> None:
        problems = getattr(importer_run, "skipped", None)
        if not problems:
            return
        for problem in problems[self.reported :]:
            self.skip(("row", int(problem.row)), [str(problem.reason)])
        self.reported = len(problems)

    def flush(self, unit: tuple[str, int] | None, docs: list[Any]) -> None:
        if unit is None or not docs:
            return
        problems: list[str] = []
        lines: list[bytes] = []
        ids: dict[str, None] = {}
        for doc in docs:
            if not isinstance(doc, dict):
                problems.append(f"$: the importer yielded {type(doc).__name__}, not an event object")
                continue
            try:
                text = orjson.dumps(doc)
            except TypeError as exc:
                problems.append(f"$: not JSON: {exc}")
                continue
            result = parse_and_validate(RawLine(self.source, unit[1], text.decode("utf-8")))
            if isinstance(result, Invalid):
                shown = self.plugins.mask_invalid(result)
                problems.extend(f"{error.path}: {error.message}" for error in shown.errors)
                continue
            where = self.seen.get(result.event_id) or ("this " + unit[0] if result.event_id in ids else None)
            if where is not None:
                problems.append(f"$.event_id: {result.event_id!r} was already imported from {where}")
                continue
            ids[result.event_id] = None
            lines.append(text + b"\n")
        if problems:
            self.skip(unit, problems)
            return
        for event_id in ids:
            self.seen[event_id] = self.label(unit)
        self.out.write(b"".join(lines))
        self.events += len(lines)
        self.rows_written.add(unit)

    def consume(self, importer_run: Iterator[Any]) -> None:
        unit: tuple[str, int] | None = None
        pending: list[Any] = []
        count = 0
        for doc in importer_run:
            count += 1
            row = getattr(importer_run, "row", None)
            here = ("row", int(row)) if row is not None else ("event", count)
            if here != unit:
                self.flush(unit, pending)
                unit, pending = here, []
            self.report_importer_skips(importer_run)
            pending.append(doc)
        self.flush(unit, pending)
        self.report_importer_skips(importer_run)

    def summary(self, importer_run: Any) -> str:
        """``imported 12 events from 4 rows`` (+ ``; skipped 1 of 5 rows (errors above)``)."""
        rows = getattr(importer_run, "rows", None)
        units = [*self.rows_written, *self.skipped]
        if rows is None and not any(kind == "row" for kind, _ in units):
            text = f"imported {_plural(self.events, 'event')}"
            return text + (
                f"; skipped {_plural(len(self.skipped), 'event')} (errors above)" if self.skipped else ""
            )
        text = f"imported {_plural(self.events, 'event')} from {_plural(len(self.rows_written), 'row')}"
        if self.skipped:
            skipped = (
                f"{len(self.skipped)} of {_plural(rows, 'row')}"
                if rows is not None
                else _plural(len(self.skipped), "row")
            )
            text += f"; skipped {skipped} (errors above)"
        return text


def import_events(
    name: str = typer.Argument(
        ..., metavar="NAME", help="The importer, e.g. csv (an unknown name lists them)."
    ),
    file: Path = typer.Argument(..., metavar="FILE", help="The host's file to import."),
    option: list[str] | None = typer.Option(None, "--option", metavar="KEY=VALUE", help=OPTION_HELP),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the JSONL here instead of stdout."
    ),
    no_mask: bool = NoMaskOption,
) -> None:
    """Convert a host's file to complaint events (JSONL) with an importer plugin; every event is
    validated, and a row with any invalid event is skipped and reported (exit 2)."""
    temporary: Path | None = None
    try:
        options = parse_options(option)
        plugins = Plugins(mask_data=False) if no_mask else Plugins()
        importers = plugins.importers()
        if name not in importers:
            known = (
                ", ".join(sorted(importers)) or "none: install an importer plugin such as cppolicy-csv-import"
            )
            raise InputError(f"unknown importer {name!r} (known: {known})")
        registered = importers[name]
        guard = OutputGuard().read("FILE", [file]).read("--option", options.values())
        guard.claim("--output", output)
        if output is None:
            guard.claim_stdout()
        if output is not None:
            if not output.parent.is_dir():
                raise InputError(f"--output: {output.parent} is not a directory")
            # Written beside the target and renamed at the end: a failed import leaves no half file.
            handle, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
            temporary = Path(temp_name)
            out: IO[bytes] = os.fdopen(handle, "wb")
        else:
            out = sys.stdout.buffer
        run = _Run(str(file), out, plugins)
        try:
            importer_run = registered.importer(file, options)
            run.consume(importer_run)
        except CppolicyError:
            raise
        except OSError as error:
            raise InputError(f"{error.filename or file}: {error.strerror or error}") from None
        except Exception as error:  # noqa: BLE001 — a plugin's failure is one line naming it, never a traceback
            raise InputError(
                f"{file}: importer {name} ({registered.plugin}) failed: {type(error).__name__}: {error}"
            ) from None
        finally:
            if output is not None:
                out.close()
            else:
                out.flush()
        if temporary is not None and output is not None:  # (temporary is only made for --output)
            guard.check_replace("--output", output)
            os.replace(temporary, output)
            temporary = None
    except CppolicyError as error:
        raise fail(error) from None
    except OSError as error:
        raise fail(
            InputError(f"{getattr(error, 'filename', '') or output}: {error.strerror or error}")
        ) from None
    finally:
        if temporary is not None:
            with suppress(OSError):
                temporary.unlink()
    print(run.summary(importer_run), file=sys.stderr)
    if run.skipped:
        raise typer.Exit(int(ExitCode.USAGE))


def register(app: typer.Typer) -> None:
    """Mount ``import`` on the ``cppolicy`` app (the function cannot be called ``import``)."""
    app.command("import")(import_events)
