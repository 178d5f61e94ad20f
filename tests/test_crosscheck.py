"""The independent cross-check (cppolicy/crosscheck.py, docs/cross-check.md): a pure-Python
evaluator of rule-module conditions that must agree with durable_rules on every golden case, on
every complaint of the example archive, on the archive scope and on the institution profile — and
that reports, with both results, any evaluation where it does not."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import orjson
import pytest

from cppolicy.audit import CrossCheck, audit_archive, read_archive
from cppolicy.authoring.cases import module_cases
from cppolicy.calendar import parse_moment
from cppolicy.evaluation import crosscheck
from cppolicy.evaluation.crosscheck import (
    CrossChecker,
    Disagreement,
    Firing,
    UnsupportedCondition,
    compare,
    compare_run,
    compile_condition,
    cross_check_facts,
    cross_check_result,
    evaluate_ruleset,
    satisfied_terms,
    selected,
)
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.institution import default_as_of, load_profile
from cppolicy.events import Invalid, RawLine, parse_and_validate
from cppolicy.rules import bundled_module_paths, load_module

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "examples" / "archive-2024-2025.jsonl.gz"
ARCHIVE_AS_OF = datetime.fromisoformat("2026-01-31T00:00:00+08:00")
PROFILE = ROOT / "examples" / "institution-profile.json"
DEMO = ROOT / "tests" / "fixtures" / "modules" / "base" / "demo" / "1.0.0"

MODULES = [load_module(path) for path in bundled_module_paths()]
CASES = [(module, case) for module in MODULES for case in module_cases(module)]


def _events(raw: list[dict], source: str = "test") -> list:
    parsed = [
        parse_and_validate(RawLine(source, n, orjson.dumps(event).decode())) for n, event in enumerate(raw, 1)
    ]
    assert not any(isinstance(p, Invalid) for p in parsed), parsed
    return parsed


@pytest.fixture(scope="module")
def engines(calendar) -> dict[str, Engine]:
    return {module.ref: Engine(module, calendar) for module in MODULES}


# -- comparisons -----------------------------------------------------------------------------------

OPS = ("$lt", "$lte", "$gt", "$gte", "$eq", "$neq")


@pytest.mark.parametrize("op", OPS)
def test_a_missing_field_makes_every_comparison_false_neq_included(op):
    """Measured on durable_rules 2.0.28: a fact without the field matches no comparison on it,
    not even ``$neq`` — against a constant or against another field ($m) of the fact."""
    assert compile_condition({op: {"x": 1}})({"y": 1}) is False
    assert compile_condition({op: {"x": {"$m": "y"}}})({"y": 1}) is False  # left side missing
    assert compile_condition({op: {"x": {"$m": "y"}}})({"x": 1}) is False  # referenced field missing
    assert compile_condition({"x": 1})({"y": 1}) is False


def test_numbers_compare_numerically_with_booleans_as_0_and_1():
    assert compare("$eq", 1, 1.0) and compare("$lt", 1, 2.5) and compare("$gte", 1551664800.0, 1551664800)
    assert compare("$eq", True, 1) and compare("$eq", False, 0) and compare("$lt", False, 1)
    assert compare("$neq", True, False) and not compare("$eq", True, False)
    assert compare("$lte", False, True) and not compare("$gte", False, True)


def test_strings_compare_by_code_point_like_strcmp_on_utf8():
    assert compare("$lt", "abc", "abd") and compare("$gt", "投诉", "投") and compare("$lt", "z", "投")
    assert compare("$gt", "\U0001f600", "é") and compare("$eq", "投诉", "投诉")
    assert compare("$neq", "a", "A")


def test_a_number_against_a_string_compares_the_numbers_json_text():
    assert compare("$lt", "10", 9)  # "10" < "9"
    assert compare("$eq", "9", 9)
    assert compare("$gt", "abc", 9)
    assert compare("$gt", True, "9")  # "true" > "9"
    assert not compare("$eq", 2.0, "2")  # "2.0" != "2"


def test_null_equals_only_null():
    assert compare("$eq", None, None) and not compare("$neq", None, None)
    assert not any(compare(op, None, None) for op in OPS if op != "$eq")
    for other in (1, "a", False):
        assert compare("$neq", other, None)  # a value is $neq a null operand …
        assert not any(compare(op, None, other) for op in OPS)  # … but a null value matches nothing
        assert not any(compare(op, other, None) for op in OPS if op != "$neq")


# -- conditions ------------------------------------------------------------------------------------


def test_equality_comparisons_and_presence():
    fact = {"f": "event", "type": "decided", "t": 10, "due": 8, "first": True, "note": ""}
    holds = lambda condition: compile_condition(condition)(fact)  # noqa: E731
    assert holds({"type": "decided"}) and not holds({"type": "received"})
    assert holds({"first": True}) and not holds({"first": False})
    assert holds({"note": ""})
    assert holds({"$gt": {"t": 9}}) and holds({"$gte": {"t": 10}}) and not holds({"$lt": {"t": 10}})
    assert holds({"$lte": {"t": 10}}) and holds({"$eq": {"t": 10}}) and holds({"$neq": {"t": 11}})
    assert holds({"$gte": {"t": {"$m": "due"}}}) and not holds({"$lt": {"t": {"$m": "due"}}})
    assert holds({"$ex": {"due": 1}}) and not holds({"$ex": {"remedy": 1}})
    assert holds({"$nex": {"remedy": 1}}) and not holds({"$nex": {"due": 1}})


def test_or_inside_and():
    condition = {
        "$and": [
            {"f": "event"},
            {"type": "decided"},
            {"$or": [{"$nex": {"remediation": 1}}, {"remediation": ""}]},
        ]
    }
    holds = compile_condition(condition)
    assert holds({"f": "event", "type": "decided"})
    assert holds({"f": "event", "type": "decided", "remediation": ""})
    assert not holds({"f": "event", "type": "decided", "remediation": "refund"})
    assert not holds({"f": "event", "type": "received"})
    inner = {"$and": [{"b": 1}, {"$or": [{"c": 1}, {"d": 1}]}]}
    nested = compile_condition({"$and": [{"$or": [{"a": 1}, inner]}]})
    assert nested({"a": 1}) and nested({"b": 1, "d": 1}) and not nested({"b": 1}) and not nested({})


def test_dnf_terms_are_counted_for_durable_rules_firing_multiplicity():
    fact = {"x": 1, "y": 1, "z": 1}
    assert satisfied_terms({"$or": [{"x": 1}, {"y": 1}]}, fact) == 2
    assert satisfied_terms({"$or": [{"x": 1}, {"x": 1}, {"w": 1}]}, fact) == 2
    both = {"$and": [{"$or": [{"x": 1}, {"y": 1}]}, {"$or": [{"y": 1}, {"z": 1}]}]}
    assert satisfied_terms(both, fact) == 4
    assert satisfied_terms({"$or": [{"$or": [{"x": 1}, {"y": 1}]}, {"z": 1}]}, fact) == 3
    assert satisfied_terms({"$and": [{"x": 1}, {"w": 1}]}, fact) == 0


def test_a_mapping_with_several_keys_is_their_conjunction():
    holds = compile_condition({"f": "event", "type": "x"})
    assert holds({"f": "event", "type": "x"}) and not holds({"f": "event", "type": "y"})


@pytest.mark.parametrize(
    "condition",
    [
        {"$lt": {"t": {"k": "due"}}},  # a cross-fact reference
        {"$gte": {"t": {"$s": "due"}}},  # state reference
        {"$mt": {"name": "a.*"}},  # regular expression
        {"$lt": {"t": [1, 2]}},
        {"$lt": {"t": 1, "u": 2}},
        {"$and": {"f": "event"}},
        {"$ex": {}},
        {},
        [],
        {"$or": [{"f": "event"}, {"$anyItem": {"x": 1}}]},
    ],
)
def test_conditions_outside_the_documented_set_are_refused_up_front(condition):
    with pytest.raises(UnsupportedCondition):
        compile_condition(condition)


def test_rules_outside_the_documented_form_are_refused():
    with pytest.raises(UnsupportedCondition, match="only"):
        evaluate_ruleset({"r": {"any": [{"a": {"f": "asof"}}]}}, [])
    with pytest.raises(UnsupportedCondition, match="alias"):
        evaluate_ruleset({"r": {"all": [{"a$any": {"f": "asof"}}]}}, [])
    with pytest.raises(UnsupportedCondition, match="rule r, alias a"):
        evaluate_ruleset({"r": {"all": [{"a": {"$mt": {"x": "y"}}}]}}, [])


# -- rules over facts ------------------------------------------------------------------------------


def _ids(firings: list[Firing], facts: list[dict]) -> list[tuple]:
    return [(f.rule_id, tuple(facts[i].get("id") for i in f.facts)) for f in firings]


def test_every_combination_fires_once_with_distinct_facts_per_alias():
    facts = [
        {"id": "a", "f": "e"},
        {"id": "b", "f": "e"},
        {"id": "c", "f": "k"},
        {"id": "d", "f": "k"},
        {"id": "q", "f": "asof"},
    ]
    rule = {"r": {"all": [{"q": {"f": "asof"}}, {"x": {"f": "e"}}, {"y": {"f": "k"}}]}}
    joined = evaluate_ruleset(rule, facts)
    assert sorted(_ids(joined, facts)) == [("r", ("q", x, y)) for x in "ab" for y in "cd"]
    # one fact never binds two aliases of a combination (measured: (a, b) and (b, a), not (a, a))
    same = evaluate_ruleset({"r": {"all": [{"x": {"f": "e"}}, {"y": {"f": "e"}}]}}, facts)
    assert sorted(_ids(same, facts)) == [("r", ("a", "b")), ("r", ("b", "a"))]


def test_absence_blocks_a_combination_when_any_other_fact_matches():
    past_due = {"$and": [{"f": "clock"}, {"$lte": {"due": {"$m": "asof_t"}}}]}
    rule = {
        "r": {
            "all": [
                {"q": {"f": "asof"}},
                {"k": past_due},
                {"n$not": {"$and": [{"f": "event"}, {"type": "decided"}]}},
            ]
        }
    }
    clock = {"f": "clock", "clock": "decision", "due": 5, "asof_t": 9}
    asof = {"f": "asof", "t": 9}
    assert len(evaluate_ruleset(rule, [clock, asof])) == 1
    assert evaluate_ruleset(rule, [{"f": "event", "type": "decided", "id": "d"}, clock, asof]) == []
    assert len(evaluate_ruleset(rule, [{"f": "event", "type": "received", "id": "r"}, clock, asof])) == 1
    assert evaluate_ruleset(rule, [{**clock, "due": 10}, asof]) == []


def test_absence_with_a_same_fact_comparison_ignores_the_facts_of_the_combination():
    """``n$not`` with ``{$m: ...}`` compares each candidate fact with its own fields; a fact
    already bound in the combination does not count as present (durable_rules: measured)."""
    rule = {
        "r": {
            "all": [
                {"q": {"f": "asof"}},
                {"x": {"f": "e"}},
                {"n$not": {"$and": [{"f": "e"}, {"$gt": {"t": {"$m": "d"}}}]}},
            ]
        }
    }
    a, b = {"id": "a", "f": "e", "t": 1, "d": 5}, {"id": "b", "f": "e", "t": 9, "d": 5}
    q = {"id": "q", "f": "asof"}
    facts = [a, b, q]
    # b matches the absence condition (9 > 5): it blocks x=a, but not x=b, where it is x itself
    assert _ids(evaluate_ruleset(rule, facts), facts) == [("r", ("q", "b"))]
    assert _ids(evaluate_ruleset(rule, [a, q]), [a, q]) == [("r", ("q", "a"))]


def test_an_or_in_the_first_condition_repeats_the_firing_once_per_true_branch():
    facts = [{"id": "a", "f": "e", "x": 1, "y": 1}, {"id": "q", "f": "asof"}]
    either = {"$and": [{"f": "e"}, {"$or": [{"x": 1}, {"y": 1}]}]}
    assert len(evaluate_ruleset({"r": {"all": [{"m": either}]}}, facts)) == 2
    assert len(evaluate_ruleset({"r": {"all": [{"m": either}, {"q": {"f": "asof"}}]}}, facts)) == 2
    assert len(evaluate_ruleset({"r": {"all": [{"q": {"f": "asof"}}, {"m": either}]}}, facts)) == 1


DURABLE_PARITY = r"""
import itertools, json, sys
import durable.engine
from cppolicy.evaluation.engine import _Host
fired = []
def resolve(name):
    def act(c):
        fired.append([name, {k: dict(v) for k, v in (c._m or {}).items()}])
    return act
host = _Host(resolve)
out = []
for n, (rules, facts) in enumerate(json.loads(sys.stdin.read())):
    ruleset = {rid: {**body, "run": rid} for rid, body in rules.items()}
    # as the engine does: without this rule on the as-of fact, a fact matching only a $not
    # condition crashes durable_rules 2.0.28 (measured; docs/cross-check.md)
    ruleset["cppolicy-asof-seen"] = {"all": [{"a": {"f": "asof"}}], "run": "cppolicy-asof-seen"}
    host.register_rulesets({f"rs{n}": ruleset})
    fired.clear()
    for fact in facts:
        try:
            host.assert_fact(f"rs{n}", {**fact, "sid": "1"})
        except durable.engine.MessageNotHandledException:
            pass
    host.delete_state(f"rs{n}", "1")
    out.append(list(fired))
print(json.dumps(out))
"""

_E = [
    {"id": "a", "f": "e", "x": 1, "y": 1, "t": 1, "d": 5, "v": 1},
    {"id": "b", "f": "e", "x": 2.5, "t": 9, "d": 5},
    {"id": "c", "f": "e", "y": "s"},
    {"id": "g", "f": "e", "x": 0, "first": False, "v": None},
    {"id": "h", "f": "e", "x": True, "first": True},
    {"id": "k", "f": "k", "due": 3, "asof_t": 4},
    {"id": "q", "f": "asof"},
]
PARITY_CASES = {
    **{f"{op} constant": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {op: {"x": 1}}]}}]}} for op in OPS},
    "equality with booleans": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"first": True}]}}]}},
    "booleans ordered": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"$gt": {"first": False}}]}}]}},
    "strings against numbers": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"$gt": {"y": 9}}]}}]}},
    "null": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"v": None}]}}]}},
    "not null": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"$neq": {"v": None}}]}}]}},
    "null against a constant": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"$neq": {"v": 2}}]}}]}},
    "same-fact comparison": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"$lt": {"t": {"$m": "d"}}}]}}]}},
    "$ex / $nex": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"$ex": {"y": 1}}, {"$nex": {"x": 1}}]}}]}},
    "$or inside $and": {
        "r": {"all": [{"m": {"$and": [{"f": "e"}, {"$or": [{"x": 1}, {"$nex": {"x": 1}}]}]}}]}
    },
    "$or repeats": {"r": {"all": [{"m": {"$and": [{"f": "e"}, {"$or": [{"x": 1}, {"y": 1}, {"t": 1}]}]}}]}},
    "join": {
        "r": {
            "all": [
                {"q": {"f": "asof"}},
                {"m": {"$and": [{"f": "e"}, {"$lte": {"t": 1}}]}},
                {"k": {"$and": [{"f": "k"}, {"$lte": {"due": {"$m": "asof_t"}}}]}},
            ]
        }
    },
    "absence": {
        "r": {
            "all": [
                {"q": {"f": "asof"}},
                {"k": {"f": "k"}},
                {"n$not": {"$and": [{"f": "e"}, {"$gt": {"x": 5}}]}},
            ]
        }
    },
    "absence blocked": {
        "r": {
            "all": [
                {"q": {"f": "asof"}},
                {"k": {"f": "k"}},
                {"n$not": {"$and": [{"f": "e"}, {"$gt": {"x": 2}}]}},
            ]
        }
    },
    "absence, same fact": {
        "r": {
            "all": [
                {"q": {"f": "asof"}},
                {"x": {"f": "e"}},
                {"n$not": {"$and": [{"f": "e"}, {"$gt": {"t": {"$m": "d"}}}]}},
            ]
        }
    },
}


#: a mapping with two keys: durable_rules reads only the first ({f: e}) and matches every e fact
MULTI_KEY = {"r": {"all": [{"m": {"f": "e", "y": 1}}]}}


@pytest.mark.slow
def test_the_documented_semantics_match_durable_rules_on_small_rulesets():
    """The evaluator against durable_rules itself (in a child process: its C core can crash), on
    one ruleset per documented point — and the one documented difference, still there."""
    payload = [(rules, _E) for rules in [*PARITY_CASES.values(), MULTI_KEY]]
    run = subprocess.run(
        [sys.executable, "-c", DURABLE_PARITY],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)
    facts = [{**fact, "sid": "1"} for fact in _E]
    silent = set()
    for (name, rules), raw in zip(PARITY_CASES.items(), results[:-1], strict=True):  # the last: MULTI_KEY
        theirs = crosscheck.engine_firings(rules, [tuple(f) for f in raw], facts)
        assert theirs == evaluate_ruleset(rules, facts), name
        if not theirs:
            silent.add(name)
    assert silent == {"absence blocked"}  # every other ruleset fires: the agreement is not vacuous
    durable_multi_key = crosscheck.engine_firings(MULTI_KEY, [tuple(f) for f in results[-1]], facts)
    assert _ids(durable_multi_key, facts) == [("r", (x,)) for x in "abcgh"]
    assert _ids(evaluate_ruleset(MULTI_KEY, facts), facts) == [("r", ("a",))]


# -- the engine hook -------------------------------------------------------------------------------


def test_keep_facts_records_the_facts_as_asserted_and_costs_nothing_when_off(calendar):
    module = next(m for m in MODULES if m.id == "cbrc-2012-13")
    module_case = next(c for c in module_cases(module) if c.expect.get("codes"))
    events = _events(list(module_case.events))
    plain = Engine(module, calendar)
    plain.evaluate("CASE", events, parse_moment(module_case.as_of))
    assert plain.last_run is None
    kept = Engine(module, calendar, keep_facts=True)
    kept.evaluate("CASE", events, parse_moment(module_case.as_of))
    scope, on, facts, fired = kept.last_run
    assert scope == "complaint" and facts[-1]["f"] == "asof"
    assert all("sid" in fact for fact in facts) and all("asof_t" in fact for fact in facts[:-1])
    assert any(rule_id == "cppolicy-asof-seen" for rule_id, _ in fired)


# -- golden cases, example archive, archive scope, institution profile -----------------------------


@pytest.mark.parametrize(("module", "case"), CASES, ids=[f"{m.ref}:{c.id}" for m, c in CASES])
def test_cross_check_agrees_with_durable_rules_on_golden_case(module, case, engines):
    engine = engines[module.ref]
    disagreement = cross_check_result(
        engine, "CASE", _events(list(case.events), str(case.file)), parse_moment(case.as_of)
    )
    assert disagreement is None, f"{case.name}\n{disagreement.describe()}"
    assert engine.last_run is not None or case.expect.get("status") == "error"


def test_golden_cases_exercise_the_cross_check(engines):
    """Not a vacuous agreement: the golden cases fire rules of every module."""
    for module in MODULES:
        engine, fired = engines[module.ref], set()
        for case in module_cases(module):
            cross_check_result(engine, "CASE", _events(list(case.events)), parse_moment(case.as_of))
            if engine.last_run:
                fired |= {rule_id for rule_id, _ in engine.last_run[3] if rule_id != "cppolicy-asof-seen"}
        assert len(fired) >= 5, (module.ref, fired)


@pytest.fixture(scope="module")
def archive():
    return read_archive([str(ARCHIVE)])


def test_every_complaint_of_the_example_archive_and_its_archive_scope_agree(archive, calendar):
    """The way ``audit --cross-check`` runs: the checker watching the archive pipeline."""
    checker = CrossChecker(MODULES, calendar, as_of=ARCHIVE_AS_OF)
    report = audit_archive(
        archive, MODULES, calendar, ARCHIVE_AS_OF, keep="full", observers=[CrossCheck(checker)]
    )
    assert not checker.disagreements, "\n".join(d.describe() for d in checker.disagreements)
    assert not checker.unsupported
    assert checker.counts["checked"] == len(report.results) + len(report.archive_results)
    assert len(report.results) >= 310 and report.archive_results
    assert checker.counts["firings"] >= 300
    summary = checker.summary()
    assert summary["disagreed"] == 0 and summary["agreed"] == summary["checked"]


def test_archive_scope_agrees_and_fires(archive, calendar):
    checker = CrossChecker(MODULES, calendar, as_of=ARCHIVE_AS_OF)
    assert checker.check_archive(archive.complaints, archive.institution_events) == []
    # one evaluation per module id: the newest version judges the institution-level events
    assert checker.counts["checked"] == len({m.id for m in MODULES if m.rules_in("archive")})
    assert checker.counts["firings"] >= 8  # the eight archive-scope findings of cbrc-2012-13, at least


def test_institution_profile_agrees_and_fires(calendar):
    doc = load_profile(PROFILE)
    checker = CrossChecker(MODULES, calendar)
    assert checker.check_institution(doc, default_as_of(doc)) == []
    assert checker.counts["checked"] == len({m.id for m in MODULES if m.rules_in("institution")})
    assert checker.counts["firings"] > 0


def test_a_sample_is_a_stable_fraction_of_the_complaints(archive, calendar):
    ids = list(archive.complaints)
    drawn = [cid for cid in ids if selected(cid, 0.1)]
    assert 0.05 * len(ids) <= len(drawn) <= 0.2 * len(ids)
    assert drawn == [cid for cid in ids if selected(cid, 0.1)]
    assert drawn != [cid for cid in ids if selected(cid, 0.1, seed="other")]
    assert all(selected(cid, None) and selected(cid, 1.0) for cid in ids)
    checker = CrossChecker(MODULES, calendar, as_of=ARCHIVE_AS_OF, sample=0.1)
    for cid, events in archive.complaints.items():
        assert checker.check_complaint(cid, events) == []
    assert checker.counts["not_sampled"] == len(ids) - len(drawn)
    assert checker.counts["checked"] >= len(drawn)
    for bad in (0, -0.5, 1.5):
        with pytest.raises(ValueError):
            CrossChecker(MODULES, calendar, sample=bad)


# -- disagreements are reported with both results --------------------------------------------------


def _late_decision_case():
    module = next(m for m in MODULES if m.id == "cbrc-2012-13")
    case = next(c for c in module_cases(module) if "CBRC2012.P9.DECISION_LATE" in c.expect.get("codes", []))
    return module, case


def test_a_planted_missed_firing_is_reported_with_both_results(calendar, monkeypatch):
    module, case = _late_decision_case()
    engine = Engine(module, calendar)
    original = Engine.run_facts

    def dropping(self, scope, on, facts, as_of, **options):
        fired = original(self, scope, on, facts, as_of, **options)
        # durable_rules "forgets" the late decision: gone from the raw list and from the result
        self._fired[:] = [item for item in self._fired if item[0] != "p9-decision-late"]
        return [item for item in fired if item[0] != "p9-decision-late"]

    monkeypatch.setattr(Engine, "run_facts", dropping)
    disagreement = cross_check_result(engine, "CASE", _events(list(case.events)), parse_moment(case.as_of))
    assert isinstance(disagreement, Disagreement)
    assert disagreement.scope == "complaint" and disagreement.subject == "CASE"
    assert disagreement.module == module.ref
    assert disagreement.only_engine == []
    assert [f.split("(")[0] for f in disagreement.only_crosscheck] == ["p9-decision-late"]
    assert "CBRC2012.P9.DECISION_LATE" in disagreement.crosscheck_codes
    assert "CBRC2012.P9.DECISION_LATE" not in disagreement.engine_codes
    text = disagreement.describe()
    assert "durable_rules firings" in text and "cross-check firings" in text
    assert "p9-decision-late(e=event:" in text
    data = disagreement.to_dict()
    assert data["engine"]["codes"] == disagreement.engine_codes
    assert data["crosscheck"]["firings"] == disagreement.crosscheck_firings
    json.dumps(data)


def test_a_planted_spurious_firing_is_reported_with_both_results(calendar, monkeypatch):
    module, case = _late_decision_case()
    engine = Engine(module, calendar)
    original = Engine.run_facts

    def inventing(self, scope, on, facts, as_of, **options):
        fired = original(self, scope, on, facts, as_of, **options)
        event = next(f for f in self.last_run[2] if f.get("type") == "received")
        extra = ("p7-ack-incomplete", {"e": event})  # the receipt is no acceptance notice
        self._fired.append(extra)
        return [*fired, extra]

    monkeypatch.setattr(Engine, "run_facts", inventing)
    disagreement = cross_check_result(engine, "CASE", _events(list(case.events)), parse_moment(case.as_of))
    assert disagreement is not None
    assert [f.split("(")[0] for f in disagreement.only_engine] == ["p7-ack-incomplete"]
    assert disagreement.only_crosscheck == []
    assert "CBRC2012.P7.ACK_INCOMPLETE" in disagreement.engine_codes
    assert "CBRC2012.P7.ACK_INCOMPLETE" not in disagreement.crosscheck_codes


def test_the_checker_compares_the_codes_the_audit_reported(calendar):
    module, case = _late_decision_case()
    as_of = parse_moment(case.as_of)
    events = _events(list(case.events))
    result = Engine(module, calendar).evaluate("CASE", events, as_of)
    # a tampered report
    result.findings = [f for f in result.findings if f.code != "CBRC2012.P9.DECISION_LATE"]
    checker = CrossChecker([module], calendar, as_of=as_of)
    disagreement = checker.check_result(result, events)
    assert disagreement is not None and checker.disagreements == [disagreement]
    assert disagreement.engine_firings == disagreement.crosscheck_firings  # durable_rules itself agrees
    assert "CBRC2012.P9.DECISION_LATE" not in disagreement.engine_codes
    assert "CBRC2012.P9.DECISION_LATE" in disagreement.crosscheck_codes
    assert any("re-evaluation" in note for note in disagreement.notes)
    assert checker.summary()["disagreed"] == 1


def test_an_unsupported_condition_is_counted_not_silently_agreed(calendar, monkeypatch):
    module, case = _late_decision_case()
    checker = CrossChecker([module], calendar, as_of=parse_moment(case.as_of))

    def unsupported(ruleset, facts):
        raise UnsupportedCondition("rule x, alias e: operator $mt is not interpreted by the cross-check")

    monkeypatch.setattr(crosscheck.checker, "evaluate_ruleset", unsupported)
    assert checker.check_complaint("CASE", _events(list(case.events))) == []
    assert checker.counts["unsupported"] >= 1 and checker.counts["checked"] == 0
    assert "$mt" in checker.summary()["unsupported_conditions"][0]


def test_cross_check_facts_on_institution_facts(calendar):
    from cppolicy.evaluation.institution import profile_facts

    module = next(m for m in MODULES if m.id == "cbrc-2012-13")
    doc = load_profile(PROFILE)
    as_of = default_as_of(doc)
    on = as_of.date()
    facts = profile_facts(doc, module, module.parameters_on(on), as_of)
    assert cross_check_facts(Engine(module, calendar), "institution", on, facts, as_of) is None


def test_missing_reference_quirk_is_guarded_at_compile_time(calendar, tmp_path):
    """A real divergence the cross-check found: in a ruleset holding only the demo module's
    decision-late rule, durable_rules 2.0.28 took ``{$gte: {t: {$m: decision_due}}}`` as true
    when the fact had no ``decision_due`` (no receipt, so no clock) and reported a late decision.
    The compiler now adds ``$ex`` guards beside every same-fact comparison, so the engine agrees
    with the documented reading (a missing field compares false) in that layout too."""
    folder = tmp_path / "demo" / "1.0.0"
    shutil.copytree(DEMO, folder)
    text = (folder / "module.yaml").read_text(encoding="utf-8")
    text = text[: text.index("  - id: decision-overdue")] + "\n" + text[text.index("coverage:") :]
    text = text.replace("rules: [decision-late, decision-overdue]", "rules: [decision-late]")
    (folder / "module.yaml").write_text(text, encoding="utf-8")
    module = load_module(folder)
    compiled = module.compile(date(2025, 3, 4))["decision-late"]["all"][0]["e"]["$and"]
    assert {"$ex": {"decision_due": 1}} in compiled and {"$ex": {"t": 1}} in compiled
    events = _events(
        [
            {
                "event_id": "d1",
                "complaint_id": "C",
                "type": "decided",
                "time": "2025-03-04T10:00:00+08:00",
                "institution": {"id": "BR-SH", "level": "branch", "parent": "HO-001"},
                "data": {"outcome": "upheld", "product_problem_found": False},
            }
        ]
    )
    engine = Engine(module, calendar)
    assert (
        cross_check_result(engine, "C", events, datetime.fromisoformat("2025-06-01T00:00:00+08:00")) is None
    )
    result = engine.evaluate("C", events, datetime.fromisoformat("2025-06-01T00:00:00+08:00"))
    assert "DEMO.A3.DECISION_LATE" not in [f.code for f in result.findings if f.severity == "violation"]


# -- limits that run into an unknown year: judged at both ends ----------------------------------


def _between_the_bounds_case():
    module = next(m for m in MODULES if m.id == "cbrc-2012-13")
    case = next(c for c in module_cases(module) if c.expect.get("undetermined") == ["CBRC2012.P7.ACK_LATE"])
    return module, case


def test_golden_cases_with_a_limit_into_an_unknown_year_are_checked_at_both_ends(engines):
    """Not a vacuous agreement: the cases into 2027 record a run at each end, and the ends differ."""
    module, case = _between_the_bounds_case()
    engine = engines[module.ref]
    disagreement = cross_check_result(engine, "CASE", _events(list(case.events)), parse_moment(case.as_of))
    assert disagreement is None
    assert engine.earliest_run is not None and engine.last_run is not None
    fired = [{r for r, _ in run[3]} for run in (engine.earliest_run, engine.last_run)]
    assert "p7-ack-late" in fired[0] and "p7-ack-late" not in fired[1]


def test_a_planted_missed_firing_at_the_earliest_end_is_reported(calendar, monkeypatch):
    """The cross-check re-evaluates the earliest end's run too, not only the last one asserted."""
    module, case = _between_the_bounds_case()
    engine = Engine(module, calendar)
    original = Engine.run_facts

    def dropping(self, scope, on, facts, as_of, **options):
        fired = original(self, scope, on, facts, as_of, **options)
        self._fired[:] = [item for item in self._fired if item[0] != "p7-ack-late"]
        return [item for item in fired if item[0] != "p7-ack-late"]

    monkeypatch.setattr(Engine, "run_facts", dropping)
    disagreement = cross_check_result(engine, "CASE", _events(list(case.events)), parse_moment(case.as_of))
    assert disagreement is not None
    assert any(
        "at the earliest possible end" in note and "p7-ack-late" in note for note in disagreement.notes
    )


def test_a_code_counts_only_when_its_rule_fires_at_both_ends(calendar, monkeypatch):
    """A rule fired at the earliest end only is undetermined, never a reported code: an engine
    that reported it as a violation is contradicted."""
    module, case = _between_the_bounds_case()
    engine = Engine(module, calendar)
    result = engine.evaluate("CASE", _events(list(case.events)), parse_moment(case.as_of))
    undetermined = next(f for f in result.findings if f.code == "CBRC2012.P7.ACK_LATE")
    assert undetermined.severity == "undetermined" and "2027-01-01" in undetermined.detail
    assert "2027-01-11" in undetermined.detail
    engine.keep_facts = True
    engine.evaluate("CASE", _events(list(case.events)), parse_moment(case.as_of))
    violation = dataclasses.replace(undetermined, severity="violation")
    disagreement = compare_run(
        engine,
        engine.last_run,
        parse_moment(case.as_of),
        subject="CASE",
        reported=[violation],
        earliest=engine.earliest_run,
    )
    assert disagreement is not None
    assert disagreement.engine_codes == ["CBRC2012.P7.ACK_LATE"] and disagreement.crosscheck_codes == []


def test_an_out_of_order_record_the_engine_misses_is_a_disagreement(calendar):
    """The cross-check reads the out-of-order records (a result notice before the decision it
    reports) again from the facts: facts that lack the engine's annotation disagree."""
    module = next(m for m in MODULES if m.ref == "cbirc-2020-3@1.1.0")
    case = next(c for c in module_cases(module) if c.file.name == "a18-notice-order.yaml")
    engine = Engine(module, calendar, keep_facts=True)
    moment = parse_moment(case.as_of)
    engine.evaluate("CASE", _events(list(case.events)), moment)
    scope, on, facts, fired = engine.last_run
    assert crosscheck.compare_run(engine, (scope, on, facts, fired), moment, subject="CASE") is None
    stripped = [{k: v for k, v in f.items() if k not in ("out_of_order", "reports_id")} for f in facts]
    disagreement = crosscheck.compare_run(engine, (scope, on, stripped, fired), moment, subject="CASE")
    assert disagreement is not None
    assert any(note.startswith("out-of-order records differ") for note in disagreement.notes)
