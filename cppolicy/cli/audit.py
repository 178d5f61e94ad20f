"""``cppolicy audit``: judge archives of complaint events against rule modules."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import Optional, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cppolicy.audit import read_archive, audit_archive
from cppolicy.cli.options import AS_OF_HELP, CalendarData, Policy, calendar_from, modules_from, parse_as_of
from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.plugins import Plugins
from cppolicy.events import Quarantine
from cppolicy.render import FORMATS, STREAMS
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
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, metavar="N",
                             help="Evaluate in N worker processes (1: in this process). The report is the "
                                  "same for any N. A worker that crashes costs only the complaints it was "
                                  "evaluating: they are retried in halves, down to one complaint in a fresh process, "
                                  "and one that crashes alone is reported as an error."),
    isolate: bool = typer.Option(False, "--isolate",
                                 help="Evaluate in a worker process even with --jobs 1 (crash isolation)."),
    sorted_input: Optional[bool] = typer.Option(
        None, "--sorted/--unsorted",
        help="--sorted: the input is sorted by complaint id; it streams (memory bounded by one complaint) and "
             "the audit fails at the first line out of order. --unsorted: spill the events to a temporary "
             "database (TMPDIR) and read them back by complaint. Default: stream files a pre-scan finds "
             "sorted, spill the rest (and stdin)."),
    cross_check: bool = typer.Option(False, "--cross-check",
                                     help="Re-judge the complaints with the independent pure-Python evaluator "
                                          "and report any disagreement with durable_rules (docs/cross-check.md)."),
    cross_check_sample: Optional[float] = typer.Option(
        None, "--cross-check-sample", metavar="FRACTION",
        help="Cross-check only this fraction (0 < FRACTION <= 1) of the complaints, drawn reproducibly."),
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
        checking = cross_check or cross_check_sample is not None
        if cross_check_sample is not None and not 0 < cross_check_sample <= 1:
            raise InputError(f"--cross-check-sample: {cross_check_sample} is not in (0, 1]")
        if checking and "-" in archives:
            raise InputError("--cross-check reads the archive a second time: give files, not stdin")
        plugins = Plugins()
        modules = modules_from(policy, plugins)
        calendar = calendar_from(calendar_data, plugins)
        show = sys.stderr.isatty() if progress is None else progress
        order = {None: "auto", True: "sorted", False: "unsorted"}[sorted_input]
        # jsonl and csv to a file are written while the audit runs (the results are not kept for
        # the end); the cross-check re-reads the results, so it keeps them
        streaming = fmt in STREAMS and output is not None and not checking
        if trail and "-" in archives:
            order = "unsorted"  # stdin's digest is known only once it is read: read it all first
        with ExitStack() as stack:
            # entered first, left last: the report reaches its file only once the trail and the
            # quarantine file are closed without error
            stream = STREAMS[fmt](stack.enter_context(_report_file(output)), lang) if streaming else None
            # the trail is opened (locked, verified) first: a broken trail fails before any work
            writer = stack.enter_context(TrailWriter(trail, plugins)) if trail else None
            stdin = stack.enter_context(hashing_stdin()) if writer and "-" in archives else None
            sink = stack.enter_context(Quarantine(quarantine))
            bar = stack.enter_context(_progress(show))
            reading = bar.add_task("reading", total=None) if bar else None
            judging = []

            def start(contents) -> None:
                if bar:
                    judging.append(bar.add_task("evaluating", total=None))
                if writer:
                    writer.start_run(command="audit", as_of=moment, modules=modules, calendar=calendar,
                                     inputs=input_digests(archives, stdin))

            report = audit_archive(
                archives, modules, calendar, moment, jobs=jobs, isolate=isolate, order=order,
                calendar_files=[str(f) for f in calendar_data or []], trail=writer,
                on_quarantine=sink.add, on_line=(lambda: bar.advance(reading)) if bar else None,
                on_start=start, on_complaint=(lambda: bar.advance(judging[0])) if bar else None,
                on_result=stream.result if stream else None, keep_results=stream is None,
                on_archive_result=(lambda r: writer.record(
                    "archive_evaluation", module={"id": r.module.id, "version": r.module.version,
                                                  "digest": r.module.digest},
                    as_of=moment.isoformat(), calendar=calendar.version,
                    result={"status": r.status, "findings": [
                        {"code": f.code, "severity": f.severity, "institution_id": f.institution_id,
                         "due": f.due, "observed": f.observed, "evidence": list(f.evidence)}
                        for f in r.findings]})) if writer else None)
            if stream:
                stream.finish(report)
            if writer:
                writer.finish_run(report.counts(), int(report.exit_code()))
                for error in plugins.sink_errors:
                    if error.hook == "cppolicy_record_trail":
                        print(f"cppolicy: warning: trail sink {error.plugin} failed: {error.error}",
                              file=sys.stderr)
        disagreements = _cross_check(archives, modules, calendar, moment, report, cross_check_sample) \
            if checking else 0
        if not streaming:
            with (output.open("w", encoding="utf-8") if output else nullcontext(sys.stdout)) as out:
                FORMATS[fmt](report, out, lang)
    except CppolicyError as error:
        raise fail(error) from None
    except OSError as error:
        raise fail(InputError(f"{getattr(error, 'filename', '') or ''}: {error.strerror or error}")) from None
    if report.contents.quarantined:
        where = f" (written to {quarantine})" if quarantine else " (use --quarantine FILE to keep them)"
        print(f"cppolicy: {len(report.contents.quarantined)} line(s) quarantined{where}", file=sys.stderr)
    code = report.exit_code()
    if disagreements and code != ExitCode.USAGE:
        code = ExitCode.EVALUATION_ERROR  # an engine result the cross-check contradicts is not to be trusted
    raise typer.Exit(int(code))


@contextmanager
def _report_file(path: Path) -> Iterator[TextIO]:
    """A file for a report written while the audit runs: an unnamed temporary file (``TMPDIR``),
    copied into ``path`` when the audit has succeeded, so ``path`` is opened and written exactly
    as a report written at the end would be (created, or truncated in place: its mode, owner and
    links kept; nothing written, nothing truncated if the audit fails)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        yield spool
        spool.flush()
        spool.seek(0)
        with path.open("wb") as out:
            shutil.copyfileobj(spool.buffer, out, 1 << 20)


def _cross_check(archives, modules, calendar, moment, report, sample) -> int:
    """Re-judge the audited complaints (all, or a reproducible sample) with the independent
    evaluator, after the audit (any --jobs), reading the archive again; print disagreements."""
    from cppolicy.crosscheck import CrossChecker

    checker = CrossChecker(modules, calendar, as_of=moment, sample=sample)
    contents = read_archive(archives)
    for result in report.results:
        events = contents.complaints.get(result.complaint_id)
        if events is not None and result.status != "error":
            checker.check_result(result, events)
    for result in report.archive_results:
        checker.check_archive_result(result)
    for disagreement in checker.disagreements:
        print(disagreement.describe(), file=sys.stderr)
    s = checker.summary()
    sample = f" (sample {s['sample']}: {s['not_sampled']} not drawn)" if s["sample"] is not None else ""
    print(f"cppolicy: cross-check: {s['checked']} evaluations checked, {s['agreed']} agree, {s['disagreed']} "
          f"disagree, {s['unsupported']} not checkable{sample}", file=sys.stderr)
    return len(checker.disagreements)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
