"""CBIRC Order 2020 No. 3 (cbirc-2020-3): what its golden cases cannot show — selection by
receipt date, the institution-profile rules (Arts. 7, 8, 27), the archive rule on published
channels (Art. 8) and the shape of the module's coverage and parameters."""

from __future__ import annotations

import json
import shutil
from itertools import count
from pathlib import Path

import pytest

from cppolicy.authoring import coverage_report, parse_numeral
from cppolicy.authoring.cases import module_cases
from cppolicy.calendar import load_calendar, parse_moment
from cppolicy.evaluation import modules_for
from cppolicy.evaluation.archive_scope import evaluate_archive_scope
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.institution import check_institution, default_as_of, load_profile
from cppolicy.host import to_event
from cppolicy.rules import load_module, resolve_module

ROOT_PROFILE = Path(__file__).resolve().parents[1] / "examples" / "institution-profile.json"
BR = {"id": "BR-SH", "level": "branch", "parent": "HO-001"}
HO = {"id": "HO-001", "level": "head_office", "parent": None}
_ids = count(1)


@pytest.fixture(scope="module")
def module():
    return resolve_module("cbirc-2020-3")


@pytest.fixture(scope="module")
def engine(module):
    return Engine(module, load_calendar())


def received(time: str, institution=BR) -> object:
    return to_event(
        {
            "event_id": f"R-{next(_ids)}",
            "complaint_id": f"C-{next(_ids)}",
            "type": "received",
            "time": time,
            "institution": institution,
            "data": {"channel": "phone", "product": "credit_card", "issue": "fees"},
        }
    )


# -- Art. 45: in force for complaints received from 2020-03-01 -------------------------------


@pytest.mark.parametrize(
    ("time", "judged"),
    [
        ("2020-02-28T10:00:00+08:00", False),
        ("2020-02-29T23:59:59+08:00", False),
        # 16:30 UTC on 29 February is 00:30 on 1 March in Shanghai: the receipt date is local
        ("2020-02-29T16:30:00Z", True),
        ("2020-03-01T00:00:00+08:00", True),
        ("2025-03-03T10:00:00+08:00", True),
    ],
)
def test_the_order_judges_complaints_received_from_2020_03_01(module, time, judged):
    chosen, why = modules_for([module], [received(time)])
    assert (module in chosen) is judged
    assert why == (None if judged else "no_module_in_force")


def test_a_complaint_received_2020_02_28_is_left_to_the_2012_notice(module):
    notice = resolve_module("cbrc-2012-13")
    chosen, _ = modules_for([module, notice], [received("2020-02-28T10:00:00+08:00")])
    assert [m.id for m in chosen] == ["cbrc-2012-13"]


# -- Arts. 7, 8, 27: the institution profile ------------------------------------------------


def _check(engine, doc):
    result = check_institution(doc, engine, default_as_of(doc))
    return sorted((f.code, f.institution_id) for f in result.findings)


def test_example_profile(engine):
    doc = load_profile(ROOT_PROFILE)
    # 佛山支行 names no senior manager (Art. 7); every outlet and the website publish phone and
    # letter (Art. 8); the head office has a complaint department and assesses complaint handling.
    assert _check(engine, doc) == [("CBIRC2020.A7.RESPONSIBLE_MANAGER_MISSING", "SB-GD-FS")]


def test_profile_gaps_are_reported_per_article(engine, tmp_path):
    doc = json.loads(ROOT_PROFILE.read_text(encoding="utf-8"))
    nodes = {n["id"]: n for n in doc["nodes"]}
    nodes["HO-001"]["complaint_department"] = None  # Art. 7: no department
    nodes["HO-001"]["complaint_handling_in_assessment"] = False  # Art. 27
    nodes["BR-BJ"]["senior_manager"] = None  # Art. 7: branch level counts
    nodes["OT-GD-TH-01"]["published_channels"] = ["phone", "online"]  # Art. 8: no postal address
    del nodes["OT-SH-XH-01"]["published_channels"]  # Art. 8: nothing published
    doc["website"]["prominent"] = False  # Art. 8: 醒目位置
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert _check(engine, load_profile(path)) == [
        ("CBIRC2020.A27.NOT_IN_ASSESSMENT", "HO-001"),
        ("CBIRC2020.A7.COMPLAINT_DEPARTMENT_MISSING", "HO-001"),
        ("CBIRC2020.A7.RESPONSIBLE_MANAGER_MISSING", "BR-BJ"),
        ("CBIRC2020.A7.RESPONSIBLE_MANAGER_MISSING", "SB-GD-FS"),
        ("CBIRC2020.A8.OUTLET_CHANNELS_MISSING", "OT-GD-TH-01"),
        ("CBIRC2020.A8.OUTLET_CHANNELS_MISSING", "OT-SH-XH-01"),
        ("CBIRC2020.A8.WEBSITE_CHANNELS_MISSING", "HO-001"),
    ]


def test_outlets_need_no_responsible_manager_and_branches_no_department(engine):
    doc = load_profile(ROOT_PROFILE)
    codes = {code for code, where in _check(engine, doc) if where.startswith(("OT-", "BR-"))}
    assert codes == set()


# -- Art. 8: channel disclosures recorded as institution-level events (archive scope) -------


def _disclosure(place, channels, institution=HO):
    return to_event(
        {
            "event_id": f"D-{next(_ids)}",
            "type": "channel_disclosure",
            "time": "2025-01-02T10:00:00+08:00",
            "institution": institution,
            "data": {"place": place, "channels": channels},
        }
    )


def test_disclosures_must_show_the_complaint_phone_and_postal_address(engine):
    events = [
        _disclosure("website", ["phone", "letter", "email"]),
        _disclosure("app", ["phone", "online"]),  # no postal address
        _disclosure("outlet", ["letter"], BR),  # no phone
        _disclosure("hotline", ["phone"]),  # not a place Art. 8 names
    ]
    result = evaluate_archive_scope(engine, {}, events, parse_moment("2025-06-30"))
    assert sorted((f.code, f.institution_id, f.evidence) for f in result.findings) == [
        ("CBIRC2020.A8.DISCLOSURE_INCOMPLETE", "BR-SH", (events[2].event_id,)),
        ("CBIRC2020.A8.DISCLOSURE_INCOMPLETE", "HO-001", (events[1].event_id,)),
    ]


# -- the module's shape ---------------------------------------------------------------------


def test_coverage_lists_all_45_articles_in_order(module):
    report = coverage_report(module)
    assert [e["number"] for e in report["entries"]] == list(range(1, 46))
    assert all(e["label"] == f"第{e['label'][1:-1]}条" for e in report["entries"])
    assert report["rules_not_in_coverage"] == []
    assert report["unit"] == "article"


def test_every_rule_cites_an_article_of_the_order_verbatim(module):
    """Each citation is the original text (fragments joined by …) of the article it names."""
    source = Path(__file__).resolve().parents[1] / "docs" / "reference" / "cbirc-2020-3-order.md"
    lines = source.read_text(encoding="utf-8").splitlines()
    for rule in module.rules:
        assert parse_numeral(rule.citation["article"]) is not None, rule.id
        line = next(text for text in lines if text.startswith(rule.citation["article"] + " "))
        for fragment in filter(None, rule.citation["text"].split("…")):
            assert fragment in line, (rule.id, fragment)


def test_day_limits_are_calendar_days(module):
    params = module.parameters_on(parse_moment("2020-03-01").date())
    for name in ("decision_limit", "complex_extension_limit", "special_extension_limit", "review_limit"):
        assert params[name]["unit"] == "calendar_day", name
    assert [
        params[n]["value"]
        for n in ("decision_limit", "complex_extension_limit", "special_extension_limit", "review_limit")
    ] == [15, 30, 60, 30]
    assert params["start_day_counted"] is False
    assert params["roll_forward_on_holiday"] is False


def test_a_finding_names_its_own_subject_never_the_previous_firings(engine, module):
    """findings_for once carried one firing's subject over to the next: a later firing of a rule
    without a ``subject`` (or whose fact lacks the field) was charged to the previous subject."""
    with_subject = next(r for r in module.rules if r.subject == "n.node_id")
    without = next(r for r in module.rules if r.subject is None)
    fired = [
        (with_subject.id, {"n": {"id": "N-1", "node_id": "BR-1"}}),
        (without.id, {"c": {"id": "E-1"}}),
        (with_subject.id, {"n": {"id": "N-2"}}),
    ]
    findings = engine.findings_for(None, "CALLER", fired, "2025-12-31T00:00:00+08:00")
    assert [f.institution_id for f in findings] == ["BR-1", "CALLER", "CALLER"]


# -- issue 19: a result notice recorded before its decision ------------------------------------


def test_out_of_order_warning_false_reports_the_unmet_duty_alone(module, tmp_path):
    """``out_of_order_warning`` is a reading, not a switch of the duty: with it off, a notice
    recorded before the decision still tells nothing (RESULT_NOT_NOTIFIED), and no warning."""
    copy = tmp_path / "cbirc-2020-3" / "1.1.1"
    shutil.copytree(module.path.parent, copy)
    text = (copy / "module.yaml").read_text(encoding="utf-8")
    text = text.replace("version: 1.1.0", "version: 1.1.1", 1)
    start = text.index("  out_of_order_warning:")
    text = text[:start] + text[start:].replace("value: true", "value: false", 1)
    (copy / "module.yaml").write_text(text, encoding="utf-8")
    quiet = load_module(copy)
    case = next(c for c in module_cases(module) if c.file.name == "a18-notice-order.yaml")
    codes = {}
    for mod in (module, quiet):
        events = [to_event(e) for e in case.events]
        result = Engine(mod, load_calendar()).evaluate("C", events, parse_moment(case.as_of))
        codes[mod.version] = sorted(f.code for f in result.findings if f.severity in ("violation", "warning"))
    assert codes["1.1.0"] == ["CBIRC2020.A18.NOTICE_BEFORE_DECISION", "CBIRC2020.A18.RESULT_NOT_NOTIFIED"]
    assert codes["1.1.1"] == ["CBIRC2020.A18.RESULT_NOT_NOTIFIED"]
