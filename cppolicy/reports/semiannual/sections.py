"""The half-yearly report as bilingual tables: sections of rows and columns, and the header.

What every format writes (:mod:`~cppolicy.reports.semiannual.render`): :func:`header_items` here,
and :func:`~cppolicy.reports.semiannual.tables.report_sections`, each labelled in Chinese and
English, built from a computed :class:`~cppolicy.reports.semiannual.model.SemiannualReport`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cppolicy.reports.semiannual.model import SemiannualReport, label


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
        who = (
            "; ".join(report.institution_label(r.id) for r in report.roots) or "(none)"
        ) + " — all institutions in the archive 档案内全部机构"
    p, h = report.period, report.handling
    others = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.excluded.items())
    items = [
        HeaderItem("institution", "报告机构", "institution", who),
        HeaderItem(
            "period",
            "报告期",
            "period",
            f"{p.label} ({p.start.isoformat()} – {p.end.isoformat()}, receipt dates, Asia/Shanghai)",
        ),
        HeaderItem(
            "due_date",
            "报送截止日",
            "due by",
            f"{p.due.isoformat()} (银监发〔2012〕13号 point 十六: 于每年1月30日和7月30日前报送)",
        ),
        HeaderItem("as_of", "统计截至", "as of", _as_of_text(report.as_of)),
    ]
    for m in report.modules:
        items.append(HeaderItem("module", "规则模块", "rule module", m.digest, key=m.ref))
    items += [
        HeaderItem("calendar", "工作日历版本", "calendar", report.calendar_version),
        HeaderItem("engine", "引擎", "engine", report.engine),
        HeaderItem("complaints", "本期受理投诉", "complaints received", str(report.total)),
        HeaderItem(
            "reconciliation_complaints",
            "投诉核对",
            "complaints reconciliation",
            f"{report.total} complaints = {h.within_limit} decided within the limit + {h.late} decided late"
            f" + {h.open} open + {h.overdue} overdue undecided + {h.withdrawn} withdrawn"
            f" + {h.undetermined} undetermined + {h.not_evaluated} not evaluated",
        ),
        HeaderItem(
            "reconciliation_archive",
            "档案核对",
            "archive reconciliation",
            f"{report.complaints_in_archive} complaints in the archive = {report.total} in this report + "
            f"{others}",
        ),
        HeaderItem(
            "reconciliation_events",
            "事件核对",
            "events reconciliation",
            f"{report.lines} events read from {report.files} file(s) = {report.accepted} accepted + "
            f"{report.quarantined} quarantined",
        ),
    ]
    return items
