"""The scenario tables: eras and their receipt windows, the scenarios with their counts and
variants, where a scenario's complaint is placed, the receipts pinned to calendar edges, and the
complaints with fixed ids (point 十五 and Order No. 3 Art. 29).
"""

from __future__ import annotations

from datetime import timedelta

from .dates import FIRST_RECEIPT, LAST_RECEIPT, O3_FROM, PBC_FROM

# Eras, by receipt date: "A" 2019-01-01 … 2020-02-29 (the 2012 notice with point 九), "B" from
# 2020-03-01 (the 2012 notice's points 七, 八, 十 and Order No. 3), "P" from 2020-11-01, forwarded by
# the PBoC (era B plus PBoC Order No. 5).
ERA_WINDOWS = {
    "A": (FIRST_RECEIPT, O3_FROM - timedelta(days=1)),
    "B": (O3_FROM, LAST_RECEIPT),
    "P": (PBC_FROM, LAST_RECEIPT),
}
# Variants drawn from a narrower window than their era.
VARIANT_WINDOWS = {
    ("B", "compliant_forwarded", "pboc_before_nov_2020"): (O3_FROM, PBC_FROM - timedelta(days=1))
}

# (era, scenario, count, variants cycled in order, long-running?)
SCENARIOS: list[tuple[str, str, int, tuple[str, ...], bool]] = [
    # -- era A: 银监发〔2012〕13号 with point 九 (working days)
    (
        "A",
        "compliant",
        36,
        (
            "standard",
            "standard",
            "product_problem_remedied",
            "decision_boundary_2359",
            "standard",
            "ack_boundary_2359",
            "same_day_ack",
            "result_boundary_2359",
            "standard",
            "with_review",
        ),
        False,
    ),
    (
        "A",
        "compliant_extended",
        16,
        (
            "working_day_limit",
            "new_due_date",
            "working_day_limit",
            "calendar_day_limit",
            "cap_exact_60",
            "extended_last_evening",
            "decision_boundary_2359",
        ),
        True,
    ),
    (
        "A",
        "compliant_forwarded",
        8,
        ("reported", "report_last_day", "same_day_report", "pboc_no_report"),
        False,
    ),
    ("A", "compliant_withdrawn", 4, ("before_ack", "after_ack"), False),
    ("A", "compliant_contact_failed", 4, ("letter_result", "unreachable_throughout"), False),
    ("A", "ack_late", 5, ("next_working_days", "at_due_instant"), False),  # + pinned first_wd_after_due
    ("A", "result_notice_late", 2, ("next_working_days", "at_due_instant"), False),
    ("A", "report_back_late", 2, ("few_days_late", "at_due_instant"), False),
    ("A", "decision_late", 14, ("few_days_late", "after_extension"), True),  # + pinned next_wd_0900
    ("A", "decision_overdue", 6, ("never_decided", "never_decided", "extended_then_overdue"), True),
    ("A", "extension_notice_late", 6, ("after_expiry", "at_expiry_instant"), True),
    ("A", "extension_no_reason", 6, ("decided_within_original", "decided_after_original"), True),
    (
        "A",
        "extension_not_notified",
        6,
        ("null_within_original", "absent_after_original", "null_after_original", "absent_within_original"),
        True,
    ),
    ("A", "extension_beyond_cap", 6, ("decided_after_original", "decided_within_original"), True),
    ("A", "extension_channel", 6, ("phone_after_original", "phone_within_original"), True),
    # -- era B: the 2012 notice's points 七, 八, 十, each breach otherwise compliant with Order No. 3
    (
        "B",
        "compliant",
        72,
        (
            "standard",
            "standard",
            "product_problem_remedied",
            "decision_boundary_2359",
            "standard",
            "ack_boundary_2359",
            "same_day_ack",
            "result_boundary_2359",
            "standard",
            "with_review",
            "head_office_without_review_remedy",
            "review_boundary_2359",
        ),
        False,
    ),
    (
        "B",
        "compliant_forwarded",
        12,
        ("reported", "report_last_day", "reported", "same_day_report", "pboc_before_nov_2020"),
        False,
    ),
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
    (
        "B",
        "o3_extended_tier1",
        8,
        ("reason_only", "notified", "new_due_date", "decision_boundary_2359"),
        True,
    ),
    ("B", "o3_extended_tier2", 6, ("two_step", "direct_60", "decision_boundary_2359"), True),
    (
        "B",
        "o3_tier2_not_approved",
        6,
        ("no_approval_decided_after_30", "complaint_head_decided_after_30", "no_approval_decided_within_30"),
        True,
    ),
    (
        "B",
        "o3_tier2_not_notified",
        3,
        ("null_decided_after_30", "absent_decided_within_30", "absent_decided_after_30"),
        True,
    ),
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
    (
        "P",
        "pbc_compliant",
        8,
        ("standard", "same_day_feedback", "feedback_last_day", "feedback_boundary_2359"),
        False,
    ),
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
    (
        "P",
        "pbc_feedback_incomplete",
        4,
        ("no_satisfaction", "no_dispute_focus_no_extension", "free_text"),
        False,
    ),
    ("P", "pbc_feedback_missing", 3, ("never_reported",), False),
    ("P", "pbc_feedback_late", 3, ("few_days_late", "at_due_instant"), False),
    ("P", "pbc_feedback_other_office", 2, ("other_office",), False),
]
SCENARIO_KEYS = [(era, s) for era, s, *_ in SCENARIOS]
assert len(set(SCENARIO_KEYS)) == len(SCENARIO_KEYS)
FORWARDED_SCENARIOS = (
    "compliant_forwarded",
    "report_back_missing",
    "report_back_late",
    "report_wrong_office",
)
# Scenarios whose decision is taken at a branch, sub-branch or outlet (Art. 19/20 review), or at the
# head office.
AT_BRANCH_LEVEL = {
    ("B", "compliant", "with_review"),
    ("B", "compliant", "review_boundary_2359"),
    ("B", "o3_review_remedy_missing", None),
    ("B", "o3_review_late", None),
    ("B", "o3_review_overdue", None),
    ("B", "o3_review_outside_art20", "oral_request"),
    ("B", "o3_remedies_missing", "partial"),
}
AT_HEAD_OFFICE = {
    ("B", "compliant", "head_office_without_review_remedy"),
    ("B", "o3_review_outside_art20", "head_office_decision"),
    ("B", "o3_remedies_missing", "none_at_head_office"),
}


def placed(table: set, era: str, scenario: str, variant: str) -> bool:
    return (era, scenario, variant) in table or (era, scenario, None) in table


# Receipts pinned to calendar edges: (date, era, scenario, variant, channel).
# Checked against holidays.China / weekend_workdays at start-up (see check_pinned).
MAKEUP_DAYS = (
    "2019-02-02",
    "2019-02-03",
    "2019-04-28",
    "2019-05-05",
    "2019-09-29",
    "2019-10-12",
    "2020-01-19",
    "2021-09-26",
    "2021-10-09",
    "2024-02-04",
    "2024-02-18",
    "2024-04-07",
    "2024-05-11",
    "2024-09-14",
    "2024-09-29",
    "2024-10-12",
    "2025-01-26",
    "2025-02-08",
    "2025-04-27",
    "2025-09-28",
    "2025-10-11",
)
# (a working day, the first day of the break that follows it)
BEFORE_BREAK = (
    ("2019-02-03", "2019-02-04"),
    ("2019-09-30", "2019-10-01"),
    ("2020-01-23", "2020-01-24"),
    ("2021-09-30", "2021-10-01"),
    ("2024-02-08", "2024-02-10"),
    ("2024-09-30", "2024-10-01"),
    ("2025-01-27", "2025-01-28"),
    ("2025-09-30", "2025-10-01"),
)
REST_DAYS = (
    "2019-02-05",
    "2019-10-03",
    "2020-01-28",
    "2024-02-12",
    "2024-09-16",
    "2024-10-03",
    "2025-01-30",
    "2025-10-05",
)
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
    (
        "C-2023-MJ001",
        "2023-08-02T10:20:00",
        "major_flagged",
        "reported_late",
        "SB-BJ-CY",
        "phone",
        "personal_loan",
        "interest",
        1,
        True,
    ),
    # (a) many complaints at BR-GD (its sub-branches and outlet roll up to it), same product and
    # issue, 2–4 complainants each: 3+4+2+3+4+2 = 18, the 7th brings 21 >= 20 (detection), the 8th
    # arrives within 7 days of the last member and joins the cluster. Reported late.
    (
        "C-2025-LS001",
        "2025-11-10T09:40:00",
        "large_scale_cluster",
        "before_threshold",
        "OT-GD-TH-01",
        "in_person",
        "wealth_management",
        "information_disclosure",
        3,
        False,
    ),
    (
        "C-2025-LS002",
        "2025-11-10T14:15:00",
        "large_scale_cluster",
        "before_threshold",
        "SB-GD-TH",
        "phone",
        "wealth_management",
        "information_disclosure",
        4,
        False,
    ),
    (
        "C-2025-LS003",
        "2025-11-11T10:05:00",
        "large_scale_cluster",
        "before_threshold",
        "SB-GD-FS",
        "in_person",
        "wealth_management",
        "information_disclosure",
        2,
        False,
    ),
    (
        "C-2025-LS004",
        "2025-11-11T16:20:00",
        "large_scale_cluster",
        "before_threshold",
        "BR-GD",
        "phone",
        "wealth_management",
        "information_disclosure",
        3,
        False,
    ),
    (
        "C-2025-LS005",
        "2025-11-12T11:30:00",
        "large_scale_cluster",
        "before_threshold",
        "BR-GD",
        "app",
        "wealth_management",
        "information_disclosure",
        4,
        False,
    ),
    (
        "C-2025-LS006",
        "2025-11-12T15:50:00",
        "large_scale_cluster",
        "before_threshold",
        "OT-GD-TH-01",
        "in_person",
        "wealth_management",
        "information_disclosure",
        2,
        False,
    ),
    (
        "C-2025-LS007",
        "2025-11-13T10:10:00",
        "large_scale_cluster",
        "reaches_threshold",
        "SB-GD-TH",
        "phone",
        "wealth_management",
        "information_disclosure",
        3,
        False,
    ),
    (
        "C-2025-LS008",
        "2025-11-14T09:25:00",
        "large_scale_cluster",
        "after_detection",
        "BR-GD",
        "letter",
        "wealth_management",
        "information_disclosure",
        2,
        False,
    ),
    # (b) one joint complaint in person by 25 complainants at a Shanghai outlet; reported by the
    # head office the next day, in time (point 十五) — but not flagged major (Order No. 3 Art. 29 (二))
    (
        "C-2025-LS009",
        "2025-08-19T10:30:00",
        "large_scale_joint",
        "joint_in_person_25",
        "OT-SH-PD-01",
        "in_person",
        "personal_loan",
        "debt_collection",
        25,
        False,
    ),
    # (c) one complaint the institution flagged major (data.major true); never reported
    (
        "C-2025-LS010",
        "2025-11-18T14:20:00",
        "major_flagged",
        "never_reported",
        "SB-BJ-HD",
        "phone",
        "credit_card",
        "debt_collection",
        1,
        True,
    ),
]
# Records out of order (issue 19, the 1.1.0 modules): a result notice, a report back to the
# forwarding NFRA office, or a PBoC reply / feedback recorded BEFORE the decision it reports, each
# followed by one in order and in time: only the warnings that name both records are found.
FIXED += [
    (
        "C-2025-OO001",
        "2025-09-08T10:00:00",
        "records_out_of_order",
        "notice_before_decision",
        "BR-SH",
        "phone",
        "personal_loan",
        "interest",
        1,
        False,
    ),  # noqa: E501
    (
        "C-2025-OO002",
        "2025-09-09T10:00:00",
        "records_out_of_order",
        "report_before_decision",
        "BR-SH",
        "letter",
        "personal_loan",
        "interest",
        1,
        False,
    ),  # noqa: E501
    (
        "C-2025-OO003",
        "2025-09-10T10:00:00",
        "records_out_of_order",
        "reply_before_decision",
        "BR-BJ",
        "letter",
        "personal_loan",
        "interest",
        1,
        False,
    ),  # noqa: E501
    (
        "C-2025-OO004",
        "2025-09-11T10:00:00",
        "records_out_of_order",
        "feedback_before_decision",
        "BR-GD",
        "letter",
        "personal_loan",
        "interest",
        1,
        False,
    ),  # noqa: E501
]
# The fixed complaints that were forwarded, and by whom (the office of the receiving region).
FIXED_FORWARDED = {"C-2025-OO002": "NFRA", "C-2025-OO003": "PBOC", "C-2025-OO004": "PBOC"}
FIXED_CAUSE = {"C-2023-MJ001": "暴雨洪涝灾害受灾客户申请延期还款，仍被计收罚息"}
FIXED_SCENARIOS = ("large_scale_cluster", "large_scale_joint", "major_flagged", "records_out_of_order")
LS_CLUSTER = [row[0] for row in FIXED if row[2] == "large_scale_cluster"]
