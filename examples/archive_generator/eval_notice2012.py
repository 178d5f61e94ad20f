"""The independent evaluator of 银监发〔2012〕13号 points 七–十 for one complaint (working days
from python-holidays): the acknowledgement (七), the result notice and remediation (八), the
handling limit and its extensions (九, only for receipts up to 2020-02-29) and the report back to
the forwarding office (十).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .dates import O3_FROM, Calendar, end_of, last_day
from .event_sequence import Ev, of_type
from .rules import (
    ACK_WD,
    CAP_WD,
    DECISION_WD,
    EXTENSION_CHANNELS,
    FORWARDING_REGULATORS,
    NOTICE_CHANNELS,
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
    REPORT_WD,
    RESULT_WD,
)


def point_7(cal: Calendar, seq: list[Ev], d0: date, as_of: datetime) -> tuple[list[str], datetime]:
    """七: the acknowledgement within 2 working days, complete and by a notice channel."""
    codes: list[str] = []
    acks = of_type(seq, "acknowledged")
    fails = [e.t for e in of_type(seq, "contact_failed")]
    withdrawals = [e.t for e in of_type(seq, "withdrawn")]
    ack_due = end_of(cal.nth(d0, ACK_WD))
    if (
        not acks
        and ack_due <= as_of
        and not any(t < ack_due for t in fails)
        and not any(t < ack_due for t in withdrawals)
    ):
        codes.append(P7_MISSING)
    if acks and acks[0].t >= ack_due:
        codes.append(P7_LATE)
    for e in acks:
        if not (e.data["states_acceptance"] and e.data["states_time_limit"] and e.data["states_contact"]):
            codes.append(P7_INCOMPLETE)
        if e.data["channel"] not in NOTICE_CHANNELS:
            codes.append(P7_CHANNEL)
    return codes, ack_due


def point_8(cal: Calendar, seq: list[Ev], as_of: datetime) -> list[str]:
    """八: the result notice within 2 working days of the decision, by a notice channel; a product
    problem found is remedied."""
    codes: list[str] = []
    fails = [e.t for e in of_type(seq, "contact_failed")]
    decisions = of_type(seq, "decided")
    results = of_type(seq, "result_notified")
    if decisions:
        # a notice recorded before the decision tells no result (a warning; the duty stays open)
        early = [e for e in results if e.t < decisions[0].t]
        codes += [P8_ORDER for _ in early]
        told = [e for e in results if e.t >= decisions[0].t]
        result_due = end_of(cal.nth(decisions[0].t.date(), RESULT_WD))
        if not told and result_due <= as_of and not any(t < result_due for t in fails):
            codes.append(P8_NOT_NOTIFIED)
        if told and told[0].t >= result_due:
            codes.append(P8_LATE)
    for e in results:
        if e.data["channel"] not in NOTICE_CHANNELS:
            codes.append(P8_CHANNEL)
    for e in decisions:
        if e.data["product_problem_found"] and not e.data.get("remediation"):
            codes.append(P8_REMEDIATION)
    return codes


def extended_due(cal: Calendar, d0: date, data: dict) -> datetime:
    """The end of the limit an ``extended`` event asks for (a due date, working or calendar days)."""
    if "new_due_date" in data:
        return end_of(date.fromisoformat(data["new_due_date"]))
    if data["new_limit"]["unit"] == "working_day":
        return end_of(cal.nth(d0, data["new_limit"]["value"]))
    return end_of(d0 + timedelta(days=data["new_limit"]["value"]))


def point_9(cal: Calendar, seq: list[Ev], d0: date, as_of: datetime) -> tuple[list[str], datetime]:
    """九: decided within 15 working days, or within an extension made in time, with a reason and
    notice by sms, email or letter, capped at 60 working days. Returns the codes and the limit."""
    codes: list[str] = []
    limit_due = end_of(cal.nth(d0, DECISION_WD))
    cap_due = end_of(cal.nth(d0, CAP_WD))
    for e in of_type(seq, "extended"):
        data = e.data
        new_due = extended_due(cal, d0, data)
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
    decisions = of_type(seq, "decided")
    withdrawals = [e.t for e in of_type(seq, "withdrawn")]
    if decisions and decisions[0].t >= limit_due:
        codes.append(P9_LATE)
    if not decisions and limit_due <= as_of and not any(t < limit_due for t in withdrawals):
        codes.append(P9_OVERDUE)
    return codes, limit_due


def point_10(cal: Calendar, seq: list[Ev], received: Ev, as_of: datetime) -> list[str]:
    """十: the report back to the forwarding banking regulator's office within 5 working days of
    the decision."""
    codes: list[str] = []
    decisions = of_type(seq, "decided")
    reports = of_type(seq, "reported_to_regulator")
    fwd = received.data.get("forwarded_by")
    if fwd and fwd["regulator"] in FORWARDING_REGULATORS and decisions:
        report_due = end_of(cal.nth(decisions[0].t.date(), REPORT_WD))
        # a report recorded before the decision reports no result (a warning; the duty stays open)
        codes += [P10_ORDER for e in reports if e.t < decisions[0].t]
        made = [e for e in reports if e.t >= decisions[0].t]
        if not made and report_due <= as_of:
            codes.append(P10_MISSING)
        if made and made[0].t >= report_due:
            codes.append(P10_LATE)
        for e in reports:
            if e.data["office"] != fwd["office"]:
                codes.append(P10_OFFICE)
    return codes


def evaluate_2012(cal: Calendar, seq: list[Ev], as_of: datetime) -> tuple[list[str], dict]:
    """银监发〔2012〕13号 points 七–十. Point 九 only for complaints received up to 2020-02-29: from
    2020-03-01 Order No. 3 Art. 45 makes the notice yield to its calendar-day limits (Art. 18)."""
    received = of_type(seq, "received")[0]
    d0 = received.t.date()
    codes, ack_due = point_7(cal, seq, d0, as_of)
    codes += point_8(cal, seq, as_of)
    # 九: superseded from 2020-03-01 by the receipt date
    decision_due = None
    if d0 < O3_FROM:
        p9_codes, limit_due = point_9(cal, seq, d0, as_of)
        codes += p9_codes
        decision_due = last_day(limit_due).isoformat()
    codes += point_10(cal, seq, received, as_of)
    return sorted(codes), {"ack_due": last_day(ack_due).isoformat(), "decision_due": decision_due}
