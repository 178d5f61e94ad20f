"""For policy owners: rule modules described, covered, compared and tested; complaints explained;
the impact of a change on past cases (docs/policy-owners.md).

* :mod:`~cppolicy.authoring.listing`, :mod:`~cppolicy.authoring.describe`,
  :mod:`~cppolicy.authoring.coverage`, :mod:`~cppolicy.authoring.diff`,
  :mod:`~cppolicy.authoring.validation` — ``cppolicy modules list | show | coverage | diff | validate``;
* :mod:`~cppolicy.authoring.cases`, :mod:`~cppolicy.authoring.testing`,
  :mod:`~cppolicy.authoring.pytest_plugin` — golden cases as data, run by ``cppolicy modules test`` and pytest;
* :mod:`~cppolicy.authoring.explain` — why a complaint got (or did not get) each finding;
* :mod:`~cppolicy.authoring.impact` — what a new module version would change on an archive.

Each computes a plain result, written through the format registry (:data:`cppolicy.reports.FORMATS`).
"""

from __future__ import annotations

from cppolicy.authoring.cases import Case, load_cases, module_cases, run_case
from cppolicy.authoring.coverage import COVERAGE_STATUSES, coverage_report, coverage_summary
from cppolicy.authoring.describe import describe_module
from cppolicy.authoring.diff import diff_modules
from cppolicy.authoring.explain import explain_complaint, explain_result, render_text
from cppolicy.authoring.impact import Change, ImpactReport, comparable, compare
from cppolicy.authoring.listing import list_modules
from cppolicy.authoring.numerals import coverage_sort_key, parse_numeral
from cppolicy.authoring.testing import TestRun, junit_xml, run_tests
from cppolicy.authoring.validation import validate_module

__all__ = [
    "COVERAGE_STATUSES",
    "Case",
    "Change",
    "ImpactReport",
    "TestRun",
    "comparable",
    "compare",
    "coverage_report",
    "coverage_sort_key",
    "coverage_summary",
    "describe_module",
    "diff_modules",
    "explain_complaint",
    "explain_result",
    "junit_xml",
    "list_modules",
    "load_cases",
    "module_cases",
    "parse_numeral",
    "render_text",
    "run_case",
    "run_tests",
    "validate_module",
]
