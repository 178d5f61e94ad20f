"""Institution-level events (no ``complaint_id``): channel disclosures, half-yearly reports,
changes of the complaint department, head, contact, rules or channels, large-scale complaint
reports and the PBoC self-assessments, numbered ``E-INST-nnnn`` in time order.
"""

from __future__ import annotations

from datetime import date, timedelta

from .dates import Calendar
from .institutions import INSTITUTIONS, NFRA_OFFICE, PBOC_OFFICE, ancestors, banking_regulator, institution
from .rules import SCHEMA_TAG
from .scenarios import FIXED, LS_CLUSTER


def _report(period: str, when: str, region: str, rules: bool = False, channels: bool = False) -> dict:
    regulator, offices = banking_regulator(date.fromisoformat(when[:10]))
    return {
        "period": period,
        "regulator": regulator,
        "office": offices[region],
        "reflects_rule_changes": rules,
        "reflects_channel_changes": channels,
    }


# Institution-level events: (time, institution, type, data), numbered E-INST-nnnn in time order.
# The changes, disclosures, large-scale reports and the 2024-2025 half-yearly reports are listed
# here; the 2019-2023 half-yearly reports (all in time) and the PBoC self-assessments are added by
# institution_rows().
CHANGE_ROWS: list[tuple[str, str, str, dict]] = [
    (
        "2019-01-02T09:30:00",
        "HO-001",
        "channel_disclosure",
        {"place": "website", "channels": ["phone", "online", "letter", "email"], "hotline_prompt": True},
    ),
    (
        "2019-01-02T09:35:00",
        "HO-001",
        "channel_disclosure",
        {"place": "hotline", "channels": ["phone"], "hotline_prompt": True},
    ),
    (
        "2019-01-03T10:00:00",
        "OT-SH-PD-01",
        "channel_disclosure",
        {"place": "outlet", "channels": ["phone", "online", "letter", "in_person"]},
    ),
    # a rules change, reflected in the head office's 2019H1 report
    (
        "2019-03-12T10:00:00",
        "HO-001",
        "complaint_contact_changed",
        {"change": "rules", "description": "修订《客户投诉管理办法》，明确投诉处理时限及延期审批流程"},
    ),
    # a contact change two days before Spring Festival 2020 (1/24-2/2 off): its 5th working day is
    # 2020-02-05, the day it was reported — in time
    (
        "2020-01-21T15:00:00",
        "BR-SH",
        "complaint_contact_changed",
        {
            "change": "contact",
            "description": "上海分行投诉处理联系人变更",
            "reported_to_regulator_at": "2020-02-05T16:00:00+08:00",
        },
    ),
    # the rules adapted to Order 2020 No. 3 (calendar days), reflected in the head office's 2020H1 report
    (
        "2020-02-20T10:00:00",
        "HO-001",
        "complaint_contact_changed",
        {
            "change": "rules",
            "description": "修订《客户投诉管理办法》，落实银保监会令2020年第3号（自然日时限、分级延期审批）",
        },
    ),
    # a channel change at BR-GD, reflected in its own and the head office's 2021H1 reports
    (
        "2021-05-17T11:00:00",
        "BR-GD",
        "complaint_contact_changed",
        {"change": "channels", "description": "广东分行开通微信公众号投诉入口"},
    ),
    # an outlet's disclosure without the postal address (通讯地址): Order No. 3 Art. 8
    (
        "2022-06-15T09:00:00",
        "OT-BJ-HD-01",
        "channel_disclosure",
        {"place": "outlet", "channels": ["phone", "online", "in_person"]},
    ),
    # (C-2023-MJ001, flagged major, received 2023-08-02) reported on the 4th working day: late
    (
        "2023-08-08T10:30:00",
        "BR-BJ",
        "large_scale_complaint_reported",
        {
            "regulator": "NFRA",
            "office": NFRA_OFFICE["BJ"],
            "complaint_ids": ["C-2023-MJ001"],
            "product": "personal_loan",
            "issue": "interest",
            "complainants": 1,
        },
    ),
    # department change before the 2023 Mid-Autumn/National Day break (9/29-10/6 off, 10/7 and 10/8
    # make-up days): reported on Sunday 10/8, its 5th working day — in time
    (
        "2023-09-25T10:00:00",
        "BR-BJ",
        "complaint_contact_changed",
        {
            "change": "department",
            "description": "北京分行投诉处理职能划入消费者权益保护部",
            "reported_to_regulator_at": "2023-10-08T16:00:00+08:00",
        },
    ),
    # department change on the Friday before National Day 2024; its 5th working day is 2024-10-10
    # (09-29 is a make-up Sunday, 10-01…10-07 off): reported that afternoon, in time
    (
        "2024-09-27T16:00:00",
        "BR-GD",
        "complaint_contact_changed",
        {
            "change": "department",
            "description": "广东分行投诉处理职能由办公室划转至消费者权益保护部",
            "reported_to_regulator_at": "2024-10-10T16:30:00+08:00",
        },
    ),
    # a channel change, reflected in the head office's 2024H2 report
    (
        "2024-11-05T14:00:00",
        "HO-001",
        "complaint_contact_changed",
        {"change": "channels", "description": "手机银行App新增在线投诉入口"},
    ),
    (
        "2024-11-05T14:10:00",
        "HO-001",
        "channel_disclosure",
        {"place": "app", "channels": ["phone", "online", "letter", "email", "app"], "hotline_prompt": True},
    ),
    # head change reported the next working day, in time
    (
        "2025-03-10T11:00:00",
        "HO-001",
        "complaint_contact_changed",
        {
            "change": "head",
            "description": "消费者权益保护部负责人变更，已报告国家金融监督管理总局",
            "reported_to_regulator_at": "2025-03-11T15:00:00+08:00",
        },
    ),
    # a rules change the head office's 2025H1 report does not reflect
    (
        "2025-04-15T10:00:00",
        "HO-001",
        "complaint_contact_changed",
        {"change": "rules", "description": "修订《客户投诉管理办法》，调整投诉分级及升级处理流程"},
    ),
    # head change at BR-BJ: due by the 5th working day (2025-06-16), reported 2025-06-19
    (
        "2025-06-09T10:00:00",
        "BR-BJ",
        "complaint_contact_changed",
        {
            "change": "head",
            "description": "北京分行投诉处理负责人变更",
            "reported_to_regulator_at": "2025-06-19T11:00:00+08:00",
        },
    ),
    # (b) C-2025-LS009, 25 joint complainants received 2025-08-19: reported by the head office the
    # next day (due by 2025-08-22)
    (
        "2025-08-20T16:30:00",
        "HO-001",
        "large_scale_complaint_reported",
        {
            "regulator": "NFRA",
            "office": NFRA_OFFICE["HO"],
            "complaint_ids": ["C-2025-LS009"],
            "product": "personal_loan",
            "issue": "debt_collection",
            "complainants": 25,
        },
    ),
    # a channel change at BR-SH: binds BR-SH's 2025H2 report (not reflected) and the head office's
    # (reflected)
    (
        "2025-09-10T10:00:00",
        "BR-SH",
        "complaint_contact_changed",
        {"change": "channels", "description": "上海分行开通投诉信箱 complaints-sh@example.cn"},
    ),
    # contact change at BR-SH, never reported
    (
        "2025-11-03T09:30:00",
        "BR-SH",
        "complaint_contact_changed",
        {"change": "contact", "description": "上海分行投诉处理联系人变更"},
    ),
    # (a) the BR-GD cluster detected 2025-11-13 (due by 2025-11-18), reported 2025-11-20
    (
        "2025-11-20T16:00:00",
        "BR-GD",
        "large_scale_complaint_reported",
        {
            "regulator": "NFRA",
            "office": NFRA_OFFICE["GD"],
            "complaint_ids": LS_CLUSTER,
            "product": "wealth_management",
            "issue": "information_disclosure",
            "complainants": sum(row[8] for row in FIXED if row[2] == "large_scale_cluster"),
        },
    ),
]
# The half-yearly reports of 2024-2025 (the earlier ones are all in time and reflect every change).
REPORT_ROWS_2024_2025: list[tuple[str, str, str, dict]] = [
    # 2024H1 reports: all in time
    ("2024-07-22T15:00:00", "HO-001", "periodic_report_submitted", _report("2024H1", "2024-07-22", "HO")),
    ("2024-07-25T10:20:00", "BR-SH", "periodic_report_submitted", _report("2024H1", "2024-07-25", "SH")),
    ("2024-07-26T16:00:00", "BR-BJ", "periodic_report_submitted", _report("2024H1", "2024-07-26", "BJ")),
    ("2024-07-29T09:30:00", "BR-GD", "periodic_report_submitted", _report("2024H1", "2024-07-29", "GD")),
    # 2024H2 reports: BR-BJ never files one
    (
        "2025-01-20T16:00:00",
        "HO-001",
        "periodic_report_submitted",
        _report("2024H2", "2025-01-20", "HO", channels=True),
    ),
    ("2025-01-22T10:00:00", "BR-SH", "periodic_report_submitted", _report("2024H2", "2025-01-22", "SH")),
    ("2025-01-24T14:00:00", "BR-GD", "periodic_report_submitted", _report("2024H2", "2025-01-24", "GD")),
    # 2025H1 reports: HO-001 does not reflect its rules change; BR-BJ files on the last day;
    # BR-GD files late
    ("2025-07-24T15:30:00", "HO-001", "periodic_report_submitted", _report("2025H1", "2025-07-24", "HO")),
    ("2025-07-28T11:00:00", "BR-SH", "periodic_report_submitted", _report("2025H1", "2025-07-28", "SH")),
    ("2025-07-30T17:45:00", "BR-BJ", "periodic_report_submitted", _report("2025H1", "2025-07-30", "BJ")),
    ("2025-08-04T10:00:00", "BR-GD", "periodic_report_submitted", _report("2025H1", "2025-08-04", "GD")),
    # 2025H2 reports: all in time; BR-SH's does not reflect its channel change
    (
        "2026-01-23T10:00:00",
        "HO-001",
        "periodic_report_submitted",
        _report("2025H2", "2026-01-23", "HO", channels=True),
    ),
    ("2026-01-26T11:00:00", "BR-GD", "periodic_report_submitted", _report("2025H2", "2026-01-26", "GD")),
    ("2026-01-27T15:00:00", "BR-SH", "periodic_report_submitted", _report("2025H2", "2026-01-27", "SH")),
    ("2026-01-29T10:30:00", "BR-BJ", "periodic_report_submitted", _report("2025H2", "2026-01-29", "BJ")),
]
# The 2019H1-2023H2 reports: (institution, day of the month in July / January, time).
EARLY_REPORTS = (
    ("HO-001", 18, "15:00:00"),
    ("BR-SH", 22, "10:20:00"),
    ("BR-BJ", 24, "16:00:00"),
    ("BR-GD", 26, "09:30:00"),
)
# PBoC No. 5 Art. 56: the head office's annual self-assessment, by 31 January of the next year.
# 2021's comes after Spring Festival 2022 (1/31-2/6 off; calendar days, not rolled forward): late;
# 2023's is never filed.
SELF_ASSESSMENTS = {
    "2020": "2021-01-26T10:00:00",
    "2021": "2022-02-07T15:00:00",
    "2022": "2023-01-17T11:00:00",
    "2024": "2025-01-24T16:00:00",
    "2025": "2026-01-22T10:00:00",
}


def institution_rows(cal: Calendar) -> list[tuple[str, str, str, dict]]:
    rows = list(CHANGE_ROWS) + list(REPORT_ROWS_2024_2025)
    changes = [
        (date.fromisoformat(stamp[:10]), inst, data["change"])
        for stamp, inst, kind, data in CHANGE_ROWS
        if kind == "complaint_contact_changed"
    ]
    for year in range(2019, 2024):
        for half in ("H1", "H2"):
            period = f"{year}{half}"
            first = date(year, 1, 1) if half == "H1" else date(year, 7, 1)
            last = date(year, 6, 30) if half == "H1" else date(year, 12, 31)
            for inst, dom, clock in EARLY_REPORTS:
                day = date(year, 7, dom) if half == "H1" else date(year + 1, 1, dom)
                while not cal.is_working(day):
                    day -= timedelta(days=1)
                seen = {
                    kind
                    for when, where, kind in changes
                    if first <= when <= last and inst in ancestors(where)
                }
                rows.append(
                    (
                        f"{day.isoformat()}T{clock}",
                        inst,
                        "periodic_report_submitted",
                        _report(
                            period,
                            day.isoformat(),
                            INSTITUTIONS[inst][3],
                            rules="rules" in seen,
                            channels="channels" in seen,
                        ),
                    )
                )
    for year, stamp in SELF_ASSESSMENTS.items():
        rows.append(
            (
                stamp,
                "HO-001",
                "periodic_report_submitted",
                {"period": year, "regulator": "PBOC", "office": PBOC_OFFICE["HO"]},
            )
        )
    return rows


def institution_events(cal: Calendar) -> list[dict]:
    """Institution-level events: channel disclosures, half-yearly reports, changes, large-scale
    reports, self-assessments."""
    rows = sorted(institution_rows(cal), key=lambda row: (row[0], row[1]))
    out = []
    for n, (stamp, inst_id, kind, data) in enumerate(rows, 1):
        out.append(
            {
                "schema": SCHEMA_TAG,
                "event_id": f"E-INST-{n:04d}",
                "type": kind,
                "time": stamp + "+08:00",
                "institution": institution(inst_id),
                "data": data,
            }
        )
    return out
