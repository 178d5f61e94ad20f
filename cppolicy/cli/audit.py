"""``cppolicy audit``: judge archives of complaint events against rule modules."""

from __future__ import annotations

import sys
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cppolicy.audit import evaluate_archive, read_archive
from cppolicy.cli.options import AS_OF_HELP, CalendarData, Policy, calendar_from, modules_from, parse_as_of
from cppolicy.errors import CppolicyError, InputError
from cppolicy.plugins import Plugins
from cppolicy.events import Quarantine
from cppolicy.render import FORMATS
from cppolicy.trail import TrailWriter, hashing_stdin, input_digests


def _progress(enabled: bool):
    if not enabled:
        return nullcontext(None)
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)


def audit(
    archives: list[str] = typer.Argument(..., metavar="ARCHIVE...", help="JSONL or gzip files; - for stdin."),
    as_of: str = typer.Option(..., "--as-of", help=AS_OF_HELP),
    policy: Optional[list[str]] = Policy,
    fmt: str = typer.Option("table", "--format", "-f", help=f"Output format: {', '.join(FORMATS)}."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    quarantine: Optional[Path] = typer.Option(None, "--quarantine", help="Write invalid lines, with their reason, as JSONL."),
    calendar_data: Optional[list[Path]] = CalendarData,
    lang: str = typer.Option("en", "--lang", help="Language of messages in the table: zh or en."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar (default: when stderr is a terminal)."),
    trail: Optional[Path] = typer.Option(None, "--trail", metavar="FILE",
                                         help="Append this run to a hash-chained audit trail (JSONL); "
                                              "a broken trail is refused. See docs/audit-trail.md."),
) -> None:
    """Audit ARCHIVE... as of a moment; exit 0 clean, 1 violations, 2 input errors, 3 engine
    errors, 4 only undetermined results (see docs/exit-codes.md)."""
    from cppolicy.cli import fail

    try:
        if fmt not in FORMATS:
            raise InputError(f"--format: unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        if lang not in ("zh", "en"):
            raise InputError(f"--lang: {lang!r} is not zh or en")
        moment = parse_as_of(as_of)
        plugins = Plugins()
        modules = modules_from(policy, plugins)
        calendar = calendar_from(calendar_data, plugins)
        show = sys.stderr.isatty() if progress is None else progress
        with ExitStack() as stack:
            # the trail is opened (locked, verified) first: a broken trail fails before any work
            writer = stack.enter_context(TrailWriter(trail, plugins)) if trail else None
            stdin = stack.enter_context(hashing_stdin()) if writer and "-" in archives else None
            sink = stack.enter_context(Quarantine(quarantine))
            bar = stack.enter_context(_progress(show))
            reading = bar.add_task("reading", total=None) if bar else None
            contents = read_archive(archives, on_quarantine=sink.add,
                                    on_line=(lambda: bar.advance(reading)) if bar else None)
            judging = bar.add_task("evaluating", total=len(contents.complaints)) if bar else None
            if writer:
                writer.start_run(command="audit", as_of=moment, modules=modules, calendar=calendar,
                                 inputs=input_digests(archives, stdin))
            report = evaluate_archive(contents, modules, calendar, moment,
                                      on_complaint=(lambda: bar.advance(judging)) if bar else None,
                                      on_result=writer.evaluation if writer else None,
                                      on_archive_result=(lambda r: writer.record(
                                          "archive_evaluation", module={"id": r.module.id, "version": r.module.version,
                                                                        "digest": r.module.digest},
                                          as_of=moment.isoformat(), calendar=calendar.version,
                                          result={"status": r.status, "findings": [
                                              {"code": f.code, "severity": f.severity, "institution_id": f.institution_id,
                                               "due": f.due, "observed": f.observed, "evidence": list(f.evidence)}
                                              for f in r.findings]})) if writer else None)
            if writer:
                writer.finish_run(report.counts(), int(report.exit_code()))
                for error in plugins.sink_errors:
                    if error.hook == "cppolicy_record_trail":
                        print(f"cppolicy: warning: trail sink {error.plugin} failed: {error.error}",
                              file=sys.stderr)
        with (output.open("w", encoding="utf-8") if output else nullcontext(sys.stdout)) as out:
            FORMATS[fmt](report, out, lang)
    except CppolicyError as error:
        raise fail(error) from None
    except OSError as error:
        raise fail(InputError(f"{getattr(error, 'filename', '') or ''}: {error.strerror or error}")) from None
    if report.contents.quarantined:
        where = f" (written to {quarantine})" if quarantine else " (use --quarantine FILE to keep them)"
        print(f"cppolicy: {len(report.contents.quarantined)} line(s) quarantined{where}", file=sys.stderr)
    raise typer.Exit(int(report.exit_code()))


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
