"""``cppolicy explain``: the reasoning behind one complaint's findings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import orjson
import typer

from cppolicy.audit import read_archive
from cppolicy.cli.options import AS_OF_HELP, CalendarData, Policy, calendar_from, modules_from, parse_as_of
from cppolicy.selection import modules_for
from cppolicy.errors import CppolicyError, InputError
from cppolicy.plugins import Plugins
from cppolicy.explain import explain_complaint, render_text


def explain(
    complaint_id: str = typer.Argument(..., help="The complaint to explain."),
    archives: list[str] = typer.Argument(..., metavar="ARCHIVE...", help="JSONL or gzip files; - for stdin."),
    as_of: str = typer.Option(..., "--as-of", help=AS_OF_HELP),
    policy: Optional[list[str]] = Policy,
    lang: str = typer.Option("en", "--lang", help="zh or en."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    calendar_data: Optional[list[Path]] = CalendarData,
) -> None:
    """Show COMPLAINT_ID's timeline, each clock (start, unit, rest days skipped, deadline) and
    each rule's outcome with its citation. Exit 0, or 2 when the complaint is not in the input."""
    from cppolicy.cli import fail

    try:
        if lang not in ("zh", "en"):
            raise InputError(f"--lang: {lang!r} is not zh or en")
        if fmt not in ("text", "json"):
            raise InputError(f"--format: {fmt!r} is not text or json")
        moment = parse_as_of(as_of)
        plugins = Plugins()
        modules = modules_from(policy, plugins)
        calendar = calendar_from(calendar_data, plugins)
        contents = read_archive(archives)
        events = contents.complaints.get(complaint_id)
        if not events:
            raise InputError(f"complaint {complaint_id!r} has no valid event in {', '.join(archives)}")
        chosen, _ = modules_for(modules, events)
        if not chosen:
            raise InputError(f"no selected rule module is in force on complaint {complaint_id!r}'s receipt date")
        docs = [explain_complaint(complaint_id, events, m, calendar, moment) for m in chosen]
    except CppolicyError as error:
        raise fail(error) from None
    if fmt == "json":
        sys.stdout.write(orjson.dumps(docs if len(docs) > 1 else docs[0], option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write("\n".join(render_text(doc, lang) for doc in docs))
    if contents.quarantined:
        print(f"cppolicy: {len(contents.quarantined)} invalid line(s) in the input were ignored "
              f"(run `cppolicy validate` to list them)", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)
