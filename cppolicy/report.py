"""The half-yearly complaint statistics and analysis report (银监发〔2012〕13号 point 十六).

Point 十六: 银行业金融机构及其各级分支机构应当做好金融消费者投诉统计、分析工作, 并每半年形成报告,
于每年1月30日和7月30日前报送. Point 十一 asks for the analysis of hot issues (热点问题).

Computation and rendering are separate: :func:`compute_semiannual` reads an archive's contents
once and returns a :class:`SemiannualReport` (plain numbers); :func:`report_sections` turns it into
bilingual tables; each renderer in :data:`RENDERERS` (``markdown``, ``csv``, ``html``) only writes
those tables. See docs/reports.md for every definition used here.
"""

from __future__ import annotations

import csv
import html
import io
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Sequence, TextIO

from cppolicy.audit import ArchiveContents, evaluate_archive
from cppolicy.calendar import SHANGHAI, WorkingDayCalendar, end_of_day, local_date
from cppolicy.errors import CalendarError, InputError
from cppolicy.events import Event
from cppolicy.findings import SEVERITY_ORDER, ComplaintResult
from cppolicy.rule_module import RuleModule

__all__ = [
    "RENDERERS",
    "Period",
    "SemiannualReport",
    "compute_semiannual",
    "parse_period",
    "render",
    "report_sections",
]

#: Hot issues listed (point 十一): the top N (product, issue) pairs.
HOT_ISSUES = 5
#: Extension reasons listed by name; the rest are summed in one row.
TOP_REASONS = 10

# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------

_PERIOD_RE = re.compile(r"^(\d{4})[Hh]([12])$")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-year: H1 = 1 Jan – 30 Jun, H2 = 1 Jul – 31 Dec (dates in Asia/Shanghai)."""

    year: int
    half: int

    @property
    def label(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def due(self) -> date:
        """Point 十六: reported by 30 July (H1, same year) or 30 January (H2, next year)."""
        return date(self.year, 7, 30) if self.half == 1 else date(self.year + 1, 1, 30)

    @property
    def previous(self) -> Period:
        return Period(self.year, 1) if self.half == 2 else Period(self.year - 1, 2)

    def months(self) -> list[str]:
        first = 1 if self.half == 1 else 7
        return [f"{self.year:04d}-{m:02d}" for m in range(first, first + 6)]

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def parse_period(text: str) -> Period:
    """``YYYYH1`` or ``YYYYH2`` (``h`` accepted); anything else is an InputError."""
    match = _PERIOD_RE.match(text.strip())
    if not match or not 1 <= int(match.group(1)) <= 9998:
        raise InputError(f"--period: {text!r} is not a half-year (write YYYYH1 or YYYYH2, e.g. 2025H1)")
    return Period(int(match.group(1)), int(match.group(2)))


# --------------------------------------------------------------------------------------------
# Labels (Chinese next to the English keys of the event schema)
# --------------------------------------------------------------------------------------------

LABELS_ZH: dict[str, dict[str, str]] = {
    "product": {
        "credit_card": "信用卡", "personal_loan": "个人贷款", "mortgage": "住房按揭贷款", "deposit": "存款",
        "wealth_management": "理财", "payment": "支付结算", "insurance_agency": "代理保险",
        "debit_card": "借记卡", "fund_agency": "代销基金", "precious_metals": "贵金属",
    },
    "issue": {
        "fees": "收费", "interest": "利息", "service_attitude": "服务态度", "marketing": "营销宣传",
        "debt_collection": "催收", "account_freeze": "账户冻结", "information_disclosure": "信息披露",
        "fraud": "欺诈", "personal_information": "个人信息保护",
    },
    "channel": {
        "phone": "电话", "sms": "短信", "email": "电子邮件", "letter": "信函", "in_person": "现场",
        "online": "网络", "app": "手机银行App", "wechat": "微信", "other": "其他",
    },
    "regulator": {"CBRC": "银监会", "CBIRC": "银保监会", "NFRA": "国家金融监督管理总局", "PBOC": "中国人民银行"},
    "level": {"head_office": "总行", "branch": "分行", "sub_branch": "支行", "outlet": "营业网点"},
    "severity": {"violation": "违规", "warning": "提示", "undetermined": "无法判定", "error": "评估错误"},
    "change": {"department": "投诉处理部门", "head": "负责人", "contact": "联系人", "rules": "投诉管理办法",
               "channels": "投诉渠道"},
}


def label(kind: str, key: str) -> str:
    """``key 中文`` when a Chinese label is known, else ``key``."""
    zh = LABELS_ZH.get(kind, {}).get(key)
    return f"{key} {zh}" if zh else key


# --------------------------------------------------------------------------------------------
# The computed report
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Institution:
    id: str
    level: str | None = None  # None: only ever seen as somebody's parent
    parent: str | None = None
    name: str | None = None


@dataclass(slots=True)
class Handling:
    """Decision-clock outcomes; the first seven are exclusive and sum to the complaints."""

    within_limit: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    withdrawn: int = 0
    undetermined: int = 0
    not_evaluated: int = 0
    #: of ``withdrawn``: withdrawn only after the handling limit had passed
    withdrawn_after_limit: int = 0
    #: working days from receipt to decision, one per decided complaint the calendar can count
    working_days: list[int] = field(default_factory=list)
    working_days_unknown: int = 0

    @property
    def decided(self) -> int:
        return self.within_limit + self.late

    @property
    def total(self) -> int:
        return (self.within_limit + self.late + self.open + self.overdue + self.withdrawn
                + self.undetermined + self.not_evaluated)

    @property
    def share_within_limit(self) -> float | None:
        return self.within_limit / self.decided if self.decided else None

    @property
    def average_working_days(self) -> float | None:
        return statistics.fmean(self.working_days) if self.working_days else None

    @property
    def median_working_days(self) -> float | None:
        return float(statistics.median(self.working_days)) if self.working_days else None


@dataclass(slots=True)
class Extensions:
    complaints: int = 0
    events: int = 0
    reasons: Counter = field(default_factory=Counter)
    effective: int = 0
    not_effective: int = 0
    #: extension events the decision clock did not judge (clock undetermined or not evaluated)
    unjudged: int = 0
    capped: int = 0


@dataclass(slots=True)
class Forwarded:
    total: int = 0
    by_office: Counter = field(default_factory=Counter)  # (regulator, office) -> complaints
    point_10_applies: int = 0
    reported_back: int = 0
    reported_back_on_time: int = 0
    with_p10_finding: int = 0
    report_back_pending: int = 0


@dataclass(slots=True)
class HotIssue:
    product: str
    issue: str
    count: int
    previous: int | None  # None: the archive does not cover the previous half-year

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.count - self.previous

    @property
    def change_share(self) -> float | None:
        if self.previous is None or self.previous == 0:
            return None
        return (self.count - self.previous) / self.previous


@dataclass
class SemiannualReport:
    period: Period
    as_of: datetime
    institution: Institution | None  # the --institution scope, None = the whole archive
    roots: list[Institution]
    modules: list[RuleModule]
    calendar_version: str
    engine: str
    # reading
    files: int
    lines: int
    accepted: int
    quarantined: int
    complaints_in_archive: int
    excluded: dict[str, int]
    # content
    complaint_ids: list[str]
    complainants: int
    major: int
    by_product: Counter
    by_issue: Counter
    by_channel: Counter
    by_branch: Counter
    by_institution: Counter
    by_month: dict[str, int]
    handling: Handling
    extensions: Extensions
    forwarded: Forwarded
    findings: Counter  # (code, severity) -> findings
    finding_messages: dict[str, str]
    complaints_with_findings: Counter  # severity -> complaints with at least one such finding
    hot_issues: list[HotIssue]
    previous_coverage: str  # full | partial | none
    first_receipt: date | None
    changes: list[Event]
    submissions: list[Event]
    institutions: dict[str, Institution]
    notes: list[str]

    @property
    def total(self) -> int:
        return len(self.complaint_ids)

    def institution_label(self, inst_id: str) -> str:
        info = self.institutions.get(inst_id)
        return f"{inst_id} {info.name}" if info and info.name else inst_id


# --------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------


def _visible(events: Sequence[Event], as_of: datetime) -> list[Event]:
    """The complaint's events at or before ``as_of``, in the engine's order."""
    return sorted((e for e in events if e.time <= as_of),
                  key=lambda e: (e.epoch, e.source or "", e.line or 0))


def _institution_tree(contents: ArchiveContents) -> tuple[dict[str, Institution], list[str]]:
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
    notes = [f"institution {i} is recorded with different levels or parents; the latest record is used"
             for i in sorted(conflicts)]
    return tree, notes


def _chain(tree: dict[str, Institution], inst_id: str) -> list[str]:
    """``inst_id`` and its ancestors, nearest first (stops at a cycle or an unknown parent)."""
    out: list[str] = []
    node: str | None = inst_id
    while node and node not in out:
        out.append(node)
        info = tree.get(node)
        node = info.parent if info else None
    return out


def _branch_of(tree: dict[str, Institution], inst_id: str) -> str:
    """The branch-level ancestor (or self); the head office itself for complaints at the head
    office; the top of the known chain when no branch is on it."""
    chain = _chain(tree, inst_id)
    for node in chain:
        if tree.get(node) and tree[node].level == "branch":
            return node
    return chain[-1]


def _decision_result(results: list[ComplaintResult]):
    """The result and decision clock used for the handling figures: the first module (in the
    order given) whose evaluation has a clock named ``decision``."""
    for result in results:
        for clock in result.clocks:
            if clock.name == "decision":
                return result, clock
    return (results[0] if results else None), None


def compute_semiannual(
    contents: ArchiveContents,
    period: Period,
    modules: Sequence[RuleModule],
    calendar: WorkingDayCalendar,
    as_of: datetime | None = None,
    institution: str | None = None,
) -> SemiannualReport:
    """Compute the report of ``period`` from an archive's contents (see docs/reports.md).

    ``as_of`` defaults to the end of the report's due date (24:00 Asia/Shanghai); events after
    it are not seen. ``institution`` restricts the report to that institution and everything
    under it in the institution tree as recorded in the archive. Raises InputError for an
    institution the archive never mentions."""
    as_of = (as_of or end_of_day(period.due)).astimezone(SHANGHAI)
    tree, notes = _institution_tree(contents)
    scope: Institution | None = None
    if institution is not None:
        if institution not in tree:
            raise InputError(f"--institution: {institution!r} does not occur in the archive "
                             f"(known: {', '.join(sorted(tree)) or 'none'})")
        scope = tree[institution]

    def in_scope(inst_id: str | None) -> bool:
        return scope is None or (inst_id is not None and scope.id in _chain(tree, inst_id))

    previous = period.previous
    excluded = Counter({"no_receipt_event": 0, "received_after_as_of": 0, "other_period": 0,
                        "other_institution": 0})
    selected: dict[str, list[Event]] = {}
    receipts: dict[str, Event] = {}
    previous_pairs: Counter = Counter()
    first_receipt: date | None = None
    for complaint_id, events in contents.complaints.items():
        visible = _visible(events, as_of)
        received = next((e for e in visible if e.type == "received"), None)
        if received is None:
            late = any(e.type == "received" for e in events)
            excluded["received_after_as_of" if late else "no_receipt_event"] += 1
            continue
        day = local_date(received.time)
        first_receipt = day if first_receipt is None else min(first_receipt, day)
        inst_id = received.institution.get("id")
        if not period.contains(day):
            excluded["other_period"] += 1
            if previous.contains(day) and in_scope(inst_id):
                previous_pairs[(received.data.get("product"), received.data.get("issue"))] += 1
            continue
        if not in_scope(inst_id):
            excluded["other_institution"] += 1
            continue
        selected[complaint_id] = events
        receipts[complaint_id] = received

    # Only the report's complaints are evaluated; only their per-complaint results are used.
    audit = evaluate_archive(ArchiveContents(complaints=selected), modules, calendar, as_of)
    results: dict[str, list[ComplaintResult]] = defaultdict(list)
    for result in audit.results:
        results[result.complaint_id].append(result)
    if audit.skipped:
        notes.append(f"{sum(audit.skipped.values())} complaint(s) not evaluated: no selected rule module was in "
                     f"force on their receipt date")
    if len(modules) > 1:
        notes.append("several rule modules: the handling and extension figures use, per complaint, the first "
                     "module listed that has a 'decision' clock; findings are counted under every module")

    by_product, by_issue, by_channel = Counter(), Counter(), Counter()
    by_branch, by_institution = Counter(), Counter()
    by_month = {m: 0 for m in period.months()}
    pairs: Counter = Counter()
    complainants = major = 0
    handling, extensions, forwarded = Handling(), Extensions(), Forwarded()
    findings: Counter = Counter()
    messages: dict[str, str] = {}
    with_findings: Counter = Counter()

    for complaint_id, received in receipts.items():
        data = received.data
        inst_id = received.institution.get("id")
        product, issue = data.get("product"), data.get("issue")
        by_product[product] += 1
        by_issue[issue] += 1
        by_channel[data.get("channel")] += 1
        by_institution[inst_id] += 1
        by_branch[_branch_of(tree, inst_id)] += 1
        by_month[local_date(received.time).strftime("%Y-%m")] += 1
        pairs[(product, issue)] += 1
        complainants += int(data.get("complainants", 1))
        major += bool(data.get("major"))

        visible = _visible(selected[complaint_id], as_of)
        types = {e.type for e in visible}
        mine = results.get(complaint_id, [])
        chosen, clock = _decision_result(mine)

        # handling
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
        if state in ("met", "met_late"):
            try:
                handling.working_days.append(
                    calendar.working_days_between(local_date(received.time), local_date(clock.met_at)))
            except CalendarError:
                handling.working_days_unknown += 1

        # extensions
        extended = [e for e in visible if e.type == "extended"]
        if extended:
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

        # findings (every module)
        severities = set()
        p10 = False
        for result in mine:
            for finding in result.findings:
                findings[(finding.code, finding.severity)] += 1
                messages.setdefault(finding.code, finding.message.get("zh", ""))
                severities.add(finding.severity)
                p10 = p10 or ".P10." in finding.code
        for severity in severities:
            with_findings[severity] += 1

        # regulator-forwarded complaints (point 十)
        forwarded_by = data.get("forwarded_by")
        if forwarded_by:
            forwarded.total += 1
            forwarded.by_office[(forwarded_by.get("regulator"), forwarded_by.get("office"))] += 1
            report_clock = next((c for r in mine for c in r.clocks if c.name == "report_back"), None)
            applies = report_clock is not None and report_clock.state != "not_applicable"
            forwarded.point_10_applies += applies
            if applies and report_clock.state in ("running", "not_started"):
                forwarded.report_back_pending += 1
            if "reported_to_regulator" in types:
                forwarded.reported_back += 1
                if applies and not p10:
                    forwarded.reported_back_on_time += 1
            if p10:
                forwarded.with_p10_finding += 1

    # hot issues against the previous half-year (point 十一)
    if first_receipt is None or first_receipt > previous.end:
        coverage = "none"
    elif first_receipt > previous.start:
        coverage = "partial"
        notes.append(f"the archive's first receipt is {first_receipt.isoformat()}: the previous half-year "
                     f"{previous.label} is only partly covered, so its counts may be too low")
    else:
        coverage = "full"
    ranked = sorted(pairs.items(), key=lambda kv: (-kv[1], str(kv[0][0]), str(kv[0][1])))[:HOT_ISSUES]
    hot = [HotIssue(p, i, n, None if coverage == "none" else previous_pairs[(p, i)]) for (p, i), n in ranked]

    # point 十六: changes of rules / channels / contacts, and submissions recorded for this period
    changes, submissions = [], []
    for e in sorted(contents.institution_events, key=lambda e: (e.epoch, e.event_id)):
        inst_id = e.institution.get("id")
        if e.type == "complaint_contact_changed" and e.time <= as_of and period.contains(local_date(e.time)):
            # a change at the scope institution, under it, or above it (it applies downwards)
            if scope is None or in_scope(inst_id) or inst_id in _chain(tree, scope.id):
                changes.append(e)
        elif (e.type == "periodic_report_submitted" and e.data.get("period") == period.label
              and in_scope(inst_id)):
            submissions.append(e)

    if as_of < end_of_day(period.end):
        notes.append(f"the as-of time {as_of.isoformat()} is before the end of {period.label}: "
                     f"the half-year is not complete")
    if not receipts:
        notes.append(f"no complaint was received in {period.label}"
                     + (f" at {scope.id} or under it" if scope else "") + ": this is a report of 0 complaints")

    roots = sorted((info for info in tree.values() if info.level == "head_office"
                    or (info.parent is None and info.level is not None)), key=lambda i: i.id)
    return SemiannualReport(
        period=period, as_of=as_of, institution=scope, roots=roots, modules=list(modules),
        calendar_version=calendar.version, engine=audit.engine,
        files=contents.files, lines=contents.lines, accepted=contents.accepted,
        quarantined=len(contents.quarantined), complaints_in_archive=len(contents.complaints),
        excluded=dict(excluded), complaint_ids=sorted(receipts), complainants=complainants, major=major,
        by_product=by_product, by_issue=by_issue, by_channel=by_channel,
        by_branch=by_branch, by_institution=by_institution, by_month=by_month,
        handling=handling, extensions=extensions, forwarded=forwarded,
        findings=findings, finding_messages=messages, complaints_with_findings=with_findings,
        hot_issues=hot, previous_coverage=coverage, first_receipt=first_receipt,
        changes=changes, submissions=submissions, institutions=tree, notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Tables (what every renderer writes)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    id: str
    zh: str
    en: str
    kind: str | None = None  # count | share | days | change | text; None: the row's kind


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # the machine key (CSV ``key``)
    label: str  # what a person reads in the first column
    values: dict[str, Any]
    kind: str = "count"
    indent: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    zh: str
    en: str
    key_zh: str
    key_en: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    chart: bool = False  # HTML: draw a bar chart of the ``count`` column
    note: str = ""


@dataclass(frozen=True, slots=True)
class HeaderItem:
    id: str
    zh: str
    en: str
    value: str
    key: str = ""


COUNT = (Column("count", "件数", "complaints"),)
VALUE = (Column("value", "数值", "value"),)


def _counter_rows(counter: Counter, kind: str) -> tuple[Row, ...]:
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return tuple(Row(str(k), label(kind, str(k)), {"count": n}) for k, n in ordered)


def _as_of_text(moment: datetime) -> str:
    """ISO 8601; a midnight also as 24:00 of the day before (the end of that day)."""
    text = moment.isoformat()
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        text += f" (= {date.fromordinal(moment.date().toordinal() - 1).isoformat()} 24:00)"
    return text


def header_items(report: SemiannualReport) -> list[HeaderItem]:
    scope = report.institution
    if scope is not None:
        level = f" ({label('level', scope.level)})" if scope.level else ""
        who = f"{report.institution_label(scope.id)}{level} and every institution under it 及其下辖机构"
    else:
        who = ("; ".join(report.institution_label(r.id) for r in report.roots) or "(none)") + \
              " — all institutions in the archive 档案内全部机构"
    p, h = report.period, report.handling
    others = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.excluded.items())
    items = [
        HeaderItem("institution", "报告机构", "institution", who),
        HeaderItem("period", "报告期", "period",
                   f"{p.label} ({p.start.isoformat()} – {p.end.isoformat()}, receipt dates, Asia/Shanghai)"),
        HeaderItem("due_date", "报送截止日", "due by",
                   f"{p.due.isoformat()} (point 十六: 于每年1月30日和7月30日前报送)"),
        HeaderItem("as_of", "统计截至", "as of", _as_of_text(report.as_of)),
    ]
    for m in report.modules:
        items.append(HeaderItem("module", "规则模块", "rule module", m.digest, key=m.ref))
    items += [
        HeaderItem("calendar", "工作日历版本", "calendar", report.calendar_version),
        HeaderItem("engine", "引擎", "engine", report.engine),
        HeaderItem("complaints", "本期受理投诉", "complaints received", str(report.total)),
        HeaderItem("reconciliation_complaints", "投诉核对", "complaints reconciliation",
                   f"{report.total} complaints = {h.within_limit} decided within the limit + {h.late} decided late"
                   f" + {h.open} open + {h.overdue} overdue undecided + {h.withdrawn} withdrawn"
                   f" + {h.undetermined} undetermined + {h.not_evaluated} not evaluated"),
        HeaderItem("reconciliation_archive", "档案核对", "archive reconciliation",
                   f"{report.complaints_in_archive} complaints in the archive = {report.total} in this report + "
                   f"{others}"),
        HeaderItem("reconciliation_events", "事件核对", "events reconciliation",
                   f"{report.lines} events read from {report.files} file(s) = {report.accepted} accepted + "
                   f"{report.quarantined} quarantined"),
    ]
    return items


def report_sections(report: SemiannualReport) -> list[Section]:
    h, x, fw = report.handling, report.extensions, report.forwarded
    sections: list[Section] = []
    add = sections.append

    add(Section("totals", "总量", "Totals", "项目", "item", VALUE, (
        Row("complaints", "本期受理投诉 complaints received", {"value": report.total}),
        Row("complainants", "投诉人数 complainants", {"value": report.complainants}),
        Row("major", "机构认定的重大投诉 flagged major by the institution", {"value": report.major}),
        Row("forwarded", "其中监管转办 of which forwarded by a regulator", {"value": fw.total}, indent=True),
        Row("extended", "其中延长处理时限 of which extended", {"value": x.complaints}, indent=True),
    )))
    add(Section("by_product", "按产品", "By product", "产品", "product", COUNT,
                _counter_rows(report.by_product, "product"), chart=True))
    add(Section("by_issue", "按投诉事由", "By issue", "事由", "issue", COUNT,
                _counter_rows(report.by_issue, "issue"), chart=True))
    add(Section("by_channel", "按投诉渠道", "By channel", "渠道", "channel", COUNT,
                _counter_rows(report.by_channel, "channel"), chart=True))
    add(Section("by_month", "按受理月份", "By month of receipt", "月份", "month", COUNT,
                tuple(Row(m, f"{m} {int(m[5:])}月", {"count": n}) for m, n in report.by_month.items()), chart=True))
    tree = report.institutions
    name_col = (Column("name", "名称", "name", "text"), Column("level", "层级", "level", "text"))

    def inst_rows(counter: Counter) -> tuple[Row, ...]:
        rows = []
        for inst_id, n in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            info = tree.get(inst_id) or Institution(inst_id)
            rows.append(Row(inst_id, inst_id, {"name": info.name or "", "level": info.level or "unknown",
                                               "count": n}))
        return tuple(rows)

    add(Section("by_branch", "按分行汇总", "By branch (roll-up)", "分行", "branch", name_col + COUNT,
                inst_rows(report.by_branch), chart=True,
                note="每件投诉计入其所属分行（受理机构本身或其上级分行）；总行本级受理的计入总行。 Each complaint "
                     "is counted under the branch-level ancestor of the institution that received it "
                     "(the head office for complaints received at the head office itself)."))
    add(Section("by_institution", "按处理机构", "By handling institution", "机构", "institution",
                name_col + COUNT, inst_rows(report.by_institution),
                note="处理机构 = 受理投诉的机构（received 事件所记机构）。 The handling institution is the "
                     "institution on the complaint's received event."))

    add(Section("handling", "办理情况", "Handling (point 九)", "项目", "item", VALUE, (
        Row("decided_within_limit", "按时办结 decided within the limit", {"value": h.within_limit}),
        Row("decided_late", "超时办结 decided late", {"value": h.late}),
        Row("open", "办理中（未到期） open, within the limit", {"value": h.open}),
        Row("overdue_undecided", "已超时未办结 overdue and undecided", {"value": h.overdue}),
        Row("withdrawn", "撤诉 withdrawn", {"value": h.withdrawn}),
        Row("withdrawn_after_limit", "其中超时后撤诉 of which withdrawn after the limit had passed",
            {"value": h.withdrawn_after_limit}, indent=True),
        Row("undetermined", "无法判定 undetermined (limit not computable)", {"value": h.undetermined}),
        Row("not_evaluated", "未评估 not evaluated", {"value": h.not_evaluated}),
        Row("share_within_limit", "按时办结率（占已办结） share decided within the limit, of those decided",
            {"value": h.share_within_limit}, kind="share"),
        Row("average_working_days", "平均办理工作日 average working days, receipt to decision",
            {"value": h.average_working_days}, kind="days"),
        Row("median_working_days", "办理工作日中位数 median working days, receipt to decision",
            {"value": h.median_working_days}, kind="days"),
        Row("working_days_not_computable", "工作日无法计算 decided, working days not computable",
            {"value": h.working_days_unknown}),
    )))

    add(Section("extensions", "延长处理时限", "Extensions (point 九)", "项目", "item", VALUE, (
        Row("complaints_extended", "延长处理时限的投诉 complaints extended", {"value": x.complaints}),
        Row("extension_events", "延长次数 extensions", {"value": x.events}),
        Row("effective", "延长生效 took effect", {"value": x.effective}),
        Row("capped", "其中被限于六十个工作日 of which capped at the 60-working-day limit", {"value": x.capped},
            indent=True),
        Row("not_effective", "延长未生效 did not take effect", {"value": x.not_effective}),
        Row("unjudged", "未判定 not judged (clock undetermined)", {"value": x.unjudged}),
    )))
    reasons = sorted(x.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    reason_rows = [Row(r or "(none)", r or "（未说明理由） no reason given", {"count": n}) for r, n in
                   reasons[:TOP_REASONS]]
    if len(reasons) > TOP_REASONS:
        rest = sum(n for _, n in reasons[TOP_REASONS:])
        reason_rows.append(Row("(others)", "其他理由 other reasons", {"count": rest}))
    add(Section("extension_reasons", "延长理由", f"Extension reasons (top {TOP_REASONS})", "理由", "reason",
                (Column("count", "次数", "extensions"),), tuple(reason_rows)))

    add(Section("forwarded", "监管转办投诉", "Regulator-forwarded complaints (point 十)", "项目", "item", VALUE, (
        Row("forwarded", "监管转办投诉 forwarded by a regulator", {"value": fw.total}),
        Row("point_10_applies", "适用第十点（银监会/银保监会/金融监管总局） point 十 applies",
            {"value": fw.point_10_applies}),
        Row("reported_back", "已向转办机构报告 reported back", {"value": fw.reported_back}),
        Row("reported_back_on_time", "按时正确报告（适用第十点且无第十点问题） reported back, point 十 applies, "
            "no point-十 finding",
            {"value": fw.reported_back_on_time}, indent=True),
        Row("with_p10_finding", "有第十点问题 with a point-十 (P10) finding", {"value": fw.with_p10_finding}),
        Row("report_back_pending", "报告期限未届满 report-back not yet due", {"value": fw.report_back_pending}),
    )))
    office_rows = tuple(
        Row(f"{reg}|{office}", f"{label('regulator', str(reg))} — {office}", {"count": n})
        for (reg, office), n in sorted(fw.by_office.items(), key=lambda kv: (-kv[1], str(kv[0])))
    )
    add(Section("forwarded_by_office", "转办机构", "Forwarded by regulator and office", "监管机构 — 派出机构",
                "regulator — office", COUNT, office_rows))

    severities = sorted({s for _, s in report.findings} | {"violation", "warning", "undetermined", "error"},
                        key=lambda s: SEVERITY_ORDER.get(s, 9))
    sev_cols = tuple(Column(s, LABELS_ZH["severity"].get(s, s), s) for s in severities)
    codes = sorted({c for c, _ in report.findings})
    finding_rows = [Row(c, c, {**{s: report.findings[(c, s)] for s in severities},
                               "message_zh": report.finding_messages.get(c, "")}) for c in codes]
    by_severity = Counter()
    for (_, severity), n in report.findings.items():
        by_severity[severity] += n
    finding_rows.append(Row("(total findings)", "合计 total findings",
                            {**{s: by_severity[s] for s in severities}, "message_zh": ""}))
    finding_rows.append(Row("(complaints)", "涉及投诉 complaints with such a finding",
                            {**{s: report.complaints_with_findings[s] for s in severities},
                             "message_zh": ""}))
    add(Section("findings", "合规检查发现", "Findings (audit of the complaints received in the period)",
                "代码", "code", sev_cols + (Column("message_zh", "说明", "message", "text"),),
                tuple(finding_rows)))

    prev = report.period.previous
    coverage_note = {
        "full": f"上期 previous = {prev.label}.",
        "partial": f"上期 previous = {prev.label}; 档案仅部分覆盖上期 the archive only partly covers it "
                   f"(first receipt {report.first_receipt}).",
        "none": f"上期 previous = {prev.label}: 档案未覆盖 not covered by the archive (n/a).",
    }[report.previous_coverage]
    add(Section("hot_issues", "热点问题", f"Hot issues: top {HOT_ISSUES} product × issue (point 十一)",
                "产品 × 事由", "product × issue",
                (Column("rank", "排名", "rank", "count"), Column("count", "本期", "this period", "count"),
                 Column("previous", "上期", "previous", "count"), Column("change", "变化", "change", "change"),
                 Column("change_share", "变化率", "change %", "change_share")),
                tuple(Row(f"{hi.product}|{hi.issue}", f"{label('product', str(hi.product))} × "
                          f"{label('issue', str(hi.issue))}",
                          {"rank": n, "count": hi.count, "previous": hi.previous, "change": hi.change,
                           "change_share": hi.change_share})
                      for n, hi in enumerate(report.hot_issues, 1)),
                note=coverage_note))

    add(Section("changes", "投诉管理办法、渠道及联系人变动", "Changes to reflect or report (point 十六)",
                "事件", "event",
                (Column("date", "日期", "date", "text"), Column("institution", "机构", "institution", "text"),
                 Column("change", "变动", "change", "text"),
                 Column("description", "说明", "description", "text")),
                tuple(Row(e.event_id, e.event_id, {
                    "date": local_date(e.time).isoformat(), "institution": e.institution.get("id", ""),
                    "change": label("change", str(e.data.get("change"))),
                    "description": e.data.get("description", "")}) for e in report.changes),
                note="管理办法、渠道变动应在半年报告中反映；部门、负责人、联系人变动应及时另行报告。 Changes of rules "
                     "or channels belong in this report; changes of department, head or contact are reported "
                     "promptly on their own."))
    add(Section("submissions", "本期报告报送记录", "Submissions of this period's report recorded in the archive",
                "事件", "event",
                (Column("date", "日期", "date", "text"), Column("institution", "机构", "institution", "text"),
                 Column("regulator", "监管机构", "regulator", "text"), Column("office", "派出机构", "office", "text"),
                 Column("on_time", "按时", "by the due date", "text")),
                tuple(Row(e.event_id, e.event_id, {
                    "date": local_date(e.time).isoformat(), "institution": e.institution.get("id", ""),
                    "regulator": label("regulator", str(e.data.get("regulator"))),
                    "office": e.data.get("office", ""),
                    "on_time": "yes" if local_date(e.time) <= report.period.due else "no"})
                      for e in report.submissions)))
    if report.notes:
        add(Section("notes", "说明", "Notes", "编号", "no.", (Column("note", "说明", "note", "text"),),
                    tuple(Row(str(i), str(i), {"note": n}) for i, n in enumerate(report.notes, 1))))
    return sections


# --------------------------------------------------------------------------------------------
# Renderers
# --------------------------------------------------------------------------------------------

Renderer = Callable[[SemiannualReport, TextIO], None]
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        RENDERERS[name] = fn
        return fn

    return register


def render(report: SemiannualReport, fmt: str, out: TextIO) -> None:
    if fmt not in RENDERERS:
        raise InputError(f"--format: unknown format {fmt!r} (choose from {', '.join(RENDERERS)})")
    RENDERERS[fmt](report, out)


def _display(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "share":
        return f"{value * 100:.1f} %"
    if kind == "change_share":
        return f"{value * 100:+.1f} %"
    if kind == "days":
        return f"{value:.1f}"
    if kind == "change":
        return f"{value:+d}"
    return str(value)


def _csv_value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


TITLE_ZH = "金融消费者投诉统计分析半年报告"
TITLE_EN = "Semi-annual complaint statistics and analysis report"


@renderer("markdown")
def _markdown(report: SemiannualReport, out: TextIO) -> None:
    def cell(text: str) -> str:
        return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    out.write(f"# {TITLE_ZH} — {TITLE_EN}: {report.period.label}\n\n")
    out.write("| 项目 item | 内容 value |\n|---|---|\n")
    for item in header_items(report):
        value = f"{item.key} {item.value}" if item.key else item.value
        out.write(f"| {cell(item.zh)} {cell(item.en)} | {cell(value)} |\n")
    for section in report_sections(report):
        out.write(f"\n## {section.zh} — {section.en}\n\n")
        if section.note:
            out.write(f"{section.note}\n\n")
        heads = [f"{section.key_zh} {section.key_en}"] + [f"{c.zh} {c.en}" for c in section.columns]
        out.write("| " + " | ".join(cell(h) for h in heads) + " |\n")
        aligns = ["---"] + ["---" if c.kind == "text" else "---:" for c in section.columns]
        out.write("|" + "|".join(aligns) + "|\n")
        if not section.rows:
            out.write("| (none 无) |" + " |" * len(section.columns) + "\n")
        for row in section.rows:
            first = ("↳ " if row.indent else "") + row.label
            values = [_display(row.values.get(c.id), c.kind or row.kind) for c in section.columns]
            out.write("| " + " | ".join(cell(v) for v in [first, *values]) + " |\n")


@renderer("csv")
def _csv(report: SemiannualReport, out: TextIO) -> None:
    """One long table: section, dimension, key, value (docs/reports.md)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "dimension", "key", "value"])
    for item in header_items(report):
        writer.writerow(["header", item.id, item.key, item.value])
    for section in report_sections(report):
        for row in section.rows:
            for column in section.columns:
                writer.writerow([section.id, column.id, row.key, _csv_value(row.values.get(column.id))])
    out.write(buffer.getvalue())


# -- HTML ------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bar:#2f6fb2; --bg:#ffffff; --band:#f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 980px; padding: 24px 20px 48px; color: var(--ink); background: var(--bg);
  font: 14px/1.55 "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", system-ui, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h1 small { display: block; font-size: 15px; font-weight: normal; color: var(--muted); }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h2 small { font-weight: normal; color: var(--muted); margin-left: 6px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
th small { display: block; font-weight: normal; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.indent { padding-left: 28px; color: var(--muted); }
table.header th { width: 26%; }
p.note { color: var(--muted); font-size: 13px; margin: 4px 0; }
p.empty { color: var(--muted); font-style: italic; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; }
svg.chart text { font-size: 12px; fill: var(--ink); }
svg.chart rect.bar { fill: var(--bar); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { body { max-width: none; } h2 { break-after: avoid; }
  svg.chart, table { break-inside: avoid; } }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _fit(text: str, units: int) -> str:
    """``text`` cut to about ``units`` half-width columns (a CJK character takes two)."""
    used = 0
    for i, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > units:
            return text[:max(i - 1, 0)] + "…"
    return text


def _svg_bars(section: Section) -> str:
    """A horizontal bar chart of the section's ``count`` column (inline SVG, no script)."""
    rows = [(f"{r.label} {r.values['name']}" if r.values.get("name") else r.label, int(r.values.get("count") or 0))
            for r in section.rows]
    width, label_w, value_w, bar_h, gap, top = 720, 250, 50, 18, 6, 6
    height = top * 2 + max(len(rows), 1) * (bar_h + gap)
    peak = max((n for _, n in rows), default=0) or 1
    span = width - label_w - value_w - 10
    title = f"{section.zh} {section.en}"
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'aria-label="{_esc(title)}"><title>{_esc(title)}</title>']
    if not rows:
        parts.append(f'<text x="0" y="{top + 14}">(none 无)</text>')
    for i, (text, n) in enumerate(rows):
        y = top + i * (bar_h + gap)
        shown = _fit(text, 38)
        w = round(span * n / peak, 1)
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_h - 4}" text-anchor="end">{_esc(shown)}</text>')
        parts.append(f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="2">'
                     f'<title>{_esc(text)}: {n}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + bar_h - 4}">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


@renderer("html")
def _html(report: SemiannualReport, out: TextIO) -> None:
    """One self-contained page: inline CSS and SVG, no script, no external reference."""
    w = out.write
    title = f"{TITLE_ZH} {report.period.label} — {TITLE_EN}"
    w('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
      f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n")
    w(f"<header><h1>{_esc(TITLE_ZH)} {_esc(report.period.label)}<small>{_esc(TITLE_EN)}</small></h1>\n")
    w('<table class="header">\n')
    for item in header_items(report):
        value = f"{item.key} {item.value}" if item.key else item.value
        w(f"<tr><th>{_esc(item.zh)}<small>{_esc(item.en)}</small></th><td>{_esc(value)}</td></tr>\n")
    w("</table></header>\n")
    for section in report_sections(report):
        w(f'<section id="{_esc(section.id)}"><h2>{_esc(section.zh)}<small>{_esc(section.en)}</small></h2>\n')
        if section.note:
            w(f'<p class="note">{_esc(section.note)}</p>\n')
        if section.chart:
            w(_svg_bars(section) + "\n")
        if not section.rows:
            w('<p class="empty">（无） none</p></section>\n')
            continue
        w("<table><thead><tr>")
        w(f"<th>{_esc(section.key_zh)}<small>{_esc(section.key_en)}</small></th>")
        for c in section.columns:
            cls = "" if c.kind == "text" else ' class="num"'
            w(f"<th{cls}>{_esc(c.zh)}<small>{_esc(c.en)}</small></th>")
        w("</tr></thead><tbody>\n")
        for row in section.rows:
            cls = ' class="indent"' if row.indent else ""
            w(f"<tr><td{cls}>{_esc(row.label)}</td>")
            for c in section.columns:
                kind = c.kind or row.kind
                num = "" if kind == "text" else ' class="num"'
                w(f"<td{num}>{_esc(_display(row.values.get(c.id), kind))}</td>")
            w("</tr>\n")
        w("</tbody></table></section>\n")
    w(f"<footer>cppolicy report semiannual · {_esc(report.engine)} · "
      f"银监发〔2012〕13号 第十六点、第十一点</footer>\n</body>\n</html>\n")
