"""Every golden case of every bundled rule module, one test each, named by its legal sentence."""

from __future__ import annotations

import pytest

from cppolicy.authoring.cases import module_cases, run_case
from cppolicy.rules import bundled_module_paths, load_module

MODULES = [load_module(path) for path in bundled_module_paths()]
CASES = [(module, case) for module in MODULES for case in module_cases(module)]


def test_every_bundled_module_has_golden_cases():
    for module in MODULES:
        assert module_cases(module), f"{module.ref} has no cases/ folder with cases"


@pytest.mark.parametrize(("module", "case"), CASES, ids=[f"{m.ref}:{c.id}" for m, c in CASES])
def test_golden_case(module, case, calendar):
    problems = run_case(case, module, calendar)
    assert not problems, f"{case.name}\n  " + "\n  ".join(problems)


def test_cross_fact_comparisons_are_refused_at_load(tmp_path):
    """durable_rules 2.0.28 reads out of bounds when it evaluates a comparison between two facts
    (a fresh process segfaulted most of the time on one golden case); modules must compare a fact
    only with constants and its own fields, which the loader enforces."""
    import shutil

    from cppolicy.errors import RuleModuleError
    from tests.helpers import module_2012_path

    copy = tmp_path / "m" / "1.0.0"
    shutil.copytree(module_2012_path(), copy)
    path = copy / "module.yaml"
    text = path.read_text(encoding="utf-8")
    before = "{$gte: {t: {$m: decision_due}}}"
    assert before in text
    path.write_text(text.replace(before, "{$gte: {t: {k: due}}}", 1), encoding="utf-8")
    with pytest.raises(RuleModuleError, match=r"compares with another fact \(k\.due\)"):
        load_module(copy)
