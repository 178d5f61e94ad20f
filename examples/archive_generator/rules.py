"""The three instruments' parameters and finding codes, restated here on purpose.

Module ids and versions, the event schema tag, and for each instrument the limits, channels,
approvers and the codes its rules produce: 银监发〔2012〕13号 (points 七–十, 十五, 十六),
银保监会令2020年第3号 (Arts. 8, 18–20, 29) and 中国人民银行令〔2020〕第5号 (Arts. 43, 44, 56).
They are read from the texts and the modules' YAML, not imported from cppolicy.
"""

from __future__ import annotations

from datetime import timedelta

SCHEMA_TAG = "complaint-event/v1"

M2012, MO3, MPBC = "cbrc-2012-13", "cbirc-2020-3", "pbc-2020-5"
MODULE_VERSIONS = {M2012: "1.1.0", MO3: "1.1.0", MPBC: "1.1.0"}
MODULE_ORDER = (M2012, MO3, MPBC)

# --- 银监发〔2012〕13号 (policies/cbrc-2012-13/1.1.0/module.yaml), restated here on purpose.
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
# 1.1.0: a result notice / report back recorded before the decision it reports (a warning)
P8_ORDER = "CBRC2012.P8.NOTICE_BEFORE_DECISION"
P10_ORDER = "CBRC2012.P10.REPORT_BEFORE_DECISION"
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

# --- 银保监会令2020年第3号 (policies/cbirc-2020-3/1.1.0/module.yaml), restated here on purpose.
# Every 日 is a calendar day (Art. 43), 以内 includes the number, no roll-forward on holidays.
O3_DECISION_DAYS = 15  # Art. 18: decide AND tell the complainant within 15 days
O3_TIER1_DAYS = 30  # 情况复杂的可以延长至30日 (no approval, no notice)
O3_CAP_DAYS = 60  # 再延长30日, with approval and notice
O3_TIER2_APPROVERS = ("superior_institution", "head_office_senior_manager")
O3_PAUSE_REASONS = ("external_appraisal", "mediation")  # Art. 18 ¶2, Art. 23
O3_PAUSE_NOTICE_REASONS = ("external_appraisal",)  # 但应当及时告知投诉人 (Art. 18 ¶2 only)
O3_REQUIRED_REMEDIES = ("mediation", "arbitration", "litigation")  # Art. 19 (申请核查: branches)
O3_BRANCH_LEVELS = ("branch", "sub_branch", "outlet")  # 分支机构 (Art. 20)
O3_REVIEW_DAYS = 30  # Art. 20
O3_MAJOR_MIN = 20  # Art. 29 (二): 20名以上 (inclusive, Art. 43), in person, joint
O3_MAJOR_REPORT_WD = 3  # Art. 29 gives no limit: the module's reading, 3 working days

O3_LATE = "CBIRC2020.A18.DECISION_LATE"
O3_OVERDUE = "CBIRC2020.A18.DECISION_OVERDUE"
O3_NOTICE_LATE = "CBIRC2020.A18.RESULT_NOTICE_LATE"
O3_NOT_NOTIFIED = "CBIRC2020.A18.RESULT_NOT_NOTIFIED"
O3_ORDER = "CBIRC2020.A18.NOTICE_BEFORE_DECISION"
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

# --- 中国人民银行令〔2020〕第5号 (policies/pbc-2020-5/1.1.0/module.yaml), restated here on purpose.
PBC_REGULATORS = ("PBOC",)
PBC_REPLY_DAYS = 15  # Art. 43 ¶2, calendar days (Art. 66)
PBC_CAP_DAYS = 60
PBC_APPROVERS = ("complaint_head",)  # 经本机构投诉处理工作负责人批准
PBC_FEEDBACK_DAYS = 7  # Art. 44 按要求: the module's reading, 7 days after the reply
PBC_FEEDBACK_ITEMS = (
    "basic_facts",
    "dispute_focus",
    "findings_and_evidence",
    "basis",
    "communication",
    "extension",
    "satisfaction",
)
PBC_SELF_ASSESSMENT_DUE = (1, 31)  # Art. 56: 次年1月31日前, read as "by the end of"
PBC_SELF_ASSESSMENT_LEVELS = ("head_office",)

PBC_REPLY_LATE = "PBC2020.A43.REPLY_LATE"
PBC_REPLY_OVERDUE = "PBC2020.A43.REPLY_OVERDUE"
PBC_REPLY_ORDER = "PBC2020.A43.REPLY_BEFORE_DECISION"
PBC_FB_ORDER = "PBC2020.A44.FEEDBACK_BEFORE_DECISION"
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
