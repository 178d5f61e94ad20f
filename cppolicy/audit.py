"""Audit of event archives: read → validate → group per complaint → evaluate → report.

Every non-blank input line ends up in exactly one place: accepted (and evaluated as part of
its complaint, or counted as an institution-level event) or quarantined with its reason.
``AuditReport.counts`` reconciles: ``lines == accepted + quarantined``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Sequence

import orjson

from cppolicy.archive_scope import ArchiveResult, evaluate_archive_scope
from cppolicy.calendar import WorkingDayCalendar, local_date
from cppolicy.engine import Engine, engine_version
from cppolicy.errors import ExitCode
from cppolicy.events import Event, EventError, Invalid, iter_lines, parse_and_validate
from cppolicy.findings import ComplaintResult, Finding
from cppolicy.rule_module import RuleModule
from cppolicy.selection import modules_for


@dataclass
class ArchiveContents:
    """What reading the archive produced: events grouped per complaint, and the rest."""

    complaints: dict[str, list[Event]] = field(default_factory=dict)
    institution_events: list[Event] = field(default_factory=list)
    quarantined: list[Invalid] = field(default_factory=list)
    lines: int = 0
    files: int = 0

    @property
    def accepted(self) -> int:
        return sum(map(len, self.complaints.values())) + len(self.institution_events)


def read_archive(
    paths: Sequence[str],
    on_quarantine: Callable[[Invalid], None] | None = None,
    on_line: Callable[[], None] | None = None,
) -> ArchiveContents:
    """Read, validate and group events. Duplicate ids: identical content is quarantined as a
    duplicate; different content as a conflict (the first occurrence is kept)."""
    contents = ArchiveContents(files=len(paths))
    seen: dict[str, tuple[bytes, str, int]] = {}
    grouped: dict[str, list[Event]] = defaultdict(list)

    def quarantine(item: Invalid) -> None:
        contents.quarantined.append(item)
        if on_quarantine:
            on_quarantine(item)

    for raw in iter_lines(list(paths)):
        contents.lines += 1
        if on_line:
            on_line()
        parsed = parse_and_validate(raw)
        if isinstance(parsed, Invalid):
            quarantine(parsed)
            continue
        canonical = orjson.dumps(parsed.raw, option=orjson.OPT_SORT_KEYS)
        previous = seen.get(parsed.event_id)
        if previous is not None:
            same = previous[0] == canonical
            reason = "duplicate" if same else "conflict"
            message = (f"event_id {parsed.event_id!r} already seen at {previous[1]}:{previous[2]}"
                       + ("" if same else " with different content"))
            quarantine(Invalid(raw.source, raw.line, (EventError("$.event_id", reason, message),), raw.text))
            continue
        seen[parsed.event_id] = (canonical, raw.source, raw.line)
        if parsed.complaint_id is None:
            contents.institution_events.append(parsed)
        else:
            grouped[parsed.complaint_id].append(parsed)
    contents.complaints = dict(sorted(grouped.items()))
    return contents


@dataclass
class AuditReport:
    as_of: datetime
    modules: list[RuleModule]
    calendar_version: str
    engine: str
    results: list[ComplaintResult]
    contents: ArchiveContents
    skipped: Counter = field(default_factory=Counter)
    archive_results: list[ArchiveResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        """Per-complaint findings (by complaint), then archive-scope findings (by institution)."""
        return [f for r in self.results for f in r.findings] + [f for r in self.archive_results for f in r.findings]

    def counts(self) -> dict[str, int]:
        c = self.contents
        by_severity = Counter(f.severity for f in self.findings)
        statuses = Counter(r.status for r in self.results)
        return {
            "files": c.files,
            "lines": c.lines,
            "accepted": c.accepted,
            "quarantined": len(c.quarantined),
            "complaint_events": sum(map(len, c.complaints.values())),
            "institution_events": len(c.institution_events),
            "complaints": len(c.complaints),
            "evaluations": len(self.results),
            "violations": by_severity["violation"],
            "warnings": by_severity["warning"],
            "undetermined": by_severity["undetermined"],
            "errors": by_severity["error"],
            **{f"complaints_{status}": n for status, n in sorted(statuses.items())},
            **{f"skipped_{why}": n for why, n in sorted(self.skipped.items())},
        }

    def exit_code(self) -> ExitCode:
        """Most serious first: input problems, engine errors, violations, undetermined."""
        counts = self.counts()
        if counts["quarantined"]:
            return ExitCode.USAGE
        if counts["errors"]:
            return ExitCode.EVALUATION_ERROR
        if counts["violations"]:
            return ExitCode.FINDINGS
        if counts["undetermined"]:
            return ExitCode.UNDETERMINED
        return ExitCode.OK


def evaluate_archive(
    contents: ArchiveContents,
    modules: Sequence[RuleModule],
    calendar: WorkingDayCalendar,
    as_of: datetime,
    on_complaint: Callable[[], None] | None = None,
    on_result: Callable[[ComplaintResult, list[Event]], None] | None = None,
    on_archive_result: Callable[[ArchiveResult], None] | None = None,
) -> AuditReport:
    """Evaluate every complaint under the modules in force on its receipt date.

    ``on_result(result, events)`` is called after each evaluation (one per complaint and
    module) with the complaint's events as read; ``on_complaint()`` after each complaint."""
    engines = {m.ref: Engine(m, calendar) for m in modules}
    report = AuditReport(as_of=as_of, modules=list(modules), calendar_version=calendar.version,
                         engine=engine_version(), results=[], contents=contents)
    for complaint_id, events in contents.complaints.items():
        chosen, skipped = modules_for(modules, events)
        if skipped:
            report.skipped[skipped] += 1
        for module in chosen:
            result = engines[module.ref].evaluate(complaint_id, events, as_of)
            report.results.append(result)
            if on_result:
                on_result(result, events)
        if on_complaint:
            on_complaint()
    # Obligations that span complaints or bind the institution (reports, large-scale complaints)
    # are judged only when the input carries institution-level events: an export of complaint
    # events alone says nothing about reports made to the regulator, and absence of data is not
    # a breach. The summary says they were not judged.
    archive_modules = [m for m in modules if m.rules_in("archive")]
    if archive_modules and not contents.institution_events:
        report.skipped["archive_rules_no_institution_events"] += len(archive_modules)
        archive_modules = []
    for module in archive_modules:
        if module.rules_in("archive"):
            archive_result = evaluate_archive_scope(engines[module.ref], contents.complaints,
                                                    contents.institution_events, as_of)
            report.archive_results.append(archive_result)
            if on_archive_result:
                on_archive_result(archive_result)
    return report
