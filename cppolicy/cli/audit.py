"""``cppolicy audit``: judge archives of complaint events against rule modules.

The options become an :class:`AuditRequest` (plain values, checked), then the objects that work:
the rule modules, the calendar, the observers (quarantine file, trail, progress bar, a report
written as the audit runs, the cross-check), and one run of the archive pipeline
(:func:`~cppolicy.audit.audit_archive`). The report is written through the format registry.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any, cast

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from cppolicy.audit import (
    AuditObserver,
    AuditReport,
    CrossCheck,
    JudgedComplaint,
    QuarantineWriter,
    StreamedContents,
    TrailObserver,
    audit_archive,
)
from cppolicy.audit.pool import JOBS_PER_CPU, max_jobs
from cppolicy.calendar import WorkingDayCalendar
from cppolicy.cli import fail
from cppolicy.cli import formats as _formats  # noqa: F401 — registers the table format
from cppolicy.cli.options import (
    AS_OF_HELP,
    EXCEL_HELP,
    LANG_HELP,
    NO_MASK_HELP,
    CalendarData,
    ModuleOption,
    as_of_option,
    byte_order_mark,
    calendar_from,
    format_name,
    format_option,
    language,
    modules_from,
)
from cppolicy.cli.outputs import OutputGuard, guard_inputs
from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.evaluation.crosscheck import CrossChecker
from cppolicy.plugin import Plugins
from cppolicy.reports import FORMATS, ReportStream
from cppolicy.reports.escape import visible
from cppolicy.rules import RuleModule
from cppolicy.trail import StdinDigest, TrailWriter, hashing_stdin, input_digests

AuditFormat = FORMATS.choices("audit")


@dataclass(frozen=True)
class AuditRequest:
    """What ``cppolicy audit`` was asked, parsed and checked, before anything is opened."""

    archives: list[str]
    as_of: datetime
    fmt: str
    lang: str
    output: Path | None
    quarantine: Path | None
    trail: Path | None
    jobs: int
    isolate: bool
    order: str
    cross_check: bool
    cross_check_sample: float | None
    progress: bool
    #: what the report begins with: a byte-order mark with --excel
    bom: str

    @property
    def streaming(self) -> bool:
        """jsonl and csv to a file are written while the audit runs (the results are not kept)."""
        return FORMATS.get("audit", self.fmt).stream is not None and self.output is not None


def _request(
    archives: list[str],
    as_of: str,
    fmt: str,
    lang: str,
    output: Path | None,
    quarantine: Path | None,
    trail: Path | None,
    jobs: int,
    isolate: bool,
    sorted_input: bool | None,
    cross_check: bool,
    cross_check_sample: float | None,
    progress: bool | None,
    excel: bool,
) -> AuditRequest:
    FORMATS.get("audit", fmt)
    moment = as_of_option(as_of)
    if jobs > max_jobs():
        raise InputError(
            f"--jobs: {jobs} is more than {max_jobs()}, {JOBS_PER_CPU} per CPU of this machine "
            f"(more workers than CPUs only cost memory, docs/performance.md)"
        )
    if cross_check_sample is not None and not 0 < cross_check_sample <= 1:
        raise InputError(f"--cross-check-sample: {cross_check_sample} is not in (0, 1]")
    order = {None: "auto", True: "sorted", False: "unsorted"}[sorted_input]
    if trail and "-" in archives:
        order = "unsorted"  # stdin's digest is known only once it is read: read it all first
    return AuditRequest(
        archives,
        moment,
        fmt,
        language(lang),
        output,
        quarantine,
        trail,
        jobs,
        isolate,
        order,
        cross_check or cross_check_sample is not None,
        cross_check_sample,
        sys.stderr.isatty() if progress is None else progress,
        byte_order_mark(excel, fmt),
    )


class _Progress(AuditObserver):
    """A progress bar on stderr: lines read, then complaints judged."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.reading = bar.add_task("reading", total=None)
        self.judging: Any = None

    def line_read(self) -> None:
        self.bar.advance(self.reading)

    def started(self, contents: StreamedContents) -> None:
        self.judging = self.bar.add_task("evaluating", total=None)

    def complaint_judged(self, judged: JudgedComplaint) -> None:
        self.bar.advance(self.judging)


def _progress(enabled: bool) -> AbstractContextManager[Progress | None]:
    if not enabled:
        return nullcontext(None)
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


class _Spool(io.TextIOWrapper):
    """The temporary file of a report written while the audit runs: a write that fails (a full
    ``TMPDIR``) names the folder, where the operating system's error names no file."""

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except OSError as exc:
            raise _spool_error(exc) from None

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            raise _spool_error(exc) from None

    def close(self) -> None:  # it flushes what is buffered (and closes the file even if that fails)
        try:
            super().close()
        except OSError as exc:
            raise _spool_error(exc) from None


def _spool_error(exc: OSError) -> InputError:
    return InputError(
        f"{tempfile.gettempdir()} (TMPDIR): cannot write the report there before it is copied to "
        f"its file ({exc.strerror or exc}); free space there or set TMPDIR to a folder with room"
    )


@contextmanager
def _report_file(path: Path, guard: OutputGuard) -> Iterator[IO[str]]:
    """A file for a report written while the audit runs: an unnamed temporary file (``TMPDIR``),
    copied into ``path`` when the audit has succeeded, so ``path`` is opened and written exactly
    as a report written at the end would be (created, or truncated in place: its mode, owner and
    links kept; nothing written, nothing truncated if the audit fails)."""
    with _Spool(tempfile.TemporaryFile("w+b"), encoding="utf-8") as spool:
        yield spool
        spool.flush()
        spool.seek(0)
        with guard.open("--output", path) as out:
            # typeshed types a TextIOWrapper's buffer as a protocol whose read() returns a Buffer; a
            # TemporaryFile's is a BufferedRandom, whose read() returns bytes
            shutil.copyfileobj(cast(IO[bytes], spool.buffer), out, 1 << 20)


def _run(
    request: AuditRequest,
    modules: list[RuleModule],
    calendar: WorkingDayCalendar,
    plugins: Plugins,
    calendar_data: list[Path],
    guard: OutputGuard,
) -> tuple[AuditReport, CrossChecker | None]:
    """The audit with its observers; files are closed in order (the report reaches its file only
    once the trail and the quarantine file are closed without error)."""
    checker = (
        CrossChecker(modules, calendar, as_of=request.as_of, sample=request.cross_check_sample)
        if request.cross_check
        else None
    )
    with ExitStack() as stack:
        observers: list[AuditObserver] = []
        if request.streaming:  # entered first, left last
            assert request.output is not None
            fmt = FORMATS.get("audit", request.fmt)
            assert fmt.stream is not None
            out = fmt.output(stack.enter_context(_report_file(request.output, guard)))
            out.write(request.bom)
            observers.append(ReportStream(fmt.stream(out, request.lang)))
        if request.trail:  # opened (locked, verified) first: a broken trail fails before any work
            writer = stack.enter_context(TrailWriter(request.trail, plugins))
            stdin: StdinDigest | None = (
                stack.enter_context(hashing_stdin()) if "-" in request.archives else None
            )
            observers.append(
                TrailObserver(
                    writer,
                    modules=modules,
                    calendar=calendar.version,
                    as_of=request.as_of,
                    inputs=lambda: input_digests(request.archives, stdin),
                )
            )
        observers.append(
            stack.enter_context(QuarantineWriter(guard.open("--quarantine", request.quarantine)))
            if request.quarantine
            else AuditObserver()
        )
        bar = stack.enter_context(_progress(request.progress))
        if bar is not None:
            observers.append(_Progress(bar))
        if checker is not None:
            observers.append(CrossCheck(checker))
        report = audit_archive(
            request.archives,
            modules,
            calendar,
            request.as_of,
            jobs=request.jobs,
            isolate=request.isolate,
            order=request.order,
            calendar_files=[str(f) for f in calendar_data],
            plugins=plugins,
            observers=observers,
            keep="none" if request.streaming else "slim",
        )
    return report, checker


def _guard(request: AuditRequest, modules: list[RuleModule], calendar_data: list[Path] | None) -> OutputGuard:
    """Every output checked against every input (and each other) before any is opened."""
    guard = guard_inputs(request.archives, calendar_data, modules)
    guard.claim("--output", request.output).claim("--quarantine", request.quarantine)
    guard.claim("--trail", request.trail)
    return guard if request.output else guard.claim_stdout()


def _warn_sink_errors(plugins: Plugins) -> None:
    """One line per failing sink plugin and hook (with how often it failed)."""
    failures: dict[tuple[str, str], list[BaseException]] = {}
    for error in plugins.sink_errors:
        failures.setdefault((error.hook, error.plugin), []).append(error.error)
    for (hook, plugin), errors in failures.items():
        kind = {"cppolicy_record_trail": "trail", "cppolicy_handle_finding": "finding"}.get(hook, hook)
        times = f" ({len(errors)} times)" if len(errors) > 1 else ""
        print(visible(f"cppolicy: warning: {kind} sink {plugin} failed: {errors[0]}{times}"), file=sys.stderr)


def _report_cross_check(checker: CrossChecker) -> int:
    """Print the disagreements and the tally on stderr; the number of disagreements."""
    for disagreement in checker.disagreements:
        print(visible(disagreement.describe()), file=sys.stderr)
    s = checker.summary()
    sample = f" (sample {s['sample']}: {s['not_sampled']} not drawn)" if s["sample"] is not None else ""
    print(
        f"cppolicy: cross-check: {s['checked']} evaluations checked, {s['agreed']} agree, {s['disagreed']} "
        f"disagree, {s['unsupported']} not checkable{sample}",
        file=sys.stderr,
    )
    return len(checker.disagreements)


_JOBS_HELP = (
    "Evaluate in N worker processes (1: one, or this process with --in-process). The report is the same "
    "for any N. A worker "
    "that crashes costs only the complaints it was evaluating: they are retried in halves, down to one "
    "complaint in a fresh process, and one that crashes alone is reported as an error. At most 4 per CPU "
    "of this machine: more is refused with exit 2."
)
_ORDER_HELP = (
    "--sorted: the input is sorted by complaint id; it streams (memory bounded by one complaint) and "
    "the audit fails at the first line out of order. --unsorted: spill the events to a temporary "
    "database (TMPDIR) and read them back by complaint. Default: stream files a pre-scan finds "
    "sorted, spill the rest (and stdin)."
)
_TRAIL_HELP = (
    "Append this run to a hash-chained audit trail (JSONL); a broken trail is refused. "
    "See docs/audit-trail.md."
)
_CHECK_HELP = (
    "Re-judge the complaints with the independent pure-Python evaluator and report any disagreement "
    "with durable_rules (docs/cross-check.md)."
)
_SAMPLE_HELP = "Cross-check only this fraction (0 < FRACTION <= 1) of the complaints, drawn reproducibly."

Archives = Annotated[
    list[str], typer.Argument(metavar="ARCHIVE...", help="JSONL or gzip files; - for stdin.")
]
AsOf = Annotated[str, typer.Option("--as-of", help=AS_OF_HELP)]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
]
Quarantine = Annotated[
    Path | None, typer.Option("--quarantine", help="Write invalid lines, with their reason, as JSONL.")
]
Lang = Annotated[str, typer.Option("--lang", help=LANG_HELP)]
ShowProgress = Annotated[
    bool | None,
    typer.Option("--progress/--no-progress", help="Progress bar (default: when stderr is a terminal)."),
]
Trail = Annotated[Path | None, typer.Option("--trail", metavar="FILE", help=_TRAIL_HELP)]
Jobs = Annotated[int, typer.Option("--jobs", "-j", min=1, metavar="N", help=_JOBS_HELP)]
_ISOLATE_HELP = (
    "With --jobs 1, evaluate in one worker process (the default): a complaint that crashes the engine "
    "(durable_rules' C core is not memory-safe) is then an error finding, as with --jobs N, not the end "
    "of the audit. --in-process evaluates in this process, with less CPU, but such a crash ends the "
    "audit with no report (docs/performance.md)."
)
Isolate = Annotated[bool, typer.Option("--isolate/--in-process", help=_ISOLATE_HELP)]
Order = Annotated[bool | None, typer.Option("--sorted/--unsorted", help=_ORDER_HELP)]
CrossCheckOption = Annotated[bool, typer.Option("--cross-check", help=_CHECK_HELP)]
Excel = Annotated[bool, typer.Option("--excel", help=EXCEL_HELP)]
NoMask = Annotated[bool, typer.Option("--no-mask", help=NO_MASK_HELP)]
Sample = Annotated[float | None, typer.Option("--cross-check-sample", metavar="FRACTION", help=_SAMPLE_HELP)]


def audit(
    archives: Archives,
    as_of: AsOf,
    module: list[str] | None = ModuleOption,
    fmt: AuditFormat = format_option("audit"),  # type: ignore[valid-type]
    output: Output = None,
    quarantine: Quarantine = None,
    calendar_data: list[Path] | None = CalendarData,
    lang: Lang = "en",
    progress: ShowProgress = None,
    trail: Trail = None,
    jobs: Jobs = 1,
    isolate: Isolate = True,
    sorted_input: Order = None,
    cross_check: CrossCheckOption = False,
    cross_check_sample: Sample = None,
    excel: Excel = False,
    no_mask: NoMask = False,
) -> None:
    """Audit ARCHIVE... as of a moment; exit 0 clean, 1 violations, 2 input errors, 3 engine
    errors, 4 only undetermined results, 5 nothing judged (see docs/exit-codes.md)."""
    try:
        request = _request(
            archives,
            as_of,
            format_name(fmt),
            lang,
            output,
            quarantine,
            trail,
            jobs,
            isolate,
            sorted_input,
            cross_check,
            cross_check_sample,
            progress,
            excel,
        )
        plugins = Plugins(mask_data=False) if no_mask else Plugins()
        modules = modules_from(module, plugins)
        calendar = calendar_from(calendar_data, plugins)
        guard = _guard(request, modules, calendar_data)
        report, checker = _run(request, modules, calendar, plugins, list(calendar_data or []), guard)
        _warn_sink_errors(plugins)
        disagreements = _report_cross_check(checker) if checker is not None else 0
        if not request.streaming:
            with guard.open_text("--output", output) if output else nullcontext(sys.stdout) as out:
                out.write(request.bom)
                FORMATS.render("audit", request.fmt, report, out, request.lang)
    except CppolicyError as error:
        raise fail(error) from None
    if report.contents.quarantined:
        where = f" (written to {quarantine})" if quarantine else " (use --quarantine FILE to keep them)"
        print(f"cppolicy: {len(report.contents.quarantined)} line(s) quarantined{where}", file=sys.stderr)
    code = report.exit_code()
    if disagreements and code != ExitCode.USAGE:
        code = ExitCode.EVALUATION_ERROR  # an engine result the cross-check contradicts is not to be trusted
    if report.judged_nothing:
        print(_nothing_judged(report, code), file=sys.stderr)
    raise typer.Exit(int(code))


def _nothing_judged(report: AuditReport, code: ExitCode) -> str:
    """The stderr line of an audit that judged nothing, saying why and the exit code it really
    ends with (an input problem's 2 comes before 5, docs/exit-codes.md)."""
    counts = report.counts()
    if not counts["lines"]:
        why = "the input holds no event"
    elif not counts["complaints"]:
        why = f"none of its {counts['lines']} line(s) is an accepted complaint event"
    else:
        why = f"no selected rule module judges any of its {counts['complaints']} complaint(s)"
    return f"cppolicy: nothing judged: {why}; this is not a clean audit (exit {int(code)})"


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
