"""Era B timelines for the scenarios of 银保监会令2020年第3号 (calendar days): extensions to 30 and
60 days, late and overdue decisions, late notices, pauses, restarts, decision contents (Art. 19)
and reviews (Art. 20). :data:`ORDER3_SCENARIOS` maps each scenario to its builder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .build_era_b_steps import EraBSteps
from .builder import GenError
from .dates import at, end_of
from .rules import (
    DECISION_WD,
    O3_CAP_DAYS,
    O3_DECISION_DAYS,
    O3_REQUIRED_REMEDIES,
    O3_TIER1_DAYS,
    O3_TIER2_APPROVERS,
    RESULT_WD,
)
from .vocabulary import REOPEN_TEXT, weighted

PAUSE_REASONS = {
    "o3_pause_mediation": "mediation",
    "o3_pause_appraisal": "external_appraisal",
    "o3_pause_other": "other",
}


def build_extended_tier1(st: EraBSteps, s: str, v: str) -> None:
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    if v == "new_due_date":
        k = st.rng.randint(20, O3_TIER1_DAYS)
        b.extend(pick(None, end_of(C(13))), limit=("due_date", C(k)), channel=False, approval=None)
    else:
        k = O3_TIER1_DAYS
        b.extend(
            pick(None, end_of(C(13))),
            limit=("calendar_day", k),
            channel="default" if v == "notified" else False,
            approval=None,
        )
    if v == "decision_boundary_2359":
        st.boundary_pair(C(k))
    else:
        st.notify_o3(b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(C(k - 2)))), C(k))
    b.close()


def build_tier2(st: EraBSteps, s: str, v: str) -> None:
    """Extended to 60 days: properly, without approval or without notice."""
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    approval, channel = st.rng.choice(O3_TIER2_APPROVERS), "default"
    if s == "o3_tier2_not_approved":
        approval = "complaint_head" if v.startswith("complaint_head") else None
    elif s == "o3_tier2_not_notified":
        channel = None if v.startswith("null") else False
    if v == "direct_60":
        b.extend(pick(None, end_of(C(13))), limit=("calendar_day", O3_CAP_DAYS), approval=approval)
    else:  # to 30 days first (tier 1), then to 60 (tier 2) before the 30 days run out
        st.extend_tier1()
        b.extend(
            pick(at(C(18), 0, 0), end_of(C(28))),
            limit=("calendar_day", O3_CAP_DAYS),
            channel=channel,
            approval=approval,
        )
    if s == "o3_extended_tier2":
        if v == "decision_boundary_2359":
            st.boundary_pair(C(O3_CAP_DAYS))
        else:
            st.notify_o3(b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(C(57)))), C(O3_CAP_DAYS))
    elif v.endswith("after_30"):
        st.late_notice(b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(C(40)))))
    else:
        st.notify_o3(b.decide(pick(None, end_of(C(28)))), C(O3_TIER1_DAYS))
    b.close()


def build_extension_after_expiry(st: EraBSteps, s: str, v: str) -> None:
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    if v == "at_expiry_instant":
        moment = end_of(C(O3_DECISION_DAYS))
    else:
        moment = pick(end_of(C(O3_DECISION_DAYS)), end_of(C(18)))
    b.extend(moment, limit=("calendar_day", O3_TIER1_DAYS), approval=None)
    st.late_notice(b.decide(pick(None, end_of(C(28)))))
    b.close()


def build_extension_beyond_cap(st: EraBSteps, s: str, v: str) -> None:
    """70 days, approved and notified: held at 60."""
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    b.extend(
        pick(None, end_of(C(13))), limit=("calendar_day", 70), approval=st.rng.choice(O3_TIER2_APPROVERS)
    )
    if v == "decided_after_15":
        st.notify_o3(b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(C(57)))), C(O3_CAP_DAYS))
    else:
        st.notify_o3(st.decide_by(13))
    b.close()


def build_decision_late(st: EraBSteps, s: str, v: str) -> None:
    b, W, C, pick = st.b, st.W, st.C, st.pick
    b.ack("ok")
    limit = end_of(C(O3_DECISION_DAYS))
    if v == "day16_0900":
        d = b.decide(at(C(O3_DECISION_DAYS + 1), 9, 0))
    elif v == "at_due_instant":
        d = b.decide(limit)
    elif v == "few_days_late":
        d = b.decide(pick(limit, end_of(C(20))))
    elif v == "after_tier1":
        st.extend_tier1()
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
    st.late_notice(d)
    b.close()


def build_decision_overdue(st: EraBSteps, s: str, v: str) -> None:
    st.b.ack("ok")
    if v == "tier1_then_overdue":
        st.extend_tier1()


def build_result_notice_late(st: EraBSteps, s: str, v: str) -> None:
    """Decided in time, told after 15 days (in time for point 八)."""
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    d = b.decide(pick(at(C(13), 0, 0), end_of(C(O3_DECISION_DAYS)), working=False))
    lo, hi = end_of(C(O3_DECISION_DAYS)), end_of(st.W(RESULT_WD, d))
    if hi <= lo + timedelta(hours=1):
        raise GenError("no room for a notice after the 15 days and within 2 working days")
    b.notify_at(lo if v == "at_due_instant" else pick(lo, hi, working=False))
    b.close()


def build_pause(st: EraBSteps, s: str, v: str) -> None:
    """Paused for mediation, an external appraisal or another reason, then resumed."""
    b, rng, C, pick = st.b, st.rng, st.C, st.pick
    b.ack("ok")
    reason = PAUSE_REASONS[s]
    channel = False if v == "not_notified" else weighted(rng, [("sms", 60), ("letter", 40)])
    paused = pick(None, end_of(C(8)))
    b.pause(paused, reason, channel)
    k = rng.randint(5, 20)
    resumed_on = C(k, paused.date())
    b.add("resumed", pick(at(resumed_on, 0, 0), end_of(resumed_on), working=False))
    limit_day = C(O3_DECISION_DAYS + k)  # the paused days are not counted
    if s == "o3_pause_other":
        st.late_notice(b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(limit_day))))
    elif v == "decision_boundary_2359":
        st.boundary_pair(limit_day)
    else:
        d = b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(limit_day - timedelta(days=2))))
        st.notify_o3(d, limit_day)
    b.close()


def build_pause_and_extension(st: EraBSteps, s: str, v: str) -> None:
    """Mediation for k days, then an extension to 30 days: the paused days are not counted in the
    30 either."""
    b, rng, C, pick = st.b, st.rng, st.C, st.pick
    b.ack("ok")
    paused = pick(None, end_of(C(6)))
    b.pause(paused, "mediation", False)
    k = rng.randint(6, 12)
    resumed_on = C(k, paused.date())
    b.add("resumed", pick(at(resumed_on, 0, 0), end_of(resumed_on), working=False))
    b.extend(
        pick(None, end_of(C(O3_DECISION_DAYS + k - 1))),
        limit=("calendar_day", O3_TIER1_DAYS),
        channel=False,
        approval=None,
    )
    limit_day = C(O3_TIER1_DAYS + k)
    if v == "late":
        st.late_notice(b.decide(pick(end_of(limit_day), end_of(limit_day + timedelta(days=4)))))
    else:  # after the 30th day from receipt, within 30 days plus the mediation
        d = b.decide(pick(end_of(C(O3_TIER1_DAYS)), end_of(limit_day - timedelta(days=1))))
        st.notify_o3(d, limit_day)
    b.close()


def build_pause_not_notified(st: EraBSteps, s: str, v: str) -> None:
    """An external appraisal not told; decided within 15 days anyway."""
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    paused = pick(None, end_of(C(5)))
    b.pause(paused, "external_appraisal", None if v == "null" else False)
    resumed_on = C(st.rng.randint(2, 5), paused.date())
    b.add("resumed", pick(at(resumed_on, 0, 0), end_of(resumed_on), working=False))
    st.notify_o3(st.decide_by(13))
    b.close()


def build_reopened(st: EraBSteps, s: str, v: str) -> None:
    """Reopened within the limit, with new facts (a restart) or without (merged)."""
    b, C, pick = st.b, st.C, st.pick
    b.ack("ok")
    new_facts = s == "o3_restart"
    if v == "new_facts_after_decision":
        st.notify_o3(b.decide(pick(None, end_of(C(8)))), latest=end_of(C(11)))
        lo = at(C(9), 0, 0)
    else:
        lo = at(C(5), 0, 0)
    # within the 15-day limit (Art. 18: 在消费投诉处理期限内)
    reopened = pick(lo, end_of(C(13)))
    b.add("reopened", reopened, {"new_facts": new_facts, "description": REOPEN_TEXT[new_facts]})
    r = reopened.date()
    d = b.decide(pick(end_of(C(O3_DECISION_DAYS)), end_of(C(13, r))))
    if new_facts:
        st.notify_o3(d, C(O3_DECISION_DAYS, r))
    else:
        st.late_notice(d)
    b.close()


def build_decision_contents(st: EraBSteps, s: str, v: str) -> None:
    """A decision without findings, reasons, the remedies or (at a branch) the review remedy."""
    st.b.ack("ok")
    kwargs: dict[str, Any] = {}
    if s == "o3_findings_missing":
        kwargs["findings"] = None if v == "absent" else ""
    elif s == "o3_reasons_missing":
        kwargs["basis"] = None if v == "absent" else ""
    elif s == "o3_remedies_missing":
        kwargs["remedies"] = ["review", "litigation"] if v == "partial" else []
    else:
        kwargs["remedies"] = list(O3_REQUIRED_REMEDIES)
    st.notify_o3(st.decide_by(13, **kwargs))
    st.b.close()


def build_review(st: EraBSteps, s: str, v: str) -> None:
    """A review decided late, never decided, or outside Art. 20 (oral, or of a head-office decision)."""
    st.b.ack("ok")
    st.notify_o3(st.decide_by(13))
    if s == "o3_review_late":
        st.review(True, v)
    elif s == "o3_review_overdue":
        st.review(True, "never")
    else:
        st.review(v != "oral_request", "late")
    if s != "o3_review_overdue":
        st.b.close()


ORDER3_SCENARIOS: dict[str, Callable[[EraBSteps, str, str], None]] = {
    "o3_extended_tier1": build_extended_tier1,
    **dict.fromkeys(("o3_extended_tier2", "o3_tier2_not_approved", "o3_tier2_not_notified"), build_tier2),
    "o3_extension_after_expiry": build_extension_after_expiry,
    "o3_extension_beyond_cap": build_extension_beyond_cap,
    "o3_decision_late": build_decision_late,
    "o3_decision_overdue": build_decision_overdue,
    "o3_result_notice_late": build_result_notice_late,
    **dict.fromkeys(("o3_pause_mediation", "o3_pause_appraisal", "o3_pause_other"), build_pause),
    "o3_pause_and_extension": build_pause_and_extension,
    "o3_pause_not_notified": build_pause_not_notified,
    **dict.fromkeys(("o3_restart", "o3_repeat_no_new_facts"), build_reopened),
    **dict.fromkeys(
        ("o3_findings_missing", "o3_reasons_missing", "o3_remedies_missing", "o3_review_remedy_missing"),
        build_decision_contents,
    ),
    **dict.fromkeys(("o3_review_late", "o3_review_overdue", "o3_review_outside_art20"), build_review),
}
