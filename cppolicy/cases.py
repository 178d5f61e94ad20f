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
- ``clocks``: per clock, any of ``state``, ``due_date``, ``base_due_date``, ``cap_due_date``.

See docs/rule-modules.md#golden-cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cppolicy.calendar import WorkingDayCalendar
from cppolicy.cli.options import parse_as_of
from cppolicy.engine import Engine
from cppolicy.errors import RuleModuleError
from cppolicy.events import Invalid, RawLine, parse_and_validate
from cppolicy.rule_module import RuleModule, load_yaml

DEFAULT_INSTITUTION = {"id": "BR-TEST", "level": "branch", "parent": "HO-TEST"}
_EXPECT_KEYS = {"codes", "include", "exclude", "undetermined", "status", "clocks"}


@dataclass(frozen=True)
class Case:
    name: str
    file: Path
    index: int
    as_of: str
    events: tuple[dict, ...]
    expect: dict

    @property
    def id(self) -> str:
        return f"{self.file.stem}[{self.index}]"


def load_cases(path: Path) -> list[Case]:
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise RuleModuleError(f"{path}: a case file is a mapping with a 'cases' list")
    institution = doc.get("institution", DEFAULT_INSTITUTION)
    out = []
    for index, raw in enumerate(doc["cases"]):
        where = f"{path}: $.cases[{index}]"
        if not isinstance(raw, dict) or not {"name", "as_of", "events", "expect"} <= set(raw):
            raise RuleModuleError(f"{where}: a case needs name, as_of, events and expect")
        unknown = set(raw["expect"]) - _EXPECT_KEYS
        if unknown:
            raise RuleModuleError(f"{where}.expect: unknown key(s) {', '.join(sorted(unknown))}")
        events = []
        for n, event in enumerate(raw["events"], 1):
            full = {"event_id": f"{path.stem}-{index}-{n}", "complaint_id": "CASE",
                    "institution": institution, **event}
            events.append(full)
        out.append(Case(raw["name"], path, index, str(raw["as_of"]), tuple(events), raw["expect"]))
    return out


def module_cases(module: RuleModule) -> list[Case]:
    folder = module.path.parent / "cases"
    return [case for path in sorted(folder.glob("*.yaml")) for case in load_cases(path)]


def run_case(case: Case, module: RuleModule, calendar: WorkingDayCalendar,
             engine: Engine | None = None) -> list[str]:
    """Evaluate a case; return the list of mismatches (empty when the case passes)."""
    parsed = []
    for n, event in enumerate(case.events, 1):
        result = parse_and_validate(RawLine(str(case.file), n, orjson.dumps(event).decode()))
        if isinstance(result, Invalid):
            return [f"event {n} is not a valid event: " + "; ".join(result.format_lines())]
        parsed.append(result)
    engine = engine or Engine(module, calendar)
    result = engine.evaluate("CASE", parsed, parse_as_of(case.as_of))
    return compare(case.expect, result, calendar)


def compare(expect: dict, result: Any, calendar: WorkingDayCalendar) -> list[str]:
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
    clocks = {c.name: c.describe(calendar) for c in result.clocks}
    for name, wanted in (expect.get("clocks") or {}).items():
        if name not in clocks:
            problems.append(f"clock {name}: not computed")
            continue
        for key, value in wanted.items():
            got = clocks[name].get(key)
            if str(got) != str(value):
                problems.append(f"clock {name}.{key}: expected {value}, got {got}")
    return problems
