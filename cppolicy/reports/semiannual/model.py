"""The half-yearly report as plain numbers: the period, the labels, and the computed figures.

银监发〔2012〕13号 point 十六: 银行业金融机构及其各级分支机构应当做好金融消费者投诉统计、分析工作,
并每半年形成报告, 于每年1月30日和7月30日前报送. Point 十一 asks for the analysis of hot issues (热点问题).
See docs/reports.md for every definition used here.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from cppolicy.errors import InputError
from cppolicy.events import Event
from cppolicy.rules import RuleModule

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
        "credit_card": "信用卡",
        "personal_loan": "个人贷款",
        "mortgage": "住房按揭贷款",
        "deposit": "存款",
        "wealth_management": "理财",
        "payment": "支付结算",
        "insurance_agency": "代理保险",
        "debit_card": "借记卡",
        "fund_agency": "代销基金",
        "precious_metals": "贵金属",
    },
    "issue": {
        "fees": "收费",
        "interest": "利息",
        "service_attitude": "服务态度",
        "marketing": "营销宣传",
        "debt_collection": "催收",
        "account_freeze": "账户冻结",
        "information_disclosure": "信息披露",
        "fraud": "欺诈",
        "personal_information": "个人信息保护",
    },
    "channel": {
        "phone": "电话",
        "sms": "短信",
        "email": "电子邮件",
        "letter": "信函",
        "in_person": "现场",
        "online": "网络",
        "app": "手机银行App",
        "wechat": "微信",
        "other": "其他",
    },
    "regulator": {
        "CBRC": "银监会",
        "CBIRC": "银保监会",
        "NFRA": "国家金融监督管理总局",
        "PBOC": "中国人民银行",
    },
    "level": {"head_office": "总行", "branch": "分行", "sub_branch": "支行", "outlet": "营业网点"},
    "severity": {"violation": "违规", "warning": "提示", "undetermined": "无法判定", "error": "评估错误"},
    "change": {
        "department": "投诉处理部门",
        "head": "负责人",
        "contact": "联系人",
        "rules": "投诉管理办法",
        "channels": "投诉渠道",
    },
}


def label(kind: str, key: str) -> str:
    """``key 中文`` when a Chinese label is known, else ``key``."""
    zh = LABELS_ZH.get(kind, {}).get(key)
    return f"{key} {zh}" if zh else key


@dataclass(slots=True)
class Institution:
    id: str
    level: str | None = None  # None: only ever seen as somebody's parent
    parent: str | None = None
    name: str | None = None


#: the units the time to decision is counted in: unit -> (zh, en)
UNITS: dict[str, tuple[str, str]] = {
    "working_day": ("工作日", "working days"),
    "calendar_day": ("自然日", "calendar days"),
}


@dataclass(slots=True)
class HandlingBasis:
    """The time limit that judged the handling of some of the report's complaints: one rule
    module's ``decision`` clock, the provision it cites and the unit it counts in. Each decided
    complaint's time to decision is counted in that unit, from the receipt date (not counted) to
    the decision date: working days for the 2012 notice's point 九, calendar days for Order 2020
    No. 3's Art. 18."""

    module: str  # the rule module's id
    instrument: str  # its instrument's number, e.g. 银监发〔2012〕13号
    cite: str  # the clock's provision: a point (九) or an article (第十八条)
    unit: str  # working_day or calendar_day (a limit in hours is counted in calendar days)
    complaints: int = 0
    #: per decided complaint, its time from receipt to decision in ``unit``
    days: list[int] = field(default_factory=list)
    #: decided complaints whose time could not be counted (a year the calendar does not know)
    days_unknown: int = 0

    @property
    def key(self) -> str:
        return f"{self.module}|{self.unit}"

    def provision(self) -> tuple[str, str]:
        """The provision, in Chinese and in English: ``第九点`` / ``point 九``, ``第十八条``."""
        if self.cite.endswith("条"):
            return f"{self.instrument}{self.cite}", f"{self.instrument} {self.cite}"
        return f"{self.instrument}第{self.cite}点", f"{self.instrument} point {self.cite}"

    @property
    def average(self) -> float | None:
        return statistics.fmean(self.days) if self.days else None

    @property
    def median(self) -> float | None:
        return float(statistics.median(self.days)) if self.days else None


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
    #: the time limits that judged them, by :attr:`HandlingBasis.key`, in the order first met
    bases: dict[str, HandlingBasis] = field(default_factory=dict)

    @property
    def decided(self) -> int:
        return self.within_limit + self.late

    @property
    def total(self) -> int:
        return (
            self.within_limit
            + self.late
            + self.open
            + self.overdue
            + self.withdrawn
            + self.undetermined
            + self.not_evaluated
        )

    @property
    def share_within_limit(self) -> float | None:
        return self.within_limit / self.decided if self.decided else None


@dataclass(slots=True)
class Extensions:
    complaints: int = 0
    events: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    effective: int = 0
    not_effective: int = 0
    #: extension events the decision clock did not judge (clock undetermined or not evaluated)
    unjudged: int = 0
    capped: int = 0


@dataclass(slots=True)
class Forwarded:
    total: int = 0
    #: (regulator, office) -> complaints
    by_office: Counter[tuple[str | None, str | None]] = field(default_factory=Counter)
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
    by_product: Counter[str | None]
    by_issue: Counter[str | None]
    by_channel: Counter[str | None]
    by_branch: Counter[str]
    by_institution: Counter[str | None]
    by_month: dict[str, int]
    handling: Handling
    extensions: Extensions
    forwarded: Forwarded
    findings: Counter[tuple[str, str]]  # (code, severity) -> findings
    finding_messages: dict[str, str]
    complaints_with_findings: Counter[str]  # severity -> complaints with at least one such finding
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
