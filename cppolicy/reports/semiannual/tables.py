"""The sections of the half-yearly report, theme by theme, in the order every format writes them.

Most sections are a table of figures with one value column (:func:`_values`) or a count per key
(:func:`_counts`); each row's label is the Chinese and the English side by side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from cppolicy.calendar import local_date
from cppolicy.evaluation import SEVERITY_ORDER
from cppolicy.events import Event
from cppolicy.reports.semiannual.model import (
    HOT_ISSUES,
    LABELS_ZH,
    TOP_REASONS,
    UNITS,
    Institution,
    SemiannualReport,
    label,
)
from cppolicy.reports.semiannual.sections import COUNT, VALUE, Column, Row, Section

#: a row of a value table: (key, label, value) or (key, label, value, {"kind": …, "indent": …})
ValueRow = tuple[Any, ...]


def _values(ident: str, zh: str, en: str, rows: Iterable[ValueRow]) -> Section:
    """A table of figures, one value each."""
    built = tuple(
        Row(key, text, {"value": value}, **(extra[0] if extra else {})) for key, text, value, *extra in rows
    )
    return Section(ident, zh, en, "项目", "item", VALUE, built)


def _counts(counter: Counter[Any], kind: str) -> tuple[Row, ...]:
    """A count per key, largest first, each key labelled in Chinese when a label is known."""
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return tuple(Row(str(k), label(kind, str(k)), {"count": n}) for k, n in ordered)


_INDENT = {"indent": True}

#: the breakdowns by one dimension of the receipt: (section, zh, en, key zh, key en)
_DIMENSIONS = (
    ("by_product", "按产品", "By product", "产品", "product"),
    ("by_issue", "按投诉事由", "By issue", "事由", "issue"),
    ("by_channel", "按投诉渠道", "By channel", "渠道", "channel"),
)


def _totals(report: SemiannualReport) -> list[Section]:
    """Totals, and complaints by product, issue, channel and month."""
    x, fw = report.extensions, report.forwarded
    sections = [
        _values("totals", "总量", "Totals", (
            ("complaints", "本期受理投诉 complaints received", report.total),
            ("complainants", "投诉人数 complainants", report.complainants),
            ("major", "机构认定的重大投诉 flagged major by the institution", report.major),
            ("forwarded", "其中监管转办 of which forwarded by a regulator", fw.total, _INDENT),
            ("extended", "其中延长处理时限 of which extended", x.complaints, _INDENT),
        ))
    ]  # fmt: skip
    for ident, zh, en, key_zh, key_en in _DIMENSIONS:
        counter = getattr(report, ident)
        sections.append(Section(ident, zh, en, key_zh, key_en, COUNT, _counts(counter, key_en), chart=True))
    months = tuple(Row(m, f"{m} {int(m[5:])}月", {"count": n}) for m, n in report.by_month.items())
    by_month = Section(
        "by_month", "按受理月份", "By month of receipt", "月份", "month", COUNT, months, chart=True
    )
    sections.append(by_month)
    return sections


def _institutions(report: SemiannualReport) -> list[Section]:
    """Complaints by branch (rolled up) and by handling institution."""
    tree = report.institutions
    columns = (Column("name", "名称", "name", "text"), Column("level", "层级", "level", "text"), *COUNT)

    def rows(counter: Counter[Any]) -> tuple[Row, ...]:
        out = []
        for inst_id, n in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            info = tree.get(inst_id) or Institution(inst_id)
            values = {"name": info.name or "", "level": info.level or "unknown", "count": n}
            out.append(Row(inst_id, inst_id, values))
        return tuple(out)

    return [
        Section("by_branch", "按分行汇总", "By branch (roll-up)", "分行", "branch", columns,
                rows(report.by_branch), chart=True,
                note="每件投诉计入其所属分行（受理机构本身或其上级分行）；总行本级受理的计入总行。 Each complaint "
                "is counted under the branch-level ancestor of the institution that received it "
                "(the head office for complaints received at the head office itself)."),
        Section("by_institution", "按处理机构", "By handling institution", "机构", "institution", columns,
                rows(report.by_institution),
                note="处理机构 = 受理投诉的机构（received 事件所记机构）。 The handling institution is the "
                "institution on the complaint's received event."),
    ]  # fmt: skip


def _bases(report: SemiannualReport) -> list[ValueRow]:
    """Per time limit that judged complaints: how many, and their time to decision in its unit."""
    rows: list[ValueRow] = []
    for basis in report.handling.bases.values():
        zh, en = basis.provision()
        unit_zh, unit_en = UNITS[basis.unit]
        key, days = basis.key, {"kind": "days", "indent": True}
        rows += [
            (f"judged_by|{key}", f"按{zh}（{unit_zh}）判定 judged under {en} ({unit_en})", basis.complaints),
            (f"average_days|{key}", f"平均办理{unit_zh} average {unit_en}, receipt to decision",
             basis.average, days),
            (f"median_days|{key}", f"办理{unit_zh}中位数 median {unit_en}, receipt to decision",
             basis.median, days),
        ]  # fmt: skip
        if basis.unit == "working_day":
            rows.append(
                (f"days_not_computable|{key}", "工作日无法计算 decided, working days not computable",
                 basis.days_unknown, _INDENT)
            )  # fmt: skip
    return rows


def handling_title(report: SemiannualReport) -> str:
    """The handling section's title: the provisions whose time limits judged it."""
    provisions = [basis.provision()[1] for basis in report.handling.bases.values()]
    return "Handling (" + ("; ".join(dict.fromkeys(provisions)) or "no time limit judged") + ")"


def _handling(report: SemiannualReport) -> list[Section]:
    """Handling, by the time limit of each complaint's decision clock (point 九 of the 2012 notice
    in working days, Art. 18 of Order 2020 No. 3 in calendar days, …)."""
    h = report.handling
    return [
        _values("handling", "办理情况", handling_title(report), (
            ("decided_within_limit", "按时办结 decided within the limit", h.within_limit),
            ("decided_late", "超时办结 decided late", h.late),
            ("open", "办理中（未到期） open, within the limit", h.open),
            ("overdue_undecided", "已超时未办结 overdue and undecided", h.overdue),
            ("withdrawn", "撤诉 withdrawn", h.withdrawn),
            ("withdrawn_after_limit", "其中超时后撤诉 of which withdrawn after the limit had passed",
             h.withdrawn_after_limit, _INDENT),
            ("undetermined", "无法判定 undetermined (limit not computable)", h.undetermined),
            ("not_evaluated", "未评估 not evaluated", h.not_evaluated),
            ("share_within_limit", "按时办结率（占已办结） share decided within the limit, of those decided",
             h.share_within_limit, {"kind": "share"}),
            *_bases(report),
        ))
    ]  # fmt: skip


def _extensions(report: SemiannualReport) -> list[Section]:
    """Extensions (point 九), and their reasons."""
    x = report.extensions
    reasons = sorted(x.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    reason_rows = [Row(r or "(none)", r or "（未说明理由） no reason given", {"count": n})
                   for r, n in reasons[:TOP_REASONS]]  # fmt: skip
    if len(reasons) > TOP_REASONS:
        rest = sum(n for _, n in reasons[TOP_REASONS:])
        reason_rows.append(Row("(others)", "其他理由 other reasons", {"count": rest}))
    return [
        _values("extensions", "延长处理时限", "Extensions of the same time limits", (
            ("complaints_extended", "延长处理时限的投诉 complaints extended", x.complaints),
            ("extension_events", "延长次数 extensions", x.events),
            ("effective", "延长生效 took effect", x.effective),
            ("capped", "其中被限于延长上限 of which cut back to the cap of the limit in force", x.capped, _INDENT),
            ("not_effective", "延长未生效 did not take effect", x.not_effective),
            ("unjudged", "未判定 not judged (clock undetermined)", x.unjudged),
        )),
        Section("extension_reasons", "延长理由", f"Extension reasons (top {TOP_REASONS})", "理由", "reason",
                (Column("count", "次数", "extensions"),), tuple(reason_rows)),
    ]  # fmt: skip


def _forwarded(report: SemiannualReport) -> list[Section]:
    """Regulator-forwarded complaints (point 十)."""
    fw = report.forwarded
    offices = tuple(
        Row(f"{reg}|{office}", f"{label('regulator', str(reg))} — {office}", {"count": n})
        for (reg, office), n in sorted(fw.by_office.items(), key=lambda kv: (-kv[1], str(kv[0])))
    )
    return [
        _values("forwarded", "监管转办投诉", "Regulator-forwarded complaints (银监发〔2012〕13号 point 十)", (
            ("forwarded", "监管转办投诉 forwarded by a regulator", fw.total),
            ("point_10_applies", "适用第十点（银监会/银保监会/金融监管总局） point 十 applies", fw.point_10_applies),
            ("reported_back", "已向转办机构报告 reported back", fw.reported_back),
            ("reported_back_on_time", "按时正确报告（适用第十点且无第十点问题） reported back, point 十 applies, "
             "no point-十 finding", fw.reported_back_on_time, _INDENT),
            ("with_p10_finding", "有第十点问题 with a point-十 (P10) finding", fw.with_p10_finding),
            ("report_back_pending", "报告期限未届满 report-back not yet due", fw.report_back_pending),
        )),
        Section("forwarded_by_office", "转办机构", "Forwarded by regulator and office", "监管机构 — 派出机构",
                "regulator — office", COUNT, offices),
    ]  # fmt: skip


def _findings(report: SemiannualReport) -> list[Section]:
    """The findings of the audit of the period's complaints, by code and severity."""
    severities = sorted(
        {s for _, s in report.findings} | {"violation", "warning", "undetermined", "error"},
        key=lambda s: SEVERITY_ORDER.get(s, 9),
    )
    columns = tuple(Column(s, LABELS_ZH["severity"].get(s, s), s) for s in severities)
    messages = report.finding_messages
    rows = [
        Row(c, c, {**{s: report.findings[(c, s)] for s in severities}, "message_zh": messages.get(c, "")})
        for c in sorted({c for c, _ in report.findings})
    ]
    by_severity: Counter[str] = Counter()
    for (_, severity), n in report.findings.items():
        by_severity[severity] += n
    total = {**{s: by_severity[s] for s in severities}, "message_zh": ""}
    rows.append(Row("(total findings)", "合计 total findings", total))
    complaints = {**{s: report.complaints_with_findings[s] for s in severities}, "message_zh": ""}
    rows.append(Row("(complaints)", "涉及投诉 complaints with such a finding", complaints))
    title = "Findings (audit of the complaints received in the period)"
    message = Column("message_zh", "说明", "message", "text")
    return [Section("findings", "合规检查发现", title, "代码", "code", (*columns, message), tuple(rows))]


def _hot_issues(report: SemiannualReport) -> list[Section]:
    """Hot issues against the previous half-year (point 十一)."""
    prev = report.period.previous
    note = {
        "full": f"上期 previous = {prev.label}.",
        "partial": f"上期 previous = {prev.label}; 档案仅部分覆盖上期 the archive only partly covers it "
        f"(first receipt {report.first_receipt}).",
        "none": f"上期 previous = {prev.label}: 档案未覆盖 not covered by the archive (n/a).",
    }[report.previous_coverage]
    columns = (
        Column("rank", "排名", "rank", "count"),
        Column("count", "本期", "this period", "count"),
        Column("previous", "上期", "previous", "count"),
        Column("change", "变化", "change", "change"),
        Column("change_share", "变化率", "change %", "change_share"),
    )
    rows = tuple(
        Row(f"{hi.product}|{hi.issue}", f"{label('product', str(hi.product))} × {label('issue', str(hi.issue))}",
            {"rank": n, "count": hi.count, "previous": hi.previous, "change": hi.change,
             "change_share": hi.change_share})
        for n, hi in enumerate(report.hot_issues, 1)
    )  # fmt: skip
    title = f"Hot issues: top {HOT_ISSUES} product × issue (银监发〔2012〕13号 point 十一)"
    return [
        Section("hot_issues", "热点问题", title, "产品 × 事由", "product × issue", columns, rows, note=note)
    ]


def _event_row(event: Event, **values: Any) -> Row:
    """A row for an institution-level event: its date and institution, then ``values``."""
    cells = {
        "date": local_date(event.time).isoformat(),
        "institution": event.institution.get("id", ""),
        **values,
    }
    return Row(event.event_id, event.event_id, cells)


def _records(report: SemiannualReport) -> list[Section]:
    """Changes and submissions recorded for the period (point 十六), and the notes."""
    when = (Column("date", "日期", "date", "text"), Column("institution", "机构", "institution", "text"))
    changes = tuple(
        _event_row(
            e, change=label("change", str(e.data.get("change"))), description=e.data.get("description", "")
        )
        for e in report.changes
    )
    submissions = tuple(
        _event_row(e, regulator=label("regulator", str(e.data.get("regulator"))), office=e.data.get("office", ""),
                   on_time="yes" if local_date(e.time) <= report.period.due else "no")
        for e in report.submissions
    )  # fmt: skip
    changed = (
        Column("change", "变动", "change", "text"),
        Column("description", "说明", "description", "text"),
    )
    sent = (
        Column("regulator", "监管机构", "regulator", "text"),
        Column("office", "派出机构", "office", "text"),
        Column("on_time", "按时", "by the due date", "text"),
    )
    sections = [
        Section("changes", "投诉管理办法、渠道及联系人变动",
                "Changes to reflect or report (银监发〔2012〕13号 point 十六)", "事件", "event",
                (*when, *changed), changes,
                note="管理办法、渠道变动应在半年报告中反映；部门、负责人、联系人变动应及时另行报告。 Changes of rules "
                "or channels belong in this report; changes of department, head or contact are reported "
                "promptly on their own."),
        Section("submissions", "本期报告报送记录", "Submissions of this period's report recorded in the archive",
                "事件", "event", (*when, *sent), submissions),
    ]  # fmt: skip
    if report.notes:
        notes = tuple(Row(str(i), str(i), {"note": n}) for i, n in enumerate(report.notes, 1))
        column = (Column("note", "说明", "note", "text"),)
        sections.append(Section("notes", "说明", "Notes", "编号", "no.", column, notes))
    return sections


def report_sections(report: SemiannualReport) -> list[Section]:
    """Every section of the report, in order: what every format writes."""
    parts = (_totals, _institutions, _handling, _extensions, _forwarded, _findings, _hot_issues, _records)
    return [section for part in parts for section in part(report)]
