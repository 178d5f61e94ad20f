#!/usr/bin/env python3
"""Generate the bundled example archive ``examples/archive-2024-2025.jsonl.gz`` and its manifest.

About 300 complaints received 2024-01-01 … 2025-12-15 at one bank's head office, branches,
sub-branches and outlets, plus institution-level events, written as complaint events
(schema ``complaint-event/v1``, docs/events.md). Every complaint is built for one *scenario*:
compliant with 银监发〔2012〕13号 points 七–十, or breaching exactly one of them. The manifest
``archive-2024-2025.scenarios.json`` lists, per complaint, the scenario and the exact sorted
list of finding codes the ``cbrc-2012-13`` rule module should produce at the audit's as-of time.

On top of those 300, ten complaints with fixed ids ``C-2025-LS001`` … ``C-2025-LS010`` and the
institution-level events (half-yearly reports, changes, large-scale reports) exercise the
module's *archive-scope* rules (points 十五 and 十六): the manifest's ``archive_expected`` lists
exactly the institution-level findings (``complaint_id`` null) the module should produce. The
generator computes them with its own reading of the module (:func:`evaluate_archive`), not with
cppolicy's ``archive_scope``, and fails unless they are exactly the ones designed
(``ARCHIVE_DESIGN``): in particular, no cluster of complaints may form by accident.

The deadline arithmetic here is deliberately independent of cppolicy's own calendar and clock
code, so that the archive is a cross-check of it: working days come straight from
``holidays.China`` and its ``weekend_workdays`` (make-up working Saturdays/Sundays), the day of
receipt is not counted, and a limit ends at 24:00 Asia/Shanghai of its last day.

After writing, the script re-reads the archive and recomputes every complaint's findings with a
small, separate evaluator of the module's rules (:func:`evaluate`) and the archive-scope findings
(:func:`evaluate_archive`), and fails if that disagrees with the manifest.

Usage::

    python examples/generate_archive.py [--seed 20250101] [--out examples/archive-2024-2025.jsonl.gz]
    python examples/generate_archive.py --check     # only verify an existing archive + manifest

The output is byte-identical for the same seed: gzip with mtime 0 and no file name, keys in a
fixed order, events sorted by time then event_id, randomness only from seeded generators.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import holidays

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = 20250101
DEFAULT_OUT = HERE / "archive-2024-2025.jsonl.gz"

CST = timezone(timedelta(hours=8))  # Asia/Shanghai: UTC+8, no DST in 2024-2026
AS_OF = datetime(2026, 1, 31, 0, 0, 0, tzinfo=CST)
FIRST_RECEIPT = date(2024, 1, 1)
LAST_RECEIPT = date(2025, 12, 15)
# Scenarios that may run up to 60 working days are received early enough to finish before AS_OF.
LAST_LONG_RECEIPT = date(2025, 10, 10)
CALENDAR_YEARS = (2024, 2025, 2026)
SCHEMA_TAG = "complaint-event/v1"
MODULE_REF = "cbrc-2012-13@1.0.0"

# Module parameters (policies/cbrc-2012-13/1.0.0/module.yaml), restated here on purpose.
ACK_WD = 2
DECISION_WD = 15
CAP_WD = 60
RESULT_WD = 2
REPORT_WD = 5
NOTICE_CHANNELS = ("sms", "phone", "email", "letter")
EXTENSION_CHANNELS = ("sms", "email", "letter")
FORWARDING_REGULATORS = ("CBRC", "CBIRC", "NFRA")

P7_MISSING = "CBRC2012.P7.ACK_MISSING"
P7_LATE = "CBRC2012.P7.ACK_LATE"
P7_INCOMPLETE = "CBRC2012.P7.ACK_INCOMPLETE"
P7_CHANNEL = "CBRC2012.P7.ACK_CHANNEL"
P8_NOT_NOTIFIED = "CBRC2012.P8.RESULT_NOT_NOTIFIED"
P8_LATE = "CBRC2012.P8.RESULT_NOTICE_LATE"
P8_CHANNEL = "CBRC2012.P8.RESULT_CHANNEL"
P8_REMEDIATION = "CBRC2012.P8.REMEDIATION_MISSING"
P9_LATE = "CBRC2012.P9.DECISION_LATE"
P9_OVERDUE = "CBRC2012.P9.DECISION_OVERDUE"
P9_EXT_LATE = "CBRC2012.P9.EXTENSION_NOTICE_LATE"
P9_EXT_REASON = "CBRC2012.P9.EXTENSION_NO_REASON"
P9_EXT_NOTIFIED = "CBRC2012.P9.EXTENSION_NOT_NOTIFIED"
P9_EXT_CAP = "CBRC2012.P9.EXTENSION_BEYOND_CAP"
P9_EXT_CHANNEL = "CBRC2012.P9.EXTENSION_CHANNEL"
P10_MISSING = "CBRC2012.P10.REPORT_BACK_MISSING"
P10_LATE = "CBRC2012.P10.REPORT_BACK_LATE"
P10_OFFICE = "CBRC2012.P10.REPORT_WRONG_OFFICE"

# Archive scope (points 十五, 十六): module parameters semiannual_report_*, contact_change_*,
# large_scale_*, restated here on purpose.
SEMIANNUAL_DUE = {"H1": (7, 30), "H2": (1, 30)}  # H1 by 30 July, H2 by 30 January of the next year
SEMIANNUAL_LEVELS = ("head_office", "branch")
CONTACT_CHANGE_KINDS = ("department", "head", "contact")
CONTACT_CHANGE_WD = 5
LARGE_SCALE_WINDOW = timedelta(days=7)  # calendar days, compared on the receipt instants
LARGE_SCALE_MIN = 20
LARGE_SCALE_WD = 3

P15_NOT_REPORTED = "CBRC2012.P15.LARGE_SCALE_NOT_REPORTED"
P15_LATE = "CBRC2012.P15.LARGE_SCALE_REPORTED_LATE"
P16_MISSING = "CBRC2012.P16.REPORT_MISSING"
P16_LATE = "CBRC2012.P16.REPORT_LATE"
P16_RULES = "CBRC2012.P16.RULE_CHANGES_NOT_REFLECTED"
P16_CHANNELS = "CBRC2012.P16.CHANNEL_CHANGES_NOT_REFLECTED"
P16_CONTACT_MISSING = "CBRC2012.P16.CONTACT_CHANGE_NOT_REPORTED"
P16_CONTACT_LATE = "CBRC2012.P16.CONTACT_CHANGE_REPORTED_LATE"


# --------------------------------------------------------------------------- calendar


class Calendar:
    """Mainland-China working days from python-holidays, nothing else.

    A day is a working day unless it is a holiday or substituted rest day in ``holidays.China``,
    or a Saturday/Sunday that is not one of its ``weekend_workdays`` (调休上班). Days outside the
    years asked for raise: python-holidays answers for unpublished years with a wrong calendar.
    """

    def __init__(self, years: tuple[int, ...]) -> None:
        cn = holidays.China(years=list(years))
        self.years = frozenset(years)
        self.rest_days = frozenset(d for d in cn if d.year in self.years)
        self.makeup_days = frozenset(d for d in cn.weekend_workdays if d.year in self.years)
        assert not self.rest_days & self.makeup_days
        assert all(d.weekday() >= 5 for d in self.makeup_days)

    def is_working(self, day: date) -> bool:
        if day.year not in self.years:
            raise ValueError(f"no working-day calendar for {day.year}")
        if day in self.rest_days:
            return False
        if day.weekday() >= 5:
            return day in self.makeup_days
        return True

    def nth(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is never counted); n=0 is start."""
        day, count = start, 0
        while count < n:
            day += timedelta(days=1)
            if self.is_working(day):
                count += 1
        return day

    def index_of(self, start: date, day: date) -> int:
        """How many working days after ``start`` ``day`` is (0 when ``day`` is ``start``)."""
        count, cur = 0, start
        while cur < day:
            cur += timedelta(days=1)
            if self.is_working(cur):
                count += 1
        return count


def end_of(day: date) -> datetime:
    """24:00 Asia/Shanghai of ``day``: the instant a limit whose last day is ``day`` ends."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=CST)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(CST)


# --------------------------------------------------------------------------- institutions

# id: (level, parent, name, region)
INSTITUTIONS: dict[str, tuple[str, str | None, str, str]] = {
    "HO-001": ("head_office", None, "示例银行股份有限公司总行", "HO"),
    "BR-SH": ("branch", "HO-001", "示例银行上海分行", "SH"),
    "BR-BJ": ("branch", "HO-001", "示例银行北京分行", "BJ"),
    "BR-GD": ("branch", "HO-001", "示例银行广东分行", "GD"),
    "SB-SH-PD": ("sub_branch", "BR-SH", "示例银行上海浦东支行", "SH"),
    "SB-SH-XH": ("sub_branch", "BR-SH", "示例银行上海徐汇支行", "SH"),
    "SB-BJ-HD": ("sub_branch", "BR-BJ", "示例银行北京海淀支行", "BJ"),
    "SB-BJ-CY": ("sub_branch", "BR-BJ", "示例银行北京朝阳支行", "BJ"),
    "SB-GD-TH": ("sub_branch", "BR-GD", "示例银行广州天河支行", "GD"),
    "SB-GD-FS": ("sub_branch", "BR-GD", "示例银行佛山支行", "GD"),
    "OT-SH-PD-01": ("outlet", "SB-SH-PD", "示例银行上海陆家嘴营业网点", "SH"),
    "OT-SH-XH-01": ("outlet", "SB-SH-XH", "示例银行上海徐家汇营业网点", "SH"),
    "OT-BJ-HD-01": ("outlet", "SB-BJ-HD", "示例银行北京中关村营业网点", "BJ"),
    "OT-BJ-CY-01": ("outlet", "SB-BJ-CY", "示例银行北京望京营业网点", "BJ"),
    "OT-GD-TH-01": ("outlet", "SB-GD-TH", "示例银行广州珠江新城营业网点", "GD"),
}
BRANCHES = ("BR-SH", "BR-BJ", "BR-GD")
SUB_BRANCHES = tuple(k for k, v in INSTITUTIONS.items() if v[0] == "sub_branch")
OUTLETS = tuple(k for k, v in INSTITUTIONS.items() if v[0] == "outlet")

NFRA_OFFICE = {
    "HO": "国家金融监督管理总局",
    "SH": "国家金融监督管理总局上海监管局",
    "BJ": "国家金融监督管理总局北京监管局",
    "GD": "国家金融监督管理总局广东监管局",
}
PBOC_OFFICE = {
    "HO": "中国人民银行",
    "SH": "中国人民银行上海市分行",
    "BJ": "中国人民银行北京市分行",
    "GD": "中国人民银行广东省分行",
}


def institution(inst_id: str) -> dict:
    level, parent, name, _ = INSTITUTIONS[inst_id]
    return {"id": inst_id, "level": level, "parent": parent, "name": name}


# --------------------------------------------------------------------------- vocabulary

PRODUCTS: list[tuple[str, int, list[tuple[str, str]]]] = [
    ("credit_card", 30, [
        ("fees", "信用卡年费未经同意扣收"),
        ("interest", "账单分期手续费折算年化利率未明示"),
        ("debt_collection", "逾期后催收电话频繁联系亲友"),
        ("marketing", "电话营销办卡时未说明年费"),
        ("service_attitude", "信用卡客服态度生硬、推诿"),
    ]),
    ("personal_loan", 18, [
        ("interest", "消费贷实际年化利率高于宣传利率"),
        ("debt_collection", "外包催收机构上门催收方式不当"),
        ("information_disclosure", "提前还款违约金未事先告知"),
        ("fees", "放款时被收取咨询服务费"),
    ]),
    ("mortgage", 12, [
        ("interest", "LPR重定价后月供调整未通知"),
        ("fees", "提前还款被收取手续费"),
        ("information_disclosure", "抵押注销办理流程说明不清"),
    ]),
    ("deposit", 14, [
        ("account_freeze", "借记卡被冻结未告知原因"),
        ("service_attitude", "网点排队时间长、柜员态度差"),
        ("fees", "小额账户管理费扣收有异议"),
    ]),
    ("wealth_management", 10, [
        ("information_disclosure", "理财产品风险等级未充分揭示"),
        ("marketing", "理财经理将净值型产品宣传为保本"),
        ("fees", "理财赎回费收取有异议"),
    ]),
    ("payment", 10, [
        ("account_freeze", "快捷支付被限额、非柜面交易被冻结"),
        ("fees", "跨行转账手续费收取有异议"),
        ("service_attitude", "扫码支付退款处理缓慢"),
    ]),
    ("insurance_agency", 6, [
        ("marketing", "代销保险被当作存款产品销售"),
        ("information_disclosure", "犹豫期退保规则未告知"),
    ]),
]

RECEIPT_CHANNELS = [("phone", 35), ("app", 15), ("online", 12), ("in_person", 18), ("wechat", 6),
                    ("email", 6), ("letter", 8)]
HANDLERS = ("张某", "李某", "王某", "刘某", "陈某", "杨某", "赵某", "黄某", "周某", "吴某")
EXTENSION_REASONS = (
    "需调取第三方支付机构交易记录核实，情况复杂",
    "涉及多笔历史交易，需总行业务部门协查",
    "需等待合作机构书面回复，暂无法作出处理决定",
    "争议金额较大，需提交分行投诉处理委员会审议",
    "需调阅网点监控录像并与外包催收机构核对通话记录",
)
REMEDIATIONS = (
    "已退还多收费用，并在扣费前增加短信提示",
    "已修订产品说明书的风险揭示章节并重新培训销售人员",
    "已纠正营销话术并对相关理财经理进行问责",
    "已暂停相关外包催收机构的委托并整改催收管理制度",
    "已优化冻结告知流程，冻结时同步发送原因说明",
)
FINDINGS = {
    "upheld": "经调取业务档案、通话录音及交易记录核查，投诉反映情况属实。",
    "partially_upheld": "经核查，投诉反映情况部分属实。",
    "rejected": "经核查，相关业务办理符合合同约定及监管规定。",
    "settled": "经与投诉人多次沟通协商，双方达成一致意见。",
}
APPROVALS = (
    ({"by": "上级分行分管行长", "level": "superior_institution"}),
    ({"by": "总行消费者权益保护部总经理", "level": "head_office_senior_manager"}),
    ({"by": "本机构投诉处理负责人", "level": "complaint_head"}),
)


def weighted(rng: random.Random, pairs):
    items = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(items, weights=weights, k=1)[0]


# --------------------------------------------------------------------------- scenarios

# scenario: (count, variants cycled in order, long-running?)
SCENARIOS: dict[str, tuple[int, tuple[str, ...], bool]] = {
    "compliant": (115, ("standard", "standard", "product_problem_remedied", "decision_boundary_2359",
                        "standard", "ack_boundary_2359", "same_day_ack", "result_boundary_2359",
                        "standard", "with_review"), False),
    "compliant_extended": (20, ("working_day_limit", "new_due_date", "working_day_limit",
                                "calendar_day_limit", "cap_exact_60", "extended_last_evening",
                                "decision_boundary_2359"), True),
    "compliant_forwarded": (20, ("nfra", "nfra_report_last_day", "nfra", "nfra_same_day_report",
                                 "pboc_no_report"), False),
    "compliant_withdrawn": (12, ("before_ack", "after_ack", "after_ack"), False),
    "compliant_contact_failed": (10, ("letter_result", "unreachable_throughout"), False),
    "ack_missing": (6, ("no_ack",), False),
    "ack_late": (11, ("next_working_days", "at_due_instant"), False),  # + pinned first_wd_after_due
    "ack_incomplete": (6, ("no_time_limit", "no_contact", "no_acceptance", "only_acceptance"), False),
    "ack_channel": (6, ("wechat", "app", "online"), False),
    "result_not_notified": (6, ("open", "closed_without_notice"), False),
    "result_notice_late": (7, ("next_working_days", "at_due_instant"), False),
    "result_channel": (6, ("wechat", "app", "in_person"), False),
    "remediation_missing": (6, ("null", "absent", "empty_string"), False),
    "decision_late": (14, ("few_days_late", "after_extension"), True),  # + pinned next_wd_0900
    "decision_overdue": (6, ("never_decided", "never_decided", "extended_then_overdue"), True),
    "extension_notice_late": (6, ("after_expiry", "at_expiry_instant"), True),
    "extension_no_reason": (6, ("decided_within_original", "decided_after_original"), True),
    "extension_not_notified": (6, ("null_within_original", "absent_after_original",
                                   "null_after_original", "absent_within_original"), True),
    "extension_beyond_cap": (6, ("decided_after_original", "decided_within_original"), True),
    "extension_channel": (6, ("phone_after_original", "phone_within_original"), True),
    "report_back_missing": (6, ("never_reported",), False),
    "report_back_late": (7, ("few_days_late", "at_due_instant"), False),
    "report_wrong_office": (6, ("other_bureau", "headquarters_instead"), False),
}

# Receipts pinned to calendar edges: (date, scenario, variant, channel or None).
# Checked against holidays.China / weekend_workdays at start-up (see check_pinned).
MAKEUP_DAYS = ("2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14",
               "2024-09-29", "2024-10-12", "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28",
               "2025-10-11")
PINNED: list[tuple[str, str, str, str | None]] = [
    # just before Spring Festival 2024 (2/9 is working, 2/10-17 off, 2/18 a make-up Sunday)
    ("2024-02-08", "ack_late", "first_wd_after_due", "phone"),
    ("2024-02-08", "compliant", "ack_on_second_wd", "phone"),
    ("2024-02-08", "compliant", "decision_boundary_2359", "online"),
    ("2024-02-08", "decision_late", "next_wd_0900", "app"),
    # just before Spring Festival 2025 (1/28-2/4 off, 1/26 and 2/8 make-up days)
    ("2025-01-27", "decision_late", "next_wd_0900", "phone"),
    ("2025-01-27", "compliant", "decision_boundary_2359", "in_person"),
    ("2025-01-27", "ack_late", "at_due_instant", "app"),
    ("2025-01-27", "compliant", "ack_on_second_wd", "phone"),
    # just before National Day
    ("2024-09-29", "compliant", "decision_boundary_2359", "phone"),
    ("2024-09-30", "decision_late", "next_wd_0900", "online"),
    ("2024-09-30", "compliant", "ack_on_second_wd", "in_person"),
    ("2024-09-30", "ack_late", "first_wd_after_due", "phone"),
    ("2025-09-26", "compliant_extended", "working_day_limit", "phone"),
    ("2025-09-26", "extension_notice_late", "after_expiry", "letter"),
    ("2025-09-26", "ack_late", "first_wd_after_due", "app"),
    ("2025-09-30", "decision_late", "next_wd_0900", "phone"),
    ("2025-09-30", "compliant", "decision_boundary_2359", "app"),
    ("2025-09-30", "compliant", "ack_on_second_wd", "email"),
    # make-up working Saturdays/Sundays
    ("2024-02-04", "compliant", "decision_boundary_2359", "in_person"),
    ("2024-02-18", "ack_late", "first_wd_after_due", "phone"),
    ("2024-04-07", "compliant", "decision_boundary_2359", "phone"),
    ("2024-04-28", "decision_late", "next_wd_0900", "in_person"),
    ("2024-05-11", "ack_late", "first_wd_after_due", "phone"),
    ("2024-09-14", "compliant", "ack_on_second_wd", "in_person"),
    ("2024-10-12", "decision_late", "next_wd_0900", "phone"),
    ("2025-01-26", "compliant", "decision_boundary_2359", "phone"),
    ("2025-02-08", "ack_late", "first_wd_after_due", "in_person"),
    ("2025-04-27", "decision_late", "next_wd_0900", "phone"),
    ("2025-09-28", "compliant", "decision_boundary_2359", "in_person"),
    ("2025-10-11", "result_notice_late", "next_working_days", "phone"),
    # received on a rest day (counting starts the next calendar day, working days after the break)
    ("2024-02-12", "compliant", "decision_boundary_2359", "app"),
    ("2024-10-03", "compliant", "ack_on_second_wd", "app"),
    ("2025-01-30", "ack_late", "first_wd_after_due", "online"),
    ("2025-10-05", "decision_late", "next_wd_0900", "phone"),
]

# Finding codes each scenario (variant) is built to produce.
SCENARIO_CODES: dict[str, list[str]] = {
    "compliant": [], "compliant_extended": [], "compliant_forwarded": [], "compliant_withdrawn": [],
    "compliant_contact_failed": [],
    "ack_missing": [P7_MISSING], "ack_late": [P7_LATE], "ack_incomplete": [P7_INCOMPLETE],
    "ack_channel": [P7_CHANNEL],
    "result_not_notified": [P8_NOT_NOTIFIED], "result_notice_late": [P8_LATE],
    "result_channel": [P8_CHANNEL], "remediation_missing": [P8_REMEDIATION],
    "decision_late": [P9_LATE], "decision_overdue": [P9_OVERDUE],
    "extension_notice_late": [P9_LATE, P9_EXT_LATE],
    "extension_no_reason": [P9_EXT_REASON], "extension_not_notified": [P9_EXT_NOTIFIED],
    "extension_beyond_cap": [P9_EXT_CAP], "extension_channel": [P9_EXT_CHANNEL],
    "report_back_missing": [P10_MISSING], "report_back_late": [P10_LATE],
    "report_wrong_office": [P10_OFFICE],
    # the fixed complaints of point 十五 (FIXED below) are handled by the book: their findings are
    # archive-scope only (ARCHIVE_DESIGN)
    "large_scale_cluster": [], "large_scale_joint": [], "major_flagged": [],
}

# Complaints with fixed ids, receipt times and places, added to the randomly planned ones for the
# archive-scope scenarios of point 十五. Each is otherwise handled like ``compliant``/``standard``.
# (id, receipt, scenario, variant, institution, channel, product, issue, complainants, major)
FIXED: list[tuple[str, str, str, str, str, str, str, str, int, bool]] = [
    # (a) many complaints at BR-GD (its sub-branches and outlet roll up to it), same product and
    # issue, 2–4 complainants each: 3+4+2+3+4+2 = 18, the 7th brings 21 >= 20 (detection), the 8th
    # arrives within 7 days of the last member and joins the cluster. Reported late (ARCHIVE_ROWS).
    ("C-2025-LS001", "2025-11-10T09:40:00", "large_scale_cluster", "before_threshold", "OT-GD-TH-01",
     "in_person", "wealth_management", "information_disclosure", 3, False),
    ("C-2025-LS002", "2025-11-10T14:15:00", "large_scale_cluster", "before_threshold", "SB-GD-TH",
     "phone", "wealth_management", "information_disclosure", 4, False),
    ("C-2025-LS003", "2025-11-11T10:05:00", "large_scale_cluster", "before_threshold", "SB-GD-FS",
     "in_person", "wealth_management", "information_disclosure", 2, False),
    ("C-2025-LS004", "2025-11-11T16:20:00", "large_scale_cluster", "before_threshold", "BR-GD",
     "phone", "wealth_management", "information_disclosure", 3, False),
    ("C-2025-LS005", "2025-11-12T11:30:00", "large_scale_cluster", "before_threshold", "BR-GD",
     "app", "wealth_management", "information_disclosure", 4, False),
    ("C-2025-LS006", "2025-11-12T15:50:00", "large_scale_cluster", "before_threshold", "OT-GD-TH-01",
     "in_person", "wealth_management", "information_disclosure", 2, False),
    ("C-2025-LS007", "2025-11-13T10:10:00", "large_scale_cluster", "reaches_threshold", "SB-GD-TH",
     "phone", "wealth_management", "information_disclosure", 3, False),
    ("C-2025-LS008", "2025-11-14T09:25:00", "large_scale_cluster", "after_detection", "BR-GD",
     "letter", "wealth_management", "information_disclosure", 2, False),
    # (b) one joint complaint in person by 25 complainants at a Shanghai outlet; reported by the
    # head office (an ancestor of BR-SH) the next day, in time
    ("C-2025-LS009", "2025-08-19T10:30:00", "large_scale_joint", "joint_in_person_25", "OT-SH-PD-01",
     "in_person", "personal_loan", "debt_collection", 25, False),
    # (c) one complaint the institution flagged major (data.major true); never reported
    ("C-2025-LS010", "2025-11-18T14:20:00", "major_flagged", "never_reported", "SB-BJ-HD",
     "phone", "credit_card", "debt_collection", 1, True),
]
FIXED_SCENARIOS = ("large_scale_cluster", "large_scale_joint", "major_flagged")


def expected_for(scenario: str, variant: str) -> list[str]:
    codes = list(SCENARIO_CODES[scenario])
    if scenario in ("extension_no_reason", "extension_not_notified") and variant.endswith("after_original"):
        codes.append(P9_LATE)  # the extension does not take effect, so the 15-day limit stands
    return sorted(codes)


# --------------------------------------------------------------------------- building one complaint


class GenError(Exception):
    """A random draw did not fit (e.g. no time left on a day); the complaint is drawn again."""


@dataclass
class Plan:
    scenario: str
    variant: str
    received: datetime
    channel: str
    pinned: bool
    complaint_id: str = ""
    # FIXED complaints: (institution, product, issue, complainants, major); None for planned ones
    fixed: tuple[str, str, str, int, bool] | None = None


@dataclass
class Built:
    plan: Plan
    inst_id: str
    events: list[tuple[str, datetime, dict | None]] = field(default_factory=list)


class Builder:
    """Appends one complaint's events in time order, drawing days and times from ``rng``."""

    def __init__(self, cal: Calendar, rng: random.Random, plan: Plan) -> None:
        self.cal = cal
        self.rng = rng
        self.plan = plan
        self.d0 = plan.received.date()
        self.events: list[tuple[str, datetime, dict | None]] = []

    # ---- time helpers

    def W(self, k: int, base: date | None = None) -> date:
        return self.cal.nth(self.d0 if base is None else base, k)

    @property
    def last(self) -> datetime:
        return self.events[-1][1]

    def add(self, kind: str, moment: datetime, data: dict | None = None) -> datetime:
        if self.events and moment <= self.last:
            raise GenError(f"{kind} at {moment} not after {self.last}")
        if moment >= AS_OF:
            raise GenError(f"{kind} at {moment} not before the as-of time")
        self.events.append((kind, moment, data))
        return moment

    def time_on(self, day: date, lo=(9, 0), hi=(17, 30), gap=10) -> datetime | None:
        lo_m, hi_m = lo[0] * 60 + lo[1], hi[0] * 60 + hi[1]
        if self.events:
            last = self.last
            if last.date() > day:
                return None
            if last.date() == day:
                lo_m = max(lo_m, last.hour * 60 + last.minute + gap)
        if lo_m > hi_m:
            return None
        minute = self.rng.randint(lo_m, hi_m)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=CST)

    def at_wd(self, k_lo: int, k_hi: int, base: date | None = None, lo=(9, 0), hi=(17, 30),
              first: bool = False) -> datetime:
        """A working-hours time on the k-th working day after ``base`` (receipt day by default),
        k drawn from [k_lo, k_hi]; falls forward within the range if the drawn day has no room."""
        base = self.d0 if base is None else base
        start = k_lo if first else self.rng.randint(k_lo, k_hi)
        for k in range(start, k_hi + 1):
            day = self.W(k, base)
            if k == 0 and not self.cal.is_working(day):
                continue
            moment = self.time_on(day, lo, hi)
            if moment is not None:
                return moment
        raise GenError(f"no room on working days {start}..{k_hi} after {base}")

    # ---- steps

    def receive(self, product: str, issue: str, cause: str, forwarded: dict | None) -> None:
        data: dict[str, Any] = {"channel": self.plan.channel, "product": product, "issue": issue}
        if self.plan.fixed is None:
            complainants = 1 if self.rng.random() < 0.93 else self.rng.randint(2, 4)
        else:
            complainants = self.plan.fixed[3]
        data["complainants"] = complainants
        if self.plan.channel == "in_person":
            data["joint_in_person"] = complainants > 1
        data["cause"] = cause
        data["major"] = bool(self.plan.fixed and self.plan.fixed[4])
        if forwarded:
            data["forwarded_by"] = forwarded
        self.add("received", self.plan.received, data)
        reg = self.plan.received + timedelta(minutes=self.rng.randint(2, 25))
        self.add("registered", reg, {"reference": f"TS-{self.plan.complaint_id}",
                                     "handler": self.rng.choice(HANDLERS)})

    def ack(self, mode: str = "ok", channel: str | None = None, flags=(True, True, True)) -> None:
        if channel is None:
            channel = weighted(self.rng, [("sms", 45), ("phone", 35), ("email", 12), ("letter", 8)])
        due_day = self.W(ACK_WD)
        if mode == "ok":
            moment = self.at_wd(0, ACK_WD)
        elif mode == "same_day":
            moment = self.at_wd(0, ACK_WD, first=True)
        elif mode == "second_wd":
            moment = self.at_wd(ACK_WD, ACK_WD)
        elif mode == "boundary":
            moment = datetime.combine(due_day, time(23, 59), tzinfo=CST)
        elif mode == "late":
            moment = self.at_wd(ACK_WD + 1, ACK_WD + 4)
        elif mode == "first_after_due":
            moment = self.at_wd(ACK_WD + 1, ACK_WD + 1, lo=(9, 0), hi=(11, 30))
        elif mode == "at_due":
            moment = end_of(due_day)
        else:
            raise ValueError(mode)
        handler = self.rng.choice(HANDLERS)
        self.add("acknowledged", moment, {
            "channel": channel,
            "states_acceptance": flags[0],
            "states_time_limit": flags[1],
            "states_contact": flags[2],
            "time_limit_days": DECISION_WD,
            "contact": f"投诉受理专线 400-800-0000 转 2，经办人{handler}",
        })

    def extend(self, moment: datetime, *, reason: str | None = None, limit=("working_day", 30),
               channel: str | None | bool = "default", approval: bool = True) -> None:
        data: dict[str, Any] = {"reason": self.rng.choice(EXTENSION_REASONS) if reason is None else reason}
        kind, value = limit
        if kind == "due_date":
            data["new_due_date"] = value.isoformat()
        else:
            data["new_limit"] = {"value": value, "unit": kind}
        if channel == "default":
            channel = weighted(self.rng, [("sms", 50), ("email", 25), ("letter", 25)])
        if channel is not False:  # False: leave notice_channel out altogether
            data["notice_channel"] = channel
        if approval:
            data["approval"] = dict(self.rng.choice(APPROVALS))
        self.add("extended", moment, data)

    def decide(self, moment: datetime, *, problem: bool | None = None, remediation: str = "text") -> date:
        outcome = weighted(self.rng, [("upheld", 28), ("partially_upheld", 30), ("rejected", 27),
                                      ("settled", 15)])
        if problem is None:
            problem = outcome in ("upheld", "partially_upheld") and self.rng.random() < 0.4
        data: dict[str, Any] = {"outcome": outcome, "product_problem_found": problem}
        if remediation == "text":
            data["remediation"] = self.rng.choice(REMEDIATIONS) if problem else None
        elif remediation == "null":
            data["remediation"] = None
        elif remediation == "empty_string":
            data["remediation"] = ""
        elif remediation != "absent":
            raise ValueError(remediation)
        if outcome != "rejected" and self.rng.random() < 0.5:
            amount = round(self.rng.uniform(20, 3000), 2)
            data["compensation"] = {"amount": amount, "currency": "CNY"}
        else:
            data["compensation"] = None
        data["findings"] = FINDINGS[outcome]
        data["basis_and_reasons"] = "依据双方签订的业务合同、产品说明书及相关监管规定作出本处理决定。"
        data["remedies_offered"] = ["review", "mediation", "arbitration", "litigation"]
        self.add("decided", moment, data)
        return moment.date()

    def notify_result(self, decided_on: date, mode: str = "ok", channel: str | None = None) -> None:
        if channel is None:
            channel = weighted(self.rng, [("sms", 35), ("phone", 35), ("letter", 15), ("email", 15)])
        due_day = self.W(RESULT_WD, decided_on)
        if mode == "ok":
            moment = self.at_wd(0, RESULT_WD, base=decided_on)
        elif mode == "boundary":
            moment = datetime.combine(due_day, time(23, 59), tzinfo=CST)
        elif mode == "late":
            moment = self.at_wd(RESULT_WD + 1, RESULT_WD + 4, base=decided_on)
        elif mode == "at_due":
            moment = end_of(due_day)
        else:
            raise ValueError(mode)
        self.add("result_notified", moment, {"channel": channel})

    def report_back(self, decided_on: date, forwarded: dict, mode: str = "ok", office: str | None = None,
                    ) -> None:
        due_day = self.W(REPORT_WD, decided_on)
        if mode == "ok":
            moment = self.at_wd(0, REPORT_WD, base=decided_on)
        elif mode == "same_day":
            moment = self.at_wd(0, REPORT_WD, base=decided_on, first=True)
        elif mode == "last_day":
            moment = self.at_wd(REPORT_WD, REPORT_WD, base=decided_on)
        elif mode == "late":
            moment = self.at_wd(REPORT_WD + 1, REPORT_WD + 5, base=decided_on)
        elif mode == "at_due":
            moment = end_of(due_day)
        else:
            raise ValueError(mode)
        data = {
            "regulator": forwarded["regulator"],
            "office": forwarded["office"] if office is None else office,
            "reference": forwarded["reference"],
            "contents": ["投诉基本情况", "调查核实结果", "处理依据", "处理结果及告知情况"],
        }
        self.add("reported_to_regulator", moment, data)

    def contact_failed(self, moment: datetime, channel: str = "phone") -> None:
        self.add("contact_failed", moment, {
            "channel": channel, "attempts": self.rng.randint(2, 4),
            "evidence": "多次致电预留号码未接通，短信无回复，已留存通话记录",
        })

    def close(self) -> None:
        moment = self.time_on(self.last.date(), lo=(9, 0), hi=(20, 30), gap=15)
        if moment is None:
            moment = self.at_wd(1, 3, base=self.last.date())
        self.add("closed", moment)


def build(cal: Calendar, rng: random.Random, plan: Plan) -> Built:
    """Draw one complaint's events for its scenario; retried by the caller on GenError."""
    b = Builder(cal, rng, plan)
    s, v = plan.scenario, plan.variant

    forwarded = None
    if plan.fixed is not None:  # FIXED: place and matter given, never forwarded; nothing drawn
        inst_id, product, issue = plan.fixed[:3]
        cause = dict(next(row[2] for row in PRODUCTS if row[0] == product))[issue]
    else:
        product_row = weighted(rng, [(row, row[1]) for row in PRODUCTS])
        product = product_row[0]
        issue, cause = rng.choice(product_row[2])
        if s in ("compliant_forwarded", "report_back_missing", "report_back_late", "report_wrong_office"):
            inst_id = rng.choice(("HO-001",) + BRANCHES)
            region = INSTITUTIONS[inst_id][3]
            regulator = "PBOC" if v == "pboc_no_report" else "NFRA"
            offices = PBOC_OFFICE if regulator == "PBOC" else NFRA_OFFICE
            reference = f"{regulator}-{region}-{plan.received.year}-{rng.randint(1000, 99999):05d}"
            forwarded = {"regulator": regulator, "office": offices[region], "reference": reference}
        elif plan.channel == "in_person":
            inst_id = rng.choice(OUTLETS + SUB_BRANCHES)
        elif plan.channel == "letter":
            inst_id = rng.choice(BRANCHES + SUB_BRANCHES)
        else:
            inst_id = weighted(rng, [("HO-001", 30)] + [(br, 20) for br in BRANCHES]
                               + [(sb, 3) for sb in SUB_BRANCHES])
    b.receive(product, issue, cause, forwarded)

    W = b.W
    at_wd = b.at_wd
    ok_decision = lambda: at_wd(3, DECISION_WD)  # noqa: E731 — a plain in-time decision
    at_2359 = lambda day: datetime.combine(day, time(23, 59, rng.choice((0, 59))), tzinfo=CST)  # noqa: E731
    at_0900 = lambda day: datetime.combine(day, time(9, 0), tzinfo=CST)  # noqa: E731

    def ext_time_in_force() -> datetime:
        return at_wd(6, DECISION_WD)

    def standard_tail(decided_on: date, close: bool = True) -> None:
        b.notify_result(decided_on)
        if close:
            b.close()

    if s in FIXED_SCENARIOS:  # handled by the book, like compliant/standard
        b.ack("ok")
        d = b.decide(ok_decision())
        standard_tail(d)

    elif s == "compliant":
        ack_mode = {"ack_boundary_2359": "boundary", "same_day_ack": "same_day",
                    "ack_on_second_wd": "second_wd"}.get(v, "ok")
        b.ack(ack_mode)
        if v == "decision_boundary_2359":
            d = b.decide(at_2359(W(DECISION_WD)))
        elif v == "product_problem_remedied":
            d = b.decide(ok_decision(), problem=True)
        elif v == "result_boundary_2359":
            d = b.decide(at_wd(3, DECISION_WD - 2))
        else:
            d = b.decide(ok_decision())
        b.notify_result(d, mode="boundary" if v == "result_boundary_2359" else "ok")
        if v == "with_review":
            b.add("review_requested", at_wd(1, 10, base=b.last.date()),
                  {"written": True, "channel": "letter"})
            b.add("review_decided", at_wd(5, 20, base=b.last.date()),
                  {"outcome": rng.choice(("rejected", "partially_upheld")),
                   "reviewing_institution": INSTITUTIONS[INSTITUTIONS[inst_id][1] or inst_id][2]})
        b.close()

    elif s == "compliant_extended":
        b.ack("ok")
        if v == "extended_last_evening":
            moment = datetime.combine(W(DECISION_WD), time(23, 30), tzinfo=CST)
            b.extend(moment, limit=("working_day", 30), channel="email")
            last_k = 30
        elif v == "new_due_date":
            last_k = rng.randint(25, 45)
            b.extend(ext_time_in_force(), limit=("due_date", W(last_k)))
        elif v == "calendar_day_limit":
            b.extend(ext_time_in_force(), limit=("calendar_day", 40))
            # the last working day on or before receipt + 40 calendar days
            last_k = b.cal.index_of(b.d0, b.d0 + timedelta(days=40))
        elif v == "cap_exact_60":
            last_k = CAP_WD
            b.extend(ext_time_in_force(), limit=("working_day", CAP_WD))
        else:
            last_k = 30 if v == "decision_boundary_2359" else rng.randint(20, 50)
            b.extend(ext_time_in_force(), limit=("working_day", last_k))
        if v == "decision_boundary_2359":
            d = b.decide(at_2359(W(last_k)))
        elif v == "cap_exact_60":
            d = b.decide(at_wd(40, CAP_WD))
        else:
            d = b.decide(at_wd(DECISION_WD + 1, last_k))
        standard_tail(d)

    elif s == "compliant_forwarded":
        b.ack("ok")
        d = b.decide(ok_decision())
        b.notify_result(d)
        if v == "nfra":
            b.report_back(d, forwarded)
        elif v == "nfra_report_last_day":
            b.report_back(d, forwarded, mode="last_day")
        elif v == "nfra_same_day_report":
            b.report_back(d, forwarded, mode="same_day")
        b.close()

    elif s == "compliant_withdrawn":
        if v == "before_ack":
            b.add("withdrawn", at_wd(0, 1, lo=(9, 0), hi=(18, 0)), {"reason": "投诉人表示问题已自行解决，申请撤回投诉"})
        else:
            b.ack("ok")
            b.add("withdrawn", at_wd(3, DECISION_WD - 1), {"reason": "投诉人与网点协商一致后申请撤回投诉"})
        b.close()

    elif s == "compliant_contact_failed":
        b.contact_failed(at_wd(0, ACK_WD))
        d = b.decide(ok_decision())
        if v == "letter_result":
            b.notify_result(d, channel="letter")
        else:
            b.contact_failed(at_wd(0, RESULT_WD, base=d), channel=rng.choice(("phone", "sms")))
        b.close()

    elif s == "ack_missing":
        d = b.decide(ok_decision())
        standard_tail(d)

    elif s == "ack_late":
        b.ack({"next_working_days": "late", "at_due_instant": "at_due",
               "first_wd_after_due": "first_after_due"}[v])
        d = b.decide(at_wd(ACK_WD + 3, DECISION_WD))
        standard_tail(d)

    elif s == "ack_incomplete":
        flags = {"no_time_limit": (True, False, True), "no_contact": (True, True, False),
                 "no_acceptance": (False, True, True), "only_acceptance": (True, False, False)}[v]
        b.ack("ok", flags=flags)
        d = b.decide(ok_decision())
        standard_tail(d)

    elif s == "ack_channel":
        b.ack("ok", channel=v)
        d = b.decide(ok_decision())
        standard_tail(d)

    elif s == "result_not_notified":
        b.ack("ok")
        d = b.decide(ok_decision())
        if v == "closed_without_notice":
            b.close()

    elif s == "result_notice_late":
        b.ack("ok")
        d = b.decide(ok_decision())
        b.notify_result(d, mode="late" if v == "next_working_days" else "at_due")
        b.close()

    elif s == "result_channel":
        b.ack("ok")
        d = b.decide(ok_decision())
        b.notify_result(d, channel=v)
        b.close()

    elif s == "remediation_missing":
        b.ack("ok")
        d = b.decide(ok_decision(), problem=True, remediation=v)
        standard_tail(d)

    elif s == "decision_late":
        b.ack("ok")
        if v == "next_wd_0900":
            d = b.decide(at_0900(W(DECISION_WD + 1)))
        elif v == "few_days_late":
            d = b.decide(at_wd(DECISION_WD + 1, DECISION_WD + 6))
        else:  # after_extension: properly extended, then decided after the extended limit
            last_k = rng.randint(20, 40)
            b.extend(ext_time_in_force(), limit=("working_day", last_k))
            if rng.random() < 0.5:
                d = b.decide(at_0900(W(last_k + 1)))
            else:
                d = b.decide(at_wd(last_k + 1, last_k + 4))
        standard_tail(d)

    elif s == "decision_overdue":
        b.ack("ok")
        if v == "extended_then_overdue":
            b.extend(ext_time_in_force(), limit=("working_day", rng.randint(20, 40)))

    elif s == "extension_notice_late":
        b.ack("ok")
        if v == "at_expiry_instant":
            moment = end_of(W(DECISION_WD))
        else:
            moment = at_wd(DECISION_WD + 1, DECISION_WD + 3)
        b.extend(moment, limit=("working_day", 30))
        d = b.decide(at_wd(DECISION_WD + 2, 30))
        standard_tail(d)

    elif s in ("extension_no_reason", "extension_not_notified", "extension_beyond_cap",
               "extension_channel"):
        b.ack("ok")
        within = v.endswith("within_original")
        kwargs: dict[str, Any] = {"limit": ("working_day", 30)}
        if s == "extension_no_reason":
            kwargs["reason"] = ""
        elif s == "extension_not_notified":
            kwargs["channel"] = None if v.startswith("null") else False
        elif s == "extension_beyond_cap":
            kwargs["limit"] = ("working_day", 70)
        else:
            kwargs["channel"] = "phone"
        b.extend(at_wd(6, DECISION_WD - 3 if within else DECISION_WD), **kwargs)
        if within:
            d = b.decide(at_wd(DECISION_WD - 2, DECISION_WD))
        elif s == "extension_beyond_cap":
            d = b.decide(at_wd(DECISION_WD + 1, CAP_WD))
        else:
            d = b.decide(at_wd(DECISION_WD + 1, 30))
        standard_tail(d)

    elif s in ("report_back_missing", "report_back_late", "report_wrong_office"):
        b.ack("ok")
        d = b.decide(ok_decision())
        b.notify_result(d)
        if s == "report_back_late":
            b.report_back(d, forwarded, mode="late" if v == "few_days_late" else "at_due")
        elif s == "report_wrong_office":
            region = INSTITUTIONS[inst_id][3]
            if v == "headquarters_instead" and region != "HO":
                office = NFRA_OFFICE["HO"]
            else:
                others = [r for r in ("SH", "BJ", "GD") if r != region]
                office = NFRA_OFFICE[rng.choice(others)]
            b.report_back(d, forwarded, office=office)
        if s != "report_back_missing" or rng.random() < 0.5:
            b.close()
    else:
        raise ValueError(s)

    return Built(plan=plan, inst_id=inst_id, events=b.events)


# --------------------------------------------------------------------------- planning


def receipt_time(rng: random.Random, day: date, channel: str) -> datetime:
    if channel == "in_person":
        lo, hi = 9 * 60, 16 * 60 + 30
    elif channel == "letter":
        lo, hi = 9 * 60, 16 * 60
    elif channel == "phone":
        lo, hi = 8 * 60, 21 * 60 + 30
    elif channel == "email":
        lo, hi = 7 * 60, 23 * 60
    else:  # app, online, wechat: around the clock, mostly by day
        lo, hi = (7 * 60, 23 * 60 + 30) if rng.random() < 0.9 else (0, 23 * 60 + 59)
    minute = rng.randint(lo, hi)
    return datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), tzinfo=CST)


def check_pinned(cal: Calendar) -> None:
    for text in MAKEUP_DAYS:
        day = date.fromisoformat(text)
        if day.weekday() < 5 or day not in cal.makeup_days or not cal.is_working(day):
            raise SystemExit(f"{text} is not a make-up working weekend day in holidays.China")
    for text, before in (("2024-02-08", "2024-02-10"), ("2025-01-27", "2025-01-28"),
                         ("2024-09-30", "2024-10-01"), ("2025-09-30", "2025-10-01")):
        day, holiday = date.fromisoformat(text), date.fromisoformat(before)
        if not cal.is_working(day) or cal.is_working(holiday):
            raise SystemExit(f"{text} is not the working day before the {before} break")


def plan_all(cal: Calendar, seed: int) -> list[Plan]:
    rng = random.Random(f"plan:{seed}")
    plans: list[Plan] = []
    pinned_count = Counter()
    for text, scenario, variant, channel in PINNED:
        day = date.fromisoformat(text)
        plans.append(Plan(scenario, variant, receipt_time(rng, day, channel), channel, True))
        pinned_count[scenario] += 1
    for scenario, (count, variants, long_running) in SCENARIOS.items():
        last = LAST_LONG_RECEIPT if long_running else LAST_RECEIPT
        span = (last - FIRST_RECEIPT).days
        for i in range(count - pinned_count[scenario]):
            variant = variants[i % len(variants)]
            if scenario in ("compliant_forwarded", "report_back_missing", "report_back_late",
                            "report_wrong_office"):
                channel = rng.choice(("other", "letter"))
            else:
                channel = weighted(rng, RECEIPT_CHANNELS)
            day = FIRST_RECEIPT + timedelta(days=rng.randint(0, span))
            if channel in ("in_person", "letter") and not cal.is_working(day):
                channel = "app"
            plans.append(Plan(scenario, variant, receipt_time(rng, day, channel), channel, False))
    plans.sort(key=lambda p: (p.received, p.scenario, p.variant))
    per_year = Counter()
    for plan in plans:
        per_year[plan.received.year] += 1
        plan.complaint_id = f"C-{plan.received.year}-{per_year[plan.received.year]:05d}"
    # The fixed complaints come after the planned ones are numbered, and draw nothing from ``rng``:
    # the 300 planned complaints keep their ids, times and events.
    for cid, stamp, scenario, variant, inst_id, channel, product, issue, complainants, major in FIXED:
        received = datetime.fromisoformat(stamp).replace(tzinfo=CST)
        if channel in ("in_person", "letter") and not cal.is_working(received.date()):
            raise SystemExit(f"{cid}: {channel} on a rest day")
        plans.append(Plan(scenario, variant, received, channel, True, cid,
                          (inst_id, product, issue, complainants, major)))
    plans.sort(key=lambda p: (p.received, p.complaint_id))
    return plans


def _report(period: str, region: str, rules: bool = False, channels: bool = False) -> dict:
    return {"period": period, "regulator": "NFRA", "office": NFRA_OFFICE[region],
            "reflects_rule_changes": rules, "reflects_channel_changes": channels}


LS_CLUSTER = [row[0] for row in FIXED if row[2] == "large_scale_cluster"]

# Institution-level events: (time, institution, type, data), numbered E-INST-nnnn in time order.
# The half-yearly reports of point 十六 (HO-001 and the three branches, 2024H1 … 2025H2; due by
# 30 July / 30 January), the changes, and the large-scale reports of point 十五.
INSTITUTION_ROWS: list[tuple[str, str, str, dict]] = [
    ("2024-01-02T09:30:00", "HO-001", "channel_disclosure",
     {"place": "website", "channels": ["phone", "online", "letter", "email"], "hotline_prompt": True}),
    ("2024-01-02T09:35:00", "HO-001", "channel_disclosure",
     {"place": "hotline", "channels": ["phone"], "hotline_prompt": True}),
    ("2024-01-03T10:00:00", "OT-SH-PD-01", "channel_disclosure",
     {"place": "outlet", "channels": ["phone", "online", "letter", "in_person"]}),
    # 2024H1 reports: all in time
    ("2024-07-22T15:00:00", "HO-001", "periodic_report_submitted", _report("2024H1", "HO")),
    ("2024-07-25T10:20:00", "BR-SH", "periodic_report_submitted", _report("2024H1", "SH")),
    ("2024-07-26T16:00:00", "BR-BJ", "periodic_report_submitted", _report("2024H1", "BJ")),
    ("2024-07-29T09:30:00", "BR-GD", "periodic_report_submitted", _report("2024H1", "GD")),
    # department change on the Friday before National Day; its 5th working day is 2024-10-10
    # (09-29 is a make-up Sunday, 10-01…10-07 off): reported that afternoon, in time
    ("2024-09-27T16:00:00", "BR-GD", "complaint_contact_changed",
     {"change": "department", "description": "广东分行投诉处理职能由办公室划转至消费者权益保护部",
      "reported_to_regulator_at": "2024-10-10T16:30:00+08:00"}),
    # a channel change, reflected in the head office's 2024H2 report
    ("2024-11-05T14:00:00", "HO-001", "complaint_contact_changed",
     {"change": "channels", "description": "手机银行App新增在线投诉入口"}),
    ("2024-11-05T14:10:00", "HO-001", "channel_disclosure",
     {"place": "app", "channels": ["phone", "online", "letter", "email", "app"], "hotline_prompt": True}),
    # 2024H2 reports: BR-BJ never files one
    ("2025-01-20T16:00:00", "HO-001", "periodic_report_submitted", _report("2024H2", "HO", channels=True)),
    ("2025-01-22T10:00:00", "BR-SH", "periodic_report_submitted", _report("2024H2", "SH")),
    ("2025-01-24T14:00:00", "BR-GD", "periodic_report_submitted", _report("2024H2", "GD")),
    # head change reported the next working day, in time
    ("2025-03-10T11:00:00", "HO-001", "complaint_contact_changed",
     {"change": "head", "description": "消费者权益保护部负责人变更，已报告国家金融监督管理总局",
      "reported_to_regulator_at": "2025-03-11T15:00:00+08:00"}),
    # a rules change the head office's 2025H1 report does not reflect
    ("2025-04-15T10:00:00", "HO-001", "complaint_contact_changed",
     {"change": "rules", "description": "修订《客户投诉管理办法》，调整投诉分级及升级处理流程"}),
    # head change at BR-BJ: due by the 5th working day (2025-06-16), reported 2025-06-19
    ("2025-06-09T10:00:00", "BR-BJ", "complaint_contact_changed",
     {"change": "head", "description": "北京分行投诉处理负责人变更",
      "reported_to_regulator_at": "2025-06-19T11:00:00+08:00"}),
    # 2025H1 reports: HO-001 does not reflect its rules change; BR-BJ files on the last day;
    # BR-GD files late
    ("2025-07-24T15:30:00", "HO-001", "periodic_report_submitted", _report("2025H1", "HO")),
    ("2025-07-28T11:00:00", "BR-SH", "periodic_report_submitted", _report("2025H1", "SH")),
    ("2025-07-30T17:45:00", "BR-BJ", "periodic_report_submitted", _report("2025H1", "BJ")),
    ("2025-08-04T10:00:00", "BR-GD", "periodic_report_submitted", _report("2025H1", "GD")),
    # (b) C-2025-LS009, 25 joint complainants received 2025-08-19: reported by the head office the
    # next day (due by 2025-08-22)
    ("2025-08-20T16:30:00", "HO-001", "large_scale_complaint_reported",
     {"regulator": "NFRA", "office": NFRA_OFFICE["HO"], "complaint_ids": ["C-2025-LS009"],
      "product": "personal_loan", "issue": "debt_collection", "complainants": 25}),
    # a channel change at BR-SH: binds BR-SH's 2025H2 report (not reflected) and the head office's
    # (reflected)
    ("2025-09-10T10:00:00", "BR-SH", "complaint_contact_changed",
     {"change": "channels", "description": "上海分行开通投诉信箱 complaints-sh@example.cn"}),
    # contact change at BR-SH, never reported
    ("2025-11-03T09:30:00", "BR-SH", "complaint_contact_changed",
     {"change": "contact", "description": "上海分行投诉处理联系人变更"}),
    # (a) the BR-GD cluster detected 2025-11-13 (due by 2025-11-18), reported 2025-11-20
    ("2025-11-20T16:00:00", "BR-GD", "large_scale_complaint_reported",
     {"regulator": "NFRA", "office": NFRA_OFFICE["GD"], "complaint_ids": LS_CLUSTER,
      "product": "wealth_management", "issue": "information_disclosure",
      "complainants": sum(row[8] for row in FIXED if row[2] == "large_scale_cluster")}),
    # 2025H2 reports: all in time; BR-SH's does not reflect its channel change
    ("2026-01-23T10:00:00", "HO-001", "periodic_report_submitted", _report("2025H2", "HO", channels=True)),
    ("2026-01-26T11:00:00", "BR-GD", "periodic_report_submitted", _report("2025H2", "GD")),
    ("2026-01-27T15:00:00", "BR-SH", "periodic_report_submitted", _report("2025H2", "SH")),
    ("2026-01-29T10:30:00", "BR-BJ", "periodic_report_submitted", _report("2025H2", "BJ")),
]


def institution_events() -> list[dict]:
    """Institution-level events: channel disclosures, half-yearly reports, changes, large-scale reports."""
    rows = sorted(INSTITUTION_ROWS, key=lambda row: row[0])
    out = []
    for n, (stamp, inst_id, kind, data) in enumerate(rows, 1):
        out.append({
            "schema": SCHEMA_TAG,
            "event_id": f"E-INST-{n:04d}",
            "type": kind,
            "time": stamp + "+08:00",
            "institution": institution(inst_id),
            "data": data,
        })
    return out


def to_json_events(built: Built, rng: random.Random) -> list[dict]:
    cid = built.plan.complaint_id
    out = []
    for n, (kind, moment, data) in enumerate(built.events, 1):
        event: dict[str, Any] = {
            "schema": SCHEMA_TAG,
            "event_id": f"E-{cid}-{n:02d}",
            "complaint_id": cid,
            "type": kind,
            "time": rfc3339(moment),
            "institution": institution(built.inst_id),
            "recorded_at": rfc3339(moment + timedelta(seconds=rng.randint(1, 600))),
        }
        if data is not None:
            event["data"] = data
        out.append(event)
    return out


# --------------------------------------------------------------------------- field check (docs/events.md)

CHANNELS = {"phone", "sms", "email", "letter", "in_person", "online", "app", "wechat", "other"}
REGULATORS = {"CBRC", "CBIRC", "NFRA", "PBOC"}
OUTCOMES = {"upheld", "partially_upheld", "rejected", "settled"}
LEVELS = {"head_office", "branch", "sub_branch", "outlet"}
TOP_KEYS = {"schema", "event_id", "complaint_id", "type", "time", "institution", "recorded_at", "data", "ext"}
DATA_FIELDS: dict[str, tuple[set, set]] = {
    "received": ({"channel", "product", "issue"},
                 {"complainants", "joint_in_person", "cause", "major", "forwarded_by"}),
    "registered": (set(), {"reference", "handler"}),
    "acknowledged": ({"channel", "states_acceptance", "states_time_limit", "states_contact"},
                     {"time_limit_days", "contact"}),
    "contact_failed": ({"channel"}, {"attempts", "evidence"}),
    "extended": ({"reason"}, {"new_limit", "new_due_date", "notice_channel", "approval"}),
    "paused": ({"reason"}, {"notice_channel"}),
    "resumed": (set(), set()),
    "decided": ({"outcome", "product_problem_found"},
                {"remediation", "compensation", "findings", "basis_and_reasons", "remedies_offered"}),
    "result_notified": ({"channel"}, set()),
    "reported_to_regulator": ({"regulator", "office"}, {"reference", "contents"}),
    "withdrawn": (set(), {"reason"}),
    "reopened": ({"new_facts"}, {"description"}),
    "review_requested": ({"written"}, {"channel"}),
    "review_decided": ({"outcome"}, {"reviewing_institution"}),
    "closed": (set(), set()),
    "periodic_report_submitted": ({"period", "regulator"},
                                  {"office", "reflects_rule_changes", "reflects_channel_changes"}),
    "large_scale_complaint_reported": ({"regulator"},
                                       {"office", "complaint_ids", "product", "issue", "complainants"}),
    "channel_disclosure": ({"place", "channels"}, {"hotline_prompt"}),
    "complaint_contact_changed": ({"change"}, {"description", "reported_to_regulator_at"}),
}
INSTITUTION_TYPES = {"periodic_report_submitted", "large_scale_complaint_reported", "channel_disclosure",
                     "complaint_contact_changed"}


def check_event(ev: dict) -> list[str]:
    """The field names, enums and types docs/events.md fixes; returns problems (empty when fine)."""
    errs = []
    extra = set(ev) - TOP_KEYS
    if extra:
        errs.append(f"unknown top-level keys {sorted(extra)}")
    if ev.get("schema", SCHEMA_TAG) != SCHEMA_TAG:
        errs.append("bad schema tag")
    eid = ev.get("event_id")
    if not isinstance(eid, str) or not 1 <= len(eid) <= 128 or any(c.isspace() for c in eid):
        errs.append("bad event_id")
    kind = ev.get("type")
    if kind not in DATA_FIELDS:
        return errs + [f"unknown type {kind!r}"]
    if (kind in INSTITUTION_TYPES) == ("complaint_id" in ev):
        errs.append("complaint_id presence does not match the type")
    for key in ("time", "recorded_at"):
        if key in ev:
            value = ev[key]
            if not isinstance(value, str) or not (value.endswith("Z") or value[-6] in "+-"):
                errs.append(f"{key} has no offset")
            else:
                parse_time(value)
    inst = ev.get("institution")
    if not isinstance(inst, dict) or set(inst) - {"id", "level", "parent", "name"}:
        errs.append("bad institution")
    elif inst.get("level") not in LEVELS or not isinstance(inst.get("id"), str):
        errs.append("bad institution level/id")
    elif inst["level"] != "head_office" and not isinstance(inst.get("parent"), str):
        errs.append("institution without parent")
    required, optional = DATA_FIELDS[kind]
    data = ev.get("data", {})
    if not isinstance(data, dict):
        return errs + ["data is not an object"]
    if required - set(data):
        errs.append(f"{kind}: missing {sorted(required - set(data))}")
    if set(data) - required - optional:
        errs.append(f"{kind}: unknown data keys {sorted(set(data) - required - optional)}")
    for key in ("channel",):
        if key in data and data[key] not in CHANNELS:
            errs.append(f"{kind}: bad channel {data[key]!r}")
    if kind == "received":
        fwd = data.get("forwarded_by")
        if fwd is not None and (set(fwd) - {"regulator", "office", "reference"} or fwd.get("regulator")
                                not in REGULATORS or not isinstance(fwd.get("office"), str)):
            errs.append("bad forwarded_by")
        if not isinstance(data.get("complainants", 1), int) or data.get("complainants", 1) < 1:
            errs.append("bad complainants")
    if kind == "acknowledged":
        for key in ("states_acceptance", "states_time_limit", "states_contact"):
            if not isinstance(data.get(key), bool):
                errs.append(f"{key} not a bool")
    if kind == "extended":
        if ("new_limit" in data) == ("new_due_date" in data):
            errs.append("extended needs exactly one of new_limit / new_due_date")
        limit = data.get("new_limit")
        if limit is not None and (set(limit) != {"value", "unit"} or limit["unit"] not in
                                  ("working_day", "calendar_day") or not isinstance(limit["value"], int)
                                  or limit["value"] < 1):
            errs.append("bad new_limit")
        if "new_due_date" in data:
            date.fromisoformat(data["new_due_date"])
        if data.get("notice_channel") not in CHANNELS | {None}:
            errs.append("bad notice_channel")
        approval = data.get("approval")
        if approval is not None and (set(approval) != {"by", "level"} or approval["level"] not in
                                     ("superior_institution", "head_office_senior_manager",
                                      "complaint_head", "other")):
            errs.append("bad approval")
        if not isinstance(data.get("reason"), str):
            errs.append("reason not a string")
    if kind in ("decided", "review_decided") and data.get("outcome") not in OUTCOMES:
        errs.append("bad outcome")
    if kind == "decided":
        if not isinstance(data.get("product_problem_found"), bool):
            errs.append("product_problem_found not a bool")
        comp = data.get("compensation")
        if comp is not None and (set(comp) != {"amount", "currency"} or comp["amount"] < 0
                                 or len(comp["currency"]) != 3):
            errs.append("bad compensation")
        remedies = data.get("remedies_offered", [])
        if len(set(remedies)) != len(remedies) or set(remedies) - {"review", "mediation", "arbitration",
                                                                    "litigation"}:
            errs.append("bad remedies_offered")
    if kind in ("reported_to_regulator", "periodic_report_submitted", "large_scale_complaint_reported") and (
            data.get("regulator") not in REGULATORS):
        errs.append("bad regulator")
    if kind == "large_scale_complaint_reported" and (
            not all(isinstance(c, str) for c in data.get("complaint_ids", []))
            or not isinstance(data.get("complainants", 1), int)):
        errs.append("bad large_scale_complaint_reported")
    if kind == "complaint_contact_changed" and "reported_to_regulator_at" in data:
        value = data["reported_to_regulator_at"]
        if not isinstance(value, str) or not (value.endswith("Z") or value[-6] in "+-"):
            errs.append("reported_to_regulator_at has no offset")
        else:
            parse_time(value)
    if kind == "channel_disclosure":
        if data["place"] not in ("outlet", "website", "app", "hotline") or set(data["channels"]) - {
                "phone", "online", "letter", "email", "in_person", "app"}:
            errs.append("bad channel_disclosure")
    if kind == "complaint_contact_changed" and data["change"] not in (
            "department", "head", "contact", "rules", "channels"):
        errs.append("bad change")
    if kind == "periodic_report_submitted" and not (
            len(data["period"]) in (4, 6) and data["period"][:4].isdigit()
            and data["period"][4:] in ("", "H1", "H2")):
        errs.append("bad period")
    return errs


# --------------------------------------------------------------------------- independent evaluator


def evaluate(cal: Calendar, events: list[dict], as_of: datetime) -> tuple[list[str], dict]:
    """The findings the cbrc-2012-13 module's rules call for, read from the module text.

    Returns the sorted codes and the due dates used (last day of each limit).
    """
    by_type: dict[str, list[tuple[datetime, dict]]] = {}
    for ev in sorted(events, key=lambda e: (parse_time(e["time"]), e["event_id"])):
        by_type.setdefault(ev["type"], []).append((parse_time(ev["time"]), ev.get("data") or {}))
    codes: list[str] = []
    t_rec, received = by_type["received"][0]
    d0 = t_rec.date()
    acks = by_type.get("acknowledged", [])
    fails = [t for t, _ in by_type.get("contact_failed", [])]
    withdrawals = [t for t, _ in by_type.get("withdrawn", [])]
    decisions = by_type.get("decided", [])
    results = by_type.get("result_notified", [])
    reports = by_type.get("reported_to_regulator", [])

    # 七: acknowledgement
    ack_due = end_of(cal.nth(d0, ACK_WD))
    if (not acks and ack_due <= as_of and not any(t < ack_due for t in fails)
            and not any(t < ack_due for t in withdrawals)):
        codes.append(P7_MISSING)
    if acks and acks[0][0] >= ack_due:
        codes.append(P7_LATE)
    for _, data in acks:
        if not (data["states_acceptance"] and data["states_time_limit"] and data["states_contact"]):
            codes.append(P7_INCOMPLETE)
        if data["channel"] not in NOTICE_CHANNELS:
            codes.append(P7_CHANNEL)

    # 八: result notice, remediation
    if decisions:
        result_due = end_of(cal.nth(decisions[0][0].date(), RESULT_WD))
        if not results and result_due <= as_of and not any(t < result_due for t in fails):
            codes.append(P8_NOT_NOTIFIED)
        if results and results[0][0] >= result_due:
            codes.append(P8_LATE)
    for _, data in results:
        if data["channel"] not in NOTICE_CHANNELS:
            codes.append(P8_CHANNEL)
    for _, data in decisions:
        if data["product_problem_found"] and not data.get("remediation"):
            codes.append(P8_REMEDIATION)

    # 九: handling limit and its extensions
    limit_due = end_of(cal.nth(d0, DECISION_WD))
    cap_due = end_of(cal.nth(d0, CAP_WD))
    for t, data in by_type.get("extended", []):
        if "new_due_date" in data:
            new_due = end_of(date.fromisoformat(data["new_due_date"]))
        elif data["new_limit"]["unit"] == "working_day":
            new_due = end_of(cal.nth(d0, data["new_limit"]["value"]))
        else:
            new_due = end_of(d0 + timedelta(days=data["new_limit"]["value"]))
        late = t >= limit_due
        if late:
            codes.append(P9_EXT_LATE)
        if not data.get("reason"):
            codes.append(P9_EXT_REASON)
        channel = data.get("notice_channel")
        if channel is None:
            codes.append(P9_EXT_NOTIFIED)
        elif channel not in EXTENSION_CHANNELS:
            codes.append(P9_EXT_CHANNEL)
        if new_due > cap_due:
            codes.append(P9_EXT_CAP)
        if not late and data.get("reason") and channel is not None:
            limit_due = min(new_due, cap_due)
    if decisions and decisions[0][0] >= limit_due:
        codes.append(P9_LATE)
    if not decisions and limit_due <= as_of and not any(t < limit_due for t in withdrawals):
        codes.append(P9_OVERDUE)

    # 十: report back to the forwarding office
    fwd = received.get("forwarded_by")
    if fwd and fwd["regulator"] in FORWARDING_REGULATORS and decisions:
        report_due = end_of(cal.nth(decisions[0][0].date(), REPORT_WD))
        if not reports and report_due <= as_of:
            codes.append(P10_MISSING)
        if reports and reports[0][0] >= report_due:
            codes.append(P10_LATE)
        for _, data in reports:
            if data["office"] != fwd["office"]:
                codes.append(P10_OFFICE)

    info = {"ack_due": (ack_due - timedelta(seconds=1)).date().isoformat(),
            "decision_due": (limit_due - timedelta(seconds=1)).date().isoformat()}
    return sorted(codes), info


# --------------------------------------------------------------------------- archive-scope evaluator


def half_year_of(day: date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def half_year_end(period: str) -> date:
    year = int(period[:4])
    return date(year, 6, 30) if period.endswith("H1") else date(year, 12, 31)


def semiannual_due(period: str) -> datetime:
    """24:00 of the last day for the half-year's report: 30 July, or 30 January of the next year."""
    year, half = int(period[:4]), period[-2:]
    month, day = SEMIANNUAL_DUE[half]
    return end_of(date(year + (half == "H2"), month, day))


def evaluate_archive(cal: Calendar, events: list[dict], as_of: datetime) -> tuple[list[dict], list[dict]]:
    """The archive-scope findings (points 十五, 十六) the module's ``scope: archive`` rules call for.

    Read from the module text (its ``archive`` section and rules), not from cppolicy's code.
    Returns the sorted expected findings ``{code, institution_id, evidence, due, observed[,
    complaint_ids]}`` and every cluster found (for the check that none forms by accident).
    """
    events = sorted(events, key=lambda e: (parse_time(e["time"]), e["event_id"]))
    level: dict[str, str] = {}
    parent: dict[str, str | None] = {}
    for ev in events:
        level.setdefault(ev["institution"]["id"], ev["institution"]["level"])
        parent.setdefault(ev["institution"]["id"], ev["institution"].get("parent"))

    def up(node: str) -> list[str]:
        """``node`` and its ancestors, nearest first."""
        out: list[str] = []
        while node is not None and node not in out:
            out.append(node)
            node = parent.get(node)
        return out

    def branch_of(node: str) -> str:
        """The nearest branch or head office at or above ``node`` (the root if none)."""
        chain = up(node)
        return next((n for n in chain if level.get(n) in ("branch", "head_office")), chain[-1])

    inst_events = [ev for ev in events if "complaint_id" not in ev]
    found: list[dict] = []

    def finding(code: str, inst: str, evidence: str, due: datetime | None, observed: datetime | None,
                **extra) -> None:
        found.append({"code": code, "institution_id": inst, "evidence": [evidence],
                      "due": None if due is None else rfc3339(due),
                      "observed": None if observed is None else rfc3339(observed), **extra})

    # 十六: half-yearly reports, every head office and branch, every half-year ended by the as-of day
    first = min(parse_time(ev["time"]) for ev in events).date()
    periods = []
    period = half_year_of(first)
    while half_year_end(period) < as_of.date():
        periods.append(period)
        year, half = int(period[:4]), period[-2:]
        period = f"{year}H2" if half == "H1" else f"{year + 1}H1"
    reports: dict[tuple[str, str], tuple[datetime, dict]] = {}
    for ev in inst_events:
        if ev["type"] == "periodic_report_submitted" and parse_time(ev["time"]) <= as_of:
            key = (ev["institution"]["id"], ev["data"]["period"])
            reports.setdefault(key, (parse_time(ev["time"]), ev["data"]))
    for inst in sorted(i for i, lv in level.items() if lv in SEMIANNUAL_LEVELS):
        for period in periods:
            evidence, due = f"semiannual_report:{inst}:{period}", semiannual_due(period)
            changes = Counter(
                ev["data"]["change"] for ev in inst_events
                if ev["type"] == "complaint_contact_changed"
                and half_year_of(parse_time(ev["time"]).date()) == period
                and inst in up(ev["institution"]["id"]))  # at the institution or below it
            report = reports.get((inst, period))
            if report is None:
                if due <= as_of:
                    finding(P16_MISSING, inst, evidence, due, None)
                continue
            t, data = report
            if t >= due:
                finding(P16_LATE, inst, evidence, due, t)
            if changes["rules"] and not data.get("reflects_rule_changes", False):
                finding(P16_RULES, inst, evidence, None, t)
            if changes["channels"] and not data.get("reflects_channel_changes", False):
                finding(P16_CHANNELS, inst, evidence, None, t)

    # 十六: a change of the department, its head or contact reported within 5 working days
    for ev in inst_events:
        t = parse_time(ev["time"])
        if (ev["type"] != "complaint_contact_changed" or ev["data"]["change"] not in CONTACT_CHANGE_KINDS
                or t > as_of):
            continue
        due = end_of(cal.nth(t.date(), CONTACT_CHANGE_WD))
        reported = ev["data"].get("reported_to_regulator_at")
        met = parse_time(reported) if reported else None
        if met is not None and met > as_of:
            met = None
        if met is None and due <= as_of:
            finding(P16_CONTACT_MISSING, ev["institution"]["id"], ev["event_id"], due, None)
        if met is not None and met >= due:
            finding(P16_CONTACT_LATE, ev["institution"]["id"], ev["event_id"], due, met)

    # 十五: large-scale complaints. Receipts by (branch, product, issue); a cluster of many
    # complaints opens when two or more complaints received within the last 7 days (this receipt
    # included) have 20 complainants between them, and takes in every later receipt within 7 days
    # of its last member. Then each complaint with 20 complainants or more on its own, and each
    # flagged major (one cluster per complaint). Each named after its first member complaint.
    first_receipt: dict[str, tuple[datetime, str, dict]] = {}
    for ev in events:  # in time order: the first received event of each complaint
        if ev["type"] == "received" and parse_time(ev["time"]) <= as_of:
            first_receipt.setdefault(ev["complaint_id"], (parse_time(ev["time"]), ev["complaint_id"], ev))
    receipts = sorted(first_receipt.values(), key=lambda r: (r[0], r[1]))

    def people(ev: dict) -> int:
        return int(ev["data"].get("complainants", 1))

    groups: dict[tuple[str, str, str], list] = {}
    for t, cid, ev in receipts:
        if people(ev) >= LARGE_SCALE_MIN:
            continue  # large-scale on its own, not counted again in a group
        key = (branch_of(ev["institution"]["id"]), ev["data"]["product"], ev["data"]["issue"])
        groups.setdefault(key, []).append((t, cid, ev))
    clusters: list[dict] = []
    for (branch, product, issue) in sorted(groups):
        open_cluster = None
        seen: list = []
        for t, cid, ev in groups[(branch, product, issue)]:
            seen.append((t, cid, ev))
            if open_cluster is not None and t - open_cluster["members"][-1][0] <= LARGE_SCALE_WINDOW:
                open_cluster["members"].append((t, cid, ev))
                continue
            open_cluster = None
            window = [item for item in seen if t - item[0] <= LARGE_SCALE_WINDOW]
            if len(window) > 1 and sum(people(item[2]) for item in window) >= LARGE_SCALE_MIN:
                open_cluster = {"kind": "many_complaints", "institution": branch, "product": product,
                                "issue": issue, "members": list(window), "detected": t}
                clusters.append(open_cluster)
    for t, cid, ev in receipts:
        single = {"institution": branch_of(ev["institution"]["id"]), "product": ev["data"]["product"],
                  "issue": ev["data"]["issue"], "members": [(t, cid, ev)], "detected": t}
        if people(ev) >= LARGE_SCALE_MIN:
            clusters.append({**single, "kind": "many_complainants"})
        elif ev["data"].get("major"):
            clusters.append({**single, "kind": "flagged_major"})
    ls_reports = [ev for ev in inst_events
                  if ev["type"] == "large_scale_complaint_reported" and parse_time(ev["time"]) <= as_of]
    for cluster in clusters:
        ids = sorted(cid for _, cid, _ in cluster["members"])
        first_t = min(t for t, _, _ in cluster["members"])
        first_member = min(cluster["members"], key=lambda m: (m[0], m[1]))[1]
        cluster["id"] = f"large_scale:{cluster['kind']}:{cluster['institution']}:{first_member}"
        cluster["complaint_ids"] = ids
        cluster["due"] = due = end_of(cal.nth(cluster["detected"].date(), LARGE_SCALE_WD))
        met = None
        for ev in ls_reports:  # the first report covering the cluster, from its institution or above
            if parse_time(ev["time"]) < first_t or ev["institution"]["id"] not in up(cluster["institution"]):
                continue
            data = ev["data"]
            if set(data.get("complaint_ids") or ()) & set(ids) or (
                    data.get("product") == cluster["product"] and data.get("issue") == cluster["issue"]):
                met = parse_time(ev["time"])
                break
        cluster["met"] = met
        if met is None and due <= as_of:
            finding(P15_NOT_REPORTED, cluster["institution"], cluster["id"], due, None, complaint_ids=ids)
        if met is not None and met >= due:
            finding(P15_LATE, cluster["institution"], cluster["id"], due, met, complaint_ids=ids)

    found.sort(key=lambda f: (f["code"], f["institution_id"], f["evidence"]))
    return found, clusters


# What the archive is built to show at the as-of time: (code, institution, evidence without a
# cluster's number). The generator stops unless evaluate_archive finds exactly these.
ARCHIVE_DESIGN: list[tuple[str, str, str]] = [
    (P15_NOT_REPORTED, "BR-BJ", "large_scale:flagged_major:BR-BJ"),                # (c) C-2025-LS010
    (P15_LATE, "BR-GD", "large_scale:many_complaints:BR-GD"),                       # (a) C-2025-LS001…008
    (P16_CHANNELS, "BR-SH", "semiannual_report:BR-SH:2025H2"),
    (P16_CONTACT_MISSING, "BR-SH", "complaint_contact_changed 2025-11-03"),
    (P16_CONTACT_LATE, "BR-BJ", "complaint_contact_changed 2025-06-09"),
    (P16_MISSING, "BR-BJ", "semiannual_report:BR-BJ:2024H2"),
    (P16_LATE, "BR-GD", "semiannual_report:BR-GD:2025H1"),
    (P16_RULES, "HO-001", "semiannual_report:HO-001:2025H1"),
]
# Every cluster the archive holds: (kind, institution, member ids). (A complaint that reaches 20
# complainants alone is only the many_complainants kind, not also a cluster of many complaints.)
CLUSTER_DESIGN: list[tuple[str, str, tuple[str, ...]]] = [
    ("many_complaints", "BR-GD", tuple(row[0] for row in FIXED if row[2] == "large_scale_cluster")),
    ("many_complainants", "BR-SH", ("C-2025-LS009",)),
    ("flagged_major", "BR-BJ", ("C-2025-LS010",)),
]


def cluster_summary(clusters: list[dict]) -> list[dict]:
    """Every cluster, reported or not, for the manifest's ``archive_clusters``."""
    return [{"id": c["id"], "kind": c["kind"], "institution_id": c["institution"],
             "complaint_ids": c["complaint_ids"], "detected": rfc3339(c["detected"]),
             "due": rfc3339(c["due"]), "reported": None if c["met"] is None else rfc3339(c["met"])}
            for c in clusters]


def strip_cluster_number(evidence: str) -> str:
    """``large_scale:<kind>:<institution>:<first member>`` without the last part; other evidence unchanged."""
    return evidence.rsplit(":", 1)[0] if evidence.startswith("large_scale:") else evidence


def check_archive_design(events: list[dict], found: list[dict], clusters: list[dict]) -> None:
    by_id = {ev["event_id"]: ev for ev in events}

    def label(f: dict) -> tuple[str, str, str]:
        evidence = f["evidence"][0]
        if evidence in by_id:  # an obligation: the change event
            ev = by_id[evidence]
            evidence = f"{ev['type']} {parse_time(ev['time']).date().isoformat()}"
        return f["code"], f["institution_id"], strip_cluster_number(evidence)

    got = sorted(label(f) for f in found)
    if got != sorted(ARCHIVE_DESIGN):
        raise SystemExit(f"archive-scope findings differ from the design:\n  designed "
                         f"{sorted(ARCHIVE_DESIGN)}\n  found    {got}")
    got_clusters = sorted((c["kind"], c["institution"], tuple(c["complaint_ids"])) for c in clusters)
    if got_clusters != sorted(CLUSTER_DESIGN):
        raise SystemExit(f"clusters differ from the design (an accidental cluster?):\n  designed "
                         f"{sorted(CLUSTER_DESIGN)}\n  found    {got_clusters}")


# --------------------------------------------------------------------------- output


def dump_line(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def gzip_bytes(payload: bytes) -> bytes:
    buf = io.BytesIO()
    # filename="" and mtime=0: no name and no timestamp in the header, so reruns are byte-identical.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(payload)
    return buf.getvalue()


def manifest_path_for(out: Path) -> Path:
    name = out.name
    for suffix in (".jsonl.gz", ".jsonl"):
        if name.endswith(suffix):
            return out.with_name(name[: -len(suffix)] + ".scenarios.json")
    return out.with_name(name + ".scenarios.json")


def generate(seed: int) -> tuple[list[dict], dict]:
    cal = Calendar(CALENDAR_YEARS)
    check_pinned(cal)
    plans = plan_all(cal, seed)
    events: list[dict] = institution_events()
    complaints: dict[str, dict] = {}
    for plan in plans:
        rng = random.Random(f"complaint:{seed}:{plan.complaint_id}")
        for _attempt in range(50):
            try:
                built = build(cal, rng, plan)
                break
            except GenError:
                continue
        else:
            raise SystemExit(f"{plan.complaint_id}: could not build {plan.scenario}/{plan.variant}")
        lines = to_json_events(built, rng)
        events.extend(lines)
        codes, info = evaluate(cal, lines, AS_OF)
        expected = expected_for(plan.scenario, plan.variant)
        if codes != expected:
            raise SystemExit(f"{plan.complaint_id} ({plan.scenario}/{plan.variant}): built for "
                             f"{expected} but the events call for {codes}")
        complaints[plan.complaint_id] = {
            "scenario": plan.scenario,
            "variant": plan.variant,
            "expected_codes": expected,
            "received": rfc3339(plan.received),
            "ack_due": info["ack_due"],
            "decision_due": info["decision_due"],
            "institution": built.inst_id,
        }
    events.sort(key=lambda e: (parse_time(e["time"]), e["event_id"]))
    archive_expected, clusters = evaluate_archive(cal, events, AS_OF)
    check_archive_design(events, archive_expected, clusters)
    counts = Counter(c["scenario"] for c in complaints.values())
    manifest = {
        "seed": seed,
        "as_of": rfc3339(AS_OF),
        "module": MODULE_REF,
        "calendar": "holidays.China + weekend_workdays (python-holidays 0.109)",
        "event_count": len(events),
        "scenario_counts": {s: counts[s] for s in (*SCENARIOS, *FIXED_SCENARIOS)},
        "complaints": complaints,
        "archive_expected": archive_expected,
        "archive_clusters": cluster_summary(clusters),
    }
    return events, manifest


def validate_all(events: list[dict]) -> None:
    ids = set()
    for ev in events:
        problems = check_event(ev)
        if problems:
            raise SystemExit(f"{ev['event_id']}: {'; '.join(problems)}")
        if ev["event_id"] in ids:
            raise SystemExit(f"duplicate event_id {ev['event_id']}")
        ids.add(ev["event_id"])
        if parse_time(ev["time"]) >= AS_OF:
            raise SystemExit(f"{ev['event_id']}: after the as-of time")


def validate_with_cppolicy(lines: list[str]) -> str:
    """Run every line through cppolicy.events when that module is importable; report what ran."""
    sys.path.insert(0, str(HERE.parent))
    try:
        from cppolicy import events as cp_events  # noqa: PLC0415 — optional, may not exist yet
    except Exception as exc:  # noqa: BLE001 — any import failure just means "not available"
        return f"cppolicy.events not available ({type(exc).__name__}: {exc})"
    parse = getattr(cp_events, "parse_and_validate", None)
    raw_cls = getattr(cp_events, "RawLine", None)
    invalid_cls = getattr(cp_events, "Invalid", None)
    if parse is None or raw_cls is None:
        return "cppolicy.events has no parse_and_validate/RawLine: skipped"
    bad = []
    for n, text in enumerate(lines, 1):
        try:
            result = parse(raw_cls(source="archive", line=n, text=text))
        except TypeError:
            result = parse(text)
        if invalid_cls is not None and isinstance(result, invalid_cls):
            bad.append((n, result))
    if bad:
        for n, result in bad[:10]:
            print(f"line {n}: {result}", file=sys.stderr)
        raise SystemExit(f"cppolicy.events rejected {len(bad)} line(s)")
    return f"cppolicy.events.parse_and_validate accepted all {len(lines)} lines"


def check_files(out: Path) -> None:
    """Re-read archive + manifest and recompute every complaint's findings."""
    cal = Calendar(CALENDAR_YEARS)
    manifest = json.loads(manifest_path_for(out).read_text(encoding="utf-8"))
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        lines = [line.rstrip("\n") for line in fh if line.strip()]
    events = [json.loads(line) for line in lines]
    validate_all(events)
    keys = [(parse_time(e["time"]), e["event_id"]) for e in events]
    if keys != sorted(keys):
        raise SystemExit("events are not sorted by time then event_id")
    grouped: dict[str, list[dict]] = {}
    for ev in events:
        if "complaint_id" in ev:
            grouped.setdefault(ev["complaint_id"], []).append(ev)
    as_of = parse_time(manifest["as_of"])
    if set(grouped) != set(manifest["complaints"]):
        raise SystemExit("complaints in the archive and the manifest differ")
    for cid, entry in manifest["complaints"].items():
        codes, info = evaluate(cal, grouped[cid], as_of)
        if codes != entry["expected_codes"] or info["decision_due"] != entry["decision_due"]:
            raise SystemExit(f"{cid}: manifest says {entry['expected_codes']}, events call for {codes}")
    archive_expected, clusters = evaluate_archive(cal, events, as_of)
    if archive_expected != manifest.get("archive_expected"):
        raise SystemExit(f"archive scope: manifest says {manifest.get('archive_expected')}, "
                         f"events call for {archive_expected}")
    if cluster_summary(clusters) != manifest.get("archive_clusters"):
        raise SystemExit(f"archive scope: manifest lists clusters {manifest.get('archive_clusters')}, "
                         f"events make {cluster_summary(clusters)}")
    if as_of == AS_OF:
        check_archive_design(events, archive_expected, clusters)
    print(validate_with_cppolicy(lines), file=sys.stderr)
    print(f"ok: {len(events)} events, {len(grouped)} complaints and {len(archive_expected)} archive-scope "
          f"findings match {manifest_path_for(out).name}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="archive to write (.jsonl.gz)")
    parser.add_argument("--check", action="store_true", help="only verify an existing archive and manifest")
    args = parser.parse_args(argv)
    if args.check:
        check_files(args.out)
        return 0
    events, manifest = generate(args.seed)
    validate_all(events)
    lines = [dump_line(ev) for ev in events]
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(gzip_bytes(payload))
    manifest_path_for(args.out).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    counts = manifest["scenario_counts"]
    print(f"wrote {args.out} ({len(events)} events, {len(manifest['complaints'])} complaints)",
          file=sys.stderr)
    for scenario, count in counts.items():
        print(f"  {scenario:26} {count:4}", file=sys.stderr)
    check_files(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
