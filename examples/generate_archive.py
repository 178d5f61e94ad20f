#!/usr/bin/env python3
"""Generate the bundled example archive ``examples/archive-2024-2025.jsonl.gz`` and its manifest.

About 450 complaints received 2019-01-01 … 2025-12-15 at one bank's head office, branches,
sub-branches and outlets, plus institution-level events, written as complaint events (schema
``complaint-event/v1``, docs/events.md); the file name predates the extension back to 2019.
Each complaint is judged by the rule modules in force on its **receipt date** that apply to it
(cppolicy/selection.py):

- received up to 2020-02-29: 银监发〔2012〕13号 (``cbrc-2012-13``) with point 九 (15 / 60 working
  days and extensions);
- received from 2020-03-01: the 2012 notice without point 九 (superseded, its points 七, 八, 十
  stay) and 银保监会令2020年第3号 (``cbirc-2020-3``: 15 / 30 / 60 calendar days, pauses, restart,
  decision contents, review, major complaints);
- forwarded by the PBoC and received from 2020-11-01: also 中国人民银行令〔2020〕第5号
  (``pbc-2020-5``: reply in 15 days, extension approval and reason, feedback to the PBoC branch).

Every complaint is built for one *scenario*: compliant with every module that judges it, or
breaching one obligation on purpose (sometimes under two modules at once, which the manifest
says). The manifest ``archive-2024-2025.scenarios.json`` lists, per complaint, the modules that
judge it and, per module, the exact sorted list of finding codes it should produce at the audit's
as-of time; ``archive_expected`` lists the institution-level findings (``complaint_id`` null) of
the modules' archive-scope rules (2012 points 十五–十六, Order No. 3 Art. 8 disclosures, PBoC
Art. 56 self-assessments).

The expectations are computed by this script's own reading of the three texts
(:func:`evaluate_2012`, :func:`evaluate_o3`, :func:`evaluate_pbc`, :func:`evaluate_archive`),
not by cppolicy: working days come straight from ``holidays.China`` and its ``weekend_workdays``,
calendar days are plain date arithmetic, the day of receipt is not counted, and a limit ends at
24:00 Asia/Shanghai of its last day. The script fails unless that reading gives exactly the
codes each scenario was designed for (:func:`designed`), and unless the archive-scope findings and
large-scale clusters are exactly the designed ones (no cluster forms by accident).

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

CST = timezone(timedelta(hours=8))  # Asia/Shanghai: UTC+8, no DST since 1991
AS_OF = datetime(2026, 1, 31, 0, 0, 0, tzinfo=CST)
FIRST_RECEIPT = date(2019, 1, 1)
O3_FROM = date(2020, 3, 1)    # Order 2020 No. 3 in force (Art. 45); point 九 superseded from that day
PBC_FROM = date(2020, 11, 1)  # PBoC Order 2020 No. 5 in force (Art. 68)
NFRA_FROM = date(2023, 5, 18)  # the NFRA took over the CBIRC's functions
LAST_RECEIPT = date(2025, 12, 15)
# Scenarios that may run up to 60 (working or calendar) days are received early enough to finish
# before AS_OF.
LAST_LONG_RECEIPT = date(2025, 10, 10)
CALENDAR_YEARS = tuple(range(2019, 2027))
SCHEMA_TAG = "complaint-event/v1"

M2012, MO3, MPBC = "cbrc-2012-13", "cbirc-2020-3", "pbc-2020-5"
MODULE_VERSIONS = {M2012: "1.0.0", MO3: "1.0.0", MPBC: "1.0.0"}
MODULE_ORDER = (M2012, MO3, MPBC)

# --- 银监发〔2012〕13号 (policies/cbrc-2012-13/1.0.0/module.yaml), restated here on purpose.
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

# --- 银保监会令2020年第3号 (policies/cbirc-2020-3/1.0.0/module.yaml), restated here on purpose.
# Every 日 is a calendar day (Art. 43), 以内 includes the number, no roll-forward on holidays.
O3_DECISION_DAYS = 15          # Art. 18: decide AND tell the complainant within 15 days
O3_TIER1_DAYS = 30             # 情况复杂的可以延长至30日 (no approval, no notice)
O3_CAP_DAYS = 60               # 再延长30日, with approval and notice
O3_TIER2_APPROVERS = ("superior_institution", "head_office_senior_manager")
O3_PAUSE_REASONS = ("external_appraisal", "mediation")  # Art. 18 ¶2, Art. 23
O3_PAUSE_NOTICE_REASONS = ("external_appraisal",)        # 但应当及时告知投诉人 (Art. 18 ¶2 only)
O3_REQUIRED_REMEDIES = ("mediation", "arbitration", "litigation")  # Art. 19 (申请核查: branches)
O3_BRANCH_LEVELS = ("branch", "sub_branch", "outlet")   # 分支机构 (Art. 20)
O3_REVIEW_DAYS = 30            # Art. 20
O3_MAJOR_MIN = 20              # Art. 29 (二): 20名以上 (inclusive, Art. 43), in person, joint
O3_MAJOR_REPORT_WD = 3         # Art. 29 gives no limit: the module's reading, 3 working days

O3_LATE = "CBIRC2020.A18.DECISION_LATE"
O3_OVERDUE = "CBIRC2020.A18.DECISION_OVERDUE"
O3_NOTICE_LATE = "CBIRC2020.A18.RESULT_NOTICE_LATE"
O3_NOT_NOTIFIED = "CBIRC2020.A18.RESULT_NOT_NOTIFIED"
O3_EXT_EXPIRED = "CBIRC2020.A18.EXTENSION_AFTER_EXPIRY"
O3_EXT_APPROVAL = "CBIRC2020.A18.EXTENSION_NOT_APPROVED"
O3_EXT_NOTIFIED = "CBIRC2020.A18.EXTENSION_NOT_NOTIFIED"
O3_EXT_CAP = "CBIRC2020.A18.EXTENSION_BEYOND_CAP"
O3_PAUSE_NOTICE = "CBIRC2020.A18.PAUSE_NOT_NOTIFIED"
O3_FINDINGS = "CBIRC2020.A19.FINDINGS_MISSING"
O3_REASONS = "CBIRC2020.A19.REASONS_MISSING"
O3_REMEDIES = "CBIRC2020.A19.REMEDIES_MISSING"
O3_REVIEW_REMEDY = "CBIRC2020.A19.REVIEW_REMEDY_MISSING"
O3_REVIEW_LATE = "CBIRC2020.A20.REVIEW_DECISION_LATE"
O3_REVIEW_OVERDUE = "CBIRC2020.A20.REVIEW_DECISION_OVERDUE"
O3_MAJOR_NOT_IDENTIFIED = "CBIRC2020.A29.MAJOR_NOT_IDENTIFIED"
O3_MAJOR_NOT_REPORTED = "CBIRC2020.A29.MAJOR_NOT_REPORTED"
O3_MAJOR_LATE = "CBIRC2020.A29.MAJOR_REPORTED_LATE"
# Art. 8 (archive scope): what each published disclosure on the website, the app or the premises
# must show: the complaint phone and the postal address (letter).
O3_DISCLOSURE_PLACES = ("website", "app", "outlet")
O3_DISCLOSURE_CHANNELS = ("phone", "letter")
O3_DISCLOSURE = "CBIRC2020.A8.DISCLOSURE_INCOMPLETE"

# --- 中国人民银行令〔2020〕第5号 (policies/pbc-2020-5/1.0.0/module.yaml), restated here on purpose.
PBC_REGULATORS = ("PBOC",)
PBC_REPLY_DAYS = 15            # Art. 43 ¶2, calendar days (Art. 66)
PBC_CAP_DAYS = 60
PBC_APPROVERS = ("complaint_head",)  # 经本机构投诉处理工作负责人批准
PBC_FEEDBACK_DAYS = 7          # Art. 44 按要求: the module's reading, 7 days after the reply
PBC_FEEDBACK_ITEMS = ("basic_facts", "dispute_focus", "findings_and_evidence", "basis", "communication",
                      "extension", "satisfaction")
PBC_SELF_ASSESSMENT_DUE = (1, 31)  # Art. 56: 次年1月31日前, read as "by the end of"
PBC_SELF_ASSESSMENT_LEVELS = ("head_office",)

PBC_REPLY_LATE = "PBC2020.A43.REPLY_LATE"
PBC_REPLY_OVERDUE = "PBC2020.A43.REPLY_OVERDUE"
PBC_EXT_APPROVAL = "PBC2020.A43.EXTENSION_NOT_APPROVED"
PBC_EXT_REASON = "PBC2020.A43.EXTENSION_NO_REASON"
PBC_EXT_NOTIFIED = "PBC2020.A43.EXTENSION_NOT_NOTIFIED"
PBC_EXT_CAP = "PBC2020.A43.EXTENSION_BEYOND_CAP"
PBC_EXT_EXPIRED = "PBC2020.A43.EXTENSION_AFTER_EXPIRY"
PBC_FB_MISSING = "PBC2020.A44.FEEDBACK_MISSING"
PBC_FB_LATE = "PBC2020.A44.FEEDBACK_LATE"
PBC_FB_INCOMPLETE = "PBC2020.A44.FEEDBACK_INCOMPLETE"
PBC_FB_OFFICE = "PBC2020.A44.FEEDBACK_OTHER_OFFICE"
PBC_SA_MISSING = "PBC2020.A56.SELF_ASSESSMENT_MISSING"
PBC_SA_LATE = "PBC2020.A56.SELF_ASSESSMENT_LATE"


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


def last_day(limit: datetime) -> date:
    """The last day of a limit ending at ``limit`` (24:00 of that day)."""
    return (limit - timedelta(seconds=1)).date()


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=CST)


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

# The banking regulator: the CBIRC (2018-2023), the NFRA from 2023-05-18.
CBIRC_OFFICE = {
    "HO": "中国银行保险监督管理委员会",
    "SH": "中国银行保险监督管理委员会上海监管局",
    "BJ": "中国银行保险监督管理委员会北京监管局",
    "GD": "中国银行保险监督管理委员会广东监管局",
}
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


def banking_regulator(day: date) -> tuple[str, dict[str, str]]:
    """The banking regulator on ``day`` and its offices."""
    return ("CBIRC", CBIRC_OFFICE) if day < NFRA_FROM else ("NFRA", NFRA_OFFICE)


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
WITHDRAWN_EARLY = "投诉人表示问题已自行解决，申请撤回投诉"
WITHDRAWN_LATER = "投诉人与网点协商一致后申请撤回投诉"
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
BASIS = "依据双方签订的业务合同、产品说明书及相关监管规定作出本处理决定。"
ALL_REMEDIES = ["review", "mediation", "arbitration", "litigation"]
APPROVERS = {
    "superior_institution": "上级分行分管行长",
    "head_office_senior_manager": "总行消费者权益保护部总经理",
    "complaint_head": "本机构投诉处理负责人",
}


def weighted(rng: random.Random, pairs):
    items = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(items, weights=weights, k=1)[0]


# --------------------------------------------------------------------------- scenarios

# Eras, by receipt date: "A" 2019-01-01 … 2020-02-29 (the 2012 notice with point 九), "B" from
# 2020-03-01 (the 2012 notice's points 七, 八, 十 and Order No. 3), "P" from 2020-11-01, forwarded by
# the PBoC (era B plus PBoC Order No. 5).
ERA_WINDOWS = {"A": (FIRST_RECEIPT, O3_FROM - timedelta(days=1)), "B": (O3_FROM, LAST_RECEIPT),
               "P": (PBC_FROM, LAST_RECEIPT)}
# Variants drawn from a narrower window than their era.
VARIANT_WINDOWS = {
    ("B", "compliant_forwarded", "pboc_before_nov_2020"): (O3_FROM, PBC_FROM - timedelta(days=1)),
}

# (era, scenario, count, variants cycled in order, long-running?)
SCENARIOS: list[tuple[str, str, int, tuple[str, ...], bool]] = [
    # -- era A: 银监发〔2012〕13号 with point 九 (working days)
    ("A", "compliant", 36, ("standard", "standard", "product_problem_remedied", "decision_boundary_2359",
                            "standard", "ack_boundary_2359", "same_day_ack", "result_boundary_2359",
                            "standard", "with_review"), False),
    ("A", "compliant_extended", 16, ("working_day_limit", "new_due_date", "working_day_limit",
                                     "calendar_day_limit", "cap_exact_60", "extended_last_evening",
                                     "decision_boundary_2359"), True),
    ("A", "compliant_forwarded", 8, ("reported", "report_last_day", "same_day_report", "pboc_no_report"),
     False),
    ("A", "compliant_withdrawn", 4, ("before_ack", "after_ack"), False),
    ("A", "compliant_contact_failed", 4, ("letter_result", "unreachable_throughout"), False),
    ("A", "ack_late", 5, ("next_working_days", "at_due_instant"), False),  # + pinned first_wd_after_due
    ("A", "result_notice_late", 2, ("next_working_days", "at_due_instant"), False),
    ("A", "report_back_late", 2, ("few_days_late", "at_due_instant"), False),
    ("A", "decision_late", 14, ("few_days_late", "after_extension"), True),  # + pinned next_wd_0900
    ("A", "decision_overdue", 6, ("never_decided", "never_decided", "extended_then_overdue"), True),
    ("A", "extension_notice_late", 6, ("after_expiry", "at_expiry_instant"), True),
    ("A", "extension_no_reason", 6, ("decided_within_original", "decided_after_original"), True),
    ("A", "extension_not_notified", 6, ("null_within_original", "absent_after_original",
                                        "null_after_original", "absent_within_original"), True),
    ("A", "extension_beyond_cap", 6, ("decided_after_original", "decided_within_original"), True),
    ("A", "extension_channel", 6, ("phone_after_original", "phone_within_original"), True),
    # -- era B: the 2012 notice's points 七, 八, 十, each breach otherwise compliant with Order No. 3
    ("B", "compliant", 72, ("standard", "standard", "product_problem_remedied", "decision_boundary_2359",
                            "standard", "ack_boundary_2359", "same_day_ack", "result_boundary_2359",
                            "standard", "with_review", "head_office_without_review_remedy",
                            "review_boundary_2359"), False),
    ("B", "compliant_forwarded", 12, ("reported", "report_last_day", "reported", "same_day_report",
                                      "pboc_before_nov_2020"), False),
    ("B", "compliant_withdrawn", 8, ("before_ack", "after_ack"), False),
    ("B", "compliant_contact_failed", 6, ("letter_result", "unreachable_throughout"), False),
    ("B", "ack_missing", 6, ("no_ack",), False),
    ("B", "ack_late", 11, ("next_working_days", "at_due_instant"), False),  # + pinned first_wd_after_due
    ("B", "ack_incomplete", 6, ("no_time_limit", "no_contact", "no_acceptance", "only_acceptance"), False),
    ("B", "ack_channel", 6, ("wechat", "app", "online"), False),
    ("B", "result_not_notified", 6, ("open", "closed_without_notice"), False),
    ("B", "result_notice_late", 6, ("next_working_days", "at_due_instant"), False),
    ("B", "result_channel", 6, ("wechat", "app", "in_person"), False),
    ("B", "remediation_missing", 6, ("null", "absent", "empty_string"), False),
    ("B", "report_back_missing", 6, ("never_reported",), False),
    ("B", "report_back_late", 6, ("few_days_late", "at_due_instant"), False),
    ("B", "report_wrong_office", 6, ("other_bureau", "headquarters_instead"), False),
    # -- era B: Order No. 3 (calendar days)
    ("B", "o3_extended_tier1", 8, ("reason_only", "notified", "new_due_date", "decision_boundary_2359"),
     True),
    ("B", "o3_extended_tier2", 6, ("two_step", "direct_60", "decision_boundary_2359"), True),
    ("B", "o3_tier2_not_approved", 6, ("no_approval_decided_after_30", "complaint_head_decided_after_30",
                                       "no_approval_decided_within_30"), True),
    ("B", "o3_tier2_not_notified", 3, ("null_decided_after_30", "absent_decided_within_30",
                                       "absent_decided_after_30"), True),
    ("B", "o3_extension_after_expiry", 4, ("after_expiry", "at_expiry_instant"), True),
    ("B", "o3_extension_beyond_cap", 4, ("decided_after_15", "decided_within_15"), True),
    ("B", "o3_decision_late", 14, ("day16_0900", "few_days_late", "at_due_instant", "after_tier1"), True),
    ("B", "o3_decision_overdue", 4, ("never_decided", "tier1_then_overdue"), True),
    ("B", "o3_result_notice_late", 5, ("next_days", "at_due_instant"), False),
    ("B", "o3_pause_mediation", 3, ("not_notified", "notified"), True),
    ("B", "o3_pause_appraisal", 3, ("notified", "decision_boundary_2359"), True),
    ("B", "o3_pause_not_notified", 3, ("absent", "null"), False),
    ("B", "o3_pause_other", 2, ("other_reason",), True),
    ("B", "o3_pause_and_extension", 3, ("in_time", "in_time", "late"), True),
    ("B", "o3_restart", 5, ("new_facts_before_decision", "new_facts_after_decision"), True),
    ("B", "o3_repeat_no_new_facts", 2, ("merged",), True),
    ("B", "o3_findings_missing", 3, ("absent", "empty"), False),
    ("B", "o3_reasons_missing", 3, ("absent", "empty"), False),
    ("B", "o3_remedies_missing", 3, ("partial", "none_at_head_office"), False),
    ("B", "o3_review_remedy_missing", 4, ("branch_decision",), False),
    ("B", "o3_review_late", 4, ("day31_0900", "few_days_late", "at_due_instant"), True),
    ("B", "o3_review_overdue", 2, ("never_decided",), True),
    ("B", "o3_review_outside_art20", 3, ("oral_request", "head_office_decision"), True),
    # -- era P: forwarded by the PBoC from 2020-11-01 (PBoC No. 5 + Order No. 3 + 2012 七, 八)
    ("P", "pbc_compliant", 8, ("standard", "same_day_feedback", "feedback_last_day",
                               "feedback_boundary_2359"), False),
    ("P", "pbc_extension_approved", 4, ("calendar_day_30", "new_due_date"), True),
    ("P", "pbc_extension_not_approved", 3, ("no_approval", "senior_manager"), True),
    ("P", "pbc_extension_no_reason", 2, ("empty_reason",), True),
    ("P", "pbc_extension_not_notified", 2, ("absent", "null"), True),
    ("P", "pbc_extension_beyond_cap", 2, ("decided_within_15",), True),
    ("P", "pbc_extension_after_expiry", 2, ("after_expiry",), True),
    ("P", "pbc_extension_o3_tier2", 2, ("complaint_head_45_days",), True),
    ("P", "pbc_reply_late", 3, ("next_days",), False),
    ("P", "pbc_reply_overdue", 2, ("decided_never_replied",), False),
    ("P", "pbc_unreachable", 2, ("contact_failed",), False),
    ("P", "pbc_feedback_incomplete", 4, ("no_satisfaction", "no_dispute_focus_no_extension", "free_text"),
     False),
    ("P", "pbc_feedback_missing", 3, ("never_reported",), False),
    ("P", "pbc_feedback_late", 3, ("few_days_late", "at_due_instant"), False),
    ("P", "pbc_feedback_other_office", 2, ("other_office",), False),
]
SCENARIO_KEYS = [(era, s) for era, s, *_ in SCENARIOS]
assert len(set(SCENARIO_KEYS)) == len(SCENARIO_KEYS)
FORWARDED_SCENARIOS = (
    "compliant_forwarded", "report_back_missing", "report_back_late", "report_wrong_office")
# Scenarios whose decision is taken at a branch, sub-branch or outlet (Art. 19/20 review), or at the
# head office.
AT_BRANCH_LEVEL = {("B", "compliant", "with_review"), ("B", "compliant", "review_boundary_2359"),
                   ("B", "o3_review_remedy_missing", None), ("B", "o3_review_late", None),
                   ("B", "o3_review_overdue", None), ("B", "o3_review_outside_art20", "oral_request"),
                   ("B", "o3_remedies_missing", "partial")}
AT_HEAD_OFFICE = {("B", "compliant", "head_office_without_review_remedy"),
                  ("B", "o3_review_outside_art20", "head_office_decision"),
                  ("B", "o3_remedies_missing", "none_at_head_office")}


def placed(table: set, era: str, scenario: str, variant: str) -> bool:
    return (era, scenario, variant) in table or (era, scenario, None) in table


# Receipts pinned to calendar edges: (date, era, scenario, variant, channel).
# Checked against holidays.China / weekend_workdays at start-up (see check_pinned).
MAKEUP_DAYS = ("2019-02-02", "2019-02-03", "2019-04-28", "2019-05-05", "2019-09-29", "2019-10-12",
               "2020-01-19", "2021-09-26", "2021-10-09", "2024-02-04", "2024-02-18", "2024-04-07",
               "2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12", "2025-01-26", "2025-02-08",
               "2025-04-27", "2025-09-28", "2025-10-11")
# (a working day, the first day of the break that follows it)
BEFORE_BREAK = (("2019-02-03", "2019-02-04"), ("2019-09-30", "2019-10-01"), ("2020-01-23", "2020-01-24"),
                ("2021-09-30", "2021-10-01"), ("2024-02-08", "2024-02-10"), ("2024-09-30", "2024-10-01"),
                ("2025-01-27", "2025-01-28"), ("2025-09-30", "2025-10-01"))
REST_DAYS = ("2019-02-05", "2019-10-03", "2020-01-28", "2024-02-12", "2024-09-16", "2024-10-03",
             "2025-01-30", "2025-10-05")
PINNED: list[tuple[str, str, str, str, str]] = [
    # -- era A. Spring Festival 2019: 2/2 (Sat) and 2/3 (Sun) are make-up working days, 2/4-2/10 off
    ("2019-02-01", "A", "ack_late", "first_wd_after_due", "phone"),
    ("2019-02-01", "A", "compliant", "ack_on_second_wd", "phone"),
    ("2019-02-01", "A", "decision_late", "next_wd_0900", "app"),
    ("2019-02-01", "A", "compliant", "decision_boundary_2359", "online"),
    ("2019-02-03", "A", "compliant", "decision_boundary_2359", "in_person"),
    ("2019-02-05", "A", "compliant", "ack_on_second_wd", "app"),
    ("2019-04-28", "A", "decision_late", "next_wd_0900", "in_person"),
    ("2019-05-05", "A", "ack_late", "first_wd_after_due", "phone"),
    # National Day 2019: 9/29 (Sun) a make-up day, 10/1-10/7 off, 10/12 (Sat) a make-up day
    ("2019-09-29", "A", "compliant", "decision_boundary_2359", "phone"),
    ("2019-09-30", "A", "decision_late", "next_wd_0900", "online"),
    ("2019-09-30", "A", "extension_notice_late", "after_expiry", "letter"),
    ("2019-09-30", "A", "compliant_extended", "working_day_limit", "phone"),
    ("2019-10-03", "A", "decision_late", "next_wd_0900", "phone"),
    ("2019-10-12", "A", "compliant", "ack_on_second_wd", "in_person"),
    # Spring Festival 2020: 1/19 (Sun) a make-up day, 1/24-2/2 off (extended by three days)
    ("2020-01-19", "A", "ack_late", "first_wd_after_due", "in_person"),
    ("2020-01-23", "A", "decision_late", "next_wd_0900", "phone"),
    ("2020-01-23", "A", "compliant", "decision_boundary_2359", "app"),
    ("2020-01-23", "A", "extension_channel", "phone_after_original", "phone"),
    ("2020-01-28", "A", "compliant", "decision_boundary_2359", "app"),
    # the last receipts judged under point 九: same handling time as C-…-0302 below, in time here
    ("2020-02-28", "A", "compliant", "calendar_15_passed_wd_ok", "phone"),
    ("2020-02-29", "A", "decision_late", "next_wd_0900", "app"),
    # -- era B. The first receipts judged under Order No. 3 (calendar days)
    ("2020-03-01", "B", "compliant", "decision_boundary_2359", "app"),
    ("2020-03-02", "B", "o3_decision_late", "wd_ok_calendar_late", "phone"),
    # the PBoC module from 2020-11-01 (receipt of the forwarded complaint)
    ("2020-10-30", "B", "compliant_forwarded", "pboc_before_nov_2020", "other"),
    ("2020-11-01", "P", "pbc_feedback_missing", "never_reported", "other"),
    ("2020-11-02", "P", "pbc_compliant", "standard", "letter"),
    # National Day 2021: 9/26 (Sun) and 10/9 (Sat) make-up days, 10/1-10/7 off. Decided on the
    # 10th working day (in time under point 九) but the 20th calendar day: late under Order No. 3
    ("2021-09-30", "B", "o3_decision_late", "wd_ok_calendar_late", "phone"),
    ("2021-09-30", "B", "compliant", "ack_on_second_wd", "in_person"),
    # Spring Festival 2024 (2/4, 2/18 make-up, 2/10-2/17 off); the 15th day of a 1/26 receipt is 2/10
    ("2024-01-26", "B", "compliant", "holiday_last_day", "online"),
    ("2024-02-08", "B", "ack_late", "first_wd_after_due", "phone"),
    ("2024-02-08", "B", "compliant", "ack_on_second_wd", "phone"),
    ("2024-02-12", "B", "compliant", "ack_on_second_wd", "app"),
    ("2024-02-18", "B", "ack_late", "first_wd_after_due", "phone"),
    ("2024-04-07", "B", "compliant", "decision_boundary_2359", "phone"),
    ("2024-05-11", "B", "ack_late", "first_wd_after_due", "phone"),
    # National Day 2024: the 15th day of a 9/16 receipt is 10/1 (no roll-forward)
    ("2024-09-14", "B", "compliant", "ack_on_second_wd", "in_person"),
    ("2024-09-16", "B", "o3_decision_late", "holiday_last_day", "phone"),
    ("2024-09-16", "B", "compliant", "holiday_last_day", "app"),
    ("2024-09-30", "B", "compliant", "ack_on_second_wd", "in_person"),
    ("2024-09-30", "B", "ack_late", "first_wd_after_due", "phone"),
    ("2024-10-03", "B", "compliant", "ack_on_second_wd", "app"),
    # Spring Festival 2025: 1/26 and 2/8 make-up days, 1/28-2/4 off
    ("2025-01-14", "B", "o3_decision_late", "holiday_last_day", "phone"),
    ("2025-01-27", "B", "o3_decision_late", "wd_ok_calendar_late", "in_person"),
    ("2025-01-27", "B", "ack_late", "at_due_instant", "app"),
    ("2025-01-27", "B", "compliant", "ack_on_second_wd", "phone"),
    ("2025-01-30", "B", "ack_late", "first_wd_after_due", "online"),
    ("2025-02-08", "B", "ack_late", "first_wd_after_due", "in_person"),
    ("2025-03-12", "B", "compliant_forwarded", "reported", "other"),
    ("2025-04-27", "B", "compliant", "standard", "phone"),
    ("2025-05-20", "B", "compliant_forwarded", "report_last_day", "letter"),
    # National Day 2025: 9/28 (Sun) and 10/11 (Sat) make-up days, 10/1-10/8 off
    ("2025-09-17", "B", "o3_decision_late", "holiday_last_day", "online"),
    ("2025-09-26", "B", "ack_late", "first_wd_after_due", "app"),
    ("2025-09-30", "B", "compliant", "ack_on_second_wd", "email"),
    ("2025-10-05", "B", "o3_decision_late", "day16_0900", "phone"),
    ("2025-10-11", "B", "result_notice_late", "next_working_days", "phone"),
]

# Complaints with fixed ids, receipt times and places, for the archive-scope scenarios of point 十五
# and the major complaints of Order No. 3 Art. 29. Each is otherwise handled by the book.
# (id, receipt, scenario, variant, institution, channel, product, issue, complainants, major)
FIXED: list[tuple[str, str, str, str, str, str, str, str, int, bool]] = [
    # A complaint flagged major (a 2023 flood, Art. 29 (一)): reported to the NFRA on the 4th
    # working day, late under Order No. 3 and, as a large-scale report, under point 十五.
    ("C-2023-MJ001", "2023-08-02T10:20:00", "major_flagged", "reported_late", "SB-BJ-CY",
     "phone", "personal_loan", "interest", 1, True),
    # (a) many complaints at BR-GD (its sub-branches and outlet roll up to it), same product and
    # issue, 2–4 complainants each: 3+4+2+3+4+2 = 18, the 7th brings 21 >= 20 (detection), the 8th
    # arrives within 7 days of the last member and joins the cluster. Reported late.
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
    # head office the next day, in time (point 十五) — but not flagged major (Order No. 3 Art. 29 (二))
    ("C-2025-LS009", "2025-08-19T10:30:00", "large_scale_joint", "joint_in_person_25", "OT-SH-PD-01",
     "in_person", "personal_loan", "debt_collection", 25, False),
    # (c) one complaint the institution flagged major (data.major true); never reported
    ("C-2025-LS010", "2025-11-18T14:20:00", "major_flagged", "never_reported", "SB-BJ-HD",
     "phone", "credit_card", "debt_collection", 1, True),
]
FIXED_CAUSE = {"C-2023-MJ001": "暴雨洪涝灾害受灾客户申请延期还款，仍被计收罚息"}
FIXED_SCENARIOS = ("large_scale_cluster", "large_scale_joint", "major_flagged")


# --------------------------------------------------------------------------- designed expectations

O3_LATE_PAIR = [O3_LATE, O3_NOTICE_LATE]  # decided and told after the limit (Art. 18: 作出…并告知)
DESIGN_2012 = {
    "ack_missing": [P7_MISSING], "ack_late": [P7_LATE], "ack_incomplete": [P7_INCOMPLETE],
    "ack_channel": [P7_CHANNEL], "result_not_notified": [P8_NOT_NOTIFIED], "result_notice_late": [P8_LATE],
    "result_channel": [P8_CHANNEL], "remediation_missing": [P8_REMEDIATION],
    "report_back_missing": [P10_MISSING], "report_back_late": [P10_LATE], "report_wrong_office": [P10_OFFICE],
    "decision_late": [P9_LATE], "decision_overdue": [P9_OVERDUE],
    "extension_notice_late": [P9_LATE, P9_EXT_LATE], "extension_no_reason": [P9_EXT_REASON],
    "extension_not_notified": [P9_EXT_NOTIFIED], "extension_beyond_cap": [P9_EXT_CAP],
    "extension_channel": [P9_EXT_CHANNEL], "pbc_reply_overdue": [P8_NOT_NOTIFIED],
}
DESIGN_O3 = {
    "result_not_notified": [O3_NOT_NOTIFIED], "o3_tier2_not_approved": [O3_EXT_APPROVAL],
    "o3_tier2_not_notified": [O3_EXT_NOTIFIED], "o3_extension_after_expiry": [O3_EXT_EXPIRED, *O3_LATE_PAIR],
    "o3_extension_beyond_cap": [O3_EXT_CAP], "o3_decision_late": O3_LATE_PAIR,
    "o3_decision_overdue": [O3_OVERDUE],
    "o3_result_notice_late": [O3_NOTICE_LATE], "o3_pause_not_notified": [O3_PAUSE_NOTICE],
    "o3_pause_other": O3_LATE_PAIR, "o3_repeat_no_new_facts": O3_LATE_PAIR,
    "o3_findings_missing": [O3_FINDINGS], "o3_reasons_missing": [O3_REASONS],
    "o3_remedies_missing": [O3_REMEDIES],
    "o3_review_remedy_missing": [O3_REVIEW_REMEDY], "o3_review_late": [O3_REVIEW_LATE],
    "o3_review_overdue": [O3_REVIEW_OVERDUE],
    "pbc_extension_beyond_cap": [O3_EXT_APPROVAL, O3_EXT_CAP],
    "pbc_extension_after_expiry": [O3_EXT_EXPIRED, *O3_LATE_PAIR],
    "pbc_extension_o3_tier2": [O3_EXT_APPROVAL, *O3_LATE_PAIR],
    "pbc_reply_late": [O3_NOTICE_LATE], "pbc_reply_overdue": [O3_NOT_NOTIFIED],
    "large_scale_joint": [O3_MAJOR_NOT_IDENTIFIED],
}
DESIGN_PBC = {
    "pbc_extension_not_approved": [PBC_EXT_APPROVAL, PBC_REPLY_LATE],
    "pbc_extension_no_reason": [PBC_EXT_REASON, PBC_REPLY_LATE],
    "pbc_extension_not_notified": [PBC_EXT_NOTIFIED, PBC_REPLY_LATE],
    "pbc_extension_beyond_cap": [PBC_EXT_CAP],
    "pbc_extension_after_expiry": [PBC_EXT_EXPIRED, PBC_REPLY_LATE],
    "pbc_reply_late": [PBC_REPLY_LATE], "pbc_reply_overdue": [PBC_REPLY_OVERDUE],
    "pbc_unreachable": [PBC_REPLY_OVERDUE], "pbc_feedback_incomplete": [PBC_FB_INCOMPLETE],
    "pbc_feedback_missing": [PBC_FB_MISSING], "pbc_feedback_late": [PBC_FB_LATE],
    "pbc_feedback_other_office": [PBC_FB_OFFICE],
}


def designed(scenario: str, variant: str, modules: list[str]) -> dict[str, list[str]]:
    """The codes a scenario (variant) is built to produce, per module that judges it."""
    out: dict[str, list[str]] = {m: [] for m in modules}
    if M2012 in out:
        out[M2012] += DESIGN_2012.get(scenario, [])
        if (scenario in ("extension_no_reason", "extension_not_notified")
                and variant.endswith("after_original")):
            out[M2012].append(P9_LATE)  # the extension does not take effect, so the 15-day limit stands
    if MO3 in out:
        out[MO3] += DESIGN_O3.get(scenario, [])
        if scenario in ("o3_tier2_not_approved", "o3_tier2_not_notified") and variant.endswith("after_30"):
            out[MO3] += O3_LATE_PAIR  # the second extension does not take effect: 30 days stand
        if scenario == "o3_pause_and_extension" and variant == "late":
            out[MO3] += O3_LATE_PAIR
        if scenario == "major_flagged":
            out[MO3].append(O3_MAJOR_NOT_REPORTED if variant == "never_reported" else O3_MAJOR_LATE)
    if MPBC in out:
        out[MPBC] += DESIGN_PBC.get(scenario, [])
    return {m: sorted(codes) for m, codes in out.items()}


# --------------------------------------------------------------------------- building one complaint


class GenError(Exception):
    """A random draw did not fit (e.g. no time left on a day); the complaint is drawn again."""


@dataclass
class Plan:
    era: str
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
        """The k-th working day after ``base`` (the day of receipt by default)."""
        return self.cal.nth(self.d0 if base is None else base, k)

    def C(self, k: int, base: date | None = None) -> date:
        """The k-th calendar day after ``base`` (the day of receipt by default)."""
        return (self.d0 if base is None else base) + timedelta(days=k)

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

    def pick(self, lo: datetime | None, hi: datetime, *, working: bool = True, hours=((9, 0), (17, 30)),
             gap: int = 10, first: bool = False) -> datetime:
        """A whole-minute time strictly between ``lo`` (default: the last event, plus ``gap``
        minutes) and ``hi``, in working hours, on a working day unless ``working`` is false. The
        day is drawn uniformly among those with room (the earliest with ``first``)."""
        floor = self.last + timedelta(minutes=gap) if self.events else self.plan.received
        lo = floor if lo is None else max(lo, floor)
        days = []
        day = lo.date()
        while day <= (hi - timedelta(seconds=1)).date():
            if not working or self.cal.is_working(day):
                start = max(at(day, *hours[0]), lo)
                if start.second or start.microsecond:
                    start = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
                end = min(at(day, *hours[1]), hi - timedelta(minutes=1))
                if start <= end:
                    days.append((start, end))
            day += timedelta(days=1)
        if not days:
            raise GenError(f"no room between {lo} and {hi}")
        start, end = days[0] if first else self.rng.choice(days)
        minutes = int((end - start).total_seconds() // 60)
        return start + timedelta(minutes=self.rng.randint(0, minutes))

    def o3_notice_by(self, decided_on: date, limit_day: date) -> datetime:
        """The end of the window for a result notice both in time for point 八 (2 working days after
        the decision) and within Order No. 3's limit whose last day is ``limit_day``."""
        return min(end_of(self.W(RESULT_WD, decided_on)), end_of(limit_day))

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
               channel: str | None | bool = "default", approval: str | None = "random") -> None:
        """``channel``: "default" (sms/email/letter), a channel, None (null: not notified) or False
        (no notice_channel at all). ``approval``: "random", a level, or None (no approval)."""
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
        if approval == "random":
            approval = self.rng.choice(sorted(APPROVERS))
        if approval is not None:
            data["approval"] = {"by": APPROVERS[approval], "level": approval}
        self.add("extended", moment, data)

    def decide(self, moment: datetime, *, problem: bool | None = None, remediation: str = "text",
               findings: str | None = "text", basis: str | None = "text",
               remedies: list | str | None = None) -> date:
        """``findings`` / ``basis``: "text", "" or None (left out); ``remedies``: the list offered
        (None: all four), or "absent" to leave the field out."""
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
        if findings is not None:
            data["findings"] = FINDINGS[outcome] if findings == "text" else findings
        if basis is not None:
            data["basis_and_reasons"] = BASIS if basis == "text" else basis
        if remedies != "absent":
            data["remedies_offered"] = list(ALL_REMEDIES if remedies is None else remedies)
        self.add("decided", moment, data)
        return moment.date()

    def notify_at(self, moment: datetime, channel: str | None = None) -> None:
        if channel is None:
            channel = weighted(self.rng, [("sms", 35), ("phone", 35), ("letter", 15), ("email", 15)])
        self.add("result_notified", moment, {"channel": channel})

    def notify_result(self, decided_on: date, mode: str = "ok", channel: str | None = None) -> None:
        """The result notice in working days after the decision (point 八)."""
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
        self.notify_at(moment, channel)

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

    def feedback(self, moment: datetime, forwarded: dict, contents=PBC_FEEDBACK_ITEMS,
                 office: str | None = None) -> None:
        """Feedback on the handling to the forwarding PBoC branch (PBoC No. 5 Art. 44)."""
        self.add("reported_to_regulator", moment, {
            "regulator": forwarded["regulator"],
            "office": forwarded["office"] if office is None else office,
            "reference": forwarded["reference"],
            "contents": list(contents),
        })

    def contact_failed(self, moment: datetime, channel: str = "phone") -> None:
        self.add("contact_failed", moment, {
            "channel": channel, "attempts": self.rng.randint(2, 4),
            "evidence": "多次致电预留号码未接通，短信无回复，已留存通话记录",
        })

    def pause(self, moment: datetime, reason: str, channel: str | None | bool) -> None:
        data: dict[str, Any] = {"reason": reason}
        if channel is not False:
            data["notice_channel"] = channel
        self.add("paused", moment, data)

    def close(self) -> None:
        moment = self.time_on(self.last.date(), lo=(9, 0), hi=(20, 30), gap=15)
        if moment is None:
            moment = self.at_wd(1, 3, base=self.last.date())
        self.add("closed", moment)


def build(cal: Calendar, rng: random.Random, plan: Plan) -> Built:
    """Draw one complaint's events for its scenario; retried by the caller on GenError."""
    b = Builder(cal, rng, plan)
    era, s, v = plan.era, plan.scenario, plan.variant

    forwarded = None
    if plan.fixed is not None:  # FIXED: place and matter given, never forwarded; nothing drawn
        inst_id, product, issue = plan.fixed[:3]
        cause = (FIXED_CAUSE.get(plan.complaint_id)
                 or dict(next(row[2] for row in PRODUCTS if row[0] == product))[issue])
    else:
        product_row = weighted(rng, [(row, row[1]) for row in PRODUCTS])
        product = product_row[0]
        issue, cause = rng.choice(product_row[2])
        pboc = era == "P" or v in ("pboc_no_report", "pboc_before_nov_2020")
        if s in FORWARDED_SCENARIOS or pboc:
            inst_id = rng.choice(("HO-001",) + BRANCHES)
            region = INSTITUTIONS[inst_id][3]
            regulator, offices = ("PBOC", PBOC_OFFICE) if pboc else banking_regulator(plan.received.date())
            reference = f"{regulator}-{region}-{plan.received.year}-{rng.randint(1000, 99999):05d}"
            forwarded = {"regulator": regulator, "office": offices[region], "reference": reference}
        elif placed(AT_HEAD_OFFICE, era, s, v):
            inst_id = "HO-001"
        elif placed(AT_BRANCH_LEVEL, era, s, v):
            in_person = plan.channel == "in_person"
            inst_id = rng.choice(OUTLETS + SUB_BRANCHES if in_person else BRANCHES + SUB_BRANCHES)
        elif plan.channel == "in_person":
            inst_id = rng.choice(OUTLETS + SUB_BRANCHES)
        elif plan.channel == "letter":
            inst_id = rng.choice(BRANCHES + SUB_BRANCHES)
        else:
            inst_id = weighted(rng, [("HO-001", 30)] + [(br, 20) for br in BRANCHES]
                               + [(sb, 3) for sb in SUB_BRANCHES])
    b.receive(product, issue, cause, forwarded)
    if era == "A":
        build_era_a(b, s, v, inst_id, forwarded)
    else:
        build_era_b(b, s, v, inst_id, forwarded)
    return Built(plan=plan, inst_id=inst_id, events=b.events)


def review_decided_data(rng: random.Random, inst_id: str) -> dict:
    parent = INSTITUTIONS[inst_id][1] or inst_id
    return {"outcome": rng.choice(("rejected", "partially_upheld")),
            "reviewing_institution": INSTITUTIONS[parent][2]}


def build_era_a(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    """Received up to 2020-02-29: the 2012 notice, point 九 included (working days)."""
    rng, W, at_wd = b.rng, b.W, b.at_wd
    ok_decision = lambda: at_wd(3, DECISION_WD)  # noqa: E731 — a plain in-time decision
    at_2359 = lambda day: datetime.combine(day, time(23, 59, rng.choice((0, 59))), tzinfo=CST)  # noqa: E731
    at_0900 = lambda day: datetime.combine(day, time(9, 0), tzinfo=CST)  # noqa: E731

    def ext_time_in_force() -> datetime:
        return at_wd(6, DECISION_WD)

    def standard_tail(decided_on: date, close: bool = True) -> None:
        b.notify_result(decided_on)
        if close:
            b.close()

    if s == "compliant":
        ack_mode = {"ack_boundary_2359": "boundary", "same_day_ack": "same_day",
                    "ack_on_second_wd": "second_wd"}.get(v, "ok")
        b.ack(ack_mode)
        if v == "decision_boundary_2359":
            d = b.decide(at_2359(W(DECISION_WD)))
        elif v == "product_problem_remedied":
            d = b.decide(ok_decision(), problem=True)
        elif v == "result_boundary_2359":
            d = b.decide(at_wd(3, DECISION_WD - 2))
        elif v == "calendar_15_passed_wd_ok":  # after the 15th calendar day, within 15 working days
            if W(DECISION_WD) <= b.C(15):
                raise SystemExit(f"{b.d0}: the 15th working day is not after the 15th calendar day")
            d = b.decide(b.pick(end_of(b.C(15)), end_of(W(DECISION_WD - 1))))
        else:
            d = b.decide(ok_decision())
        b.notify_result(d, mode="boundary" if v == "result_boundary_2359" else "ok")
        if v == "with_review":
            b.add("review_requested", at_wd(1, 10, base=b.last.date()),
                  {"written": True, "channel": "letter"})
            b.add("review_decided", at_wd(5, 20, base=b.last.date()), review_decided_data(rng, inst_id))
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
        if v == "reported":
            b.report_back(d, forwarded)
        elif v == "report_last_day":
            b.report_back(d, forwarded, mode="last_day")
        elif v == "same_day_report":
            b.report_back(d, forwarded, mode="same_day")
        b.close()

    elif s == "compliant_withdrawn":
        if v == "before_ack":
            b.add("withdrawn", at_wd(0, 1, lo=(9, 0), hi=(18, 0)), {"reason": WITHDRAWN_EARLY})
        else:
            b.ack("ok")
            b.add("withdrawn", at_wd(3, DECISION_WD - 1), {"reason": WITHDRAWN_LATER})
        b.close()

    elif s == "compliant_contact_failed":
        b.contact_failed(at_wd(0, ACK_WD))
        d = b.decide(ok_decision())
        if v == "letter_result":
            b.notify_result(d, channel="letter")
        else:
            b.contact_failed(at_wd(0, RESULT_WD, base=d), channel=rng.choice(("phone", "sms")))
        b.close()

    elif s == "ack_late":
        b.ack({"next_working_days": "late", "at_due_instant": "at_due",
               "first_wd_after_due": "first_after_due"}[v])
        d = b.decide(at_wd(ACK_WD + 3, DECISION_WD))
        standard_tail(d)

    elif s == "result_notice_late":
        b.ack("ok")
        d = b.decide(ok_decision())
        b.notify_result(d, mode="late" if v == "next_working_days" else "at_due")
        b.close()

    elif s == "report_back_late":
        b.ack("ok")
        d = b.decide(ok_decision())
        b.notify_result(d)
        b.report_back(d, forwarded, mode="late" if v == "few_days_late" else "at_due")
        b.close()

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

    elif s in ("extension_no_reason", "extension_not_notified", "extension_beyond_cap", "extension_channel"):
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
    else:
        raise ValueError(f"era A: {s}")


REOPEN_TEXT = {True: "投诉人补充提交新的交易凭证和通话录音，提出新的事实和理由",
               False: "投诉人再次来电反映同一事项，未提出新的事实和理由"}


def build_era_b(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    """Received from 2020-03-01: the 2012 notice's points 七, 八, 十 (working days) and Order
    No. 3 (calendar days: decided AND told within 15 days); PBoC No. 5 for PBoC-forwarded ones."""
    rng, W, C, pick = b.rng, b.W, b.C, b.pick

    def decide_by(k: int, **kwargs) -> date:
        """Decided on a working day, in working hours, by the k-th calendar day."""
        return b.decide(pick(None, end_of(C(k))), **kwargs)

    def notify_o3(d: date, limit_day: date | None = None, channel: str | None = None,
                  latest: datetime | None = None) -> None:
        hi = b.o3_notice_by(d, C(O3_DECISION_DAYS) if limit_day is None else limit_day)
        b.notify_at(pick(None, hi if latest is None else min(hi, latest)), channel)

    def late_notice(d: date) -> None:
        """Told within point 八's 2 working days of a decision that was already late."""
        b.notify_at(pick(None, end_of(W(RESULT_WD, d))))

    def boundary_pair(day: date) -> date:
        """Decided at 23:50 and told by SMS at 23:59 on the last day of the limit."""
        d = b.decide(at(day, 23, 50))
        b.notify_at(at(day, 23, 59, rng.choice((0, 59))), channel="sms")
        return d

    def extend_tier1(**kwargs) -> None:
        b.extend(pick(None, end_of(C(13))), limit=("calendar_day", O3_TIER1_DAYS), channel=False,
                 approval=None, **kwargs)

    def reply_and_feedback(d: date, limit_day: date | None = None) -> None:
        notify_o3(d, limit_day)
        reply = b.last.date()
        b.feedback(pick(None, end_of(C(PBC_FEEDBACK_DAYS, reply))), forwarded)

    def review(written: bool, decided: str) -> None:
        channel = "letter" if written else "phone"
        b.add("review_requested", pick(None, end_of(C(10, b.last.date()))),
              {"written": written, "channel": channel})
        req = b.last.date()
        if decided == "in_time":
            moment = pick(None, end_of(C(28, req)))
        elif decided == "boundary_2359":
            moment = at(C(O3_REVIEW_DAYS, req), 23, 59)
        elif decided == "day31_0900":
            moment = at(C(O3_REVIEW_DAYS + 1, req), 9, 0)
        elif decided == "at_due_instant":
            moment = end_of(C(O3_REVIEW_DAYS, req))
        elif decided == "few_days_late":
            moment = pick(end_of(C(O3_REVIEW_DAYS, req)), end_of(C(40, req)))
        elif decided == "late":
            moment = pick(end_of(C(35, req)), end_of(C(45, req)))
        else:
            return  # never decided
        b.add("review_decided", moment, review_decided_data(rng, inst_id))

    if s in FIXED_SCENARIOS:  # handled by the book
        b.ack("ok")
        if v == "reported_late":  # the 4th working day after receipt, the 3rd being the last in time
            b.add("reported_to_regulator", at(W(4), 10, 30), {
                "regulator": "NFRA", "office": NFRA_OFFICE[INSTITUTIONS[inst_id][3]],
                "reference": f"ZDTS-{b.plan.complaint_id}",
                "contents": ["重大消费投诉基本情况", "应急处置措施"]})
        d = decide_by(13)
        notify_o3(d)
        b.close()

    elif s == "compliant":
        ack_mode = {"ack_boundary_2359": "boundary", "same_day_ack": "same_day",
                    "ack_on_second_wd": "second_wd"}.get(v, "ok")
        b.ack(ack_mode)
        if v == "decision_boundary_2359":
            boundary_pair(C(O3_DECISION_DAYS))
        elif v == "result_boundary_2359":  # told at 23:59 of the last day of both limits' earlier one
            d = decide_by(11)
            b.notify_at(at(min(W(RESULT_WD, d), C(O3_DECISION_DAYS)), 23, 59), channel="sms")
        elif v == "holiday_last_day":  # the 15th day is a rest day: decided and told before it
            if b.cal.is_working(C(O3_DECISION_DAYS)):
                raise SystemExit(f"{b.d0}: the 15th calendar day is a working day")
            notify_o3(decide_by(14))
        else:
            remedies = list(O3_REQUIRED_REMEDIES) if v == "head_office_without_review_remedy" else None
            d = decide_by(13, problem=True if v == "product_problem_remedied" else None, remedies=remedies)
            notify_o3(d)
            if v == "with_review":
                review(True, "in_time")
            elif v == "review_boundary_2359":
                review(True, "boundary_2359")
        b.close()

    elif s == "compliant_forwarded":
        b.ack("ok")
        d = decide_by(13)
        notify_o3(d)
        if v == "reported":
            b.report_back(d, forwarded)
        elif v == "report_last_day":
            b.report_back(d, forwarded, mode="last_day")
        elif v == "same_day_report":
            b.report_back(d, forwarded, mode="same_day")
        b.close()  # pboc_before_nov_2020: no feedback, PBoC No. 5 not yet in force

    elif s == "compliant_withdrawn":
        if v == "before_ack":
            b.add("withdrawn", b.at_wd(0, 1, lo=(9, 0), hi=(18, 0)), {"reason": WITHDRAWN_EARLY})
        else:
            b.ack("ok")
            b.add("withdrawn", pick(None, end_of(C(13))), {"reason": WITHDRAWN_LATER})
        b.close()

    elif s == "compliant_contact_failed":
        b.contact_failed(b.at_wd(0, ACK_WD))
        d = decide_by(13)
        if v == "letter_result":
            notify_o3(d, channel="letter")
        else:
            b.contact_failed(pick(None, b.o3_notice_by(d, C(O3_DECISION_DAYS))),
                             channel=rng.choice(("phone", "sms")))
        b.close()

    elif s in ("ack_missing", "ack_late", "ack_incomplete", "ack_channel", "result_channel",
               "remediation_missing"):
        if s == "ack_late":
            b.ack({"next_working_days": "late", "at_due_instant": "at_due",
                   "first_wd_after_due": "first_after_due"}[v])
        elif s == "ack_incomplete":
            b.ack("ok", flags={"no_time_limit": (True, False, True), "no_contact": (True, True, False),
                               "no_acceptance": (False, True, True),
                               "only_acceptance": (True, False, False)}[v])
        elif s == "ack_channel":
            b.ack("ok", channel=v)
        elif s != "ack_missing":
            b.ack("ok")
        if s == "remediation_missing":
            d = decide_by(13, problem=True, remediation=v)
        else:
            d = decide_by(13)
        notify_o3(d, channel=v if s == "result_channel" else None)
        b.close()

    elif s == "result_not_notified":
        b.ack("ok")
        decide_by(13)
        if v == "closed_without_notice":
            b.close()

    elif s == "result_notice_late":  # late for point 八 (working days), in time for Order No. 3
        b.ack("ok")
        d = decide_by(6)
        if v == "next_working_days":
            latest = min(end_of(W(RESULT_WD + 2, d)), end_of(C(O3_DECISION_DAYS)))
            b.notify_at(pick(end_of(W(RESULT_WD, d)), latest))
        else:
            moment = end_of(W(RESULT_WD, d))
            if moment >= end_of(C(O3_DECISION_DAYS)):
                raise GenError("point 八's due instant is not within Order No. 3's limit")
            b.notify_at(moment)
        b.close()

    elif s in ("report_back_missing", "report_back_late", "report_wrong_office"):
        b.ack("ok")
        d = decide_by(13)
        notify_o3(d)
        if s == "report_back_late":
            b.report_back(d, forwarded, mode="late" if v == "few_days_late" else "at_due")
        elif s == "report_wrong_office":
            region = INSTITUTIONS[inst_id][3]
            offices = banking_regulator(b.d0)[1]
            if v == "headquarters_instead" and region != "HO":
                office = offices["HO"]
            else:
                office = offices[rng.choice([r for r in ("SH", "BJ", "GD") if r != region])]
            b.report_back(d, forwarded, office=office)
        if s != "report_back_missing" or rng.random() < 0.5:
            b.close()

    # -- Order No. 3
    elif s == "o3_extended_tier1":
        b.ack("ok")
        if v == "new_due_date":
            k = rng.randint(20, O3_TIER1_DAYS)
            b.extend(pick(None, end_of(C(13))), limit=("due_date", C(k)), channel=False, approval=None)
        else:
            k = O3_TIER1_DAYS
            b.extend(pick(None, end_of(C(13))), limit=("calendar_day", k),
                     channel="default" if v == "notified" else False, approval=None)
        if v == "decision_boundary_2359":
            boundary_pair(C(k))
        else:
            notify_o3(b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(C(k - 2)))), C(k))
        b.close()

    elif s in ("o3_extended_tier2", "o3_tier2_not_approved", "o3_tier2_not_notified"):
        b.ack("ok")
        approval, channel = rng.choice(O3_TIER2_APPROVERS), "default"
        if s == "o3_tier2_not_approved":
            approval = "complaint_head" if v.startswith("complaint_head") else None
        elif s == "o3_tier2_not_notified":
            channel = None if v.startswith("null") else False
        if v == "direct_60":
            b.extend(pick(None, end_of(C(13))), limit=("calendar_day", O3_CAP_DAYS), approval=approval)
        else:  # to 30 days first (tier 1), then to 60 (tier 2) before the 30 days run out
            extend_tier1()
            b.extend(pick(at(C(18), 0, 0), end_of(C(28))), limit=("calendar_day", O3_CAP_DAYS),
                     channel=channel, approval=approval)
        if s == "o3_extended_tier2":
            if v == "decision_boundary_2359":
                boundary_pair(C(O3_CAP_DAYS))
            else:
                notify_o3(b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(C(57)))), C(O3_CAP_DAYS))
        elif v.endswith("after_30"):
            late_notice(b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(C(40)))))
        else:
            notify_o3(b.decide(pick(None, end_of(C(28)))), C(O3_TIER1_DAYS))
        b.close()

    elif s == "o3_extension_after_expiry":
        b.ack("ok")
        if v == "at_expiry_instant":
            moment = end_of(C(O3_DECISION_DAYS))
        else:
            moment = pick(end_of(C(O3_DECISION_DAYS)), end_of(C(18)))
        b.extend(moment, limit=("calendar_day", O3_TIER1_DAYS), approval=None)
        late_notice(b.decide(pick(None, end_of(C(28)))))
        b.close()

    elif s == "o3_extension_beyond_cap":  # 70 days, approved and notified: held at 60
        b.ack("ok")
        b.extend(pick(None, end_of(C(13))), limit=("calendar_day", 70),
                 approval=rng.choice(O3_TIER2_APPROVERS))
        if v == "decided_after_15":
            notify_o3(b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(C(57)))), C(O3_CAP_DAYS))
        else:
            notify_o3(decide_by(13))
        b.close()

    elif s == "o3_decision_late":
        b.ack("ok")
        limit = end_of(C(O3_DECISION_DAYS))
        if v == "day16_0900":
            d = b.decide(at(C(O3_DECISION_DAYS + 1), 9, 0))
        elif v == "at_due_instant":
            d = b.decide(limit)
        elif v == "few_days_late":
            d = b.decide(pick(limit, end_of(C(20))))
        elif v == "after_tier1":
            extend_tier1()
            d = b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(C(34))))
        elif v == "holiday_last_day":  # the 15th day is a rest day: not rolled forward
            if b.cal.is_working(C(O3_DECISION_DAYS)):
                raise SystemExit(f"{b.d0}: the 15th calendar day is a working day")
            d = b.decide(pick(limit, end_of(C(25)), first=True))
        elif v == "wd_ok_calendar_late":  # after 15 calendar days, within 15 working days
            if W(DECISION_WD) <= C(O3_DECISION_DAYS):
                raise SystemExit(f"{b.d0}: the 15th working day is not after the 15th calendar day")
            d = b.decide(pick(limit, end_of(W(12))))
        else:
            raise ValueError(v)
        late_notice(d)
        b.close()

    elif s == "o3_decision_overdue":
        b.ack("ok")
        if v == "tier1_then_overdue":
            extend_tier1()

    elif s == "o3_result_notice_late":  # decided in time, told after 15 days (in time for point 八)
        b.ack("ok")
        d = b.decide(pick(at(C(13), 0, 0), end_of(C(O3_DECISION_DAYS)), working=False))
        lo, hi = end_of(C(O3_DECISION_DAYS)), end_of(W(RESULT_WD, d))
        if hi <= lo + timedelta(hours=1):
            raise GenError("no room for a notice after the 15 days and within 2 working days")
        b.notify_at(lo if v == "at_due_instant" else pick(lo, hi, working=False))
        b.close()

    elif s in ("o3_pause_mediation", "o3_pause_appraisal", "o3_pause_other"):
        b.ack("ok")
        reason = {"o3_pause_mediation": "mediation", "o3_pause_appraisal": "external_appraisal",
                  "o3_pause_other": "other"}[s]
        channel = False if v == "not_notified" else weighted(rng, [("sms", 60), ("letter", 40)])
        paused = pick(None, end_of(C(8)))
        b.pause(paused, reason, channel)
        k = rng.randint(5, 20)
        resumed_on = C(k, paused.date())
        b.add("resumed", pick(at(resumed_on, 0, 0), end_of(resumed_on), working=False))
        limit_day = C(O3_DECISION_DAYS + k)  # the paused days are not counted
        if s == "o3_pause_other":
            late_notice(b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(limit_day))))
        elif v == "decision_boundary_2359":
            boundary_pair(limit_day)
        else:
            d = b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(limit_day - timedelta(days=2))))
            notify_o3(d, limit_day)
        b.close()

    elif s == "o3_pause_and_extension":  # mediation for k days, then an extension to 30 days:
        b.ack("ok")                        # the paused days are not counted in the 30 either
        paused = pick(None, end_of(C(6)))
        b.pause(paused, "mediation", False)
        k = rng.randint(6, 12)
        resumed_on = C(k, paused.date())
        b.add("resumed", pick(at(resumed_on, 0, 0), end_of(resumed_on), working=False))
        b.extend(pick(None, end_of(C(O3_DECISION_DAYS + k - 1))), limit=("calendar_day", O3_TIER1_DAYS),
                 channel=False, approval=None)
        limit_day = C(O3_TIER1_DAYS + k)
        if v == "late":
            late_notice(b.decide(pick(end_of(limit_day), end_of(limit_day + timedelta(days=4)))))
        else:  # after the 30th day from receipt, within 30 days plus the mediation
            d = b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(limit_day - timedelta(days=1))))
            notify_o3(d, limit_day)
        b.close()

    elif s == "o3_pause_not_notified":  # an external appraisal not told; decided within 15 days anyway
        b.ack("ok")
        paused = pick(None, end_of(C(5)))
        b.pause(paused, "external_appraisal", None if v == "null" else False)
        resumed_on = C(rng.randint(2, 5), paused.date())
        b.add("resumed", pick(at(resumed_on, 0, 0), end_of(resumed_on), working=False))
        notify_o3(decide_by(13))
        b.close()

    elif s in ("o3_restart", "o3_repeat_no_new_facts"):
        b.ack("ok")
        new_facts = s == "o3_restart"
        if v == "new_facts_after_decision":
            notify_o3(b.decide(pick(None, end_of(C(8)))), latest=end_of(C(11)))
            lo = at(C(9), 0, 0)
        else:
            lo = at(C(5), 0, 0)
        # within the 15-day limit (Art. 18: 在消费投诉处理期限内)
        reopened = pick(lo, end_of(C(13)))
        b.add("reopened", reopened, {"new_facts": new_facts, "description": REOPEN_TEXT[new_facts]})
        r = reopened.date()
        d = b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(C(13, r))))
        if new_facts:
            notify_o3(d, C(O3_DECISION_DAYS, r))
        else:
            late_notice(d)
        b.close()

    elif s in ("o3_findings_missing", "o3_reasons_missing", "o3_remedies_missing",
               "o3_review_remedy_missing"):
        b.ack("ok")
        kwargs: dict[str, Any] = {}
        if s == "o3_findings_missing":
            kwargs["findings"] = None if v == "absent" else ""
        elif s == "o3_reasons_missing":
            kwargs["basis"] = None if v == "absent" else ""
        elif s == "o3_remedies_missing":
            kwargs["remedies"] = ["review", "litigation"] if v == "partial" else []
        else:
            kwargs["remedies"] = list(O3_REQUIRED_REMEDIES)
        notify_o3(decide_by(13, **kwargs))
        b.close()

    elif s in ("o3_review_late", "o3_review_overdue", "o3_review_outside_art20"):
        b.ack("ok")
        notify_o3(decide_by(13))
        if s == "o3_review_late":
            review(True, v)
        elif s == "o3_review_overdue":
            review(True, "never")
        else:
            review(v != "oral_request", "late")
        if s != "o3_review_overdue":
            b.close()

    # -- PBoC No. 5 (forwarded by the PBoC, received from 2020-11-01)
    elif s in ("pbc_compliant", "pbc_feedback_incomplete", "pbc_feedback_missing", "pbc_feedback_late",
               "pbc_feedback_other_office"):
        b.ack("ok")
        notify_o3(decide_by(13))
        reply = b.last.date()
        due = end_of(C(PBC_FEEDBACK_DAYS, reply))
        if s == "pbc_compliant":
            if v == "same_day_feedback":
                moment = pick(None, end_of(reply), working=False, hours=((9, 0), (21, 0)))
            elif v == "feedback_last_day":
                moment = pick(at(C(PBC_FEEDBACK_DAYS, reply), 0, 0), due, working=False)
            elif v == "feedback_boundary_2359":
                moment = at(C(PBC_FEEDBACK_DAYS, reply), 23, 59)
            else:
                moment = pick(None, due)
            b.feedback(moment, forwarded)
        elif s == "pbc_feedback_incomplete":
            contents = {
                "no_satisfaction": [i for i in PBC_FEEDBACK_ITEMS if i != "satisfaction"],
                "no_dispute_focus_no_extension": [i for i in PBC_FEEDBACK_ITEMS
                                                  if i not in ("dispute_focus", "extension")],
                "free_text": ["投诉基本情况", "调查核实结果", "处理依据", "处理结果及告知情况"],
            }[v]
            b.feedback(pick(None, due), forwarded, contents=contents)
        elif s == "pbc_feedback_late":
            b.feedback(due if v == "at_due_instant" else pick(due, end_of(C(12, reply))), forwarded)
        elif s == "pbc_feedback_other_office":
            other = PBOC_OFFICE["HO"] if forwarded["office"] != PBOC_OFFICE["HO"] else PBOC_OFFICE["SH"]
            b.feedback(pick(None, due), forwarded, office=other)
        b.close()

    elif s.startswith("pbc_extension_"):
        b.ack("ok")
        reason, channel, approval = None, "default", "complaint_head"
        limit, k = ("calendar_day", O3_TIER1_DAYS), O3_TIER1_DAYS
        moment = pick(None, end_of(C(12)))
        if s == "pbc_extension_approved" and v == "new_due_date":
            k = rng.randint(20, O3_TIER1_DAYS)
            limit = ("due_date", C(k))
        elif s == "pbc_extension_not_approved":
            approval = None if v == "no_approval" else "head_office_senior_manager"
        elif s == "pbc_extension_no_reason":
            reason = ""
        elif s == "pbc_extension_not_notified":
            channel = None if v == "null" else False
        elif s == "pbc_extension_beyond_cap":
            limit = ("calendar_day", 70)
        elif s == "pbc_extension_after_expiry":
            moment = pick(end_of(C(PBC_REPLY_DAYS)), end_of(C(18)))
        elif s == "pbc_extension_o3_tier2":
            limit, k = ("calendar_day", 45), 45
        b.extend(moment, reason=reason, limit=limit, channel=channel, approval=approval)
        if s == "pbc_extension_beyond_cap":
            d = decide_by(13)
            k = O3_DECISION_DAYS
        elif s == "pbc_extension_after_expiry":
            d = b.decide(pick(None, end_of(C(26))))
        elif s == "pbc_extension_o3_tier2":
            d = b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(C(k - 3))))
        else:
            d = b.decide(pick(end_of(C(PBC_REPLY_DAYS)), end_of(C(k - 2))))
        reply_and_feedback(d, C(k))
        b.close()

    elif s == "pbc_reply_late":  # decided in time, replied after 15 days (in time for point 八)
        b.ack("ok")
        d = b.decide(pick(at(C(13), 0, 0), end_of(C(PBC_REPLY_DAYS)), working=False))
        lo, hi = end_of(C(PBC_REPLY_DAYS)), end_of(W(RESULT_WD, d))
        if hi <= lo + timedelta(hours=1):
            raise GenError("no room for a reply after the 15 days and within 2 working days")
        b.notify_at(pick(lo, hi, working=False))
        b.feedback(pick(None, end_of(C(PBC_FEEDBACK_DAYS, b.last.date()))), forwarded)
        b.close()

    elif s == "pbc_reply_overdue":
        b.ack("ok")
        decide_by(13)

    elif s == "pbc_unreachable":  # excused under the 2012 notice and Order No. 3, not under PBoC No. 5
        b.contact_failed(b.at_wd(0, ACK_WD))
        d = decide_by(13)
        b.contact_failed(pick(None, b.o3_notice_by(d, C(O3_DECISION_DAYS))),
                         channel=rng.choice(("phone", "sms")))
        b.close()
    else:
        raise ValueError(f"era B: {s}")


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
    else:  # app, online, wechat, other: around the clock, mostly by day
        lo, hi = (7 * 60, 23 * 60 + 30) if rng.random() < 0.9 else (0, 23 * 60 + 59)
    minute = rng.randint(lo, hi)
    return datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), tzinfo=CST)


def check_pinned(cal: Calendar) -> None:
    for text in MAKEUP_DAYS:
        day = date.fromisoformat(text)
        if day.weekday() < 5 or day not in cal.makeup_days or not cal.is_working(day):
            raise SystemExit(f"{text} is not a make-up working weekend day in holidays.China")
    for text, before in BEFORE_BREAK:
        day, holiday = date.fromisoformat(text), date.fromisoformat(before)
        if not cal.is_working(day) or cal.is_working(holiday):
            raise SystemExit(f"{text} is not the working day before the {before} break")
    for text in REST_DAYS:
        if cal.is_working(date.fromisoformat(text)):
            raise SystemExit(f"{text} is not a rest day")
    for text, era, scenario, variant, channel in PINNED:
        day = date.fromisoformat(text)
        if (era == "A") != (day < O3_FROM) or (era == "P" and day < PBC_FROM):
            raise SystemExit(f"{text}: not in era {era}")
        if channel in ("in_person", "letter") and not cal.is_working(day):
            raise SystemExit(f"{text}: {channel} on a rest day")


def plan_all(cal: Calendar, seed: int) -> list[Plan]:
    rng = random.Random(f"plan:{seed}")
    plans: list[Plan] = []
    pinned_count: Counter = Counter()
    for text, era, scenario, variant, channel in PINNED:
        day = date.fromisoformat(text)
        plans.append(Plan(era, scenario, variant, receipt_time(rng, day, channel), channel, True))
        pinned_count[(era, scenario)] += 1
    for era, scenario, count, variants, long_running in SCENARIOS:
        if pinned_count[(era, scenario)] > count:
            raise SystemExit(f"{era}/{scenario}: more pinned receipts than complaints")
        for i in range(count - pinned_count[(era, scenario)]):
            variant = variants[i % len(variants)]
            first, last = VARIANT_WINDOWS.get((era, scenario, variant), ERA_WINDOWS[era])
            if long_running:
                last = min(last, LAST_LONG_RECEIPT)
            if era == "P" or scenario in FORWARDED_SCENARIOS or variant.startswith("pboc_"):
                channel = rng.choice(("other", "letter"))
            else:
                channel = weighted(rng, RECEIPT_CHANNELS)
                if channel == "in_person" and placed(AT_HEAD_OFFICE, era, scenario, variant):
                    channel = "phone"
            day = first + timedelta(days=rng.randint(0, (last - first).days))
            if channel in ("in_person", "letter") and not cal.is_working(day):
                channel = "app"
            plans.append(Plan(era, scenario, variant, receipt_time(rng, day, channel), channel, False))
    plans.sort(key=lambda p: (p.received, p.era, p.scenario, p.variant))
    per_year: Counter = Counter()
    for plan in plans:
        per_year[plan.received.year] += 1
        plan.complaint_id = f"C-{plan.received.year}-{per_year[plan.received.year]:05d}"
    # The fixed complaints come after the planned ones are numbered, and draw nothing from ``rng``.
    for cid, stamp, scenario, variant, inst_id, channel, product, issue, complainants, major in FIXED:
        received = datetime.fromisoformat(stamp).replace(tzinfo=CST)
        if channel in ("in_person", "letter") and not cal.is_working(received.date()):
            raise SystemExit(f"{cid}: {channel} on a rest day")
        plans.append(Plan("B", scenario, variant, received, channel, True, cid,
                          (inst_id, product, issue, complainants, major)))
    plans.sort(key=lambda p: (p.received, p.complaint_id))
    return plans


# --------------------------------------------------------------------------- institution-level events


def ancestors(inst_id: str) -> list[str]:
    """``inst_id`` and the institutions above it, nearest first."""
    out = []
    node: str | None = inst_id
    while node is not None:
        out.append(node)
        node = INSTITUTIONS[node][1]
    return out


def _report(period: str, when: str, region: str, rules: bool = False, channels: bool = False) -> dict:
    regulator, offices = banking_regulator(date.fromisoformat(when[:10]))
    return {"period": period, "regulator": regulator, "office": offices[region],
            "reflects_rule_changes": rules, "reflects_channel_changes": channels}


LS_CLUSTER = [row[0] for row in FIXED if row[2] == "large_scale_cluster"]

# Institution-level events: (time, institution, type, data), numbered E-INST-nnnn in time order.
# The changes, disclosures, large-scale reports and the 2024-2025 half-yearly reports are listed
# here; the 2019-2023 half-yearly reports (all in time) and the PBoC self-assessments are added by
# institution_rows().
CHANGE_ROWS: list[tuple[str, str, str, dict]] = [
    ("2019-01-02T09:30:00", "HO-001", "channel_disclosure",
     {"place": "website", "channels": ["phone", "online", "letter", "email"], "hotline_prompt": True}),
    ("2019-01-02T09:35:00", "HO-001", "channel_disclosure",
     {"place": "hotline", "channels": ["phone"], "hotline_prompt": True}),
    ("2019-01-03T10:00:00", "OT-SH-PD-01", "channel_disclosure",
     {"place": "outlet", "channels": ["phone", "online", "letter", "in_person"]}),
    # a rules change, reflected in the head office's 2019H1 report
    ("2019-03-12T10:00:00", "HO-001", "complaint_contact_changed",
     {"change": "rules", "description": "修订《客户投诉管理办法》，明确投诉处理时限及延期审批流程"}),
    # a contact change two days before Spring Festival 2020 (1/24-2/2 off): its 5th working day is
    # 2020-02-05, the day it was reported — in time
    ("2020-01-21T15:00:00", "BR-SH", "complaint_contact_changed",
     {"change": "contact", "description": "上海分行投诉处理联系人变更",
      "reported_to_regulator_at": "2020-02-05T16:00:00+08:00"}),
    # the rules adapted to Order 2020 No. 3 (calendar days), reflected in the head office's 2020H1 report
    ("2020-02-20T10:00:00", "HO-001", "complaint_contact_changed",
     {"change": "rules",
      "description": "修订《客户投诉管理办法》，落实银保监会令2020年第3号（自然日时限、分级延期审批）"}),
    # a channel change at BR-GD, reflected in its own and the head office's 2021H1 reports
    ("2021-05-17T11:00:00", "BR-GD", "complaint_contact_changed",
     {"change": "channels", "description": "广东分行开通微信公众号投诉入口"}),
    # an outlet's disclosure without the postal address (通讯地址): Order No. 3 Art. 8
    ("2022-06-15T09:00:00", "OT-BJ-HD-01", "channel_disclosure",
     {"place": "outlet", "channels": ["phone", "online", "in_person"]}),
    # (C-2023-MJ001, flagged major, received 2023-08-02) reported on the 4th working day: late
    ("2023-08-08T10:30:00", "BR-BJ", "large_scale_complaint_reported",
     {"regulator": "NFRA", "office": NFRA_OFFICE["BJ"], "complaint_ids": ["C-2023-MJ001"],
      "product": "personal_loan", "issue": "interest", "complainants": 1}),
    # department change before the 2023 Mid-Autumn/National Day break (9/29-10/6 off, 10/7 and 10/8
    # make-up days): reported on Sunday 10/8, its 5th working day — in time
    ("2023-09-25T10:00:00", "BR-BJ", "complaint_contact_changed",
     {"change": "department", "description": "北京分行投诉处理职能划入消费者权益保护部",
      "reported_to_regulator_at": "2023-10-08T16:00:00+08:00"}),
    # department change on the Friday before National Day 2024; its 5th working day is 2024-10-10
    # (09-29 is a make-up Sunday, 10-01…10-07 off): reported that afternoon, in time
    ("2024-09-27T16:00:00", "BR-GD", "complaint_contact_changed",
     {"change": "department", "description": "广东分行投诉处理职能由办公室划转至消费者权益保护部",
      "reported_to_regulator_at": "2024-10-10T16:30:00+08:00"}),
    # a channel change, reflected in the head office's 2024H2 report
    ("2024-11-05T14:00:00", "HO-001", "complaint_contact_changed",
     {"change": "channels", "description": "手机银行App新增在线投诉入口"}),
    ("2024-11-05T14:10:00", "HO-001", "channel_disclosure",
     {"place": "app", "channels": ["phone", "online", "letter", "email", "app"], "hotline_prompt": True}),
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
]
# The half-yearly reports of 2024-2025 (the earlier ones are all in time and reflect every change).
REPORT_ROWS_2024_2025: list[tuple[str, str, str, dict]] = [
    # 2024H1 reports: all in time
    ("2024-07-22T15:00:00", "HO-001", "periodic_report_submitted", _report("2024H1", "2024-07-22", "HO")),
    ("2024-07-25T10:20:00", "BR-SH", "periodic_report_submitted", _report("2024H1", "2024-07-25", "SH")),
    ("2024-07-26T16:00:00", "BR-BJ", "periodic_report_submitted", _report("2024H1", "2024-07-26", "BJ")),
    ("2024-07-29T09:30:00", "BR-GD", "periodic_report_submitted", _report("2024H1", "2024-07-29", "GD")),
    # 2024H2 reports: BR-BJ never files one
    ("2025-01-20T16:00:00", "HO-001", "periodic_report_submitted",
     _report("2024H2", "2025-01-20", "HO", channels=True)),
    ("2025-01-22T10:00:00", "BR-SH", "periodic_report_submitted", _report("2024H2", "2025-01-22", "SH")),
    ("2025-01-24T14:00:00", "BR-GD", "periodic_report_submitted", _report("2024H2", "2025-01-24", "GD")),
    # 2025H1 reports: HO-001 does not reflect its rules change; BR-BJ files on the last day;
    # BR-GD files late
    ("2025-07-24T15:30:00", "HO-001", "periodic_report_submitted", _report("2025H1", "2025-07-24", "HO")),
    ("2025-07-28T11:00:00", "BR-SH", "periodic_report_submitted", _report("2025H1", "2025-07-28", "SH")),
    ("2025-07-30T17:45:00", "BR-BJ", "periodic_report_submitted", _report("2025H1", "2025-07-30", "BJ")),
    ("2025-08-04T10:00:00", "BR-GD", "periodic_report_submitted", _report("2025H1", "2025-08-04", "GD")),
    # 2025H2 reports: all in time; BR-SH's does not reflect its channel change
    ("2026-01-23T10:00:00", "HO-001", "periodic_report_submitted",
     _report("2025H2", "2026-01-23", "HO", channels=True)),
    ("2026-01-26T11:00:00", "BR-GD", "periodic_report_submitted", _report("2025H2", "2026-01-26", "GD")),
    ("2026-01-27T15:00:00", "BR-SH", "periodic_report_submitted", _report("2025H2", "2026-01-27", "SH")),
    ("2026-01-29T10:30:00", "BR-BJ", "periodic_report_submitted", _report("2025H2", "2026-01-29", "BJ")),
]
# The 2019H1-2023H2 reports: (institution, day of the month in July / January, time).
EARLY_REPORTS = (("HO-001", 18, "15:00:00"), ("BR-SH", 22, "10:20:00"), ("BR-BJ", 24, "16:00:00"),
                 ("BR-GD", 26, "09:30:00"))
# PBoC No. 5 Art. 56: the head office's annual self-assessment, by 31 January of the next year.
# 2021's comes after Spring Festival 2022 (1/31-2/6 off; calendar days, not rolled forward): late;
# 2023's is never filed.
SELF_ASSESSMENTS = {"2020": "2021-01-26T10:00:00", "2021": "2022-02-07T15:00:00",
                    "2022": "2023-01-17T11:00:00", "2024": "2025-01-24T16:00:00",
                    "2025": "2026-01-22T10:00:00"}


def institution_rows(cal: Calendar) -> list[tuple[str, str, str, dict]]:
    rows = list(CHANGE_ROWS) + list(REPORT_ROWS_2024_2025)
    changes = [(date.fromisoformat(stamp[:10]), inst, data["change"])
               for stamp, inst, kind, data in CHANGE_ROWS if kind == "complaint_contact_changed"]
    for year in range(2019, 2024):
        for half in ("H1", "H2"):
            period = f"{year}{half}"
            first = date(year, 1, 1) if half == "H1" else date(year, 7, 1)
            last = date(year, 6, 30) if half == "H1" else date(year, 12, 31)
            for inst, dom, clock in EARLY_REPORTS:
                day = date(year, 7, dom) if half == "H1" else date(year + 1, 1, dom)
                while not cal.is_working(day):
                    day -= timedelta(days=1)
                seen = {kind for when, where, kind in changes
                        if first <= when <= last and inst in ancestors(where)}
                rows.append((f"{day.isoformat()}T{clock}", inst, "periodic_report_submitted",
                             _report(period, day.isoformat(), INSTITUTIONS[inst][3], rules="rules" in seen,
                                     channels="channels" in seen)))
    for year, stamp in SELF_ASSESSMENTS.items():
        rows.append((stamp, "HO-001", "periodic_report_submitted",
                     {"period": year, "regulator": "PBOC", "office": PBOC_OFFICE["HO"]}))
    return rows


def institution_events(cal: Calendar) -> list[dict]:
    """Institution-level events: channel disclosures, half-yearly reports, changes, large-scale
    reports, self-assessments."""
    rows = sorted(institution_rows(cal), key=lambda row: (row[0], row[1]))
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
    if kind == "paused" and (data["reason"] not in ("external_appraisal", "mediation", "other")
                             or data.get("notice_channel") not in CHANNELS | {None}):
        errs.append("bad paused")
    if kind in ("reopened", "review_requested"):
        key = "new_facts" if kind == "reopened" else "written"
        if not isinstance(data.get(key), bool):
            errs.append(f"{key} not a bool")
    if kind == "reported_to_regulator" and not all(isinstance(c, str) for c in data.get("contents", [])):
        errs.append("bad contents")
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


# --------------------------------------------------------------------------- independent evaluators


@dataclass
class Ev:
    t: datetime
    type: str
    data: dict
    level: str


def sequence(events: list[dict]) -> list[Ev]:
    ordered = sorted(events, key=lambda e: (parse_time(e["time"]), e["event_id"]))
    return [Ev(parse_time(e["time"]), e["type"], e.get("data") or {}, e["institution"]["level"])
            for e in ordered]


def of_type(seq: list[Ev], kind: str) -> list[Ev]:
    return [e for e in seq if e.type == kind]


def judging_modules(seq: list[Ev]) -> list[str]:
    """The modules in force on the day of receipt that apply to the complaint (docs/rule-modules.md
    "Selection"), read from the modules' dates: the 2012 notice always (in force since 2012-04-03,
    never repealed), Order No. 3 from 2020-03-01, PBoC No. 5 from 2020-11-01 for complaints the
    PBoC forwarded."""
    received = of_type(seq, "received")[0]
    day = received.t.date()
    modules = [M2012]
    if day >= O3_FROM:
        modules.append(MO3)
    if day >= PBC_FROM and (received.data.get("forwarded_by") or {}).get("regulator") in PBC_REGULATORS:
        modules.append(MPBC)
    return modules


def evaluate_2012(cal: Calendar, seq: list[Ev], as_of: datetime) -> tuple[list[str], dict]:
    """银监发〔2012〕13号 points 七–十. Point 九 only for complaints received up to 2020-02-29: from
    2020-03-01 Order No. 3 Art. 45 makes the notice yield to its calendar-day limits (Art. 18)."""
    codes: list[str] = []
    received = of_type(seq, "received")[0]
    t_rec, d0 = received.t, received.t.date()
    acks = of_type(seq, "acknowledged")
    fails = [e.t for e in of_type(seq, "contact_failed")]
    withdrawals = [e.t for e in of_type(seq, "withdrawn")]
    decisions = of_type(seq, "decided")
    results = of_type(seq, "result_notified")
    reports = of_type(seq, "reported_to_regulator")

    # 七: acknowledgement
    ack_due = end_of(cal.nth(d0, ACK_WD))
    if (not acks and ack_due <= as_of and not any(t < ack_due for t in fails)
            and not any(t < ack_due for t in withdrawals)):
        codes.append(P7_MISSING)
    if acks and acks[0].t >= ack_due:
        codes.append(P7_LATE)
    for e in acks:
        if not (e.data["states_acceptance"] and e.data["states_time_limit"] and e.data["states_contact"]):
            codes.append(P7_INCOMPLETE)
        if e.data["channel"] not in NOTICE_CHANNELS:
            codes.append(P7_CHANNEL)

    # 八: result notice, remediation
    if decisions:
        result_due = end_of(cal.nth(decisions[0].t.date(), RESULT_WD))
        if not results and result_due <= as_of and not any(t < result_due for t in fails):
            codes.append(P8_NOT_NOTIFIED)
        if results and results[0].t >= result_due:
            codes.append(P8_LATE)
    for e in results:
        if e.data["channel"] not in NOTICE_CHANNELS:
            codes.append(P8_CHANNEL)
    for e in decisions:
        if e.data["product_problem_found"] and not e.data.get("remediation"):
            codes.append(P8_REMEDIATION)

    # 九: handling limit and its extensions (superseded from 2020-03-01 by the receipt date)
    decision_due = None
    if d0 < O3_FROM:
        limit_due = end_of(cal.nth(d0, DECISION_WD))
        cap_due = end_of(cal.nth(d0, CAP_WD))
        for e in of_type(seq, "extended"):
            data = e.data
            if "new_due_date" in data:
                new_due = end_of(date.fromisoformat(data["new_due_date"]))
            elif data["new_limit"]["unit"] == "working_day":
                new_due = end_of(cal.nth(d0, data["new_limit"]["value"]))
            else:
                new_due = end_of(d0 + timedelta(days=data["new_limit"]["value"]))
            late = e.t >= limit_due
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
            if not late and data.get("reason") and channel is not None and new_due > limit_due:
                limit_due = min(new_due, cap_due)
        if decisions and decisions[0].t >= limit_due:
            codes.append(P9_LATE)
        if not decisions and limit_due <= as_of and not any(t < limit_due for t in withdrawals):
            codes.append(P9_OVERDUE)
        decision_due = last_day(limit_due).isoformat()

    # 十: report back to the forwarding office
    fwd = received.data.get("forwarded_by")
    if fwd and fwd["regulator"] in FORWARDING_REGULATORS and decisions:
        report_due = end_of(cal.nth(decisions[0].t.date(), REPORT_WD))
        if not reports and report_due <= as_of:
            codes.append(P10_MISSING)
        if reports and reports[0].t >= report_due:
            codes.append(P10_LATE)
        for e in reports:
            if e.data["office"] != fwd["office"]:
                codes.append(P10_OFFICE)

    return sorted(codes), {"ack_due": last_day(ack_due).isoformat(), "decision_due": decision_due}


def evaluate_o3(cal: Calendar, seq: list[Ev], as_of: datetime) -> tuple[list[str], dict]:
    """银保监会令2020年第3号 Arts. 18–20 and 29, read from the Order (calendar days, Art. 43)."""
    codes: list[str] = []
    received = of_type(seq, "received")[0]
    d0 = received.t.date()
    level = received.level
    withdrawals = [e.t for e in of_type(seq, "withdrawn")]
    fails = [e.t for e in of_type(seq, "contact_failed")]

    # Art. 18 ¶3: a repeat complaint with new facts and reasons, made within the limit, restarts the
    # limit from the day the new material is received; what came before no longer counts.
    start_t, start_day = received.t, d0
    for e in of_type(seq, "reopened"):
        if e.data.get("new_facts") is True:
            if e.t >= end_of(d0 + timedelta(days=O3_DECISION_DAYS)):
                raise SystemExit("design: a reopening with new facts after the original 15 days")
            start_t, start_day = e.t, e.t.date()
    scope = [e for e in seq if e.t >= start_t]

    # Art. 18 ¶2, Art. 23: external appraisal and mediation are not counted in the handling
    # period — the whole of it, extended limits and the 60-day cap included: the days from each
    # pause to its resumption are added; a pause still open at the as-of time holds the clock.
    paused = 0
    open_pause = None
    for e in scope:
        if e.type == "paused" and open_pause is None and e.data["reason"] in O3_PAUSE_REASONS:
            open_pause = e
        elif e.type == "resumed" and open_pause is not None:
            paused += (e.t.date() - open_pause.t.date()).days
            open_pause = None
    paused_now = open_pause is not None
    if paused_now:
        paused += (as_of.date() - open_pause.t.date()).days + 1

    def days(n: int) -> datetime:
        """The end of a limit of n days from the start, the paused days not counted."""
        return end_of(start_day + timedelta(days=n + paused))

    limit, tier1, cap = days(O3_DECISION_DAYS), days(O3_TIER1_DAYS), days(O3_CAP_DAYS)
    for e in seq:
        if (e.type == "paused" and e.data["reason"] in O3_PAUSE_NOTICE_REASONS
                and not e.data.get("notice_channel")):
            codes.append(O3_PAUSE_NOTICE)
    # Art. 18 ¶1: to 30 days (情况复杂) without formalities; to 60 only with the approval of the
    # superior institution or a head-office senior manager and notice to the complainant. An
    # extension made after the limit in force has run out extends nothing.
    for e in (x for x in scope if x.type == "extended"):
        data = e.data
        if "new_due_date" in data:
            new_due = end_of(date.fromisoformat(data["new_due_date"]))
        elif data["new_limit"]["unit"] == "calendar_day":
            new_due = days(data["new_limit"]["value"])
        else:
            new_due = end_of(cal.nth(start_day, data["new_limit"]["value"]))
        second_tier = new_due > tier1
        expired = e.t >= limit
        approved = (data.get("approval") or {}).get("level") in O3_TIER2_APPROVERS
        notified = bool(data.get("notice_channel"))
        if expired:
            codes.append(O3_EXT_EXPIRED)
        if second_tier and not approved:
            codes.append(O3_EXT_APPROVAL)
        if second_tier and not notified:
            codes.append(O3_EXT_NOTIFIED)
        if new_due > cap:
            codes.append(O3_EXT_CAP)
        if not expired and (not second_tier or (approved and notified)) and new_due > limit:
            limit = min(new_due, cap)
    # decided and told within the limit (Art. 18: 作出处理决定并告知投诉人)
    decisions = [e for e in scope if e.type == "decided"]
    notices = [e for e in scope if e.type == "result_notified"]
    withdrawn = any(t < limit for t in withdrawals)
    unreachable = any(t < limit for t in fails)  # Art. 21: 投诉人无法联系的除外
    codes += [O3_LATE for e in decisions if e.t >= limit]
    if not decisions and limit <= as_of and not paused_now and not withdrawn:
        codes.append(O3_OVERDUE)
    if not unreachable:
        codes += [O3_NOTICE_LATE for e in notices if e.t >= limit]
        if decisions and not notices and limit <= as_of and not withdrawn:
            codes.append(O3_NOT_NOTIFIED)
    # Art. 19: the decision states the findings, its basis and reasons, and the remedies
    # (申请核查 only for a branch's decision, Art. 20)
    all_decisions = of_type(seq, "decided")
    for e in all_decisions:
        if not (e.data.get("findings") or "").strip():
            codes.append(O3_FINDINGS)
        if not (e.data.get("basis_and_reasons") or "").strip():
            codes.append(O3_REASONS)
        offered = set(e.data.get("remedies_offered") or ())
        if not set(O3_REQUIRED_REMEDIES) <= offered:
            codes.append(O3_REMEDIES)
        if e.level in O3_BRANCH_LEVELS and "review" not in offered:
            codes.append(O3_REVIEW_REMEDY)
    # Art. 20: a written review of a branch's decision, decided within 30 days of the application
    requests = of_type(seq, "review_requested")
    if (requests and any(e.data["written"] for e in requests)
            and any(e.level in O3_BRANCH_LEVELS for e in all_decisions)):
        review_due = end_of(requests[0].t.date() + timedelta(days=O3_REVIEW_DAYS))
        reviews = of_type(seq, "review_decided")
        if reviews and reviews[0].t >= review_due:
            codes.append(O3_REVIEW_LATE)
        if not reviews and review_due <= as_of and not any(t < review_due for t in withdrawals):
            codes.append(O3_REVIEW_OVERDUE)
    # Art. 29: a joint complaint in person by 20 or more is major; a major complaint is reported
    data = received.data
    if data.get("joint_in_person") and data.get("complainants", 1) >= O3_MAJOR_MIN and not data.get("major"):
        codes.append(O3_MAJOR_NOT_IDENTIFIED)
    if data.get("major") is True:
        due = end_of(cal.nth(d0, O3_MAJOR_REPORT_WD))
        reports = of_type(seq, "reported_to_regulator")
        if not reports and due <= as_of:
            codes.append(O3_MAJOR_NOT_REPORTED)
        if reports and reports[0].t >= due:
            codes.append(O3_MAJOR_LATE)
    return sorted(codes), {"decision_due": last_day(limit).isoformat()}


def evaluate_pbc(cal: Calendar, seq: list[Ev], as_of: datetime) -> tuple[list[str], dict]:
    """中国人民银行令〔2020〕第5号 Arts. 43 ¶2 and 44 ¶1, for a complaint the PBoC forwarded."""
    codes: list[str] = []
    received = of_type(seq, "received")[0]
    d0 = received.t.date()
    fwd = received.data["forwarded_by"]
    limit = end_of(d0 + timedelta(days=PBC_REPLY_DAYS))
    cap = end_of(d0 + timedelta(days=PBC_CAP_DAYS))
    # Art. 43 ¶2: 情况复杂的，经本机构投诉处理工作负责人批准，可以延长处理期限，
    # 并告知投诉人延长处理期限的理由，但最长处理期限不得超过60日 — approval, a reason told to the
    # complainant, before the limit runs out.
    for e in of_type(seq, "extended"):
        data = e.data
        if "new_due_date" in data:
            new_due = end_of(date.fromisoformat(data["new_due_date"]))
        elif data["new_limit"]["unit"] == "calendar_day":
            new_due = end_of(d0 + timedelta(days=data["new_limit"]["value"]))
        else:
            new_due = end_of(cal.nth(d0, data["new_limit"]["value"]))
        expired = e.t >= limit
        approved = (data.get("approval") or {}).get("level") in PBC_APPROVERS
        reason = bool((data.get("reason") or "").strip())
        notified = bool(data.get("notice_channel"))
        if expired:
            codes.append(PBC_EXT_EXPIRED)
        if not approved:
            codes.append(PBC_EXT_APPROVAL)
        if not reason:
            codes.append(PBC_EXT_REASON)
        if not notified:
            codes.append(PBC_EXT_NOTIFIED)
        if new_due > cap:
            codes.append(PBC_EXT_CAP)
        if not expired and approved and reason and notified and new_due > limit:
            limit = min(new_due, cap)
    replies = of_type(seq, "result_notified")
    if replies and replies[0].t >= limit:
        codes.append(PBC_REPLY_LATE)
    # Art. 39: only a failure the complainant caused excuses the reply (a failed contact does not say so)
    if not replies and limit <= as_of and not any(e.t < limit for e in of_type(seq, "withdrawn")):
        codes.append(PBC_REPLY_OVERDUE)
    # Art. 44 ¶1: feedback to the forwarding PBoC branch, with the listed contents
    feedback = [e for e in of_type(seq, "reported_to_regulator") if e.data["regulator"] in PBC_REGULATORS]
    if replies:
        feedback_due = end_of(replies[0].t.date() + timedelta(days=PBC_FEEDBACK_DAYS))
        if not feedback and feedback_due <= as_of:
            codes.append(PBC_FB_MISSING)
        if feedback and not any(e.t < feedback_due for e in feedback):
            codes += [PBC_FB_LATE for _ in feedback]
    for e in feedback:
        if not set(PBC_FEEDBACK_ITEMS) <= set(e.data.get("contents") or ()):
            codes.append(PBC_FB_INCOMPLETE)
        if e.data["office"] != fwd["office"]:
            codes.append(PBC_FB_OFFICE)
    return sorted(codes), {"reply_due": last_day(limit).isoformat()}


def evaluate(cal: Calendar, events: list[dict], as_of: datetime) -> tuple[dict[str, list[str]], dict]:
    """Per module that judges the complaint, the sorted codes its rules call for; and the due
    dates used (last day of each limit)."""
    seq = [e for e in sequence(events) if e.t <= as_of]
    modules = judging_modules(seq)
    codes, info = {}, {}
    codes[M2012], part = evaluate_2012(cal, seq, as_of)
    info.update(part)
    if MO3 in modules:
        codes[MO3], part = evaluate_o3(cal, seq, as_of)
        info.update(part)
    if MPBC in modules:
        codes[MPBC], part = evaluate_pbc(cal, seq, as_of)
        info.update(part)
    return codes, info
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
    """The archive-scope findings of the three modules: the 2012 notice's points 十五 and 十六,
    Order No. 3 Art. 8 (disclosures) and PBoC No. 5 Art. 56 (self-assessments).

    Read from the texts and the modules' ``archive`` sections, not from cppolicy's code. Returns
    the sorted expected findings ``{code, module, institution_id, evidence, due, observed[,
    complaint_ids]}`` and every large-scale cluster found (for the check that none forms by accident).
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
        module = {"CBRC2012": M2012, "CBIRC2020": MO3, "PBC2020": MPBC}[code.split(".")[0]]
        found.append({"code": code, "module": module, "institution_id": inst, "evidence": [evidence],
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

    # PBoC No. 5 Art. 56: the annual self-assessment, by 31 January of the next year, for every
    # year that ended while the Order was in force (from 2020) and before the as-of day, filed by
    # every institution at the levels read (the legal entity: the head office).
    reports_y: dict[tuple[str, str], datetime] = {}
    for ev in inst_events:
        if ev["type"] == "periodic_report_submitted" and parse_time(ev["time"]) <= as_of:
            reports_y.setdefault((ev["institution"]["id"], ev["data"]["period"]), parse_time(ev["time"]))
    for inst in sorted(i for i, lv in level.items() if lv in PBC_SELF_ASSESSMENT_LEVELS):
        for year in range(first.year, as_of.year + 1):
            if not PBC_FROM <= date(year, 12, 31) < as_of.date():
                continue
            due = end_of(date(year + 1, *PBC_SELF_ASSESSMENT_DUE))
            met = reports_y.get((inst, str(year)))
            evidence = f"self_assessment:{inst}:{year}"
            if met is None and due <= as_of:
                finding(PBC_SA_MISSING, inst, evidence, due, None)
            if met is not None and met >= due:
                finding(PBC_SA_LATE, inst, evidence, due, met)

    # Order No. 3 Art. 8: what the website, the app and the premises publish shows the complaint
    # phone and the postal address.
    for ev in inst_events:
        if (ev["type"] == "channel_disclosure" and parse_time(ev["time"]) <= as_of
                and ev["data"]["place"] in O3_DISCLOSURE_PLACES
                and not set(O3_DISCLOSURE_CHANNELS) <= set(ev["data"]["channels"])):
            finding(O3_DISCLOSURE, ev["institution"]["id"], ev["event_id"], None, parse_time(ev["time"]))

    found.sort(key=lambda f: (f["code"], f["institution_id"], f["evidence"]))
    return found, clusters




# What the archive is built to show at the as-of time: (code, institution, evidence without a
# cluster's last part; an event's type and day instead of its id). The generator stops unless
# evaluate_archive finds exactly these.
ARCHIVE_DESIGN: list[tuple[str, str, str]] = [
    (P15_NOT_REPORTED, "BR-BJ", "large_scale:flagged_major:BR-BJ"),                # (c) C-2025-LS010
    (P15_LATE, "BR-BJ", "large_scale:flagged_major:BR-BJ"),                        # C-2023-MJ001
    (P15_LATE, "BR-GD", "large_scale:many_complaints:BR-GD"),                       # (a) C-2025-LS001…008
    (P16_CHANNELS, "BR-SH", "semiannual_report:BR-SH:2025H2"),
    (P16_CONTACT_MISSING, "BR-SH", "complaint_contact_changed 2025-11-03"),
    (P16_CONTACT_LATE, "BR-BJ", "complaint_contact_changed 2025-06-09"),
    (P16_MISSING, "BR-BJ", "semiannual_report:BR-BJ:2024H2"),
    (P16_LATE, "BR-GD", "semiannual_report:BR-GD:2025H1"),
    (P16_RULES, "HO-001", "semiannual_report:HO-001:2025H1"),
    (O3_DISCLOSURE, "OT-BJ-HD-01", "channel_disclosure 2022-06-15"),
    (PBC_SA_LATE, "HO-001", "self_assessment:HO-001:2021"),
    (PBC_SA_MISSING, "HO-001", "self_assessment:HO-001:2023"),
]
# Every cluster the archive holds: (kind, institution, member ids). (A complaint that reaches 20
# complainants alone is only the many_complainants kind, not also a cluster of many complaints.)
CLUSTER_DESIGN: list[tuple[str, str, tuple[str, ...]]] = [
    ("many_complaints", "BR-GD", tuple(LS_CLUSTER)),
    ("many_complainants", "BR-SH", ("C-2025-LS009",)),
    ("flagged_major", "BR-BJ", ("C-2023-MJ001",)),
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
        if evidence in by_id:  # an obligation or an event: the event's type and day
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


# --------------------------------------------------------------------------- notes and composition


def note_for(cal: Calendar, plan: Plan, events: list[dict]) -> str | None:
    """A sentence for the complaints pinned to show a difference between the modules."""
    seq = sequence(events)
    d0 = plan.received.date()
    decided = of_type(seq, "decided")
    if not decided:
        return None
    day = decided[0].t.date()
    wd, cd = cal.index_of(d0, day), (day - d0).days
    c15, w15 = d0 + timedelta(days=O3_DECISION_DAYS), cal.nth(d0, DECISION_WD)
    if plan.variant in ("wd_ok_calendar_late", "calendar_15_passed_wd_ok"):
        judged = ("point 九 judges it: in time" if plan.era == "A"
                  else "point 九 is superseded for it; Order No. 3 judges it: late")
        return (f"decided {day} = working day {wd} (point 九's 15th: {w15}) and calendar day {cd} "
                f"(Order No. 3's 15th: {c15}); {judged}")
    if plan.variant == "holiday_last_day":
        return (f"the 15th calendar day {c15} is a rest day: Order No. 3 does not roll it forward; "
                f"decided {day}, calendar day {cd}")
    return None


def composition(complaints: dict[str, dict]) -> dict:
    by_year: dict[str, Counter] = {}
    for cid, c in complaints.items():
        row = by_year.setdefault(c["received"][:4], Counter())
        row["complaints"] += 1
        row["compliant"] += not any(c["expected"].values())
        for module in c["modules"]:
            row[module] += 1
    by_module: dict[str, dict] = {}
    for module in MODULE_ORDER:
        judged = [c for c in complaints.values() if module in c["modules"]]
        codes = Counter(code for c in judged for code in c["expected"][module])
        by_module[module] = {"complaints": len(judged),
                             "with_findings": sum(bool(c["expected"][module]) for c in judged),
                             "codes": dict(sorted(codes.items()))}
    keys = ("complaints", "compliant", *MODULE_ORDER)
    return {"by_year": {y: {k: by_year[y][k] for k in keys} for y in sorted(by_year)}, "by_module": by_module}


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


def era_modules(plan: Plan) -> list[str]:
    """The modules the scenario is designed to be judged by (the evaluator selects independently)."""
    if plan.era == "A":
        return [M2012]
    return [M2012, MO3, MPBC] if plan.era == "P" else [M2012, MO3]


def generate(seed: int) -> tuple[list[dict], dict]:
    cal = Calendar(CALENDAR_YEARS)
    check_pinned(cal)
    plans = plan_all(cal, seed)
    events: list[dict] = institution_events(cal)
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
            raise SystemExit(f"{plan.complaint_id}: could not build "
                             f"{plan.era}/{plan.scenario}/{plan.variant}")
        lines = to_json_events(built, rng)
        events.extend(lines)
        codes, info = evaluate(cal, lines, AS_OF)
        expected = designed(plan.scenario, plan.variant, era_modules(plan))
        if codes != expected:
            raise SystemExit(f"{plan.complaint_id} ({plan.era}/{plan.scenario}/{plan.variant}): built for "
                             f"{expected} but the events call for {codes}")
        entry = {
            "scenario": plan.scenario,
            "variant": plan.variant,
            "modules": list(codes),
            "expected": codes,
            "received": rfc3339(plan.received),
            "institution": built.inst_id,
            "ack_due": info["ack_due"],
            "decision_due": info["decision_due"],
        }
        if "reply_due" in info:
            entry["reply_due"] = info["reply_due"]
        note = note_for(cal, plan, lines)
        if note:
            entry["note"] = note
        complaints[plan.complaint_id] = entry
    events.sort(key=lambda e: (parse_time(e["time"]), e["event_id"]))
    archive_expected, clusters = evaluate_archive(cal, events, AS_OF)
    check_archive_design(events, archive_expected, clusters)
    counts: dict[str, Counter] = {}
    for plan in plans:
        counts.setdefault("fixed" if plan.fixed else plan.era, Counter())[plan.scenario] += 1
    order = {era: [s for e, s, *_ in SCENARIOS if e == era] for era in ("A", "B", "P")}
    order["fixed"] = list(FIXED_SCENARIOS)
    impact = next(cid for cid, c in complaints.items()
                  if c["variant"] == "wd_ok_calendar_late" and c["received"].startswith("2021-09-30"))
    manifest = {
        "seed": seed,
        "as_of": rfc3339(AS_OF),
        "modules": {m: MODULE_VERSIONS[m] for m in MODULE_ORDER},
        "eras": {"A": "received 2019-01-01 … 2020-02-29: cbrc-2012-13 with point 九",
                 "B": "received 2020-03-01 … 2025-12-15: cbrc-2012-13 without point 九, and cbirc-2020-3",
                 "P": "forwarded by the PBoC, received 2020-11-01 … 2025-12-15: era B and pbc-2020-5",
                 "fixed": "fixed ids, archive-scope and Art. 29 scenarios (era B)"},
        "calendar": f"holidays.China + weekend_workdays (python-holidays {holidays.__version__})",
        "event_count": len(events),
        "scenario_counts": {era: {s: counts[era][s] for s in order[era]} for era in ("A", "B", "P", "fixed")},
        "composition": composition(complaints),
        "impact_example": {"complaint_id": impact, "from": M2012, "to": MO3, "kind": "new_breach",
                           "after": complaints[impact]["expected"][MO3]},
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
        if (codes != entry["expected"] or list(codes) != entry["modules"]
                or info["decision_due"] != entry["decision_due"]):
            raise SystemExit(f"{cid}: manifest says {entry['expected']}, events call for {codes}")
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
    print(f"wrote {args.out} ({len(events)} events, {len(manifest['complaints'])} complaints)",
          file=sys.stderr)
    for year, row in manifest["composition"]["by_year"].items():
        print(f"  {year}: " + ", ".join(f"{k} {v}" for k, v in row.items()), file=sys.stderr)
    check_files(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
