"""Golden cases: test cases as data, written by policy owners next to their rule module.

A case file (``policies/<id>/<version>/cases/*.yaml``) holds a list of cases. Each case's
``name`` is the legal sentence it tests. Its events are ordinary complaint events (validated
against the event schema) in which ``event_id``, ``complaint_id`` and ``institution`` may be
left out: they default to ``<case>-<n>``, ``CASE`` and the file's ``institution``. Expected
results (``expect``) may state

- ``codes``: the exact sorted list of violation / warning codes (each occurrence listed);
- ``include`` / ``exclude``: codes that must / must not appear (any severity);
- ``undetermined``: the exact sorted list of codes reported as undetermined;
- ``status``: compliant | open | warning | undetermined | violation | error;
- ``clocks``: per clock, any of ``state``, ``due_date``, ``base_due_date``, ``cap_due_date`` (and
  ``earliest_due_date``, ``latest_due_date`` for a limit into a year with no published arrangement).

See docs/rule-modules.md#golden-cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cppolicy.calendar import WorkingDayCalendar, parse_moment
from cppolicy.documents import load_yaml, locate_message
from cppolicy.errors import CppolicyError, RuleModuleError
from cppolicy.evaluation import ClockResult, ComplaintResult, Judge, every_module
from cppolicy.events import Invalid, RawLine, parse_and_validate
from cppolicy.rules import RuleModule, RuleModuleProblems, check_inside

DEFAULT_INSTITUTION = {"id": "BR-TEST", "level": "branch", "parent": "HO-TEST"}
_EXPECT_KEYS = {"codes", "include", "exclude", "undetermined", "status", "clocks"}


@dataclass(frozen=True)
class Case:
    name: str
    file: Path
    index: int
    as_of: str
    events: tuple[dict[str, Any], ...]
    expect: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file.stem}[{self.index}]"


_LIST_EXPECTS = ("codes", "include", "exclude", "undetermined")
_STATUSES = ("compliant", "open", "warning", "undetermined", "violation", "error")  # ComplaintResult.status


def _check_case_document(doc: Any, path: Path) -> None:
    """The shape cases.load_cases assumes, checked first so a slip is a line, not a traceback."""
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise RuleModuleError(f"{path}: $: a case file is a mapping with a 'cases' list")
    if "institution" in doc and not isinstance(doc["institution"], dict):
        raise RuleModuleError(f"{path}: $.institution: must be a mapping")


def _check_raw_case(raw: Any, where: str) -> None:
    """One case's shape (raises on its first problem)."""
    if not isinstance(raw, dict):
        raise RuleModuleError(f"{where}: a case must be a mapping")
    for key in ("name", "as_of", "events", "expect"):
        if key not in raw:
            raise RuleModuleError(f"{where}: missing {key!r} (a case needs name, as_of, events, expect)")
    if not isinstance(raw["name"], str) or not raw["name"].strip():
        raise RuleModuleError(f"{where}.name: must be a non-empty string (the legal sentence)")
    if not isinstance(raw["as_of"], str):
        raise RuleModuleError(f"{where}.as_of: must be a quoted date or date-time string")
    if not isinstance(raw["events"], list):
        raise RuleModuleError(f"{where}.events: must be a list")
    for n, event in enumerate(raw["events"]):
        if not isinstance(event, dict):
            raise RuleModuleError(f"{where}.events[{n}]: an event must be a mapping")
    expect = raw["expect"]
    if not isinstance(expect, dict):
        raise RuleModuleError(f"{where}.expect: must be a mapping")
    unknown = set(expect) - _EXPECT_KEYS
    if unknown:
        raise RuleModuleError(f"{where}.expect: unknown key(s) {', '.join(sorted(unknown))}")
    for key in _LIST_EXPECTS:
        if key in expect and not (
            isinstance(expect[key], list) and all(isinstance(c, str) for c in expect[key])
        ):
            raise RuleModuleError(f"{where}.expect.{key}: must be a list of codes")
    if "status" in expect and expect["status"] not in _STATUSES:
        allowed = ", ".join(_STATUSES)
        raise RuleModuleError(f"{where}.expect.status: {expect['status']!r} is not one of {allowed}")
    clocks = expect.get("clocks")
    if clocks is not None and not (
        isinstance(clocks, dict) and all(isinstance(v, dict) for v in clocks.values())
    ):
        raise RuleModuleError(f"{where}.expect.clocks: must map clock names to mappings")


def _check_case(case: Case, module: RuleModule) -> None:
    where = f"{case.file}: $.cases[{case.index}]"
    try:
        parse_moment(case.as_of, f"{where}.as_of")
    except CppolicyError as error:
        raise RuleModuleError(error.message) from None
    for n, event in enumerate(case.events):
        result = parse_and_validate(RawLine(str(case.file), n + 1, orjson.dumps(event).decode()))
        if isinstance(result, Invalid):
            first = result.errors[0]
            raise RuleModuleError(f"{where}.events[{n}]{first.path[1:]}: {first.message} [{first.keyword}]")
    known = {rule.code for rule in module.rules}
    for key in _LIST_EXPECTS:
        for i, code in enumerate(case.expect.get(key, [])):
            if code not in known and not code.startswith("CPPOLICY."):
                raise RuleModuleError(f"{where}.expect.{key}[{i}]: {code!r} is not a code of {module.ref}")
    for name in case.expect.get("clocks") or {}:
        if name not in module.clocks:
            raise RuleModuleError(f"{where}.expect.clocks: {name!r} is not a clock of {module.ref}")


def load_cases(path: Path) -> list[Case]:
    """Read a case file; its shape is checked first, so a slip is one line, not a traceback
    (:class:`RuleModuleProblems`: every bad case of the file, not only the first)."""
    cases, problems = _read_cases(path)
    if problems:
        raise RuleModuleProblems(problems)
    return cases


def _read_cases(path: Path) -> tuple[list[Case], list[str]]:
    """The well-formed cases of a case file, and one problem per bad case."""
    doc = load_yaml(path)
    _check_case_document(doc, path)
    institution = doc.get("institution", DEFAULT_INSTITUTION)
    out, problems = [], []
    for index, raw in enumerate(doc["cases"]):
        try:
            _check_raw_case(raw, f"{path}: $.cases[{index}]")
        except RuleModuleError as error:
            problems.append(locate_message(path, error.message))
            continue
        events = []
        for n, event in enumerate(raw["events"], 1):
            full = {
                "event_id": f"{path.stem}-{index}-{n}",
                "complaint_id": "CASE",
                "institution": institution,
                **event,
            }
            events.append(full)
        out.append(Case(raw["name"], path, index, str(raw["as_of"]), tuple(events), raw["expect"]))
    return out, problems


def module_cases(module: RuleModule) -> list[Case]:
    """Every golden case in the module's ``cases/*.yaml``, checked against the module (events
    against the event schema, expected codes and clocks against the module's own). Raises
    :class:`RuleModuleProblems` with every problem of every case file."""
    folder = module.path.parent / "cases"
    cases: list[Case] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            check_inside(path, module.path.parent)
            read, bad = _read_cases(path)
        except RuleModuleError as error:  # the file itself: unreadable, bad YAML, not a case list
            problems.append(error.message)
            continue
        problems.extend(bad)
        for case in read:
            try:
                _check_case(case, module)
            except RuleModuleError as error:
                problems.append(locate_message(path, error.message))
                continue
            cases.append(case)
    if problems:
        raise RuleModuleProblems(problems)
    return cases


def run_case(
    case: Case, module: RuleModule, calendar: WorkingDayCalendar, judge: Judge | None = None
) -> list[str]:
    """Evaluate a case; return the list of mismatches (empty when the case passes)."""
    return judge_case(case, module, calendar, judge)[0]


def judge_case(
    case: Case, module: RuleModule, calendar: WorkingDayCalendar, judge: Judge | None = None
) -> tuple[list[str], frozenset[str]]:
    """Evaluate a case: its mismatches (empty when it passes) and the ids of the rules that fired."""
    parsed = []
    for n, event in enumerate(case.events, 1):
        result = parse_and_validate(RawLine(str(case.file), n, orjson.dumps(event).decode()))
        if isinstance(result, Invalid):
            return [f"event {n} is not a valid event: " + "; ".join(result.format_lines())], frozenset()
        parsed.append(result)
    judge = judge or Judge([module], calendar, select=every_module)
    judged = judge.judge("CASE", parsed, parse_moment(case.as_of)).results[0]
    return compare(case.expect, judged, calendar), frozenset(judged.fired)


def compare(expect: dict[str, Any], result: ComplaintResult, calendar: WorkingDayCalendar) -> list[str]:
    problems = []
    fired = sorted(f.code for f in result.findings if f.severity in ("violation", "warning"))
    undetermined = sorted(f.code for f in result.findings if f.severity == "undetermined")
    errors = [f.detail for f in result.findings if f.severity == "error"]
    if errors and expect.get("status") != "error":
        problems.append(f"engine error: {errors[0]}")
    if "codes" in expect and sorted(expect["codes"]) != fired:
        problems.append(f"codes: expected {sorted(expect['codes'])}, got {fired}")
    every = set(fired) | set(undetermined)
    for code in expect.get("include", []):
        if code not in every:
            problems.append(f"include: {code} not reported (got {sorted(every)})")
    for code in expect.get("exclude", []):
        if code in every:
            problems.append(f"exclude: {code} was reported")
    if "undetermined" in expect and sorted(expect["undetermined"]) != undetermined:
        problems.append(f"undetermined: expected {sorted(expect['undetermined'])}, got {undetermined}")
    if "status" in expect and expect["status"] != result.status:
        problems.append(f"status: expected {expect['status']}, got {result.status}")
    clocks = {c.name: c.describe(calendar) for c in result.clocks if isinstance(c, ClockResult)}
    for name, wanted in (expect.get("clocks") or {}).items():
        if name not in clocks:
            problems.append(f"clock {name}: not computed")
            continue
        for key, value in wanted.items():
            got = clocks[name].get(key)
            if str(got) != str(value):
                problems.append(f"clock {name}.{key}: expected {value}, got {got}")
    return problems
