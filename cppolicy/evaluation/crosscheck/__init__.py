"""Independent cross-check of durable_rules (docs/cross-check.md): a second, pure-Python
evaluator of rule-module conditions (:mod:`~cppolicy.evaluation.crosscheck.evaluator`), run beside
the engine on the very facts the engine asserted, and the comparison of the two
(:mod:`~cppolicy.evaluation.crosscheck.checker`)."""

from __future__ import annotations

from cppolicy.evaluation.crosscheck.checker import (
    CrossChecker,
    compare_run,
    cross_check_facts,
    cross_check_result,
    selected,
)
from cppolicy.evaluation.crosscheck.disagreement import Disagreement, engine_firings
from cppolicy.evaluation.crosscheck.evaluator import (
    Firing,
    UnsupportedCondition,
    compare,
    compile_condition,
    evaluate_ruleset,
    fact_label,
    satisfied_terms,
)

__all__ = [
    "CrossChecker",
    "Disagreement",
    "Firing",
    "UnsupportedCondition",
    "compare",
    "compare_run",
    "compile_condition",
    "cross_check_facts",
    "cross_check_result",
    "engine_firings",
    "evaluate_ruleset",
    "fact_label",
    "satisfied_terms",
    "selected",
]
