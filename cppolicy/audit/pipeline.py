"""The one archive pipeline: read → validate → group per complaint → judge → results → observers.

:func:`audit_archive` serves every surface that judges an archive — ``cppolicy audit``, the
half-yearly report, ``explain``, ``impact`` and hosts calling it — in one code path:

1. **Reading.** Files go through :class:`~cppolicy.audit.reading.ArchiveReader`: every line is
   accepted or quarantined with its reason. An archive sorted by complaint id is judged complaint
   by complaint as it is read (memory bounded by one complaint); any other (and stdin) is first
   spilled to a temporary SQLite database and read back by complaint. An input that is not a
   regular file (a pipe, a FIFO, ``<(…)``) is first copied to a temporary file, in one read, and
   the copy is pre-scanned and read
   (:class:`~cppolicy.audit.spill.Spill`). Already-read :class:`ArchiveContents` are judged as they
   are.
2. **Judging.** Each complaint is judged by the one :class:`~cppolicy.evaluation.judge.Judge`, in
   this process (``jobs=1``) or in worker processes (:mod:`cppolicy.audit.pool`); the results are
   the same, in the same order, either way. A complaint that kills its worker twice is an
   ``error`` judgement (:meth:`~cppolicy.evaluation.judge.Judge.failed`).
3. **Results.** Kept as ``keep`` says (:data:`~cppolicy.audit.contents.Keep`), and handed, with the
   complaint's events when they are at hand, to every observer
   (:class:`~cppolicy.audit.observers.AuditObserver`): the audit trail, the finding hook, the
   quarantine file, the cross-check, a report written as the audit runs, a progress bar.
4. **Archive scope.** Once every line is read, each module's archive-scope rules (reports to the
   regulator, large-scale complaints) are judged over the whole archive — only when the input
   carries institution-level events (an export of complaint events alone says nothing about
   reports made to the regulator, and absence of data is not a breach: the report says they were
   not judged).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import orjson

from cppolicy.audit.contents import ArchiveContents, AuditReport, Keep, StreamedContents, complaint_status
from cppolicy.audit.observers import AuditObserver, FindingHook, JudgedComplaint, TrailObserver, overrides
from cppolicy.audit.pool import Crashed, Pool
from cppolicy.audit.reading import ArchiveReader, sorted_by_complaint
from cppolicy.audit.spill import ResultSpill, Row, Spill, StreamedResults
from cppolicy.audit.summaries import ComplaintSummaries, Interner
from cppolicy.audit.workers import WORKER_NICE, WorkerSetup, WorkerSpec, fewer_collections
from cppolicy.calendar import WorkingDayCalendar
from cppolicy.errors import InputError
from cppolicy.evaluation import (
    ArchiveResult,
    ComplaintResult,
    Judge,
    Judgement,
    Selector,
    engine_version,
    evaluate_archive_scope,
    modules_for,
    newest_versions,
    slim_result,
)
from cppolicy.events import Event, Invalid, RawLine, readable_twice, revive
from cppolicy.plugin import Plugins
from cppolicy.rules import RuleModule
from cppolicy.trail import ComplaintInput, TrailWriter, complaint_input, input_digests

#: A complaint as it leaves reading: its id, its events (when at hand) and its lines (for workers).
Group = tuple[str, "list[Event] | None", "list[Row] | None"]

_STEPS = ("line_read", "quarantined", "started", "complaint_judged", "archive_judged", "finished")


@fewer_collections()
def audit_archive(
    source: Sequence[str] | ArchiveContents,
    modules: Sequence[RuleModule],
    calendar: WorkingDayCalendar,
    as_of: datetime,
    *,
    jobs: int = 1,
    isolate: bool = False,
    order: str = "auto",
    only: Collection[str] | None = None,
    keep: Keep = "slim",
    archive_scope: bool = True,
    observers: Sequence[AuditObserver] = (),
    trail: TrailWriter | None = None,
    plugins: Plugins | None = None,
    select: Selector = modules_for,
    supersede: bool = True,
    spill_dir: str | None = None,
    calendar_files: Sequence[str | Path] | None = None,
    worker_setup: WorkerSetup | None = None,
) -> AuditReport:
    """Judge an archive as of ``as_of`` (aware) by ``modules`` on ``calendar``; see the module docstring.

    ``source``: archive files (JSON Lines, plain or gzip; ``-`` for stdin), or contents already
    read (:func:`~cppolicy.audit.reading.read_archive`). ``order`` (files): ``sorted`` streams and
    fails (InputError) at the first complaint event out of complaint-id order; ``unsorted`` always
    spills; ``auto`` streams files that a pre-scan finds sorted and spills the rest (stdin is
    always spilled: it cannot be read twice). ``only``: judge these complaints only (the others
    are read, validated and counted, not judged). ``keep``: see
    :data:`~cppolicy.audit.contents.Keep`. ``archive_scope=False`` leaves the archive-scope rules
    out. ``jobs``: 1 judges in this process (unless ``isolate``), more in that many worker
    processes. ``trail``: an open :class:`~cppolicy.trail.TrailWriter` to which the audit is
    appended as one run (``run_started`` … ``run_finished``). ``plugins``: their
    ``cppolicy_handle_finding`` implementations receive every finding, and quarantined lines are
    masked by their ``cppolicy_mask_payload`` (default: the built-in masker). ``select`` and
    ``supersede``: how the :class:`~cppolicy.evaluation.judge.Judge` chooses and reads the modules
    (``select`` must be a module-level function when ``jobs`` > 1). ``calendar_files``: the
    calendar's data files, for the workers (default: the calendar's own). ``worker_setup``: see
    :data:`~cppolicy.audit.workers.WorkerSetup`.
    """
    if order not in ("auto", "sorted", "unsorted"):
        raise ValueError(f"order: {order!r}")
    if keep not in ("full", "slim", "none"):
        raise ValueError(f"keep: {keep!r}")
    paths = list(source) if not isinstance(source, ArchiveContents) else []
    watchers = list(observers)
    if plugins is not None and plugins.has_impl("cppolicy_handle_finding"):
        watchers.append(FindingHook(plugins))
    if trail is not None:
        digests = lambda: input_digests(paths, stdin=None)  # noqa: E731
        watchers.append(
            TrailObserver(trail, modules=modules, calendar=calendar.version, as_of=as_of, inputs=digests)
        )
    judge = Judge(modules, calendar, select=select, supersede=supersede)
    audit = _ArchiveAudit(modules, calendar, as_of, judge, watchers, keep=keep, only=only,
                          archive_scope=archive_scope, spill_dir=spill_dir)  # fmt: skip
    audit.mask = (plugins if plugins is not None else Plugins(load_entry_points=False)).mask_invalid
    if jobs > 1 or isolate:
        files = calendar.data_files if calendar_files is None else tuple(str(f) for f in calendar_files)
        audit.spec = WorkerSpec(
            modules=tuple((str(m.path), m.data, m.digest) for m in modules), calendar_files=tuple(map(str, files)),
            calendar_version=calendar.version, as_of=as_of, sources=(), select=select, supersede=supersede,
            slim=keep != "full", inputs=audit.inputs, setup=worker_setup, nice=WORKER_NICE if jobs > 1 else 0,
        )  # fmt: skip
        audit.jobs = jobs
    if isinstance(source, ArchiveContents):
        return audit.run_contents(source)
    return audit.run_files(paths, order)


class _ArchiveAudit:
    """One run of the pipeline: its settings, its state, its steps (see the module docstring)."""

    def __init__(
        self,
        modules: Sequence[RuleModule],
        calendar: WorkingDayCalendar,
        as_of: datetime,
        judge: Judge,
        observers: list[AuditObserver],
        *,
        keep: Keep,
        only: Collection[str] | None,
        archive_scope: bool,
        spill_dir: str | None,
    ) -> None:
        self.modules, self.calendar, self.as_of, self.judge = list(modules), calendar, as_of, judge
        self.keep, self.only, self.spill_dir = keep, only, spill_dir
        # one version per module id: the institution-level events have no receipt date to choose by
        self.archive_modules = (
            newest_versions(m for m in modules if m.rules_in("archive")) if archive_scope else []
        )
        self.observers = observers
        self.steps: dict[str, list[Callable[..., None]]] = {
            name: [getattr(o, name) for o in observers if overrides(o, name)] for name in _STEPS
        }
        self.needs_events = any(o.needs_events for o in observers)
        self.inputs = any(o.needs_inputs for o in observers)
        self.spec: WorkerSpec | None = None
        self.jobs = 1
        self.interner = Interner()
        self.early: list[ArchiveResult] | None = None  # judged while the workers finish (see Pool.run)
        self.sources: Sequence[str] = ()
        self.reader: ArchiveReader | None = None
        self.summaries: ComplaintSummaries | None = None
        self.contents: ArchiveContents = ArchiveContents()
        self.report: AuditReport
        self.mask: Callable[[Invalid], Invalid] | None = None

    # -- the two sources ----------------------------------------------------------------------

    def run_files(self, paths: list[str], order: str) -> AuditReport:
        # a pipe or a FIFO is read once, into a copy that the pre-scan, the reading and the
        # trail's digest all read
        with readable_twice(paths, self.spill_dir):
            return self._run_files(paths, order)

    def _run_files(self, paths: list[str], order: str) -> AuditReport:
        contents = StreamedContents(files=len(paths))
        self.begin(contents, paths)
        self.summaries = ComplaintSummaries(self.as_of) if self.archive_modules else None
        self.reader = ArchiveReader(
            paths,
            contents,
            spill_dir=self.spill_dir,
            on_line=self._each("line_read"),
            on_quarantine=self._each("quarantined"),
            mask=self.mask,
        )
        spill: Spill | None = None
        pool = self._pool()
        try:
            if (
                pool is not None
            ):  # started now: they load their modules while the archive is pre-scanned and read
                pool.start()
            if order == "auto":
                order = "unsorted" if "-" in paths or not sorted_by_complaint(paths) else "sorted"
            contents.mode = "sorted" if order == "sorted" else "spilled"
            if order == "sorted":
                groups: Iterable[Group] = self._sorted_groups(
                    keep_events=pool is None, keep_rows=pool is not None
                )
            else:
                spill = Spill(self.spill_dir)
                index = self.reader.index
                for event, raw in self._accepted():
                    spill.add(event.complaint_id, index[raw.source], raw.line, raw.data)  # type: ignore[arg-type]
                self.reader.close()
                groups = ((cid, None, rows) for cid, rows in spill.groups())
            self._notify("started", contents)
            self._judge_all(groups, pool)
        finally:
            self.reader.close()
            if spill is not None:
                spill.close()
            if pool is not None:
                pool.close()
        return self.end()

    def run_contents(self, contents: ArchiveContents) -> AuditReport:
        complaints = contents.complaints
        self.begin(contents, sorted({e.source for events in complaints.values() for e in events}))
        pool = self._pool()
        index = {source: i for i, source in enumerate(self.sources)}
        wanted = complaints if self.only is None else {c: e for c, e in complaints.items() if c in self.only}
        groups = (
            (cid, events, [(index[e.source], e.line, orjson.dumps(e.raw)) for e in events] if pool else None)
            for cid, events in wanted.items()
        )
        try:
            if pool is not None:
                pool.start()
            self._notify("started", contents)
            self._judge_all(groups, pool)
        finally:
            if pool is not None:
                pool.close()
        return self.end()

    def begin(self, contents: ArchiveContents, sources: Sequence[str]) -> None:
        self.contents, self.sources = contents, sources
        results: list[ComplaintResult] | ResultSpill | StreamedResults = (
            []
            if self.keep == "full"
            else ResultSpill(directory=self.spill_dir)
            if self.keep == "slim"
            else StreamedResults()
        )
        self.report = AuditReport(
            as_of=self.as_of,
            modules=self.modules,
            calendar_version=self.calendar.version,
            engine=engine_version(),
            results=results,
            contents=contents,
        )

    def _pool(self) -> Pool | None:
        if self.spec is None:
            return None
        self.spec = replace(self.spec, sources=tuple(self.sources))
        return Pool(self.spec, self.jobs)

    # -- reading ------------------------------------------------------------------------------

    def _accepted(self) -> Iterator[tuple[Event, RawLine]]:
        """The reader's complaint events, counted and summarised; those of ``only``."""
        assert self.reader is not None and isinstance(self.contents, StreamedContents)
        contents, summaries, only = self.contents, self.summaries, self.only
        for event, raw in self.reader.accepted():
            contents.streamed_events += 1
            if summaries is not None:
                summaries.add(event)
            if only is None or event.complaint_id in only:
                yield event, raw

    def _sorted_groups(self, keep_events: bool, keep_rows: bool) -> Iterator[Group]:
        assert self.reader is not None
        current: str | None = None
        events: list[Event] = []
        rows: list[Row] = []
        index = self.reader.index
        for event, raw in self._accepted():
            complaint_id = event.complaint_id
            assert complaint_id is not None
            if complaint_id != current:
                if current is not None:
                    if complaint_id < current:
                        raise InputError(
                            f"{raw.source}:{raw.line}: the input is not sorted by complaint id ({complaint_id!r} "
                            f"after {current!r}); audit it without --sorted to spill it to a temporary database"
                        )
                    yield current, events if keep_events else None, rows if keep_rows else None
                current, events, rows = complaint_id, [], []
            if keep_events:
                events.append(event)
            if keep_rows:
                rows.append((index[raw.source], raw.line, raw.data))  # type: ignore[arg-type]  # read from a file
        if current is not None:
            yield current, events if keep_events else None, rows if keep_rows else None

    def _events_of(self, rows: list[Row]) -> list[Event]:
        sources = self.sources
        return [revive(data, sources[src], line) for src, line, data in rows]

    # -- judging ------------------------------------------------------------------------------

    def _judge_all(self, groups: Iterable[Group], pool: Pool | None) -> None:
        judge, as_of, inputs = self.judge, self.as_of, self.inputs
        if pool is None:
            for complaint_id, events, rows in groups:
                if events is None:
                    events = self._events_of(rows or [])
                judgement = judge.judge(complaint_id, events, as_of)
                self._judged(
                    judgement, events, complaint_input(events, as_of) if inputs else None, slim=False
                )
            return
        for complaint_id, rows, outcome in pool.run(
            ((cid, rows or []) for cid, _, rows in groups), on_exhausted=self._judge_archive_early
        ):
            if isinstance(outcome, Crashed):
                events = self._events_of(rows)
                judgement = judge.failed(complaint_id, events, as_of, outcome.detail())
                self._judged(
                    judgement, events, complaint_input(events, as_of) if inputs else None, slim=False
                )
            else:
                judgement, complaint = outcome
                events = self._events_of(rows) if self.needs_events else None
                self._judged(judgement, events, complaint, slim=self.keep != "full")
        pool.close()  # (idempotent)

    def _judged(
        self,
        judgement: Judgement,
        events: Sequence[Event] | None,
        complaint: ComplaintInput | None,
        slim: bool,
    ) -> None:
        """Count a complaint's judgement, keep its results, and tell the observers."""
        report = self.report
        if isinstance(self.contents, StreamedContents):
            self.contents.streamed_complaints += 1
        if judgement.skipped:
            report.skipped[judgement.skipped] += 1
        report.complaint_statuses[complaint_status([r.status for r in judgement.results])] += 1
        keep = self.keep
        for result in judgement.results:
            if keep != "full":
                if not slim:
                    result = slim_result(result)
                if keep == "slim":  # kept until the report is written: equal dicts shared
                    result = self.interner.result(result)
            report.results.append(result)
        for observe in self.steps["complaint_judged"]:
            observe(JudgedComplaint(judgement, events, complaint))

    # -- the archive scope and the end --------------------------------------------------------

    def _judge_archive(self) -> list[ArchiveResult]:
        """The archive-scope rules, once every line is read (only with institution-level events)."""
        contents = self.contents
        if not self.archive_modules or not contents.institution_events:
            return []
        complaints: Mapping[str, Sequence[object]] = (
            self.summaries if self.summaries is not None else contents.complaints
        )
        judged = [
            evaluate_archive_scope(
                self.judge.engine(module), complaints, contents.institution_events, self.as_of
            )
            for module in self.archive_modules
        ]
        if self.summaries is not None:
            self.summaries.forget_walk()
        return judged

    def _judge_archive_early(self) -> None:
        """With workers, once the input is all read: the summaries are complete, and this process
        is free while the workers finish."""
        if self.reader is not None:
            self.reader.close()  # the event ids are not needed any more: their memory first
        self.early = self._judge_archive()

    def end(self) -> AuditReport:
        report = self.report
        if self.archive_modules and not self.contents.institution_events:
            report.skipped["archive_rules_no_institution_events"] += len(self.archive_modules)
        for archive_result in self.early if self.early is not None else self._judge_archive():
            report.archive_results.append(archive_result)
            self._notify("archive_judged", archive_result)
        self._notify("finished", report)
        return report

    # -- observers ----------------------------------------------------------------------------

    def _each(self, step: str) -> Callable[..., None] | None:
        """One callable for a step that calls every observer watching it (None if none does)."""
        calls = self.steps[step]
        if not calls:
            return None
        if len(calls) == 1:
            return calls[0]

        def each(*args: object) -> None:
            for call in calls:
                call(*args)

        return each

    def _notify(self, step: str, *args: object) -> None:
        for call in self.steps[step]:
            call(*args)
