"""What an audit read and what it found: :class:`ArchiveContents` and :class:`AuditReport`.

Every non-blank input line ends up in exactly one place: accepted (and judged as part of its
complaint, or counted as an institution-level event) or quarantined with its reason.
``AuditReport.counts`` reconciles: ``lines == accepted + quarantined``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, overload

from cppolicy.audit.spill import ResultSpill, StreamedResults
from cppolicy.errors import ExitCode
from cppolicy.evaluation import ArchiveResult, ComplaintResult, Finding, Status
from cppolicy.events import Event, Invalid
from cppolicy.rules import RuleModule


@dataclass
class ArchiveContents:
    """What reading an archive produced: events grouped per complaint (in complaint-id order,
    each complaint's events in input order), the institution-level events, and the rest."""

    complaints: dict[str, list[Event]] = field(default_factory=dict)
    institution_events: list[Event] = field(default_factory=list)
    quarantined: list[Invalid] = field(default_factory=list)
    lines: int = 0
    files: int = 0

    @property
    def accepted(self) -> int:
        return self.complaint_event_count + len(self.institution_events)

    @property
    def complaint_count(self) -> int:
        return len(self.complaints)

    @property
    def complaint_event_count(self) -> int:
        return sum(map(len, self.complaints.values()))


@dataclass
class StreamedContents(ArchiveContents):
    """What :func:`~cppolicy.audit.pipeline.audit_archive` read from files: the complaints were
    judged as they were read (or read back from the spill), so ``complaints`` stays empty and
    their numbers are counted."""

    streamed_complaints: int = 0
    streamed_events: int = 0
    #: ``sorted`` (streamed as read) or ``spilled`` (through a temporary database)
    mode: Literal["", "sorted", "spilled"] = ""

    @property
    def complaint_count(self) -> int:
        return self.streamed_complaints

    @property
    def complaint_event_count(self) -> int:
        return self.streamed_events


#: A complaint's status is the worst status of its evaluations (one per rule module that judged
#: it), in this order: the order of the audit's exit codes (error 3 before violation 1 before
#: undetermined 4), then a warning, a clock still running, compliance. A complaint no module
#: judged is ``not_judged`` (the ``skipped_*`` counts say why).
COMPLAINT_STATUS_ORDER: tuple[str, ...] = (
    "error",
    "violation",
    "undetermined",
    "warning",
    "open",
    "compliant",
)


def complaint_status(statuses: Sequence[Status]) -> str:
    """A complaint's status from the statuses of its evaluations (see
    :data:`COMPLAINT_STATUS_ORDER`); ``not_judged`` when it has none."""
    if not statuses:
        return "not_judged"
    return min(statuses, key=COMPLAINT_STATUS_ORDER.index)


#: How an audit keeps its results: ``full`` in memory with their clocks (for reports, explain,
#: impact), ``slim`` without clocks and past 50,000 on disk (the CLI's default), ``none`` only
#: counted (their observers saw them: a report written while the audit runs).
Keep = Literal["full", "slim", "none"]


@dataclass
class AuditReport:
    as_of: datetime
    modules: list[RuleModule]
    calendar_version: str
    engine: str
    results: list[ComplaintResult] | ResultSpill | StreamedResults
    contents: ArchiveContents
    skipped: Counter[str] = field(default_factory=Counter)
    #: complaints by status (:func:`complaint_status`), counted as each complaint is judged
    complaint_statuses: Counter[str] = field(default_factory=Counter)
    archive_results: list[ArchiveResult] = field(default_factory=list)

    @property
    def findings(self) -> Sequence[Finding]:
        """Per-complaint findings (by complaint), then archive-scope findings (by institution).
        A list; for results kept on disk (:class:`~cppolicy.audit.spill.ResultSpill`) a view that
        reads them again on each pass."""
        if isinstance(self.results, (ResultSpill, StreamedResults)):
            return _Findings(self)
        return [f for r in self.results for f in r.findings] + [
            f for r in self.archive_results for f in r.findings
        ]

    def counts(self) -> dict[str, int]:
        """What was read and found. ``complaints`` and ``complaints_<status>`` count complaints
        (each once, by its worst evaluation: :func:`complaint_status`); ``evaluations`` and
        ``evaluations_<status>`` count evaluations, one per complaint and rule module that judged
        it; ``violations``, ``warnings``, ``undetermined`` and ``errors`` count findings."""
        c = self.contents
        tally = getattr(self.results, "tally", None)
        if tally is None:
            by_severity = Counter(f.severity for f in self.findings)
            evaluated = Counter(r.status for r in self.results)
        else:  # counted as the results were stored: no pass over the disk
            by_severity = tally.severities + Counter(
                f.severity for r in self.archive_results for f in r.findings
            )
            evaluated = tally.statuses
        return {
            "files": c.files,
            "lines": c.lines,
            "accepted": c.accepted,
            "quarantined": len(c.quarantined),
            "complaint_events": c.complaint_event_count,
            "institution_events": len(c.institution_events),
            "complaints": c.complaint_count,
            "evaluations": len(self.results),
            "violations": by_severity["violation"],
            "warnings": by_severity["warning"],
            "undetermined": by_severity["undetermined"],
            "errors": by_severity["error"],
            **{f"complaints_{status}": n for status, n in sorted(self.complaint_statuses.items())},
            **{f"evaluations_{status}": n for status, n in sorted(evaluated.items())},
            **{f"skipped_{why}": n for why, n in sorted(self.skipped.items())},
        }

    @property
    def judged_nothing(self) -> bool:
        """Whether no complaint and no archive-scope rule was judged (an empty archive, or no
        selected module in force on any complaint): a run that certifies nothing."""
        return len(self.results) == 0 and not self.archive_results

    def exit_code(self) -> ExitCode:
        """Most serious first: input problems, nothing judged, engine errors, violations,
        undetermined."""
        counts = self.counts()
        if counts["quarantined"]:
            return ExitCode.USAGE
        if self.judged_nothing:
            return ExitCode.NOTHING_JUDGED
        if counts["errors"]:
            return ExitCode.EVALUATION_ERROR
        if counts["violations"]:
            return ExitCode.FINDINGS
        if counts["undetermined"]:
            return ExitCode.UNDETERMINED
        return ExitCode.OK


class _Findings(Sequence[Finding]):
    """The findings of a report whose results are on disk, read again on each pass."""

    def __init__(self, report: AuditReport) -> None:
        self._report = report

    def __iter__(self) -> Iterator[Finding]:
        for result in self._report.results:
            yield from result.findings
        for archive_result in self._report.archive_results:
            yield from archive_result.findings

    def __len__(self) -> int:
        results = self._report.results
        assert isinstance(results, (ResultSpill, StreamedResults))
        return results.tally.findings + sum(len(r.findings) for r in self._report.archive_results)

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | Sequence[Finding]:
        return list(self)[index]
