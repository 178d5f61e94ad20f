"""Archive-scope rules: points 十五 (large-scale complaints) and 十六 (half-yearly report, changes)."""

from __future__ import annotations

from itertools import count

import pytest

from cppolicy.calendar import load_calendar, parse_moment
from cppolicy.evaluation.archive_scope import evaluate_archive_scope
from cppolicy.evaluation.engine import Engine
from cppolicy.host import to_event
from cppolicy.rules import resolve_module
from tests.helpers import event

HO = {"id": "HO-001", "level": "head_office", "parent": None}
BR = {"id": "BR-GD", "level": "branch", "parent": "HO-001"}
OUT = {"id": "OT-GD-1", "level": "outlet", "parent": "SB-GD"}
SB = {"id": "SB-GD", "level": "sub_branch", "parent": "BR-GD"}
_ids = count(1)


@pytest.fixture(scope="module")
def engine():
    return Engine(resolve_module("cbrc-2012-13"), load_calendar())


def inst(type_, time, institution, **data):
    return to_event(
        {"event_id": f"I-{next(_ids)}", "type": type_, "time": time, "institution": institution, "data": data}
    )


def report(period, time, institution=HO, **flags):
    return inst("periodic_report_submitted", time, institution, period=period, regulator="NFRA", **flags)


def received(cid, time, institution=OUT, product="wealth_management", issue="information_disclosure", **data):
    e = event(cid, "received", time, product=product, issue=issue, **data)
    e["institution"] = institution
    return to_event(e)


def tree_events(day="2025-01-02"):
    """The archive learns its institution tree from events: one at each level of the GD line.
    Their date also opens the first half-year the archive covers."""
    return [
        inst("channel_disclosure", f"{day}T10:00:00+08:00", where, place="outlet", channels=["phone"])
        for where in (HO, BR, SB)
    ]


def run(engine, complaints=(), institution_events=(), as_of="2026-01-31T00:00:00+08:00", point="P16"):
    institution_events = [*tree_events(), *institution_events]
    grouped: dict[str, list] = {}
    for e in complaints:
        grouped.setdefault(e.complaint_id, []).append(e)
    result = evaluate_archive_scope(engine, grouped, list(institution_events), parse_moment(as_of))
    return sorted((f.code, f.institution_id, f.evidence) for f in result.findings if f".{point}." in f.code)


# -- point 十六: the half-yearly report --------------------------------------------------------


def test_report_for_H1_due_by_the_end_of_30_July_and_H2_by_30_January_next_year(engine):
    events = [
        report("2025H1", "2025-07-30T23:59:00+08:00"),
        report("2025H2", "2026-01-30T23:00:00+08:00"),
        report("2025H1", "2025-07-01T10:00:00+08:00", BR),
        report("2025H2", "2026-01-05T10:00:00+08:00", BR),
    ]
    assert run(engine, [], events, as_of="2026-02-28") == []


def test_report_on_31_July_is_late(engine):
    events = [
        report("2025H1", "2025-07-31T00:00:00+08:00"),
        report("2025H1", "2025-07-01T10:00:00+08:00", BR),
    ]
    assert run(engine, [], events, as_of="2025-12-31") == [
        ("CBRC2012.P16.REPORT_LATE", "HO-001", ("semiannual_report:HO-001:2025H1",))
    ]


def test_missing_report_is_a_finding_only_once_due(engine):
    branch = [report("2025H1", "2025-07-01T10:00:00+08:00", BR)]
    assert run(engine, [], branch, as_of="2025-07-30T23:59:59+08:00") == []  # 2025H1 not yet due
    assert run(engine, [], branch, as_of="2025-07-31") == [
        ("CBRC2012.P16.REPORT_MISSING", "HO-001", ("semiannual_report:HO-001:2025H1",))
    ]


def test_branches_report_too_but_outlets_and_sub_branches_do_not_by_default(engine):
    complaints = [received("C-1", "2025-03-10T10:00:00+08:00")]  # at an outlet under SB-GD under BR-GD
    events = [report("2025H1", "2025-07-20T10:00:00+08:00", HO)]
    assert run(engine, complaints, events, as_of="2025-08-01") == [
        ("CBRC2012.P16.REPORT_MISSING", "BR-GD", ("semiannual_report:BR-GD:2025H1",))
    ]


def test_changes_of_rules_or_channels_must_be_reflected_in_the_report(engine):
    events = [
        inst("complaint_contact_changed", "2025-04-01T10:00:00+08:00", BR, change="rules"),
        inst("complaint_contact_changed", "2025-05-01T10:00:00+08:00", BR, change="channels"),
        report(
            "2025H1",
            "2025-07-20T10:00:00+08:00",
            BR,
            reflects_rule_changes=True,
            reflects_channel_changes=False,
        ),
        report(
            "2025H1",
            "2025-07-20T10:00:00+08:00",
            HO,
            reflects_rule_changes=True,
            reflects_channel_changes=True,
        ),
    ]
    assert run(engine, [], events, as_of="2025-08-01") == [
        ("CBRC2012.P16.CHANNEL_CHANGES_NOT_REFLECTED", "BR-GD", ("semiannual_report:BR-GD:2025H1",))
    ]


def test_department_head_or_contact_changes_are_reported_within_5_working_days(engine):
    on_time = inst(
        "complaint_contact_changed",
        "2025-09-26T10:00:00+08:00",
        HO,
        change="head",
        reported_to_regulator_at="2025-10-10T18:00:00+08:00",
    )  # 5th working day after 09-26
    late = inst(
        "complaint_contact_changed",
        "2025-09-26T10:00:00+08:00",
        BR,
        change="contact",
        reported_to_regulator_at="2025-10-11T09:00:00+08:00",
    )  # make-up Saturday: 6th working day
    never = inst("complaint_contact_changed", "2025-11-03T10:00:00+08:00", BR, change="department")
    rules = inst(
        "complaint_contact_changed", "2025-11-03T10:00:00+08:00", BR, change="rules"
    )  # half-yearly report
    result = run(
        engine,
        [],
        [
            on_time,
            late,
            never,
            rules,
            report("2025H1", "2025-07-01T10:00:00+08:00", HO),
            report("2025H1", "2025-07-01T10:00:00+08:00", BR),
        ],
        as_of="2025-12-31",
    )
    assert result == [
        ("CBRC2012.P16.CONTACT_CHANGE_NOT_REPORTED", "BR-GD", (never.event_id,)),
        ("CBRC2012.P16.CONTACT_CHANGE_REPORTED_LATE", "BR-GD", (late.event_id,)),
    ]


# -- point 十五: large-scale complaints ---------------------------------------------------------


def cluster(n, complainants, start_day=5, product="wealth_management"):
    return [
        received(
            f"C-{i}",
            f"2025-05-{start_day + i:02d}T10:00:00+08:00",
            product=product,
            complainants=complainants,
        )
        for i in range(n)
    ]


def test_complaints_adding_up_to_20_complainants_in_7_days_must_be_reported(engine):
    complaints = cluster(5, 4)  # 05-05 … 05-09 at one branch: 20 complainants on 05-09
    [finding] = [f for f in run(engine, complaints, [], as_of="2025-06-30", point="P15")]
    assert finding[:2] == ("CBRC2012.P15.LARGE_SCALE_NOT_REPORTED", "BR-GD")


def test_19_complainants_are_not_large_scale(engine):
    complaints = cluster(5, 4)[:4] + [received("C-x", "2025-05-09T10:00:00+08:00", complainants=3)]
    assert [f for f in run(engine, complaints, [], as_of="2025-06-30", point="P15")] == []


def test_complaints_spread_beyond_the_window_are_not_added_up(engine):
    complaints = [
        received(f"C-{i}", f"2025-05-{1 + 8 * i:02d}T10:00:00+08:00", complainants=10) for i in range(3)
    ]
    assert [f for f in run(engine, complaints, [], as_of="2025-06-30", point="P15")] == []


def test_other_product_or_branch_does_not_count_towards_a_cluster(engine):
    complaints = cluster(3, 4) + cluster(3, 4, start_day=6, product="credit_card")
    assert [f for f in run(engine, complaints, [], as_of="2025-06-30", point="P15")] == []


def test_a_report_within_3_working_days_of_detection_meets_point_15(engine):
    complaints = cluster(5, 4)  # detected 2025-05-09 (Fri): due end of 2025-05-14
    ok = inst(
        "large_scale_complaint_reported",
        "2025-05-14T17:00:00+08:00",
        HO,
        regulator="NFRA",
        product="wealth_management",
        issue="information_disclosure",
        complainants=20,
    )
    assert [f for f in run(engine, complaints, [ok], as_of="2025-06-30", point="P15")] == []
    late = inst(
        "large_scale_complaint_reported",
        "2025-05-15T09:00:00+08:00",
        BR,
        regulator="NFRA",
        complaint_ids=["C-2"],
    )
    assert [f[:2] for f in run(engine, complaints, [late], as_of="2025-06-30", point="P15")] == [
        ("CBRC2012.P15.LARGE_SCALE_REPORTED_LATE", "BR-GD")
    ]


def test_a_report_about_something_else_does_not_cover_the_cluster(engine):
    complaints = cluster(5, 4)
    other = inst(
        "large_scale_complaint_reported",
        "2025-05-12T10:00:00+08:00",
        HO,
        regulator="NFRA",
        product="credit_card",
        issue="fees",
    )
    assert [f[0] for f in run(engine, complaints, [other], as_of="2025-06-30", point="P15")] == [
        "CBRC2012.P15.LARGE_SCALE_NOT_REPORTED"
    ]


def test_one_complaint_with_20_joint_complainants_or_flagged_major_must_be_reported(engine):
    crowd = received("C-J", "2025-05-05T10:00:00+08:00", complainants=20, joint_in_person=True)
    major = received(
        "C-M", "2025-06-05T10:00:00+08:00", product="deposit", issue="account_freeze", major=True
    )
    found = [f for f in run(engine, [crowd, major], [], as_of="2025-06-30", point="P15")]
    assert [(f[0], f[2][0].split(":")[1]) for f in found] == [
        ("CBRC2012.P15.LARGE_SCALE_NOT_REPORTED", "flagged_major"),
        ("CBRC2012.P15.LARGE_SCALE_NOT_REPORTED", "many_complainants"),
    ]


def test_deadline_in_an_unknown_calendar_year_is_undetermined(engine):
    complaints = [received("C-1", "2026-12-30T10:00:00+08:00", complainants=25)]  # due after 2026
    result = evaluate_archive_scope(engine, {"C-1": complaints}, tree_events(), parse_moment("2027-02-01"))
    undetermined = [f for f in result.findings if f.severity == "undetermined"]
    assert {f.code for f in undetermined} == {
        "CBRC2012.P15.LARGE_SCALE_NOT_REPORTED",
        "CBRC2012.P15.LARGE_SCALE_REPORTED_LATE",
    }
    assert "2027" in undetermined[0].detail
    # the generator it waited on, then why (complaint-scope rules say "clock NAME: why")
    assert all(f.detail.startswith("large_scale: large_scale:many_complainants:") for f in undetermined)


def test_the_window_drops_receipts_older_than_7_days_as_it_slides(engine):
    # 05-01: 10 people; 05-05: 5; 05-09: 5 (05-01 has left the window: 10 in it); 05-10: 10 →
    # 05-05 + 05-09 + 05-10 = 20 within 7 days: one cluster, detected on 05-10, without C-0
    days_people = [(1, 10), (5, 5), (9, 5), (10, 10)]
    complaints = [
        received(f"C-{i}", f"2025-05-{day:02d}T10:00:00+08:00", complainants=people)
        for i, (day, people) in enumerate(days_people)
    ]
    grouped: dict[str, list] = {}
    for e in complaints:
        grouped.setdefault(e.complaint_id, []).append(e)
    result = evaluate_archive_scope(engine, grouped, tree_events(), parse_moment("2025-06-30"))
    facts = [f for f in result.facts if f.get("f") == "cluster" and f["kind"] == "many_complaints"]
    assert [(f["complaint_ids"], f["complainants"]) for f in facts] == [("C-1,C-2,C-3", 20)]
    assert facts[0]["detected_t"] == parse_moment("2025-05-10T10:00:00+08:00").timestamp()


def test_a_long_run_of_small_complaints_is_one_cluster_from_the_day_it_reaches_20(engine):
    # one complaint a day with 3 complainants: 21 on the 7th day, and every later one joins
    complaints = [
        received(f"C-{i:02d}", f"2025-05-{1 + i:02d}T10:00:00+08:00", complainants=3) for i in range(30)
    ]
    grouped = {e.complaint_id: [e] for e in complaints}
    result = evaluate_archive_scope(engine, grouped, tree_events(), parse_moment("2025-06-30"))
    facts = [f for f in result.facts if f.get("f") == "cluster" and f["kind"] == "many_complaints"]
    assert len(facts) == 1 and facts[0]["complaints"] == 30
    assert facts[0]["detected_t"] == parse_moment("2025-05-07T10:00:00+08:00").timestamp()


def test_receipts_at_the_same_moment_are_taken_in_complaint_id_order(engine):
    # the mapping gives C-b first; the cluster is named after C-a, the first by (time, id), and
    # detected with the second (C-b: 20 complainants), C-c joining it
    at = "2025-05-05T10:00:00+08:00"
    grouped = {cid: [received(cid, at, complainants=10)] for cid in ("C-b", "C-c", "C-a")}
    result = evaluate_archive_scope(engine, grouped, tree_events(), parse_moment("2025-06-30"))
    [fact] = [f for f in result.facts if f.get("f") == "cluster"]
    assert fact["id"] == "large_scale:many_complaints:BR-GD:C-a"
    assert (fact["complaint_ids"], fact["complainants"]) == ("C-a,C-b,C-c", 30)


class _GivesReceipts(dict):
    """Complaints that give their receipts themselves (in any order), as complaint summaries may;
    or say they cannot (None), when the plain walk over their events is taken instead."""

    def __init__(self, grouped: dict, answers: bool) -> None:
        super().__init__(grouped)
        self.answers, self.asked = answers, []

    def receipts(self, as_of):
        self.asked.append(as_of)
        if not self.answers:
            return None
        out = []
        for complaint_id, events in reversed(list(self.items())):
            first = next((e for e in events if e.type == "received" and e.time <= as_of), None)
            if first is not None:
                out.append((complaint_id, first.time, first.epoch, first.institution, first.data))
        return out


def test_complaints_that_give_their_receipts_are_judged_as_their_events(engine):
    complaints = [
        *cluster(5, 4),  # many complaints
        received("C-J", "2025-05-20T10:00:00+08:00", complainants=25),  # many complainants
        received("C-M", "2025-06-05T10:00:00+08:00", product="deposit", issue="account_freeze", major=True),
        # a second receipt of C-M: not the one read
        received("C-M", "2025-06-06T10:00:00+08:00", product="deposit", issue="fees", major=True),
        received("C-L", "2025-07-05T10:00:00+08:00", complainants=30),  # after the as-of time
    ]
    covered = inst(
        "large_scale_complaint_reported",
        "2025-05-21T10:00:00+08:00",
        BR,
        regulator="NFRA",
        complaint_ids=["C-J"],
    )
    grouped: dict[str, list] = {}
    for e in complaints:
        grouped.setdefault(e.complaint_id, []).append(e)
    institution_events = [*tree_events(), covered]
    as_of = parse_moment("2025-06-30")
    walked = evaluate_archive_scope(engine, grouped, institution_events, as_of)
    kinds = sorted(f["kind"] for f in walked.facts if f.get("f") == "cluster")
    assert kinds == ["flagged_major", "many_complainants", "many_complaints"]
    for answers in (True, False):
        given = _GivesReceipts(grouped, answers)
        result = evaluate_archive_scope(engine, given, institution_events, as_of)
        assert given.asked == [as_of]
        assert (result.facts, result.findings) == (walked.facts, walked.findings)
