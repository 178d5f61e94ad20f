"""Observers of an audit: everything that watches the archive pipeline as it runs.

The pipeline (:func:`~cppolicy.audit.pipeline.audit_archive`) tells each observer, in this order:
``line_read`` for every line, ``quarantined`` for every line not accepted, ``started`` once before
the first complaint is judged (after the whole input is read when it is spilled),
``complaint_judged`` for every complaint in complaint-id order (whatever ``--jobs``),
``archive_judged`` for every module's archive-scope evaluation, and ``finished`` with the report.
An observer overrides what it needs; :class:`AuditObserver` does nothing. The audit trail, the
``cppolicy_handle_finding`` hook, the quarantine file, the cross-check, the command line's
progress bar and a report written while the audit runs are observers.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, ClassVar

import orjson

from cppolicy.audit.contents import AuditReport, StreamedContents
from cppolicy.errors import InputError
from cppolicy.evaluation import ArchiveResult, ComplaintResult, Judgement
from cppolicy.evaluation.crosscheck import CrossChecker
from cppolicy.events import Event, Invalid
from cppolicy.plugin import Plugins
from cppolicy.rules import RuleModule
from cppolicy.trail import ComplaintInput, TrailWriter


@dataclass(slots=True)
class JudgedComplaint:
    """One complaint as observers see it: its judgement, its events (when they are at hand, or an
    observer asked for them) and its input digest (when an observer asked for it)."""

    judgement: Judgement
    #: in input order; None when it was judged in a worker process and no observer needs them
    events: Sequence[Event] | None
    #: the trail's view of its input; None unless an observer ``needs_inputs``
    input: ComplaintInput | None = None

    @property
    def complaint_id(self) -> str:
        return self.judgement.complaint_id

    @property
    def results(self) -> list[ComplaintResult]:
        return self.judgement.results


class AuditObserver:
    """Does nothing at every step; subclasses override what they watch.

    ``needs_events``: :meth:`complaint_judged` needs each complaint's events even when it was
    judged in a worker process (they are rebuilt from its lines). ``needs_inputs``: it needs each
    complaint's :class:`~cppolicy.trail.ComplaintInput` (computed where the events are)."""

    needs_events: ClassVar[bool] = False
    needs_inputs: ClassVar[bool] = False

    def line_read(self) -> None:
        """A line was read (before it is validated)."""

    def quarantined(self, invalid: Invalid) -> None:
        """A line was not accepted: ``invalid`` says why."""

    def started(self, contents: StreamedContents) -> None:
        """The first complaint is about to be judged."""

    def complaint_judged(self, judged: JudgedComplaint) -> None:
        """A complaint was judged (in complaint-id order)."""

    def archive_judged(self, result: ArchiveResult) -> None:
        """A module's archive-scope rules were judged over the whole archive."""

    def finished(self, report: AuditReport) -> None:
        """The audit is complete: ``report`` holds its counts and results."""


def overrides(observer: AuditObserver, name: str) -> bool:
    """Whether ``observer`` does something at the step ``name`` (the pipeline skips the others)."""
    return getattr(type(observer), name) is not getattr(AuditObserver, name)


class QuarantineWriter(AuditObserver):
    """Writes the lines not accepted as JSONL records ``{source, line, reason, errors, text}`` and
    counts them (``total``, ``by_reason``). With ``path=None`` nothing is written but the counts
    still work. The file is created (truncated) when the writer is made, or ``path`` is a binary
    file already opened for writing (the command line opens it after checking that it is not an
    input); use it as a context manager (or call :meth:`close`, which closes it)."""

    def __init__(self, path: str | os.PathLike[str] | IO[bytes] | None = None) -> None:
        self.path = path
        self.total = 0
        self.by_reason: Counter[str] = Counter()
        if path is None or isinstance(path, str | os.PathLike):
            try:
                self._handle: IO[bytes] | None = open(path, "wb") if path is not None else None  # noqa: SIM115
            except OSError as exc:
                raise InputError(f"{path}: cannot write quarantine file: {exc.strerror or exc}") from None
        else:
            self._handle = path

    def quarantined(self, invalid: Invalid) -> None:
        self.add(invalid)

    def add(self, invalid: Invalid) -> None:
        self.total += 1
        self.by_reason[invalid.reason] += 1
        if self._handle is not None:
            self._handle.write(orjson.dumps(invalid.to_dict()) + b"\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> QuarantineWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class TrailObserver(AuditObserver):
    """Appends the audit as one run to a hash-chained trail (docs/audit-trail.md): ``run_started``
    when the first complaint is about to be judged, an ``evaluation`` record per complaint and
    module in report order, an ``archive_evaluation`` record per module with archive rules, and
    ``run_finished`` with the report's counts and exit code."""

    needs_inputs = True

    def __init__(
        self,
        writer: TrailWriter,
        *,
        modules: Sequence[RuleModule],
        calendar: str,
        as_of: datetime,
        inputs: Callable[[], list[dict[str, Any]]],
        command: str = "audit",
    ) -> None:
        self.writer = writer
        self.modules = modules
        self.calendar = calendar
        self.as_of = as_of
        self.inputs = inputs
        self.command = command

    def started(self, contents: StreamedContents) -> None:
        self.writer.start_run(
            command=self.command,
            as_of=self.as_of,
            modules=self.modules,
            calendar=self.calendar,
            inputs=self.inputs(),
        )

    def complaint_judged(self, judged: JudgedComplaint) -> None:
        assert judged.input is not None  # needs_inputs
        for result in judged.results:
            self.writer.evaluation(result, judged.input)

    def archive_judged(self, result: ArchiveResult) -> None:
        self.writer.archive_evaluation(result)

    def finished(self, report: AuditReport) -> None:
        self.writer.finish_run(report.counts(), int(report.exit_code()))


class FindingHook(AuditObserver):
    """Hands every finding, complaint and archive ones, to the ``cppolicy_handle_finding`` hook."""

    def __init__(self, plugins: Plugins) -> None:
        self.plugins = plugins

    def complaint_judged(self, judged: JudgedComplaint) -> None:
        for result in judged.results:
            for finding in result.findings:
                self.plugins.handle_finding(finding)

    def archive_judged(self, result: ArchiveResult) -> None:
        for finding in result.findings:
            self.plugins.handle_finding(finding)


class CrossCheck(AuditObserver):
    """Re-judges every (sampled) complaint with the independent cross-check evaluator as the audit
    goes (docs/cross-check.md); ``checker`` holds the tally and the disagreements."""

    needs_events = True

    def __init__(self, checker: CrossChecker) -> None:
        self.checker = checker

    def complaint_judged(self, judged: JudgedComplaint) -> None:
        checked = [r for r in judged.results if r.status != "error"]  # an error is reported as one already
        if checked and judged.events is not None:
            self.checker.check_judgement(checked, judged.events)

    def archive_judged(self, result: ArchiveResult) -> None:
        self.checker.check_archive_result(result)
