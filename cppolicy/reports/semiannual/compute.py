"""Computing the half-yearly report from an archive's contents (see docs/reports.md).

The complaints received in the period (at the institution and under it, with ``--institution``)
are judged through the archive pipeline (:func:`~cppolicy.audit.audit_archive`, results kept
with their clocks); the figures are then tallied complaint by complaint.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from cppolicy.audit import ArchiveContents, audit_archive
from cppolicy.calendar import SHANGHAI, WorkingDayCalendar, end_of_day, local_date
from cppolicy.errors import CalendarError, InputError
from cppolicy.evaluation import ClockResult, ComplaintResult, evaluation_order
from cppolicy.events import Event
from cppolicy.plugin import Plugins
from cppolicy.reports.semiannual.model import (
    HOT_ISSUES,
    Extensions,
    Forwarded,
    Handling,
    HandlingBasis,
    HotIssue,
    Institution,
    Period,
    SemiannualReport,
)
from cppolicy.rules import RuleModule


def institution_tree(contents: ArchiveContents) -> tuple[dict[str, Institution], list[str]]:
    """Every institution seen in the archive, the latest record (by event time) winning."""
    events = [e for evs in contents.complaints.values() for e in evs] + list(contents.institution_events)
    events.sort(key=lambda e: (e.epoch, e.source or "", e.line or 0))
    tree: dict[str, Institution] = {}
    conflicts: set[str] = set()
    for e in events:
        inst = e.institution
        inst_id = inst.get("id")
        if not inst_id:
            continue
        level, parent, name = inst.get("level"), inst.get("parent"), inst.get("name")
        known = tree.get(inst_id)
        if known is not None and known.level is not None and (known.level, known.parent) != (level, parent):
            conflicts.add(inst_id)
        tree[inst_id] = Institution(inst_id, level, parent, name or (known.name if known else None))
        if parent and parent not in tree:
            tree[parent] = Institution(parent)
    notes = [
        f"institution {i} is recorded with different levels or parents; the latest record is used"
        for i in sorted(conflicts)
    ]
    return tree, notes


def chain(tree: dict[str, Institution], inst_id: str) -> list[str]:
    """``inst_id`` and its ancestors, nearest first (stops at a cycle or an unknown parent)."""
    out: list[str] = []
    node: str | None = inst_id
    while node and node not in out:
        out.append(node)
        info = tree.get(node)
        node = info.parent if info else None
    return out


def branch_of(tree: dict[str, Institution], inst_id: str) -> str:
    """The branch-level ancestor (or self); the head office itself for complaints at the head
    office; the top of the known chain when no branch is on it."""
    ancestors = chain(tree, inst_id)
    for node in ancestors:
        if tree.get(node) and tree[node].level == "branch":
            return node
    return ancestors[-1]


def _decision_clock(
    results: list[ComplaintResult], modules: dict[str, RuleModule], day: date
) -> tuple[ComplaintResult, ClockResult] | None:
    """The decision clock the handling figures use, and the result it is from: that of the first
    module (in the order given) whose evaluation has a clock named ``decision`` and whose rules on
    that clock are in force on the receipt date ``day`` — from 2020-03-01 the 2012 notice's point
    九 yields to Order 2020 No. 3 Art. 18 (its Art. 45), so its clock no longer judges; failing
    that, the first such clock."""
    found: list[tuple[ComplaintResult, ClockResult]] = [
        (result, clock)
        for result in results
        for clock in result.clocks
        if isinstance(clock, ClockResult) and clock.name == "decision"
    ]
    for result, clock in found:
        module = modules.get(result.module.id)
        if module is not None and any("decision" in r.clocks for r in module.rules_in("complaint", on=day)):
            return result, clock
    return found[0] if found else None


@dataclass
class _Selection:
    """The complaints received in the period (and in scope), and what the rest were."""

    complaints: dict[str, list[Event]] = field(default_factory=dict)
    receipts: dict[str, Event] = field(default_factory=dict)
    excluded: Counter[str] = field(
        default_factory=lambda: Counter(
            {"no_receipt_event": 0, "received_after_as_of": 0, "other_period": 0, "other_institution": 0}
        )
    )
    previous_pairs: Counter[tuple[str | None, str | None]] = field(default_factory=Counter)
    first_receipt: date | None = None


class _Scope:
    """The report's institution scope: the whole archive, or one institution and those under it."""

    def __init__(self, tree: dict[str, Institution], institution: str | None) -> None:
        self.tree = tree
        self.institution: Institution | None = None
        if institution is not None:
            if institution not in tree:
                raise InputError(
                    f"--institution: {institution!r} does not occur in the archive "
                    f"(known: {', '.join(sorted(tree)) or 'none'})"
                )
            self.institution = tree[institution]

    def __contains__(self, inst_id: str | None) -> bool:
        scope = self.institution
        return scope is None or (inst_id is not None and scope.id in chain(self.tree, inst_id))


def _select(contents: ArchiveContents, period: Period, scope: _Scope, as_of: datetime) -> _Selection:
    selection = _Selection()
    previous = period.previous
    for complaint_id, events in contents.complaints.items():
        visible = evaluation_order(events, as_of)
        received = next((e for e in visible if e.type == "received"), None)
        if received is None:
            late = any(e.type == "received" for e in events)
            selection.excluded["received_after_as_of" if late else "no_receipt_event"] += 1
            continue
        day = local_date(received.time)
        first = selection.first_receipt
        selection.first_receipt = day if first is None else min(first, day)
        inst_id = received.institution.get("id")
        if not period.contains(day):
            selection.excluded["other_period"] += 1
            if previous.contains(day) and inst_id in scope:
                selection.previous_pairs[(received.data.get("product"), received.data.get("issue"))] += 1
            continue
        if inst_id not in scope:
            selection.excluded["other_institution"] += 1
            continue
        selection.complaints[complaint_id] = events
        selection.receipts[complaint_id] = received
    return selection


class _Tally:
    """The report's figures, added up complaint by complaint."""

    def __init__(
        self,
        period: Period,
        tree: dict[str, Institution],
        calendar: WorkingDayCalendar,
        modules: Sequence[RuleModule],
    ) -> None:
        self.tree, self.calendar = tree, calendar
        self.modules = {module.id: module for module in modules}
        self.by_product: Counter[str | None] = Counter()
        self.by_issue: Counter[str | None] = Counter()
        self.by_channel: Counter[str | None] = Counter()
        self.by_branch: Counter[str] = Counter()
        self.by_institution: Counter[str | None] = Counter()
        self.by_month = {m: 0 for m in period.months()}
        self.pairs: Counter[tuple[str | None, str | None]] = Counter()
        self.complainants = self.major = 0
        self.handling, self.extensions, self.forwarded = Handling(), Extensions(), Forwarded()
        self.findings: Counter[tuple[str, str]] = Counter()
        self.messages: dict[str, str] = {}
        self.with_findings: Counter[str] = Counter()

    def add(self, received: Event, visible: list[Event], results: list[ComplaintResult]) -> None:
        data = received.data
        inst_id = received.institution.get("id")
        product, issue = data.get("product"), data.get("issue")
        self.by_product[product] += 1
        self.by_issue[issue] += 1
        self.by_channel[data.get("channel")] += 1
        self.by_institution[inst_id] += 1
        self.by_branch[branch_of(self.tree, inst_id)] += 1  # type: ignore[arg-type]  # a receipt names its institution
        self.by_month[local_date(received.time).strftime("%Y-%m")] += 1
        self.pairs[(product, issue)] += 1
        self.complainants += int(data.get("complainants", 1))
        self.major += bool(data.get("major"))
        types = {e.type for e in visible}
        judged = _decision_clock(results, self.modules, local_date(received.time))
        clock = judged[1] if judged is not None else None
        self._handling(received, judged, types)
        self._extensions(visible, clock)
        p10 = self._findings(results)
        self._forwarded(data, results, types, p10)

    def _handling(
        self, received: Event, judged: tuple[ComplaintResult, ClockResult] | None, types: set[str]
    ) -> None:
        handling = self.handling
        clock = judged[1] if judged is not None else None
        state = clock.state if clock is not None else None
        if state == "met":
            handling.within_limit += 1
        elif state == "met_late":
            handling.late += 1
        elif state == "stopped" or (state == "overdue" and "withdrawn" in types):
            handling.withdrawn += 1
            if state == "overdue":
                handling.withdrawn_after_limit += 1
        elif state == "running":
            handling.open += 1
        elif state == "overdue":
            handling.overdue += 1
        elif state == "undetermined":
            handling.undetermined += 1
        else:
            handling.not_evaluated += 1
        if judged is None:
            return
        basis = self._basis(judged, local_date(received.time))
        basis.complaints += 1
        if clock is not None and clock.met_at is not None and state in ("met", "met_late"):
            received_on, decided_on = local_date(received.time), local_date(clock.met_at)
            if basis.unit != "working_day":
                basis.days.append((decided_on - received_on).days)
                return
            try:
                basis.days.append(self.calendar.working_days_between(received_on, decided_on))
            except CalendarError:
                basis.days_unknown += 1

    def _basis(self, judged: tuple[ComplaintResult, ClockResult], day: date) -> HandlingBasis:
        """The time limit that judged a complaint: its module, the provision its decision clock
        cites, and the unit of the limit in force on the receipt date ``day``."""
        result, clock = judged
        module = self.modules.get(result.module.id)
        unit = str((clock.period or {}).get("unit") or "")
        if not unit and module is not None:
            unit = str(module.parameters_on(day).get(clock.spec.period_param, {}).get("unit", ""))
        unit = "working_day" if unit == "working_day" else "calendar_day"
        instrument = module.data["instrument"]["number"] if module is not None else result.module.id
        basis = HandlingBasis(result.module.id, instrument, clock.spec.cite or "", unit)
        return self.handling.bases.setdefault(basis.key, basis)

    def _extensions(self, visible: list[Event], clock: ClockResult | None) -> None:
        extended = [e for e in visible if e.type == "extended"]
        if not extended:
            return
        extensions = self.extensions
        extensions.complaints += 1
        extensions.events += len(extended)
        for e in extended:
            extensions.reasons[(e.data.get("reason") or "").strip()] += 1
        judged = {entry["event"]: entry for entry in (clock.extensions if clock is not None else [])}
        for e in extended:
            entry = judged.get(e.event_id)
            if entry is None:
                extensions.unjudged += 1
            elif entry["effective"]:
                extensions.effective += 1
                extensions.capped += bool(entry.get("capped"))
            else:
                extensions.not_effective += 1

    def _findings(self, results: list[ComplaintResult]) -> bool:
        """Count the findings under every module; whether any is a point-十 (P10) finding."""
        severities = set()
        p10 = False
        for result in results:
            for finding in result.findings:
                self.findings[(finding.code, finding.severity)] += 1
                self.messages.setdefault(finding.code, finding.message.get("zh", ""))
                severities.add(finding.severity)
                p10 = p10 or ".P10." in finding.code
        for severity in severities:
            self.with_findings[severity] += 1
        return p10

    def _forwarded(
        self, data: dict[str, object], results: list[ComplaintResult], types: set[str], p10: bool
    ) -> None:
        """Regulator-forwarded complaints (point 十)."""
        forwarded_by = data.get("forwarded_by")
        if not forwarded_by or not isinstance(forwarded_by, dict):
            return
        forwarded = self.forwarded
        forwarded.total += 1
        forwarded.by_office[(forwarded_by.get("regulator"), forwarded_by.get("office"))] += 1
        report_clock = next(
            (c for r in results for c in r.clocks if isinstance(c, ClockResult) and c.name == "report_back"),
            None,
        )
        applies = report_clock is not None and report_clock.state != "not_applicable"
        forwarded.point_10_applies += applies
        if applies and report_clock is not None and report_clock.state in ("running", "not_started"):
            forwarded.report_back_pending += 1
        if "reported_to_regulator" in types:
            forwarded.reported_back += 1
            if applies and not p10:
                forwarded.reported_back_on_time += 1
        if p10:
            forwarded.with_p10_finding += 1


def _hot_issues(
    tally: _Tally, selection: _Selection, period: Period, notes: list[str]
) -> tuple[list[HotIssue], str]:
    """The top (product, issue) pairs against the previous half-year (point 十一), and how far the
    archive covers that half-year."""
    previous, first_receipt = period.previous, selection.first_receipt
    if first_receipt is None or first_receipt > previous.end:
        coverage = "none"
    elif first_receipt > previous.start:
        coverage = "partial"
        notes.append(
            f"the archive's first receipt is {first_receipt.isoformat()}: the previous half-year "
            f"{previous.label} is only partly covered, so its counts may be too low"
        )
    else:
        coverage = "full"
    ranked = sorted(tally.pairs.items(), key=lambda kv: (-kv[1], str(kv[0][0]), str(kv[0][1])))[:HOT_ISSUES]
    hot = [
        HotIssue(p, i, n, None if coverage == "none" else selection.previous_pairs[(p, i)])  # type: ignore[arg-type]
        for (p, i), n in ranked
    ]
    return hot, coverage


def _changes_and_submissions(
    contents: ArchiveContents, period: Period, scope: _Scope, as_of: datetime
) -> tuple[list[Event], list[Event]]:
    """Point 十六: changes of rules / channels / contacts, and submissions recorded for this period."""
    changes, submissions = [], []
    institution = scope.institution
    for e in sorted(contents.institution_events, key=lambda e: (e.epoch, e.event_id)):
        inst_id = e.institution.get("id")
        if e.type == "complaint_contact_changed" and e.time <= as_of and period.contains(local_date(e.time)):
            # a change at the scope institution, under it, or above it (it applies downwards)
            if institution is None or inst_id in scope or inst_id in chain(scope.tree, institution.id):
                changes.append(e)
        elif (
            e.type == "periodic_report_submitted"
            and e.data.get("period") == period.label
            and inst_id in scope
        ):
            submissions.append(e)
    return changes, submissions


def _judge(
    selection: _Selection,
    modules: Sequence[RuleModule],
    calendar: WorkingDayCalendar,
    as_of: datetime,
    notes: list[str],
) -> tuple[dict[str, list[ComplaintResult]], str]:
    """The report's complaints judged through the archive pipeline (results kept with their clocks),
    by complaint; and the engine that judged them."""
    audit = audit_archive(
        ArchiveContents(complaints=selection.complaints), modules, calendar, as_of, keep="full"
    )
    results: dict[str, list[ComplaintResult]] = defaultdict(list)
    for result in audit.results:
        results[result.complaint_id].append(result)
    notes.extend(skipped_notes(audit.skipped))
    if len(modules) > 1:
        notes.append(
            "several rule modules: the handling and extension figures use, per complaint, the "
            "'decision' clock of the first module listed whose rules on it are in force on the "
            "receipt date, counted in its unit ('judged under'); findings are counted under every module"
        )
    return results, audit.engine


#: what the audit's ``skipped`` counts say, each note counting what it names
_SKIPPED = {
    "no_module_in_force": "{n} complaint(s) not evaluated: no selected rule module was in force on "
    "their receipt date",
    "no_module_applies": "{n} complaint(s) not evaluated: no selected rule module applies to them "
    "(e.g. the PBoC's Order 2020 No. 5 judges only complaints the PBoC forwarded)",
    "archive_rules_no_institution_events": "the rules judged over the whole archive (reports to the "
    "regulator, large-scale complaints) of {n} rule module(s) were not judged: this report judges "
    "the complaints received in the period; `cppolicy audit` judges them on an archive with "
    "institution-level events",
}


def skipped_notes(skipped: Counter[str]) -> list[str]:
    """One note per reason something was not judged, counting complaints or modules as it says."""
    return [
        _SKIPPED.get(why, "{n} not judged: " + why.replace("_", " ")).format(n=n)
        for why, n in sorted(skipped.items())
        if n
    ]


def _closing_notes(
    period: Period, as_of: datetime, scope: _Scope, selection: _Selection, notes: list[str]
) -> None:
    if as_of < end_of_day(period.end):
        notes.append(
            f"the as-of time {as_of.isoformat()} is before the end of {period.label}: "
            f"the half-year is not complete"
        )
    if not selection.receipts:
        where = f" at {scope.institution.id} or under it" if scope.institution else ""
        notes.append(f"no complaint was received in {period.label}{where}: this is a report of 0 complaints")


def _masked_reasons(reasons: Counter[str], masking: Plugins) -> Counter[str]:
    """Extension reasons as the report shows them (masked; reasons alike once masked add up)."""
    out: Counter[str] = Counter()
    for reason, n in reasons.items():
        out[str(masking.mask({"data": {"reason": reason}}, "event")["data"]["reason"])] += n
    return out


def compute_semiannual(
    contents: ArchiveContents,
    period: Period,
    modules: Sequence[RuleModule],
    calendar: WorkingDayCalendar,
    as_of: datetime | None = None,
    institution: str | None = None,
    plugins: Plugins | None = None,
) -> SemiannualReport:
    """Compute the report of ``period`` from an archive's contents (see docs/reports.md).

    ``as_of`` defaults to the end of the report's due date (24:00 Asia/Shanghai); events after
    it are not seen. ``institution`` restricts the report to that institution and everything
    under it in the institution tree as recorded in the archive. Raises InputError for an
    institution the archive never mentions. The texts the report shows (extension reasons, the
    events it lists) are masked by ``plugins`` (default: the built-in masker, docs/privacy.md)
    once everything is counted."""
    as_of = (as_of or end_of_day(period.due)).astimezone(SHANGHAI)
    tree, notes = institution_tree(contents)
    scope = _Scope(tree, institution)
    selection = _select(contents, period, scope, as_of)
    results, engine = _judge(selection, modules, calendar, as_of, notes)
    tally = _Tally(period, tree, calendar, modules)
    for complaint_id, received in selection.receipts.items():
        visible = evaluation_order(selection.complaints[complaint_id], as_of)
        tally.add(received, visible, results.get(complaint_id, []))
    hot, coverage = _hot_issues(tally, selection, period, notes)
    changes, submissions = _changes_and_submissions(contents, period, scope, as_of)
    masking = plugins if plugins is not None else Plugins(load_entry_points=False)
    changes, submissions = (
        [masking.mask_event(e) for e in changes],
        [masking.mask_event(e) for e in submissions],
    )
    tally.extensions.reasons = _masked_reasons(tally.extensions.reasons, masking)
    _closing_notes(period, as_of, scope, selection, notes)
    roots = sorted((info for info in tree.values()
                    if info.level == "head_office" or (info.parent is None and info.level is not None)),
                   key=lambda i: i.id)  # fmt: skip
    return SemiannualReport(
        period=period, as_of=as_of, institution=scope.institution, roots=roots, modules=list(modules),
        calendar_version=calendar.version, engine=engine, files=contents.files, lines=contents.lines,
        accepted=contents.accepted, quarantined=len(contents.quarantined),
        complaints_in_archive=len(contents.complaints), excluded=dict(selection.excluded),
        complaint_ids=sorted(selection.receipts),
        complainants=tally.complainants, major=tally.major, by_product=tally.by_product, by_issue=tally.by_issue,
        by_channel=tally.by_channel, by_branch=tally.by_branch, by_institution=tally.by_institution,
        by_month=tally.by_month, handling=tally.handling, extensions=tally.extensions, forwarded=tally.forwarded,
        findings=tally.findings, finding_messages=tally.messages, complaints_with_findings=tally.with_findings,
        hot_issues=hot, previous_coverage=coverage, first_receipt=selection.first_receipt, changes=changes,
        submissions=submissions, institutions=tree, notes=notes,
    )  # fmt: skip
