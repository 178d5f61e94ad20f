"""Rule modules: loading and checking them (data, never code), compiling their conditions, and
choosing the modules that judge a complaint (docs/rule-modules.md).

* :mod:`~cppolicy.rules.model` — :class:`RuleModule`, :class:`Rule`, :class:`ClockSpec`;
* :mod:`~cppolicy.rules.loading` — a folder's ``module.yaml`` read, validated and compiled;
* :mod:`~cppolicy.rules.checks` — the checks beyond the JSON Schema;
* :mod:`~cppolicy.rules.vocabulary` — the fact vocabulary: every field a fact may hold, per scope;
* :mod:`~cppolicy.rules.conditions` — every field a condition names checked against it;
* :mod:`~cppolicy.rules.compiler` — conditions and macros to durable_rules ruleset JSON;
* :mod:`~cppolicy.rules.registry` — the bundled modules; a module by id, version or folder;
"""

from __future__ import annotations

from cppolicy.rules.loading import RuleModuleProblems, check_inside, load_module, module_from_data
from cppolicy.rules.model import (
    MODULE_FILE,
    SCOPES,
    SEVERITIES,
    ClockSpec,
    Rule,
    RuleModule,
    RuleSeverity,
    Scope,
    version_key,
)
from cppolicy.rules.registry import bundled_module_paths, resolve_folder, resolve_module

__all__ = [
    "MODULE_FILE",
    "SCOPES",
    "SEVERITIES",
    "ClockSpec",
    "Rule",
    "RuleModule",
    "RuleModuleProblems",
    "RuleSeverity",
    "Scope",
    "bundled_module_paths",
    "check_inside",
    "load_module",
    "module_from_data",
    "resolve_folder",
    "resolve_module",
    "version_key",
]
