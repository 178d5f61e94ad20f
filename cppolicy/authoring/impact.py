"""Impact of a rule change on past cases: replay an archive under two modules and compare.

Every complaint is evaluated under module A and under module B, each as its instrument reads
(superseded rules included) with the values in force on the complaint's receipt date, ignoring
which one a selection would pick, since the question is "what would B change?". A complaint
received before either module has parameter values in force cannot be judged by it and is counted
as not comparable. A complaint's verdict changes when

- ``new_breach``: B finds a violation where A found none;
- ``cleared_breach``: A found a violation where B finds none;
- ``changed_breach``: both find violations, of different obligations;
- ``moved_deadline``: the same verdict, but a clock both compute (e.g. ``decision``) falls due
  on another day;
- ``changed_warning``: the same violations and deadlines, but other warnings (e.g. a record made
  before the decision it reports, a warning from ``cbirc-2020-3@1.1.0`` on); its ``before`` and
  ``after`` list the warning codes.

Obligations are compared across instruments by the last part of the finding code
(``CBRC2012.P9.DECISION_LATE`` and ``CBIRC2020.A18.DECISION_LATE`` are both ``DECISION_LATE``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

import orjson

from cppolicy.audit import ArchiveContents, AuditObserver, JudgedComplaint, audit_archive
from cppolicy.calendar import WorkingDayCalendar, local_date
from cppolicy.evaluation import ClockResult, ComplaintResult
from cppolicy.evaluation.tree import Tree, half_year
from cppolicy.events import Event
from cppolicy.reports.formats import FORMATS
from cppolicy.rules import ClockSpec, RuleModule

KINDS = ("new_breach", "cleared_breach", "changed_breach", "moved_deadline", "changed_warning")


def obligation(code: str) -> str:
    return code.rsplit(".", 1)[-1]


def _breaches(result: ComplaintResult) -> set[str]:
    return {obligation(f.code) for f in result.findings if f.severity == "violation"}


def _warnings(result: ComplaintResult) -> list[str]:
    return sorted(f.code for f in result.findings if f.severity == "warning")


def _dues(result: ComplaintResult) -> dict[str, str]:
    return {
        c.name: c.deadline.due_date.isoformat()
        for c in result.clocks
        if isinstance(c, ClockResult) and c.deadline is not None and c.deadline.due_date is not None
    }


@dataclass
class Change:
    complaint_id: str
    kind: str
    branch: str | None
    period: str | None
    before: list[str]
    after: list[str]
    moved: dict[str, tuple[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "complaint_id": self.complaint_id,
            "kind": self.kind,
            "branch": self.branch,
            "period": self.period,
            "before": self.before,
            "after": self.after,
            "moved_deadlines": {k: {"before": a, "after": b} for k, (a, b) in self.moved.items()},
        }


@dataclass
class ImpactReport:
    before: RuleModule
    after: RuleModule
    as_of: datetime
    complaints: int
    changes: list[Change]
    errors: list[str] = field(default_factory=list)
    #: complaints received when A or B had no values in force (before its effective date)
    not_comparable: int = 0
    #: input lines not accepted (each reported by ``cppolicy validate``)
    quarantined: int = 0

    def summary(self) -> dict[str, Any]:
        by_rule: Counter[tuple[str, str]] = Counter()
        for change in self.changes:
            for code in set(change.before) ^ set(change.after):
                by_rule[(code, change.kind)] += 1
            for clock in change.moved:
                by_rule[(f"{clock} deadline", "moved_deadline")] += 1
        return {
            "by_kind": dict(Counter(c.kind for c in self.changes)),
            "by_rule": [
                {"obligation": o, "kind": k, "complaints": n} for (o, k), n in sorted(by_rule.items())
            ],
            "by_branch": dict(sorted(Counter(c.branch or "?" for c in self.changes).items())),
            "by_period": dict(sorted(Counter(c.period or "?" for c in self.changes).items())),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": {"id": self.before.id, "version": self.before.version, "digest": self.before.digest},
            "after": {"id": self.after.id, "version": self.after.version, "digest": self.after.digest},
            "as_of": self.as_of.isoformat(),
            "complaints": self.complaints,
            "changed": len(self.changes),
            "not_comparable": self.not_comparable,
            "summary": self.summary(),
            "changes": [c.to_dict() for c in self.changes],
            "errors": self.errors,
        }


def _same_clock(specs: tuple[dict[str, ClockSpec], dict[str, ClockSpec]], name: str) -> bool:
    a, b = specs[0].get(name), specs[1].get(name)
    return a is not None and b is not None and (a.start_event, a.met_by) == (b.start_event, b.met_by)


def _has_values(module: RuleModule, day: date) -> bool:
    """Whether every parameter of the module has a value in force on ``day``."""
    return all(
        any(start <= day.isoformat() for start in p["values"]) for p in module.data["parameters"].values()
    )


def comparable(modules: Sequence[RuleModule], events: Sequence[Event]) -> tuple[list[RuleModule], str | None]:
    """The judge's selection for an impact comparison: every module, each as its instrument reads,
    unless the complaint was received when one of them had no values in force (e.g. a 2019
    complaint under a module in force from 2020): then none, as ``not_comparable``."""
    received = next((e for e in events if e.type == "received"), None)
    if received is not None and not all(_has_values(m, local_date(received.time)) for m in modules):
        return [], "not_comparable"
    return list(modules), None


class _Comparison(AuditObserver):
    """Compares each complaint's two results as the archive pipeline judges it."""

    def __init__(self, report: ImpactReport) -> None:
        self.report = report
        self.specs = (report.before.clocks, report.after.clocks)
        self.tree = Tree()
        self.branches: dict[int, str] = {}  # change index -> the institution it is counted under

    def complaint_judged(self, judged: JudgedComplaint) -> None:
        events = judged.events or ()
        for event in events:
            self.tree.add(event.institution)
        if judged.judgement.skipped == "not_comparable":
            self.report.not_comparable += 1
            return
        a, b = judged.results
        failed = [r for r in (a, b) if r.status == "error"]
        if failed:
            self.report.errors.append(f"{judged.complaint_id}: {failed[0].findings[0].detail}")
            return
        change = self._change(judged.complaint_id, a, b)
        if change is None:
            return
        received = next((e for e in events if e.type == "received"), None)
        if received is not None:
            self.branches[len(self.report.changes)] = received.institution["id"]
            change.period = half_year(local_date(received.time))
        self.report.changes.append(change)

    def _change(self, complaint_id: str, a: ComplaintResult, b: ComplaintResult) -> Change | None:
        before_codes, after_codes = _breaches(a), _breaches(b)
        # A deadline is comparable when both modules' clocks of that name start and are met by
        # the same events (the 2012 result notice runs from the decision, Order No. 3's from receipt).
        due_a, due_b = _dues(a), _dues(b)
        moved = {
            name: (due, due_b[name])
            for name, due in due_a.items()
            if name in due_b and due_b[name] != due and _same_clock(self.specs, name)
        }
        if not before_codes and after_codes:
            kind = "new_breach"
        elif before_codes and not after_codes:
            kind = "cleared_breach"
        elif before_codes != after_codes:
            kind = "changed_breach"
        elif moved:
            kind = "moved_deadline"
        elif _warnings(a) != _warnings(b):
            return Change(complaint_id, "changed_warning", None, None, _warnings(a), _warnings(b))
        else:
            return None
        return Change(
            complaint_id=complaint_id,
            kind=kind,
            branch=None,
            period=None,
            before=sorted(f.code for f in a.findings if f.severity == "violation"),
            after=sorted(f.code for f in b.findings if f.severity == "violation"),
            moved=moved,
        )

    def finished(self, report: object) -> None:
        # the institution tree is complete only now: each change is counted under its branch
        for index, institution in self.branches.items():
            self.report.changes[index].branch = self.tree.branch(institution)


def compare(
    source: Sequence[str] | ArchiveContents,
    before: RuleModule,
    after: RuleModule,
    calendar: WorkingDayCalendar,
    as_of: datetime,
) -> ImpactReport:
    """Judge every complaint of the archive (files, or contents already read) under ``before`` and
    ``after``, each as its instrument reads (superseded rules included: the question is what the
    rules themselves say differently, not which law governed at the time), and list the changes."""
    report = ImpactReport(before, after, as_of, 0, [])
    audit = audit_archive(
        source,
        [before, after],
        calendar,
        as_of,
        select=comparable,
        supersede=False,
        keep="none",
        archive_scope=False,
        observers=[_Comparison(report)],
    )
    report.complaints = audit.contents.complaint_count
    report.quarantined = len(audit.contents.quarantined)
    return report


def render_text(report: ImpactReport) -> str:
    lines = [
        f"impact of {report.after.ref} against {report.before.ref} as of {report.as_of.isoformat()}: "
        f"{len(report.changes)} of {report.complaints} complaints change"
        + (
            f" ({report.not_comparable} not comparable: received before a module had values in force)"
            if report.not_comparable
            else ""
        )
    ]
    for change in report.changes:
        moved = "; ".join(f"{k} due {a} → {b}" for k, (a, b) in change.moved.items())
        lines.append(
            f"  {change.complaint_id:<16} {change.kind:<15} {change.branch or '':<8} {change.period or '':<7} "
            f"{', '.join(change.before) or '-'} → {', '.join(change.after) or '-'}"
            + (f"  ({moved})" if moved else "")
        )
    summary = report.summary()
    lines.append("by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["by_kind"].items())))
    lines.append("by branch: " + ", ".join(f"{k} {v}" for k, v in summary["by_branch"].items()))
    lines.append("by period: " + ", ".join(f"{k} {v}" for k, v in summary["by_period"].items()))
    lines.append("by obligation:")
    for row in summary["by_rule"]:
        lines.append(f"  {row['obligation']:<40} {row['kind']:<15} {row['complaints']}")
    for error in report.errors:
        lines.append(f"error: {error}")
    return "\n".join(lines) + "\n"


@FORMATS.register("impact", "text", help="each complaint whose verdict changes, then the summaries")
def write_text(report: ImpactReport, out: IO[str], lang: str) -> None:
    out.write(render_text(report))


@FORMATS.register("impact", "json", help="the comparison as one JSON document")
def write_json(report: ImpactReport, out: IO[str], lang: str) -> None:
    out.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
