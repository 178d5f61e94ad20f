"""``cppolicy modules validate``: a module and its case files loaded and checked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cppolicy.authoring.cases import Case, module_cases
from cppolicy.authoring.text import json_text, writes
from cppolicy.errors import RuleModuleError
from cppolicy.evaluation.rulesets import ruleset_problems
from cppolicy.reports.formats import FORMATS
from cppolicy.rules import RuleModuleProblems, resolve_module


def validate_module(spec: str | Path, known: Sequence[Path] = ()) -> dict[str, Any]:
    """Load and check a module, its case files, and every ruleset it compiles to as durable_rules
    builds it; raises :class:`RuleModuleProblems` with every problem found (the module's own
    first: without a loaded module its cases cannot be checked)."""
    module = resolve_module(spec, known)
    problems = ruleset_problems(module)
    cases: list[Case] = []
    try:
        cases = module_cases(module)
    except RuleModuleProblems as error:
        problems.extend(error.problems)
    except RuleModuleError as error:
        problems.append(error.message)
    if problems:
        raise RuleModuleProblems(problems)
    warnings = []
    folder = module.path.parent
    if (folder.parent.name, folder.name) != (module.id, module.version):
        warnings.append(
            f"{folder}: folder is not named {module.id}/{module.version}, "
            f"so ID@VERSION will not find it (only its path will)"
        )
    return {
        "module": module.ref,
        "path": str(module.path),
        "rules": len(module.rules),
        "cases": len(cases),
        "digest": module.digest,
        "warnings": warnings,
    }


def _validate_text(result: dict[str, Any]) -> str:
    return f"ok: {result['module']} ({result['rules']} rules, {result['cases']} cases, {result['digest']})\n"


FORMATS.register("modules.validate", "text")(writes(_validate_text))
FORMATS.register("modules.validate", "json")(writes(json_text))
