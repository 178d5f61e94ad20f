"""Era B timelines (received from 2020-03-01): the scenarios of the 2012 notice's points 七, 八, 十
(working days), each otherwise compliant with Order No. 3, the compliant ones and the fixed
complaints; and :func:`build_era_b`, which picks any era-B or era-P scenario's builder (Order No. 3
scenarios in ``build_order3``, PBoC No. 5 scenarios in ``build_pboc``).
"""

from __future__ import annotations

from collections.abc import Callable

from .build_era_b_steps import EraBSteps
from .build_order3 import ORDER3_SCENARIOS
from .build_pboc import PBOC_SCENARIOS, build_pbc_extension
from .builder import ACK_LATE_MODES, COMPLIANT_ACK_MODES, Builder, GenError
from .dates import at, end_of
from .institutions import INSTITUTIONS, NFRA_OFFICE, banking_regulator
from .rules import ACK_WD, O3_DECISION_DAYS, O3_REQUIRED_REMEDIES, PBC_FEEDBACK_DAYS, RESULT_WD
from .scenarios import FIXED_SCENARIOS
from .vocabulary import WITHDRAWN_EARLY, WITHDRAWN_LATER

# The acknowledgement's flags (acceptance, time limit, contact) of each ack_incomplete variant.
ACK_INCOMPLETE_FLAGS = {
    "no_time_limit": (True, False, True),
    "no_contact": (True, True, False),
    "no_acceptance": (False, True, True),
    "only_acceptance": (True, False, False),
}


def build_out_of_order(st: EraBSteps, v: str) -> None:
    """A record made before the decision it reports, then the right one in time (1.1.0 modules)."""
    b, C, pick, forwarded = st.b, st.C, st.pick, st.forwarded
    b.ack("ok")
    if v == "notice_before_decision":
        b.notify_at(pick(None, end_of(C(3))))
        st.notify_o3(st.decide_by(8))
    elif v == "report_before_decision":
        b.report_back(b.d0, forwarded)
        d = st.decide_by(13)
        st.notify_o3(d)
        b.report_back(d, forwarded)
    elif v == "reply_before_decision":
        b.notify_at(pick(None, end_of(C(2))))
        early = b.last.date()
        st.notify_o3(st.decide_by(5))
        b.feedback(pick(None, end_of(C(PBC_FEEDBACK_DAYS, early))), forwarded)
    else:  # feedback_before_decision
        b.feedback(pick(None, end_of(C(3))), forwarded)
        st.reply_and_feedback(st.decide_by(13))
    b.close()


def build_fixed(st: EraBSteps, s: str, v: str) -> None:
    """The fixed complaints (point 十五, Art. 29, records out of order): handled by the book."""
    b = st.b
    if s == "records_out_of_order":
        build_out_of_order(st, v)
        return
    b.ack("ok")
    if v == "reported_late":  # the 4th working day after receipt, the 3rd being the last in time
        b.add(
            "reported_to_regulator",
            at(st.W(4), 10, 30),
            {
                "regulator": "NFRA",
                "office": NFRA_OFFICE[INSTITUTIONS[st.inst_id][3]],
                "reference": f"ZDTS-{b.plan.complaint_id}",
                "contents": ["重大消费投诉基本情况", "应急处置措施"],
            },
        )
    d = st.decide_by(13)
    st.notify_o3(d)
    b.close()


def build_compliant(st: EraBSteps, s: str, v: str) -> None:
    b, W, C = st.b, st.W, st.C
    b.ack(COMPLIANT_ACK_MODES.get(v, "ok"))
    if v == "decision_boundary_2359":
        st.boundary_pair(C(O3_DECISION_DAYS))
    elif v == "result_boundary_2359":  # told at 23:59 of the last day of both limits' earlier one
        d = st.decide_by(11)
        b.notify_at(at(min(W(RESULT_WD, d), C(O3_DECISION_DAYS)), 23, 59), channel="sms")
    elif v == "holiday_last_day":  # the 15th day is a rest day: decided and told before it
        if b.cal.is_working(C(O3_DECISION_DAYS)):
            raise SystemExit(f"{b.d0}: the 15th calendar day is a working day")
        st.notify_o3(st.decide_by(14))
    else:
        remedies = list(O3_REQUIRED_REMEDIES) if v == "head_office_without_review_remedy" else None
        d = st.decide_by(13, problem=True if v == "product_problem_remedied" else None, remedies=remedies)
        st.notify_o3(d)
        if v == "with_review":
            st.review(True, "in_time")
        elif v == "review_boundary_2359":
            st.review(True, "boundary_2359")
    b.close()


def build_compliant_forwarded(st: EraBSteps, s: str, v: str) -> None:
    b, forwarded = st.b, st.forwarded
    b.ack("ok")
    d = st.decide_by(13)
    st.notify_o3(d)
    if v == "reported":
        b.report_back(d, forwarded)
    elif v == "report_last_day":
        b.report_back(d, forwarded, mode="last_day")
    elif v == "same_day_report":
        b.report_back(d, forwarded, mode="same_day")
    b.close()  # pboc_before_nov_2020: no feedback, PBoC No. 5 not yet in force


def build_compliant_withdrawn(st: EraBSteps, s: str, v: str) -> None:
    b = st.b
    if v == "before_ack":
        b.add("withdrawn", b.at_wd(0, 1, lo=(9, 0), hi=(18, 0)), {"reason": WITHDRAWN_EARLY})
    else:
        b.ack("ok")
        b.add("withdrawn", st.pick(None, end_of(st.C(13))), {"reason": WITHDRAWN_LATER})
    b.close()


def build_compliant_contact_failed(st: EraBSteps, s: str, v: str) -> None:
    b = st.b
    b.contact_failed(b.at_wd(0, ACK_WD))
    d = st.decide_by(13)
    if v == "letter_result":
        st.notify_o3(d, channel="letter")
    else:
        b.contact_failed(
            st.pick(None, b.o3_notice_by(d, st.C(O3_DECISION_DAYS))), channel=st.rng.choice(("phone", "sms"))
        )
    b.close()


def build_ack_or_notice_defect(st: EraBSteps, s: str, v: str) -> None:
    """Point 七's acknowledgement (missing, late, incomplete, by a wrong channel), point 八's result
    notice by a wrong channel, or a product problem found without remediation."""
    b = st.b
    if s == "ack_late":
        b.ack(ACK_LATE_MODES[v])
    elif s == "ack_incomplete":
        b.ack("ok", flags=ACK_INCOMPLETE_FLAGS[v])
    elif s == "ack_channel":
        b.ack("ok", channel=v)
    elif s != "ack_missing":
        b.ack("ok")
    if s == "remediation_missing":
        d = st.decide_by(13, problem=True, remediation=v)
    else:
        d = st.decide_by(13)
    st.notify_o3(d, channel=v if s == "result_channel" else None)
    b.close()


def build_result_not_notified(st: EraBSteps, s: str, v: str) -> None:
    st.b.ack("ok")
    st.decide_by(13)
    if v == "closed_without_notice":
        st.b.close()


def build_result_notice_late(st: EraBSteps, s: str, v: str) -> None:
    """Late for point 八 (working days), in time for Order No. 3."""
    b, W, C = st.b, st.W, st.C
    b.ack("ok")
    d = st.decide_by(6)
    if v == "next_working_days":
        latest = min(end_of(W(RESULT_WD + 2, d)), end_of(C(O3_DECISION_DAYS)))
        b.notify_at(st.pick(end_of(W(RESULT_WD, d)), latest))
    else:
        moment = end_of(W(RESULT_WD, d))
        if moment >= end_of(C(O3_DECISION_DAYS)):
            raise GenError("point 八's due instant is not within Order No. 3's limit")
        b.notify_at(moment)
    b.close()


def build_report_back_defect(st: EraBSteps, s: str, v: str) -> None:
    """Point 十's report back to the forwarding office: missing, late or to the wrong office."""
    b, rng, forwarded = st.b, st.rng, st.forwarded
    b.ack("ok")
    d = st.decide_by(13)
    st.notify_o3(d)
    if s == "report_back_late":
        b.report_back(d, forwarded, mode="late" if v == "few_days_late" else "at_due")
    elif s == "report_wrong_office":
        region = INSTITUTIONS[st.inst_id][3]
        offices = banking_regulator(b.d0)[1]
        if v == "headquarters_instead" and region != "HO":
            office = offices["HO"]
        else:
            office = offices[rng.choice([r for r in ("SH", "BJ", "GD") if r != region])]
        b.report_back(d, forwarded, office=office)
    if s != "report_back_missing" or rng.random() < 0.5:
        b.close()


EraBBuilder = Callable[[EraBSteps, str, str], None]

NOTICE_2012_SCENARIOS: dict[str, EraBBuilder] = {
    **dict.fromkeys(FIXED_SCENARIOS, build_fixed),
    "compliant": build_compliant,
    "compliant_forwarded": build_compliant_forwarded,
    "compliant_withdrawn": build_compliant_withdrawn,
    "compliant_contact_failed": build_compliant_contact_failed,
    **dict.fromkeys(
        ("ack_missing", "ack_late", "ack_incomplete", "ack_channel", "result_channel", "remediation_missing"),
        build_ack_or_notice_defect,
    ),
    "result_not_notified": build_result_not_notified,
    "result_notice_late": build_result_notice_late,
    **dict.fromkeys(
        ("report_back_missing", "report_back_late", "report_wrong_office"), build_report_back_defect
    ),
}
ERA_B_SCENARIOS: dict[str, EraBBuilder] = {**NOTICE_2012_SCENARIOS, **ORDER3_SCENARIOS, **PBOC_SCENARIOS}


def build_era_b(b: Builder, s: str, v: str, inst_id: str, forwarded: dict | None) -> None:
    """Received from 2020-03-01: the 2012 notice's points 七, 八, 十 (working days) and Order
    No. 3 (calendar days: decided AND told within 15 days); PBoC No. 5 for PBoC-forwarded ones."""
    scenario_builder = ERA_B_SCENARIOS.get(s)
    if scenario_builder is None and s.startswith("pbc_extension_"):
        scenario_builder = build_pbc_extension
    if scenario_builder is None:
        raise ValueError(f"era B: {s}")
    scenario_builder(EraBSteps(b, inst_id, forwarded), s, v)
