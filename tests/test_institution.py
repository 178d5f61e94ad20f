"""`cppolicy check-institution`: points 一 三 五 六 十二 十三 十四 from an institution profile."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from cppolicy.calendar import load_calendar
from cppolicy.errors import InputError
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.institution import check_institution, default_as_of, load_profile, months_before
from cppolicy.rules import resolve_module
from tests.helpers import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "examples" / "institution-profile.json").read_text(encoding="utf-8"))


def clean() -> dict:
    """The example profile with every deliberate gap closed."""
    doc = copy.deepcopy(EXAMPLE)
    for node in doc["nodes"]:
        if node["level"] != "outlet":
            node["senior_manager"] = node.get("senior_manager") or {"name": "钱进", "title": "副行长"}
        if node["level"] == "outlet":
            node.update(
                published_channels=["phone", "online", "letter"],
                onsite_procedure=True,
                first_responder_rule=True,
            )
        if node["level"] == "head_office":
            node["complaint_handling_in_internal_control"] = True
    doc["hotline"]["complaint_prompt"] = True
    doc["training"].append({"date": "2025-06-18", "topic": "投诉处理实务"})
    return doc


def node(doc, node_id):
    return next(n for n in doc["nodes"] if n["id"] == node_id)


@pytest.fixture(scope="module")
def engine():
    return Engine(resolve_module("cbrc-2012-13"), load_calendar())


def codes(doc, engine, as_of=None):
    result = check_institution(doc, engine, as_of or default_as_of(doc))
    return sorted((f.code, f.institution_id) for f in result.findings)


def test_a_complete_profile_has_no_finding(engine):
    assert codes(clean(), engine) == []


def _no_senior_manager_at_a_sub_branch(d):
    node(d, "SB-GD-FS")["senior_manager"] = None


def _no_complaint_department(d):
    node(d, "HO-001")["complaint_department"] = None


def _outlet_without_onsite_procedure(d):
    node(d, "OT-SH-PD-01")["onsite_procedure"] = False


def _outlet_without_first_responder_rule(d):
    del node(d, "OT-SH-PD-01")["first_responder_rule"]


def _outlet_missing_letter_channel(d):
    node(d, "OT-SH-XH-01")["published_channels"] = ["phone", "online"]


def _website_missing_online_channel(d):
    d["website"]["published_channels"] = ["phone", "letter"]


def _website_not_prominent(d):
    d["website"]["prominent"] = False


def _no_website(d):
    del d["website"]


def _shared_hotline_without_prompt(d):
    d["hotline"]["complaint_prompt"] = False


def _separate_hotline_needs_no_prompt(d):
    d["hotline"].update(shared_with_customer_service=False, complaint_prompt=False)


def _not_in_assessment(d):
    node(d, "HO-001")["complaint_handling_in_assessment"] = False


def _not_in_internal_control(d):
    del node(d, "HO-001")["complaint_handling_in_internal_control"]


def _compliance_not_involved(d):
    node(d, "HO-001")["compliance_department_involved"] = False


def _no_training_in_twelve_months(d):
    d["training"] = [{"date": "2024-12-31", "topic": "旧培训"}]


def _training_on_the_first_day_of_the_window_counts(d):
    d["training"] = [{"date": "2025-01-01", "topic": "培训"}]


def _outlet_needs_no_senior_manager(d):
    node(d, "OT-SH-PD-01").pop("senior_manager", None)


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        (_no_senior_manager_at_a_sub_branch, [("CBRC2012.P1.SENIOR_MANAGER_MISSING", "SB-GD-FS")]),
        (_no_complaint_department, [("CBRC2012.P3.COMPLAINT_DEPARTMENT_MISSING", "HO-001")]),
        (_outlet_without_onsite_procedure, [("CBRC2012.P5.ONSITE_PROCEDURE_MISSING", "OT-SH-PD-01")]),
        (_outlet_without_first_responder_rule, [("CBRC2012.P5.FIRST_RESPONDER_MISSING", "OT-SH-PD-01")]),
        (_outlet_missing_letter_channel, [("CBRC2012.P6.OUTLET_CHANNELS_MISSING", "OT-SH-XH-01")]),
        (_website_missing_online_channel, [("CBRC2012.P6.WEBSITE_CHANNELS_MISSING", "HO-001")]),
        (_website_not_prominent, [("CBRC2012.P6.WEBSITE_CHANNELS_MISSING", "HO-001")]),
        (_no_website, [("CBRC2012.P6.WEBSITE_MISSING", "HO-001")]),
        (_shared_hotline_without_prompt, [("CBRC2012.P6.HOTLINE_PROMPT_MISSING", "HO-001")]),
        (_separate_hotline_needs_no_prompt, []),
        (_not_in_assessment, [("CBRC2012.P12.NOT_IN_ASSESSMENT", "HO-001")]),
        (_not_in_internal_control, [("CBRC2012.P12.NOT_IN_INTERNAL_CONTROL", "HO-001")]),
        (_compliance_not_involved, [("CBRC2012.P13.COMPLIANCE_NOT_INVOLVED", "HO-001")]),
        (_no_training_in_twelve_months, [("CBRC2012.P14.NO_RECENT_TRAINING", "HO-001")]),
        (_training_on_the_first_day_of_the_window_counts, []),
        (_outlet_needs_no_senior_manager, []),
    ],
    ids=lambda x: x.__name__.strip("_") if callable(x) else None,
)
def test_each_gap_gives_exactly_its_finding(defect, expected, engine):
    doc = clean()
    defect(doc)
    assert codes(doc, engine) == sorted(expected)


def test_example_profile_shows_its_six_deliberate_gaps():
    result = cli(
        "check-institution",
        str(ROOT / "examples" / "institution-profile.json"),
        "--format",
        "json",
        "--policy",
        "cbrc-2012-13",
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert sorted((f["code"], f["institution_id"]) for f in doc["findings"]) == sorted(
        [
            ("CBRC2012.P12.NOT_IN_INTERNAL_CONTROL", "HO-001"),
            ("CBRC2012.P14.NO_RECENT_TRAINING", "HO-001"),
            ("CBRC2012.P1.SENIOR_MANAGER_MISSING", "SB-GD-FS"),
            ("CBRC2012.P5.FIRST_RESPONDER_MISSING", "OT-BJ-HD-01"),
            ("CBRC2012.P6.HOTLINE_PROMPT_MISSING", "HO-001"),
            ("CBRC2012.P6.OUTLET_CHANNELS_MISSING", "OT-GD-TH-01"),
        ]
    )
    assert all(f["citation"]["instrument"] == "银监发〔2012〕13号" for f in doc["findings"])


def test_clean_profile_exits_0(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(clean(), ensure_ascii=False), encoding="utf-8")
    assert cli("check-institution", str(path), "--policy", "cbrc-2012-13").exit_code == 0


@pytest.mark.parametrize(
    ("defect", "message"),
    [
        (lambda d: d.pop("nodes"), "$: 'nodes' is a required property [required]"),
        (lambda d: node(d, "BR-SH").update(level="region"), "$.nodes[3].level"),
        (lambda d: d["nodes"].append(dict(node(d, "BR-SH"))), "duplicate node id 'BR-SH'"),
        (lambda d: node(d, "BR-SH").update(parent="HO-404"), "$.nodes[3].parent: unknown node 'HO-404'"),
        (
            lambda d: node(d, "BR-SH").update(level="head_office", parent=None),
            "expected exactly one head_office node, found 2",
        ),
        (lambda d: node(d, "BR-SH").update(parent="SB-SH-PD"), "cycle"),
        (lambda d: d.update(as_of="2025-13-01"), "$.as_of"),
    ],
)
def test_bad_profiles_are_one_line_errors_exit_2(defect, message, tmp_path):
    doc = clean()
    defect(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match=None) as info:
        load_profile(path)
    assert message in info.value.message and str(path) in info.value.message
    result = cli("check-institution", str(path))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_months_before_uses_the_corresponding_day_or_month_end():
    from datetime import date

    assert months_before(date(2025, 12, 31), 12) == date(2024, 12, 31)
    assert months_before(date(2025, 3, 31), 1) == date(2025, 2, 28)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
