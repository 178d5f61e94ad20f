"""The independent evaluator of 银保监会令2020年第3号 for one complaint, read from the Order
(calendar days, Art. 43): the handling limit with restarts, pauses and extensions (Art. 18), the
decision's contents (Art. 19), the review (Art. 20) and major complaints (Art. 29).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .dates import Calendar, end_of, last_day
from .event_sequence import Ev, of_type
from .rules import (
    O3_BRANCH_LEVELS,
    O3_CAP_DAYS,
    O3_DECISION_DAYS,
    O3_EXT_APPROVAL,
    O3_EXT_CAP,
    O3_EXT_EXPIRED,
    O3_EXT_NOTIFIED,
    O3_FINDINGS,
    O3_LATE,
    O3_MAJOR_LATE,
    O3_MAJOR_MIN,
    O3_MAJOR_NOT_IDENTIFIED,
    O3_MAJOR_NOT_REPORTED,
    O3_MAJOR_REPORT_WD,
    O3_NOT_NOTIFIED,
    O3_NOTICE_LATE,
    O3_ORDER,
    O3_OVERDUE,
    O3_PAUSE_NOTICE,
    O3_PAUSE_NOTICE_REASONS,
    O3_PAUSE_REASONS,
    O3_REASONS,
    O3_REMEDIES,
    O3_REQUIRED_REMEDIES,
    O3_REVIEW_DAYS,
    O3_REVIEW_LATE,
    O3_REVIEW_OVERDUE,
    O3_REVIEW_REMEDY,
    O3_TIER1_DAYS,
    O3_TIER2_APPROVERS,
)


@dataclass
class HandlingClock:
    """Art. 18's clock: where it starts (the receipt, or a reopening with new facts), the events
    from then on, and the paused days not counted."""

    start_t: datetime
    start_day: date
    scope: list[Ev]
    paused: int
    paused_now: bool

    def days(self, n: int) -> datetime:
        """The end of a limit of n days from the start, the paused days not counted."""
        return end_of(self.start_day + timedelta(days=n + self.paused))


def handling_clock(seq: list[Ev], received: Ev, as_of: datetime) -> HandlingClock:
    """The clock of Art. 18 ¶3 (restart) and Art. 18 ¶2, Art. 23 (pauses)."""
    d0 = received.t.date()
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
    return HandlingClock(start_t, start_day, scope, paused, paused_now)


def extensions(cal: Calendar, clock: HandlingClock, limit: datetime) -> tuple[list[str], datetime]:
    """Art. 18 ¶1: to 30 days (情况复杂) without formalities; to 60 only with the approval of the
    superior institution or a head-office senior manager and notice to the complainant. An
    extension made after the limit in force has run out extends nothing. Returns the codes and
    the limit in force."""
    codes: list[str] = []
    tier1, cap = clock.days(O3_TIER1_DAYS), clock.days(O3_CAP_DAYS)
    for e in (x for x in clock.scope if x.type == "extended"):
        data = e.data
        if "new_due_date" in data:
            new_due = end_of(date.fromisoformat(data["new_due_date"]))
        elif data["new_limit"]["unit"] == "calendar_day":
            new_due = clock.days(data["new_limit"]["value"])
        else:
            new_due = end_of(cal.nth(clock.start_day, data["new_limit"]["value"]))
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
        elif not expired and second_tier and tier1 > limit:
            limit = min(tier1, cap)  # 1.1.0: the unapproved request stands as the first tier, 30 days
    return codes, limit


def decided_and_told(seq: list[Ev], clock: HandlingClock, limit: datetime, as_of: datetime) -> list[str]:
    """Decided and told within the limit (Art. 18: 作出处理决定并告知投诉人)."""
    codes: list[str] = []
    withdrawals = [e.t for e in of_type(seq, "withdrawn")]
    fails = [e.t for e in of_type(seq, "contact_failed")]
    decisions = [e for e in clock.scope if e.type == "decided"]
    notices = [e for e in clock.scope if e.type == "result_notified"]
    if decisions:  # a notice recorded before the decision tells none (a warning)
        codes += [O3_ORDER for e in notices if e.t < decisions[0].t]
        notices = [e for e in notices if e.t >= decisions[0].t]
    withdrawn = any(t < limit for t in withdrawals)
    unreachable = any(t < limit for t in fails)  # Art. 21: 投诉人无法联系的除外
    codes += [O3_LATE for e in decisions if e.t >= limit]
    if not decisions and limit <= as_of and not clock.paused_now and not withdrawn:
        codes.append(O3_OVERDUE)
    if not unreachable:
        codes += [O3_NOTICE_LATE for e in notices if e.t >= limit]
        if decisions and not notices and limit <= as_of and not withdrawn:
            codes.append(O3_NOT_NOTIFIED)
    return codes


def article_19(seq: list[Ev]) -> list[str]:
    """Art. 19: the decision states the findings, its basis and reasons, and the remedies
    (申请核查 only for a branch's decision, Art. 20)."""
    codes: list[str] = []
    for e in of_type(seq, "decided"):
        if not (e.data.get("findings") or "").strip():
            codes.append(O3_FINDINGS)
        if not (e.data.get("basis_and_reasons") or "").strip():
            codes.append(O3_REASONS)
        offered = set(e.data.get("remedies_offered") or ())
        if not set(O3_REQUIRED_REMEDIES) <= offered:
            codes.append(O3_REMEDIES)
        if e.level in O3_BRANCH_LEVELS and "review" not in offered:
            codes.append(O3_REVIEW_REMEDY)
    return codes


def article_20(seq: list[Ev], as_of: datetime) -> list[str]:
    """Art. 20: a written review of a branch's decision, decided within 30 days of the application."""
    codes: list[str] = []
    requests = of_type(seq, "review_requested")
    withdrawals = [e.t for e in of_type(seq, "withdrawn")]
    if (
        requests
        and any(e.data["written"] for e in requests)
        and any(e.level in O3_BRANCH_LEVELS for e in of_type(seq, "decided"))
    ):
        # from the first WRITTEN application (书面申请核查; an oral request starts nothing)
        first_written = next(e for e in requests if e.data["written"])
        review_due = end_of(first_written.t.date() + timedelta(days=O3_REVIEW_DAYS))
        reviews = of_type(seq, "review_decided")
        if reviews and reviews[0].t >= review_due:
            codes.append(O3_REVIEW_LATE)
        if not reviews and review_due <= as_of and not any(t < review_due for t in withdrawals):
            codes.append(O3_REVIEW_OVERDUE)
    return codes


def article_29(cal: Calendar, seq: list[Ev], received: Ev, as_of: datetime) -> list[str]:
    """Art. 29: a joint complaint in person by 20 or more is major; a major complaint is reported."""
    codes: list[str] = []
    data = received.data
    if data.get("joint_in_person") and data.get("complainants", 1) >= O3_MAJOR_MIN and not data.get("major"):
        codes.append(O3_MAJOR_NOT_IDENTIFIED)
    if data.get("major") is True:
        due = end_of(cal.nth(received.t.date(), O3_MAJOR_REPORT_WD))
        reports = of_type(seq, "reported_to_regulator")
        if not reports and due <= as_of:
            codes.append(O3_MAJOR_NOT_REPORTED)
        if reports and reports[0].t >= due:
            codes.append(O3_MAJOR_LATE)
    return codes


def evaluate_o3(cal: Calendar, seq: list[Ev], as_of: datetime) -> tuple[list[str], dict]:
    """银保监会令2020年第3号 Arts. 18–20 and 29, read from the Order (calendar days, Art. 43)."""
    received = of_type(seq, "received")[0]
    clock = handling_clock(seq, received, as_of)
    codes = [
        O3_PAUSE_NOTICE
        for e in seq
        if (
            e.type == "paused"
            and e.data["reason"] in O3_PAUSE_NOTICE_REASONS
            and not e.data.get("notice_channel")
        )
    ]
    ext_codes, limit = extensions(cal, clock, clock.days(O3_DECISION_DAYS))
    codes += ext_codes
    codes += decided_and_told(seq, clock, limit, as_of)
    codes += article_19(seq)
    codes += article_20(seq, as_of)
    codes += article_29(cal, seq, received, as_of)
    return sorted(codes), {"decision_due": last_day(limit).isoformat()}
