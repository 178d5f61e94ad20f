"""``cppolicy modules test``: running the golden cases of rule modules, with a JUnit XML report."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cppolicy.authoring.cases import Case, judge_case
from cppolicy.authoring.text import json_text, writes
from cppolicy.calendar import WorkingDayCalendar
from cppolicy.evaluation import Judge, every_module
from cppolicy.reports.formats import FORMATS
from cppolicy.rules import RuleModule


@dataclass
class CaseOutcome:
    case: Case
    problems: list[str]
    seconds: float
    #: ids of the rules that fired on the case
    fired: frozenset[str] = frozenset()

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class ModuleOutcome:
    module: RuleModule
    outcomes: list[CaseOutcome] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(not o.passed for o in self.outcomes)

    def unfired(self) -> list[dict[str, str]]:
        """The module's rules no case of the run fired (``opa test --coverage``'s question),
        in the module's order; institution and archive rules cannot fire on a golden case."""
        fired = set().union(*(o.fired for o in self.outcomes))
        return [
            {"id": rule.id, "code": rule.code, "scope": rule.scope}
            for rule in self.module.rules
            if rule.id not in fired
        ]


@dataclass
class TestRun:
    modules: list[ModuleOutcome]
    #: with --coverage: list each module's rules that no case fired
    coverage: bool = False

    @property
    def total(self) -> int:
        return sum(len(m.outcomes) for m in self.modules)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.modules)


def run_tests(
    suites: Sequence[tuple[RuleModule, Sequence[Case]]],
    calendar_for: Callable[[RuleModule], WorkingDayCalendar],
    *,
    coverage: bool = False,
) -> TestRun:
    """Run every case of every module; one judge per module (its cases are judged by it alone,
    whatever their receipt dates). ``coverage``: the report lists the rules no case fired."""
    run = TestRun([], coverage)
    for module, cases in suites:
        judge = Judge([module], calendar_for(module), select=every_module)
        outcome = ModuleOutcome(module)
        for case in cases:
            started = time.perf_counter()
            problems, fired = judge_case(case, module, judge.calendar, judge)
            outcome.outcomes.append(CaseOutcome(case, problems, time.perf_counter() - started, fired))
        run.modules.append(outcome)
    return run


def _test_text(run: TestRun) -> str:
    out = []
    for m in run.modules:
        out.append(f"{m.module.ref} ({m.module.path.parent}): {len(m.outcomes)} cases")
        for o in m.outcomes:
            out.append(f"{'PASS' if o.passed else 'FAIL'} {o.case.id}: {o.case.name}")
            out += [f"    {problem}" for problem in o.problems]
        if run.coverage:
            out += _coverage_lines(m)
    passed = run.total - run.failed
    out.append(
        f"{run.total} cases in {len(run.modules)} module{'' if len(run.modules) == 1 else 's'}: "
        f"{passed} passed, {run.failed} failed"
    )
    return "\n".join(out) + "\n"


def _coverage_lines(m: ModuleOutcome) -> list[str]:
    unfired = m.unfired()
    total = len(m.module.rules)
    out = [f"coverage: {total - len(unfired)} of {total} rules fired by a case; not fired:"]
    out += [f"    {rule['id']} ({rule['code']}, {rule['scope']})" for rule in unfired]
    return out if unfired else [f"coverage: every one of the {total} rules fired by a case"]


def _test_json(run: TestRun) -> str:
    return json_text(
        {
            "total": run.total,
            "passed": run.total - run.failed,
            "failed": run.failed,
            "modules": [
                {
                    "module": m.module.ref,
                    "path": str(m.module.path),
                    "digest": m.module.digest,
                    **({"unfired_rules": m.unfired()} if run.coverage else {}),
                    "cases": [
                        {
                            "id": o.case.id,
                            "name": o.case.name,
                            "file": str(o.case.file),
                            "passed": o.passed,
                            "problems": o.problems,
                        }
                        for o in m.outcomes
                    ],
                }
                for m in run.modules
            ],
        }
    )


def junit_xml(run: TestRun) -> bytes:
    """JUnit XML: a testsuite per module, a testcase per case named by its legal sentence."""
    seconds = sum(o.seconds for m in run.modules for o in m.outcomes)
    root = ET.Element(
        "testsuites",
        name="cppolicy modules test",
        tests=str(run.total),
        failures=str(run.failed),
        errors="0",
        time=f"{seconds:.3f}",
    )
    for m in run.modules:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=m.module.ref,
            tests=str(len(m.outcomes)),
            failures=str(m.failed),
            errors="0",
            skipped="0",
            time=f"{sum(o.seconds for o in m.outcomes):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="path", value=str(m.module.path))
        ET.SubElement(props, "property", name="digest", value=m.module.digest)
        for o in m.outcomes:
            case = ET.SubElement(
                suite,
                "testcase",
                name=o.case.name,
                classname=f"{m.module.id}.{o.case.file.stem}",
                file=str(o.case.file),
                time=f"{o.seconds:.3f}",
            )
            if o.problems:
                failure = ET.SubElement(case, "failure", message="; ".join(o.problems), type="mismatch")
                failure.text = f"{o.case.id}\n" + "\n".join(o.problems)
    ET.indent(root)
    # bytes, as for any encoding but "unicode" (typeshed's overload for an encoding name says Any)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


FORMATS.register("modules.test", "text")(writes(_test_text))
FORMATS.register("modules.test", "json")(writes(_test_json))
