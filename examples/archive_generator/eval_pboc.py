"""The independent evaluator of 中国人民银行令〔2020〕第5号 for one complaint the PBoC forwarded
(calendar days, Art. 66): the reply within 15 days and its extension (Art. 43 ¶2), and the
feedback to the forwarding PBoC branch (Art. 44 ¶1).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .dates import Calendar, end_of, last_day
from .event_sequence import Ev, of_type
from .rules import (
    PBC_APPROVERS,
    PBC_CAP_DAYS,
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
    PBC_FEEDBACK_DAYS,
    PBC_FEEDBACK_ITEMS,
    PBC_REGULATORS,
    PBC_REPLY_DAYS,
    PBC_REPLY_LATE,
    PBC_REPLY_ORDER,
    PBC_REPLY_OVERDUE,
)


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
    all_replies = of_type(seq, "result_notified")
    decisions = of_type(seq, "decided")
    # a reply or feedback recorded before the decision answers with none (a warning)
    first_decision = decisions[0].t if decisions else None
    codes += [PBC_REPLY_ORDER for e in all_replies if first_decision and e.t < first_decision]
    replies = [e for e in all_replies if not first_decision or e.t >= first_decision]
    if replies and replies[0].t >= limit:
        codes.append(PBC_REPLY_LATE)
    # Art. 39: only a failure the complainant caused excuses the reply (a failed contact does not say so)
    if not replies and limit <= as_of and not any(e.t < limit for e in of_type(seq, "withdrawn")):
        codes.append(PBC_REPLY_OVERDUE)
    # Art. 44 ¶1: feedback to the forwarding PBoC branch, with the listed contents
    reports = of_type(seq, "reported_to_regulator")
    codes += [PBC_FB_ORDER for e in reports if all_replies and first_decision and e.t < first_decision]
    every_feedback = [e for e in reports if e.data["regulator"] in PBC_REGULATORS]
    feedback = [e for e in every_feedback if not first_decision or e.t >= first_decision]
    if all_replies:  # the feedback clock runs from the first reply recorded, in order or not
        feedback_due = end_of(all_replies[0].t.date() + timedelta(days=PBC_FEEDBACK_DAYS))
        if not feedback and feedback_due <= as_of:
            codes.append(PBC_FB_MISSING)
        if feedback and not any(e.t < feedback_due for e in feedback):
            codes += [PBC_FB_LATE for _ in feedback]
    for e in every_feedback:
        if not set(PBC_FEEDBACK_ITEMS) <= set(e.data.get("contents") or ()):
            codes.append(PBC_FB_INCOMPLETE)
        if e.data["office"] != fwd["office"]:
            codes.append(PBC_FB_OFFICE)
    return sorted(codes), {"reply_due": last_day(limit).isoformat()}
