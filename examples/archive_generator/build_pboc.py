"""Era P timelines: complaints forwarded by the PBoC and received from 2020-11-01, judged by
中国人民银行令〔2020〕第5号 as well as era B's modules: feedback to the PBoC branch (Art. 44),
extensions (Art. 43 ¶2), late and missing replies. :data:`PBOC_SCENARIOS` maps each scenario to
its builder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from .build_era_b_steps import EraBSteps
from .builder import GenError
from .dates import at, end_of
from .institutions import PBOC_OFFICE
from .rules import (
    ACK_WD,
    O3_DECISION_DAYS,
    O3_TIER1_DAYS,
    PBC_FEEDBACK_DAYS,
    PBC_FEEDBACK_ITEMS,
    PBC_REPLY_DAYS,
    RESULT_WD,
)

# The contents of the feedback of each pbc_feedback_incomplete variant.
INCOMPLETE_FEEDBACK = {
    "no_satisfaction": [i for i in PBC_FEEDBACK_ITEMS if i != "satisfaction"],
    "no_dispute_focus_no_extension": [
        i for i in PBC_FEEDBACK_ITEMS if i not in ("dispute_focus", "extension")
    ],
    "free_text": ["投诉基本情况", "调查核实结果", "处理依据", "处理结果及告知情况"],
}


def compliant_feedback_time(st: EraBSteps, v: str, reply: date, due: datetime) -> datetime:
    """When the compliant variants give their feedback to the PBoC branch."""
    C, pick = st.C, st.pick
    if v == "same_day_feedback":
        return pick(None, end_of(reply), working=False, hours=((9, 0), (21, 0)))
    if v == "feedback_last_day":
        return pick(at(C(PBC_FEEDBACK_DAYS, reply), 0, 0), due, working=False)
    if v == "feedback_boundary_2359":
        return at(C(PBC_FEEDBACK_DAYS, reply), 23, 59)
    return pick(None, due)


def build_feedback(st: EraBSteps, s: str, v: str) -> None:
    """Feedback to the forwarding PBoC branch: in time, incomplete, missing, late or elsewhere."""
    b, C, pick, forwarded = st.b, st.C, st.pick, st.forwarded
    b.ack("ok")
    st.notify_o3(st.decide_by(13))
    reply = b.last.date()
    due = end_of(C(PBC_FEEDBACK_DAYS, reply))
    if s == "pbc_compliant":
        b.feedback(compliant_feedback_time(st, v, reply, due), forwarded)
    elif s == "pbc_feedback_incomplete":
        contents = INCOMPLETE_FEEDBACK[v]
        b.feedback(pick(None, due), forwarded, contents=contents)
    elif s == "pbc_feedback_late":
        b.feedback(due if v == "at_due_instant" else pick(due, end_of(C(12, reply))), forwarded)
    elif s == "pbc_feedback_other_office":
        other = PBOC_OFFICE["HO"] if forwarded["office"] != PBOC_OFFICE["HO"] else PBOC_OFFICE["SH"]
        b.feedback(pick(None, due), forwarded, office=other)
    b.close()


def pbc_extension_terms(st: EraBSteps, s: str, v: str) -> tuple[datetime, dict, int]:
    """The extension a pbc_extension_* scenario makes: its time, its ``extend`` arguments and the
    calendar day its new limit ends on."""
    C, pick = st.C, st.pick
    reason, channel, approval = None, "default", "complaint_head"
    limit, k = ("calendar_day", O3_TIER1_DAYS), O3_TIER1_DAYS
    moment = pick(None, end_of(C(12)))
    if s == "pbc_extension_approved" and v == "new_due_date":
        k = st.rng.randint(20, O3_TIER1_DAYS)
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
    return moment, {"reason": reason, "limit": limit, "channel": channel, "approval": approval}, k


def build_pbc_extension(st: EraBSteps, s: str, v: str) -> None:
    """An extension under Art. 43 ¶2: approved, or without approval, reason or notice, beyond the
    cap, after expiry, or beyond Order No. 3's first tier."""
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    moment, terms, k = pbc_extension_terms(st, s, v)
    b.extend(moment, **terms)
    if s == "pbc_extension_beyond_cap":
        d = st.decide_by(13)
        k = O3_DECISION_DAYS
    elif s == "pbc_extension_after_expiry":
        d = b.decide(pick(None, end_of(C(26))))
    elif s == "pbc_extension_o3_tier2":
        d = b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(C(k - 3))))
    else:
        d = b.decide(pick(end_of(C(PBC_REPLY_DAYS)), end_of(C(k - 2))))
    st.reply_and_feedback(d, C(k))
    b.close()


def build_reply_late(st: EraBSteps, s: str, v: str) -> None:
    """Decided in time, replied after 15 days (in time for point 八)."""
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    d = b.decide(pick(at(C(13), 0, 0), end_of(C(PBC_REPLY_DAYS)), working=False))
    lo, hi = end_of(C(PBC_REPLY_DAYS)), end_of(st.W(RESULT_WD, d))
    if hi <= lo + timedelta(hours=1):
        raise GenError("no room for a reply after the 15 days and within 2 working days")
    b.notify_at(pick(lo, hi, working=False))
    b.feedback(pick(None, end_of(C(PBC_FEEDBACK_DAYS, b.last.date()))), st.forwarded)
    b.close()


def build_reply_overdue(st: EraBSteps, s: str, v: str) -> None:
    st.b.ack("ok")
    st.decide_by(13)


def build_unreachable(st: EraBSteps, s: str, v: str) -> None:
    """Excused under the 2012 notice and Order No. 3, not under PBoC No. 5."""
    b = st.b
    b.contact_failed(b.at_wd(0, ACK_WD))
    d = st.decide_by(13)
    b.contact_failed(
        st.pick(None, b.o3_notice_by(d, st.C(O3_DECISION_DAYS))), channel=st.rng.choice(("phone", "sms"))
    )
    b.close()


PBOC_SCENARIOS: dict[str, Callable[[EraBSteps, str, str], None]] = {
    **dict.fromkeys(
        (
            "pbc_compliant",
            "pbc_feedback_incomplete",
            "pbc_feedback_missing",
            "pbc_feedback_late",
            "pbc_feedback_other_office",
        ),
        build_feedback,
    ),
    **dict.fromkeys(
        (
            "pbc_extension_approved",
            "pbc_extension_not_approved",
            "pbc_extension_no_reason",
            "pbc_extension_not_notified",
            "pbc_extension_beyond_cap",
            "pbc_extension_after_expiry",
            "pbc_extension_o3_tier2",
        ),
        build_pbc_extension,
    ),
    "pbc_reply_late": build_reply_late,
    "pbc_reply_overdue": build_reply_overdue,
    "pbc_unreachable": build_unreachable,
}
