"""Every golden case of every bundled rule module, one test each, named by its legal sentence."""

from __future__ import annotations

import pytest

from cppolicy.cases import module_cases, run_case
from cppolicy.rule_module import bundled_module_paths, load_module

MODULES = [load_module(path) for path in bundled_module_paths()]
CASES = [(module, case) for module in MODULES for case in module_cases(module)]


def test_every_bundled_module_has_golden_cases():
    for module in MODULES:
        assert module_cases(module), f"{module.ref} has no cases/ folder with cases"


@pytest.mark.parametrize(("module", "case"), CASES, ids=[f"{m.ref}:{c.id}" for m, c in CASES])
def test_golden_case(module, case, calendar):
    problems = run_case(case, module, calendar)
    assert not problems, f"{case.name}\n  " + "\n  ".join(problems)
