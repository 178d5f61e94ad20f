"""Era A timelines: complaints received up to 2020-02-29, judged by the 2012 notice with point 九
(working days: 2 to acknowledge, 15 to decide, extensions up to 60).

:func:`build_era_a` picks the scenario's builder from :data:`ERA_A_SCENARIOS`; each builder appends
the complaint's events after its receipt, drawing from the complaint's generator in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from .builder import ACK_LATE_MODES, COMPLIANT_ACK_MODES, Builder, review_decided_data
from .dates import CST, end_of
from .rules import ACK_WD, CAP_WD, DECISION_WD, RESULT_WD
from .vocabulary import WITHDRAWN_EARLY, WITHDRAWN_LATER


def ok_decision(b: Builder) -> datetime:
    """A plain in-time decision: working days 3 to 15."""
    return b.at_wd(3, DECISION_WD)


def at_2359(b: Builder, day: date) -> datetime:
    """23:59:00 or 23:59:59 of ``day`` (drawn)."""
    return datetime.combine(day, time(23, 59, b.rng.choice((0, 59))), tzinfo=CST)


def at_0900(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=CST)


def ext_time_in_force(b: Builder) -> datetime:
    """An extension made well within the 15 working days."""
    return b.at_wd(6, DECISION_WD)


def standard_tail(b: Builder, decided_on: date) -> None:
    """The result notice in time (point 八), then closing."""
    b.notify_result(decided_on)
    b.close()


def build_compliant(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    W, at_wd = b.W, b.at_wd
    b.ack(COMPLIANT_ACK_MODES.get(v, "ok"))
    if v == "decision_boundary_2359":
        d = b.decide(at_2359(b, W(DECISION_WD)))
    elif v == "product_problem_remedied":
        d = b.decide(ok_decision(b), problem=True)
    elif v == "result_boundary_2359":
        d = b.decide(at_wd(3, DECISION_WD - 2))
    elif v == "calendar_15_passed_wd_ok":  # after the 15th calendar day, within 15 working days
        if W(DECISION_WD) <= b.C(15):
            raise SystemExit(f"{b.d0}: the 15th working day is not after the 15th calendar day")
        d = b.decide(b.pick(end_of(b.C(15)), end_of(W(DECISION_WD - 1))))
    else:
        d = b.decide(ok_decision(b))
    b.notify_result(d, mode="boundary" if v == "result_boundary_2359" else "ok")
    if v == "with_review":
        b.add("review_requested", at_wd(1, 10, base=b.last.date()), {"written": True, "channel": "letter"})
        b.add("review_decided", at_wd(5, 20, base=b.last.date()), review_decided_data(b.rng, inst_id))
    b.close()


def build_compliant_extended(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    rng, W, at_wd = b.rng, b.W, b.at_wd
    b.ack("ok")
    if v == "extended_last_evening":
        moment = datetime.combine(W(DECISION_WD), time(23, 30), tzinfo=CST)
        b.extend(moment, limit=("working_day", 30), channel="email")
        last_k = 30
    elif v == "new_due_date":
        last_k = rng.randint(25, 45)
        b.extend(ext_time_in_force(b), limit=("due_date", W(last_k)))
    elif v == "calendar_day_limit":
        b.extend(ext_time_in_force(b), limit=("calendar_day", 40))
        # the last working day on or before receipt + 40 calendar days
        last_k = b.cal.index_of(b.d0, b.d0 + timedelta(days=40))
    elif v == "cap_exact_60":
        last_k = CAP_WD
        b.extend(ext_time_in_force(b), limit=("working_day", CAP_WD))
    else:
        last_k = 30 if v == "decision_boundary_2359" else rng.randint(20, 50)
        b.extend(ext_time_in_force(b), limit=("working_day", last_k))
    if v == "decision_boundary_2359":
        d = b.decide(at_2359(b, W(last_k)))
    elif v == "cap_exact_60":
        d = b.decide(at_wd(40, CAP_WD))
    else:
        d = b.decide(at_wd(DECISION_WD + 1, last_k))
    standard_tail(b, d)


def build_compliant_forwarded(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    b.ack("ok")
    d = b.decide(ok_decision(b))
    b.notify_result(d)
    if v == "reported":
        b.report_back(d, forwarded)
    elif v == "report_last_day":
        b.report_back(d, forwarded, mode="last_day")
    elif v == "same_day_report":
        b.report_back(d, forwarded, mode="same_day")
    b.close()


def build_compliant_withdrawn(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    if v == "before_ack":
        b.add("withdrawn", b.at_wd(0, 1, lo=(9, 0), hi=(18, 0)), {"reason": WITHDRAWN_EARLY})
    else:
        b.ack("ok")
        b.add("withdrawn", b.at_wd(3, DECISION_WD - 1), {"reason": WITHDRAWN_LATER})
    b.close()


def build_compliant_contact_failed(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    b.contact_failed(b.at_wd(0, ACK_WD))
    d = b.decide(ok_decision(b))
    if v == "letter_result":
        b.notify_result(d, channel="letter")
    else:
        b.contact_failed(b.at_wd(0, RESULT_WD, base=d), channel=b.rng.choice(("phone", "sms")))
    b.close()


def build_ack_late(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    b.ack(ACK_LATE_MODES[v])
    d = b.decide(b.at_wd(ACK_WD + 3, DECISION_WD))
    standard_tail(b, d)


def build_result_notice_late(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    b.ack("ok")
    d = b.decide(ok_decision(b))
    b.notify_result(d, mode="late" if v == "next_working_days" else "at_due")
    b.close()


def build_report_back_late(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    b.ack("ok")
    d = b.decide(ok_decision(b))
    b.notify_result(d)
    b.report_back(d, forwarded, mode="late" if v == "few_days_late" else "at_due")
    b.close()


def build_decision_late(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    rng, W, at_wd = b.rng, b.W, b.at_wd
    b.ack("ok")
    if v == "next_wd_0900":
        d = b.decide(at_0900(W(DECISION_WD + 1)))
    elif v == "few_days_late":
        d = b.decide(at_wd(DECISION_WD + 1, DECISION_WD + 6))
    else:  # after_extension: properly extended, then decided after the extended limit
        last_k = rng.randint(20, 40)
        b.extend(ext_time_in_force(b), limit=("working_day", last_k))
        if rng.random() < 0.5:
            d = b.decide(at_0900(W(last_k + 1)))
        else:
            d = b.decide(at_wd(last_k + 1, last_k + 4))
    standard_tail(b, d)


def build_decision_overdue(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    b.ack("ok")
    if v == "extended_then_overdue":
        b.extend(ext_time_in_force(b), limit=("working_day", b.rng.randint(20, 40)))


def build_extension_notice_late(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    b.ack("ok")
    if v == "at_expiry_instant":
        moment = end_of(b.W(DECISION_WD))
    else:
        moment = b.at_wd(DECISION_WD + 1, DECISION_WD + 3)
    b.extend(moment, limit=("working_day", 30))
    d = b.decide(b.at_wd(DECISION_WD + 2, 30))
    standard_tail(b, d)


def build_extension_defect(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    """An extension without a reason, without notice, beyond the cap or by phone."""
    at_wd = b.at_wd
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
    standard_tail(b, d)


EraBuilder = Callable[[Builder, str, str, str, dict | None], None]

ERA_A_SCENARIOS: dict[str, EraBuilder] = {
    "compliant": build_compliant,
    "compliant_extended": build_compliant_extended,
    "compliant_forwarded": build_compliant_forwarded,
    "compliant_withdrawn": build_compliant_withdrawn,
    "compliant_contact_failed": build_compliant_contact_failed,
    "ack_late": build_ack_late,
    "result_notice_late": build_result_notice_late,
    "report_back_late": build_report_back_late,
    "decision_late": build_decision_late,
    "decision_overdue": build_decision_overdue,
    "extension_notice_late": build_extension_notice_late,
    "extension_no_reason": build_extension_defect,
    "extension_not_notified": build_extension_defect,
    "extension_beyond_cap": build_extension_defect,
    "extension_channel": build_extension_defect,
}


def build_era_a(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    """Received up to 2020-02-29: the 2012 notice, point 九 included (working days)."""
    scenario_builder = ERA_A_SCENARIOS.get(s)
    if scenario_builder is None:
        raise ValueError(f"era A: {s}")
    scenario_builder(b, s, v, inst_id, forwarded)
