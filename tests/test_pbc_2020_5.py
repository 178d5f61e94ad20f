"""中国人民银行令〔2020〕第5号 (policies/pbc-2020-5): what golden cases cannot show.

Golden cases evaluate one complaint against the module directly. Here: which complaints the
module judges at all (selection: ``applies_to`` and ``effective_from``), the annual
self-assessment of 第五十六条 (archive scope), 第十条 and 第三十七条 from an institution profile,
and the readings that are parameters (a module copy with another value).
"""

from __future__ import annotations

import copy
import json
import shutil
from itertools import count
from pathlib import Path

import pytest

from cppolicy.calendar import load_calendar, parse_moment
from cppolicy.evaluation import modules_for
from cppolicy.evaluation.archive_scope import evaluate_archive_scope
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.institution import check_institution, default_as_of
from cppolicy.host import to_event
from cppolicy.rules import load_module, resolve_module

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "policies" / "pbc-2020-5" / "1.0.0"
HO = {"id": "HO-001", "level": "head_office", "parent": None}
BR = {"id": "BR-SH", "level": "branch", "parent": "HO-001"}
OUT = {"id": "OT-SH-1", "level": "outlet", "parent": "BR-SH"}
PBOC = {"regulator": "PBOC", "office": "中国人民银行上海总部"}
ALL_ITEMS = [
    "basic_facts",
    "dispute_focus",
    "findings_and_evidence",
    "basis",
    "communication",
    "extension",
    "satisfaction",
]
_ids = count(1)


@pytest.fixture(scope="module")
def module():
    return load_module(FOLDER)


@pytest.fixture(scope="module")
def calendar():
    return load_calendar()


@pytest.fixture(scope="module")
def engine(module, calendar):
    return Engine(module, calendar)


def ev(type_, time, institution=BR, complaint_id="C-1", **data):
    item = {"event_id": f"P-{next(_ids)}", "type": type_, "time": time, "institution": institution}
    if complaint_id is not None:
        item["complaint_id"] = complaint_id
    if data:
        item["data"] = data
    return to_event(item)


def received(time, forwarded_by=PBOC, complaint_id="C-1"):
    data = {"channel": "letter", "product": "payment", "issue": "unauthorized_transaction"}
    if forwarded_by:
        data["forwarded_by"] = forwarded_by
    return ev("received", time, complaint_id=complaint_id, **data)


def variant(tmp_path, old: str, new: str):
    """A copy of the module with one parameter value changed (text replaced once)."""
    copy_folder = tmp_path / "pbc-2020-5" / "1.0.0"
    shutil.copytree(FOLDER, copy_folder)
    path = copy_folder / "module.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_module(copy_folder)


# -- selection: which complaints the module judges -------------------------------------------


def chosen(module, events):
    modules, why = modules_for([resolve_module("cbrc-2012-13"), module], events)
    return sorted(m.id for m in modules), why


def test_a_complaint_forwarded_by_the_pboc_on_or_after_2020_11_01_is_judged_by_the_order(module):
    assert chosen(module, [received("2020-11-01T09:00:00+08:00")]) == (["cbrc-2012-13", "pbc-2020-5"], None)


def test_a_complaint_forwarded_by_the_nfra_is_not_judged_by_the_order(module):
    nfra = {"regulator": "NFRA", "office": "上海监管局"}
    assert chosen(module, [received("2021-09-28T10:00:00+08:00", forwarded_by=nfra)]) == (
        ["cbrc-2012-13"],
        None,
    )
    alone, why = modules_for([module], [received("2021-09-28T10:00:00+08:00", forwarded_by=nfra)])
    assert (alone, why) == ([], "no_module_applies")


def test_a_complaint_made_directly_to_the_institution_is_not_judged_by_the_order(module):
    assert modules_for([module], [received("2021-09-28T10:00:00+08:00", forwarded_by=None)]) == (
        [],
        "no_module_applies",
    )


def test_a_pboc_forwarded_complaint_received_before_2020_11_01_is_not_judged_by_the_order(module):
    # 第六十八条: in force from 2020-11-01; selection goes by the receipt date (Asia/Shanghai).
    assert modules_for([module], [received("2020-10-31T23:59:59+08:00")]) == ([], "no_module_in_force")
    assert modules_for([module], [received("2020-10-31T16:00:00Z")])[0] == [
        module
    ]  # 2020-11-01 00:00 Shanghai


# -- the complaint rules through the engine (the same engine an audit uses) ---------------------


def codes(result):
    return sorted(f.code for f in result.findings if f.severity in ("violation", "warning"))


def test_reply_on_the_15th_calendar_day_across_national_day_is_in_time_and_the_16th_is_late(engine):
    for day, expected in (
        ("2021-10-13T23:59:59+08:00", []),
        ("2021-10-14T00:00:00+08:00", ["PBC2020.A43.REPLY_LATE"]),
    ):
        events = [
            received("2021-09-28T10:00:00+08:00"),
            ev("result_notified", day, channel="letter"),
            ev("reported_to_regulator", "2021-10-15T10:00:00+08:00", contents=ALL_ITEMS, **PBOC),
        ]
        assert codes(engine.evaluate("C-1", events, parse_moment("2021-12-31"))) == expected


def test_a_contact_failure_excuses_the_reply_only_when_the_parameter_says_so(engine, calendar, tmp_path):
    events = [
        received("2021-09-28T10:00:00+08:00"),
        ev("contact_failed", "2021-10-09T10:00:00+08:00", channel="phone", attempts=3),
    ]
    assert codes(engine.evaluate("C-1", events, parse_moment("2021-12-31"))) == ["PBC2020.A43.REPLY_OVERDUE"]
    lenient = variant(
        tmp_path,
        '        value: false\n        reference: "第三十九条',
        '        value: true\n        reference: "第三十九条',
    )
    assert codes(Engine(lenient, calendar).evaluate("C-1", events, parse_moment("2021-12-31"))) == []
    # a failure recorded only after the limit had passed excuses nothing
    late = [events[0], ev("contact_failed", "2021-10-14T10:00:00+08:00", channel="phone")]
    assert codes(Engine(lenient, calendar).evaluate("C-1", late, parse_moment("2021-12-31"))) == [
        "PBC2020.A43.REPLY_OVERDUE"
    ]


def test_a_head_office_senior_managers_approval_counts_when_the_policy_owner_adds_that_level(
    engine, calendar, tmp_path
):
    events = [
        received("2021-09-28T10:00:00+08:00"),
        ev(
            "extended",
            "2021-10-11T10:00:00+08:00",
            reason="情况复杂",
            notice_channel="sms",
            new_limit={"value": 45, "unit": "calendar_day"},
            approval={"by": "副行长", "level": "head_office_senior_manager"},
        ),
        ev("result_notified", "2021-11-12T10:00:00+08:00", channel="letter"),
        ev("reported_to_regulator", "2021-11-15T10:00:00+08:00", contents=ALL_ITEMS, **PBOC),
    ]
    assert codes(engine.evaluate("C-1", events, parse_moment("2021-12-31"))) == [
        "PBC2020.A43.EXTENSION_NOT_APPROVED",
        "PBC2020.A43.REPLY_LATE",
    ]
    wider = variant(
        tmp_path, "value: [complaint_head]", "value: [complaint_head, head_office_senior_manager]"
    )
    assert codes(Engine(wider, calendar).evaluate("C-1", events, parse_moment("2021-12-31"))) == []


# -- 第五十六条: the annual self-assessment report (archive scope) ------------------------------


def report(period, time, institution=HO, regulator="PBOC"):
    return ev(
        "periodic_report_submitted",
        time,
        institution,
        complaint_id=None,
        period=period,
        regulator=regulator,
        office="中国人民银行",
    )


def tree(day="2024-01-02"):
    """The archive learns its institution tree (and its first year) from events."""
    return [
        ev(
            "channel_disclosure",
            f"{day}T10:00:00+08:00",
            where,
            complaint_id=None,
            place="outlet",
            channels=["phone"],
        )
        for where in (HO, BR, OUT)
    ]


def audit(engine, institution_events, as_of, complaints=None, day="2024-01-02"):
    result = evaluate_archive_scope(
        engine, complaints or {}, [*tree(day), *institution_events], parse_moment(as_of)
    )
    return sorted((f.code, f.institution_id, f.evidence, f.severity) for f in result.findings)


def test_the_self_assessment_for_2024_is_due_by_the_end_of_31_january_2025(engine):
    assert audit(engine, [report("2024", "2025-01-31T23:59:00+08:00")], "2025-12-31") == []


def test_a_self_assessment_submitted_on_1_february_is_late(engine):
    assert audit(engine, [report("2024", "2025-02-01T00:00:00+08:00")], "2025-12-31") == [
        ("PBC2020.A56.SELF_ASSESSMENT_LATE", "HO-001", ("self_assessment:HO-001:2024",), "violation")
    ]


def test_a_missing_self_assessment_is_a_finding_only_once_due(engine):
    assert audit(engine, [], "2025-01-31T23:59:59+08:00") == []
    assert audit(engine, [], "2025-02-01") == [
        ("PBC2020.A56.SELF_ASSESSMENT_MISSING", "HO-001", ("self_assessment:HO-001:2024",), "violation")
    ]


def test_the_year_must_have_ended_before_a_self_assessment_is_owed(engine):
    # as of 2025-12-31 the year 2025 has not ended: only 2024 is owed
    assert audit(engine, [report("2024", "2025-01-20T10:00:00+08:00")], "2025-12-31") == []
    assert [f[2] for f in audit(engine, [report("2024", "2025-01-20T10:00:00+08:00")], "2026-02-01")] == [
        ("self_assessment:HO-001:2025",)
    ]


def test_the_schedule_matches_period_and_institution_not_the_regulator(engine):
    # An annual report with period "2024" is read as the self-assessment whatever regulator it names
    # (module note); a half-year report is not an annual one.
    assert audit(engine, [report("2024", "2025-01-20T10:00:00+08:00", regulator="NFRA")], "2025-12-31") == []
    assert [f[0] for f in audit(engine, [report("2024H2", "2025-01-20T10:00:00+08:00")], "2025-12-31")] == [
        "PBC2020.A56.SELF_ASSESSMENT_MISSING"
    ]


def test_only_the_legal_entity_reports_by_default_and_a_branch_report_does_not_stand_in_for_it(engine):
    found = audit(engine, [report("2024", "2025-01-20T10:00:00+08:00", BR)], "2025-12-31")
    assert [(f[0], f[1]) for f in found] == [("PBC2020.A56.SELF_ASSESSMENT_MISSING", "HO-001")]


def test_branches_report_too_under_the_wider_reading(calendar, tmp_path):
    wider = Engine(variant(tmp_path, "value: [head_office]", "value: [head_office, branch]"), calendar)
    found = audit(wider, [report("2024", "2025-01-20T10:00:00+08:00")], "2025-12-31")
    assert [(f[0], f[1]) for f in found] == [("PBC2020.A56.SELF_ASSESSMENT_MISSING", "BR-SH")]


def test_the_first_self_assessment_owed_is_for_2020_the_year_the_order_took_effect(engine):
    # An archive reaching back to 2019: 2019 ended before 2020-11-01 (第六十八条), so it is not owed.
    found = audit(engine, [], "2021-02-01", day="2019-06-03")
    assert [f[2] for f in found] == [("self_assessment:HO-001:2020",)]
    assert found[0][0] == "PBC2020.A56.SELF_ASSESSMENT_MISSING"


# -- 第十条 and 第三十七条 from the institution profile -------------------------------------------

EXAMPLE = json.loads((ROOT / "examples" / "institution-profile.json").read_text(encoding="utf-8"))


def profile_codes(doc, engine, as_of=None):
    result = check_institution(doc, engine, as_of or default_as_of(doc))
    return sorted((f.code, f.institution_id) for f in result.findings)


def test_the_example_profile_lacks_a_recent_training_and_a_hotline_prompt(engine):
    assert profile_codes(copy.deepcopy(EXAMPLE), engine) == [
        ("PBC2020.A10.NO_TRAINING_IN_YEAR", "HO-001"),
        ("PBC2020.A37.HOTLINE_PROMPT_MISSING", "HO-001"),
    ]


def complete():
    doc = copy.deepcopy(EXAMPLE)
    doc["hotline"]["complaint_prompt"] = True
    doc["training"].append({"date": "2025-01-01", "topic": "金融消费者权益保护专题培训"})
    return doc


def test_a_complete_profile_meets_articles_10_and_37(engine):
    assert profile_codes(complete(), engine) == []


def test_a_training_more_than_12_months_old_does_not_meet_article_10(engine):
    doc = complete()
    doc["training"] = [{"date": "2024-12-31", "topic": "金融消费者权益保护专题培训"}]
    assert profile_codes(doc, engine) == [("PBC2020.A10.NO_TRAINING_IN_YEAR", "HO-001")]


def test_article_37_channels_at_outlets_website_and_hotline(engine):
    doc = complete()
    next(n for n in doc["nodes"] if n["id"] == "OT-GD-TH-01")["published_channels"] = []
    del next(n for n in doc["nodes"] if n["id"] == "OT-SH-PD-01")["published_channels"]
    doc["website"]["prominent"] = False
    doc["hotline"]["shared_with_customer_service"] = False
    del doc["hotline"]["complaint_prompt"]
    assert profile_codes(doc, engine) == [
        ("PBC2020.A37.HOTLINE_PROMPT_MISSING", "HO-001"),
        ("PBC2020.A37.OUTLET_CHANNELS_MISSING", "OT-GD-TH-01"),
        ("PBC2020.A37.OUTLET_CHANNELS_MISSING", "OT-SH-PD-01"),
        ("PBC2020.A37.WEBSITE_CHANNELS_MISSING", "HO-001"),
    ]
    del doc["website"]
    assert ("PBC2020.A37.WEBSITE_MISSING", "HO-001") in profile_codes(doc, engine)
