"""A limit that runs into a year whose holiday arrangement is not published (2027), on the
reading that rolls a calendar-day deadline forward over rest days (民法典 Art. 203,
``roll_forward_on_holiday`` on): an act before the nominal last day is in time under any
arrangement; one between the nominal day and the latest possible end is undetermined; one
after the latest is late (docs/calendar.md, "Periods that run into an unknown year")."""

from __future__ import annotations

import json
from pathlib import Path

from cppolicy.authoring.cases import module_cases
from cppolicy.calendar import parse_moment
from cppolicy.evaluation.crosscheck import cross_check_result
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.unknown_year import BothEnds
from cppolicy.events import RawLine, parse_and_validate
from cppolicy.rules import load_module, resolve_folder
from tests.helpers import cli

RECEIVED = (
    '{type: received, time: "2026-12-17T10:00:00+08:00", data: {channel: letter, product: payment, '
    "issue: unauthorized_transaction, forwarded_by: {regulator: PBOC, office: 中国人民银行上海总部}}}"
)

OFFICE = "中国人民银行上海总部"
CONTENTS = (
    "contents: [basic_facts, dispute_focus, findings_and_evidence, basis, communication, extension, "
    "satisfaction]"
)


def _case(name: str, replied: str, expect: str) -> str:
    return f"""  - name: {json.dumps(name, ensure_ascii=False)}
    as_of: "2027-03-01"
    events:
      - {RECEIVED}
      - {{type: decided, time: "{replied}", data: {{outcome: rejected, product_problem_found: false}}}}
      - {{type: result_notified, time: "{replied}", data: {{channel: phone}}}}
      - {{type: reported_to_regulator, time: "{replied}", data: {{regulator: PBOC, office: {OFFICE}, {CONTENTS}}}}}
    expect:
{expect}
"""


def _rolling_module(tmp_path: Path) -> Path:
    """pbc-2020-5 with roll_forward_on_holiday switched on, and cases on each side of each bound:
    received 2026-12-17, the 15th day is Friday 2027-01-01, a day of an unpublished year."""
    folder = tmp_path / "pbc-rolling"
    folder.mkdir()
    text = (resolve_folder("pbc-2020-5@1.0.0") / "module.yaml").read_text(encoding="utf-8")
    head, sep, tail = text.partition("  roll_forward_on_holiday:")
    assert sep, "pbc-2020-5 has a roll_forward_on_holiday parameter"
    tail = tail.replace("value: false", "value: true", 1)
    (folder / "module.yaml").write_text(head + sep + tail, encoding="utf-8")
    cases = folder / "cases"
    cases.mkdir()
    body = "institution: {id: BR-SH, level: branch, parent: HO-001}\ncases:\n" + "".join(
        [
            _case(
                "A reply on 2026-12-31, before the nominal last day 2027-01-01, is in time under any arrangement",
                "2026-12-31T15:00:00+08:00",
                "      codes: []\n      undetermined: []\n      status: compliant\n"
                '      clocks: {reply: {state: met, earliest_due_date: "2027-01-01", latest_due_date: "2027-01-11"}}',
            ),
            _case(
                "A reply on the nominal last day itself is in time under any arrangement",
                "2027-01-01T22:00:00+08:00",
                "      codes: []\n      undetermined: []\n      status: compliant",
            ),
            _case(
                "A reply on 2027-01-05 is in time only if 2027-01-01 to 01-04 are rest days: undetermined",
                "2027-01-05T10:00:00+08:00",
                "      codes: []\n      undetermined: [PBC2020.A43.REPLY_LATE]\n      status: undetermined",
            ),
            _case(
                "A reply on 2027-01-12, after the latest possible end, is late under any arrangement",
                "2027-01-12T10:00:00+08:00",
                "      codes: [PBC2020.A43.REPLY_LATE]\n      undetermined: []\n      status: violation",
            ),
        ]
    )
    (cases / "rolling.yaml").write_text(body, encoding="utf-8")
    return folder


def test_a_rolled_forward_limit_into_an_unknown_year_is_judged_where_the_reading_allows(tmp_path):
    folder = _rolling_module(tmp_path)
    result = cli("modules", "test", str(folder))
    assert result.exit_code == 0, result.output
    assert "4 passed, 0 failed" in result.output


def test_the_cross_check_agrees_at_both_ends_on_the_rolled_forward_cases(tmp_path, calendar):
    module = load_module(_rolling_module(tmp_path))
    engine, both_ends = Engine(module, calendar), 0
    for case in module_cases(module):
        events = [
            parse_and_validate(RawLine("case", n, json.dumps(raw))) for n, raw in enumerate(case.events, 1)
        ]
        disagreement = cross_check_result(engine, "CASE", events, parse_moment(case.as_of))
        assert disagreement is None, f"{case.name}\n{disagreement.describe()}"
        both_ends += engine.earliest_run is not None
    assert both_ends == 4


def test_a_rule_is_judged_per_act_at_both_ends():
    """Two acts under one rule: late at both ends for one (judged), at the earliest end only for
    the other (undetermined); the clock fact's due differs between the ends and is not compared."""
    ends = BothEnds([], {}, [], {}, "assumption")
    clock_early = {"f": "clock", "clock": "k", "due": 1.0}
    clock_late = {"f": "clock", "clock": "k", "due": 2.0}
    act_a, act_b = {"f": "event", "id": "A"}, {"f": "event", "id": "B"}
    early = [("r", {"e": act_a, "k": clock_early}), ("r", {"e": act_b, "k": clock_early})]
    late = [("r", {"e": act_b, "k": clock_late})]
    assert ends.judge(early, late) == late
    assert ends.split == ["r"]
    assert ends.judge(late, late) == late and ends.split == []
    assert ends.judge([], late) == [] and ends.split == ["r"]
