"""The designed expectations: the codes each scenario (variant) is built to produce per module
(:func:`designed`), and the archive-scope findings and large-scale clusters the archive is built to
show (:func:`check_archive_design`). The evaluators must agree with these, or generation stops.
"""

from __future__ import annotations

from .dates import parse_time
from .rules import (
    M2012,
    MO3,
    MPBC,
    O3_DISCLOSURE,
    O3_EXT_APPROVAL,
    O3_EXT_CAP,
    O3_EXT_EXPIRED,
    O3_EXT_NOTIFIED,
    O3_FINDINGS,
    O3_LATE,
    O3_MAJOR_LATE,
    O3_MAJOR_NOT_IDENTIFIED,
    O3_MAJOR_NOT_REPORTED,
    O3_NOT_NOTIFIED,
    O3_NOTICE_LATE,
    O3_ORDER,
    O3_OVERDUE,
    O3_PAUSE_NOTICE,
    O3_REASONS,
    O3_REMEDIES,
    O3_REVIEW_LATE,
    O3_REVIEW_OVERDUE,
    O3_REVIEW_REMEDY,
    P7_CHANNEL,
    P7_INCOMPLETE,
    P7_LATE,
    P7_MISSING,
    P8_CHANNEL,
    P8_LATE,
    P8_NOT_NOTIFIED,
    P8_ORDER,
    P8_REMEDIATION,
    P9_EXT_CAP,
    P9_EXT_CHANNEL,
    P9_EXT_LATE,
    P9_EXT_NOTIFIED,
    P9_EXT_REASON,
    P9_LATE,
    P9_OVERDUE,
    P10_LATE,
    P10_MISSING,
    P10_OFFICE,
    P10_ORDER,
    P15_LATE,
    P15_NOT_REPORTED,
    P16_CHANNELS,
    P16_CONTACT_LATE,
    P16_CONTACT_MISSING,
    P16_LATE,
    P16_MISSING,
    P16_RULES,
    PBC_EXT_APPROVAL,
    PBC_EXT_CAP,
    PBC_EXT_EXPIRED,
    PBC_EXT_NOTIFIED,
    PBC_EXT_REASON,
    PBC_FB_INCOMPLETE,
    PBC_FB_LATE,
    PBC_FB_MISSING,
    PBC_FB_OFFICE,
    PBC_FB_ORDER,
    PBC_REPLY_LATE,
    PBC_REPLY_ORDER,
    PBC_REPLY_OVERDUE,
    PBC_SA_LATE,
    PBC_SA_MISSING,
)
from .scenarios import LS_CLUSTER

O3_LATE_PAIR = [O3_LATE, O3_NOTICE_LATE]  # decided and told after the limit (Art. 18: 作出…并告知)
DESIGN_2012 = {
    "ack_missing": [P7_MISSING],
    "ack_late": [P7_LATE],
    "ack_incomplete": [P7_INCOMPLETE],
    "ack_channel": [P7_CHANNEL],
    "result_not_notified": [P8_NOT_NOTIFIED],
    "result_notice_late": [P8_LATE],
    "result_channel": [P8_CHANNEL],
    "remediation_missing": [P8_REMEDIATION],
    "report_back_missing": [P10_MISSING],
    "report_back_late": [P10_LATE],
    "report_wrong_office": [P10_OFFICE],
    "decision_late": [P9_LATE],
    "decision_overdue": [P9_OVERDUE],
    "extension_notice_late": [P9_LATE, P9_EXT_LATE],
    "extension_no_reason": [P9_EXT_REASON],
    "extension_not_notified": [P9_EXT_NOTIFIED],
    "extension_beyond_cap": [P9_EXT_CAP],
    "extension_channel": [P9_EXT_CHANNEL],
    "pbc_reply_overdue": [P8_NOT_NOTIFIED],
}
DESIGN_O3 = {
    "result_not_notified": [O3_NOT_NOTIFIED],
    "o3_tier2_not_approved": [O3_EXT_APPROVAL],
    "o3_tier2_not_notified": [O3_EXT_NOTIFIED],
    "o3_extension_after_expiry": [O3_EXT_EXPIRED, *O3_LATE_PAIR],
    "o3_extension_beyond_cap": [O3_EXT_CAP],
    "o3_decision_late": O3_LATE_PAIR,
    "o3_decision_overdue": [O3_OVERDUE],
    "o3_result_notice_late": [O3_NOTICE_LATE],
    "o3_pause_not_notified": [O3_PAUSE_NOTICE],
    "o3_pause_other": O3_LATE_PAIR,
    "o3_repeat_no_new_facts": O3_LATE_PAIR,
    "o3_findings_missing": [O3_FINDINGS],
    "o3_reasons_missing": [O3_REASONS],
    "o3_remedies_missing": [O3_REMEDIES],
    "o3_review_remedy_missing": [O3_REVIEW_REMEDY],
    "o3_review_late": [O3_REVIEW_LATE],
    "o3_review_overdue": [O3_REVIEW_OVERDUE],
    "pbc_extension_beyond_cap": [O3_EXT_APPROVAL, O3_EXT_CAP],
    "pbc_extension_after_expiry": [O3_EXT_EXPIRED, *O3_LATE_PAIR],
    "pbc_extension_o3_tier2": [O3_EXT_APPROVAL, *O3_LATE_PAIR],
    "pbc_reply_late": [O3_NOTICE_LATE],
    "pbc_reply_overdue": [O3_NOT_NOTIFIED],
    "large_scale_joint": [O3_MAJOR_NOT_IDENTIFIED],
}
DESIGN_PBC = {
    "pbc_extension_not_approved": [PBC_EXT_APPROVAL, PBC_REPLY_LATE],
    "pbc_extension_no_reason": [PBC_EXT_REASON, PBC_REPLY_LATE],
    "pbc_extension_not_notified": [PBC_EXT_NOTIFIED, PBC_REPLY_LATE],
    "pbc_extension_beyond_cap": [PBC_EXT_CAP],
    "pbc_extension_after_expiry": [PBC_EXT_EXPIRED, PBC_REPLY_LATE],
    "pbc_reply_late": [PBC_REPLY_LATE],
    "pbc_reply_overdue": [PBC_REPLY_OVERDUE],
    "pbc_unreachable": [PBC_REPLY_OVERDUE],
    "pbc_feedback_incomplete": [PBC_FB_INCOMPLETE],
    "pbc_feedback_missing": [PBC_FB_MISSING],
    "pbc_feedback_late": [PBC_FB_LATE],
    "pbc_feedback_other_office": [PBC_FB_OFFICE],
}

# Records out of order: each fixed complaint's warnings per module (the duties met by the record
# made after the decision).
DESIGN_ORDER = {
    "notice_before_decision": {M2012: [P8_ORDER], MO3: [O3_ORDER]},
    "report_before_decision": {M2012: [P10_ORDER]},
    "reply_before_decision": {M2012: [P8_ORDER], MO3: [O3_ORDER], MPBC: [PBC_REPLY_ORDER]},
    "feedback_before_decision": {MPBC: [PBC_FB_ORDER]},
}


def designed(scenario: str, variant: str, modules: list[str]) -> dict[str, list[str]]:
    """The codes a scenario (variant) is built to produce, per module that judges it."""
    out: dict[str, list[str]] = {m: [] for m in modules}
    if M2012 in out:
        out[M2012] += DESIGN_2012.get(scenario, [])
        if scenario in ("extension_no_reason", "extension_not_notified") and variant.endswith(
            "after_original"
        ):
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
    if scenario == "records_out_of_order":  # the warnings naming both records (1.1.0 modules)
        for module, codes in DESIGN_ORDER[variant].items():
            out[module] += codes
    return {m: sorted(codes) for m, codes in out.items()}


# What the archive is built to show at the as-of time: (code, institution, evidence without a
# cluster's last part; an event's type and day instead of its id). The generator stops unless
# evaluate_archive finds exactly these.
ARCHIVE_DESIGN: list[tuple[str, str, str]] = [
    (P15_NOT_REPORTED, "BR-BJ", "large_scale:flagged_major:BR-BJ"),  # (c) C-2025-LS010
    (P15_LATE, "BR-BJ", "large_scale:flagged_major:BR-BJ"),  # C-2023-MJ001
    (P15_LATE, "BR-GD", "large_scale:many_complaints:BR-GD"),  # (a) C-2025-LS001…008
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
        raise SystemExit(
            f"archive-scope findings differ from the design:\n  designed "
            f"{sorted(ARCHIVE_DESIGN)}\n  found    {got}"
        )
    got_clusters = sorted((c["kind"], c["institution"], tuple(c["complaint_ids"])) for c in clusters)
    if got_clusters != sorted(CLUSTER_DESIGN):
        raise SystemExit(
            f"clusters differ from the design (an accidental cluster?):\n  designed "
            f"{sorted(CLUSTER_DESIGN)}\n  found    {got_clusters}"
        )
