"""The half-yearly report as bilingual tables: what every format writes.

:func:`header_items` and :func:`report_sections` turn a computed
:class:`~cppolicy.reports.semiannual.model.SemiannualReport` into sections of rows and columns,
each labelled in Chinese and English; the formats (:mod:`~cppolicy.reports.semiannual.render`)
only write them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cppolicy.calendar import local_date
from cppolicy.evaluation import SEVERITY_ORDER
from cppolicy.reports.semiannual.model import (
    HOT_ISSUES,
    LABELS_ZH,
    TOP_REASONS,
    Institution,
    SemiannualReport,
    label,
)


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
    """Every section of the report, in order: what every format writes."""
    return [section for part in (_breakdowns, _handling, _forwarded, _findings, _hot_issues, _records)
            for section in part(report)]


def _breakdowns(report: SemiannualReport) -> list[Section]:
    """Totals, and complaints by product, issue, channel, month, branch and institution."""
    x, fw = report.extensions, report.forwarded
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
    return sections


def _handling(report: SemiannualReport) -> list[Section]:
    """Handling and extensions (point 九)."""
    h, x = report.handling, report.extensions
    sections: list[Section] = []
    add = sections.append
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
    return sections


def _forwarded(report: SemiannualReport) -> list[Section]:
    """Regulator-forwarded complaints (point 十)."""
    fw = report.forwarded
    sections: list[Section] = []
    add = sections.append
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
    return sections


def _findings(report: SemiannualReport) -> list[Section]:
    """The findings of the audit of the period's complaints, by code and severity."""
    sections: list[Section] = []
    add = sections.append
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
    return sections


def _hot_issues(report: SemiannualReport) -> list[Section]:
    """Hot issues against the previous half-year (point 十一)."""
    sections: list[Section] = []
    add = sections.append
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
    return sections


def _records(report: SemiannualReport) -> list[Section]:
    """Changes and submissions recorded for the period (point 十六), and the notes."""
    sections: list[Section] = []
    add = sections.append
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
