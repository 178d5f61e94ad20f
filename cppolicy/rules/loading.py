"""Loading a rule module: its YAML read safely, validated against the rule-module schema and the
checks of :mod:`cppolicy.rules.checks`, then compiled once for every parameter start date, so a
bad macro fails at load, not mid-audit. Nothing in a module is ever imported, evaluated or
executed."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from cppolicy.documents import json_path, load_yaml, locate, locate_message
from cppolicy.errors import RuleModuleError
from cppolicy.resources import schemas_dir
from cppolicy.rules.checks import check_dates, check_param_references, check_semantics
from cppolicy.rules.conditions import condition_problems, data_field_problems
from cppolicy.rules.model import MODULE_FILE, SCOPES, ClockSpec, Rule, RuleModule


@cache
def module_schema() -> dict[str, Any]:
    """The bundled ``rule-module/v1`` JSON Schema."""
    loaded: dict[str, Any] = json.loads(
        (schemas_dir() / "rule-module" / "v1.json").read_text(encoding="utf-8")
    )
    return loaded


def _digest(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class RuleModuleProblems(RuleModuleError):
    """Every problem found in one module (``problems``, one line each); the message is the first
    and how many more there are. ``cppolicy modules validate`` prints them all."""

    def __init__(self, problems: list[str]) -> None:
        more = len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''}: cppolicy modules validate lists them)"
        super().__init__(problems[0] + (suffix if more else ""))
        self.problems = problems


def load_module(folder: Path | str) -> RuleModule:
    """Load and validate one rule-module folder (or its module.yaml)."""
    folder = Path(folder)
    path = folder if folder.is_file() else folder / MODULE_FILE
    if not path.is_file():
        raise RuleModuleError(f"{path}: no such rule module file")
    check_inside(path, path.parent)
    return module_from_data(path, load_yaml(path))


def check_inside(path: Path, folder: Path) -> None:
    """Refuse a file of a module folder that a symbolic link (the file's own, or a folder's on
    the way, such as ``cases/``) leads out of the folder: a module is what its folder holds, so
    a link cannot swap in a file from elsewhere."""
    target = path.resolve()
    if not target.is_relative_to(folder.resolve()):
        raise RuleModuleError(
            f"{path}: a symbolic link leading out of the module folder (to {target}) is refused"
        )


def module_from_data(path: Path, data: Any) -> RuleModule:
    """Validate and build the module whose ``module.yaml`` at ``path`` parsed to ``data``: every
    check of :func:`load_module` but the YAML parse (which takes most of its time). Worker
    processes build their modules from the audit's parsed data this way. Every problem is
    found, not only the first (:class:`RuleModuleProblems`)."""
    if not isinstance(data, dict):
        raise RuleModuleError(f"{path}: a rule module must be a mapping")
    validator = jsonschema.Draft202012Validator(module_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:  # the checks below assume the schema's shape: report the schema's problems alone
        raise RuleModuleProblems(
            [
                f"{locate(path, e.absolute_path)}: {json_path(e.absolute_path)}: {e.message} [{e.validator}]"
                for e in errors
            ]
        )
    checked: list[str] = []
    check_dates(data, path, checked)
    check_param_references(data, path, checked)
    check_semantics(data, path, checked)
    problems = [locate_message(path, problem) for problem in checked]  # FILE:LINE:COLUMN
    problems.extend(
        f"{locate(path, parts)}: {json_path(parts)}: {problem}"
        for parts, problem in [*condition_problems(data), *data_field_problems(data)]
    )
    if problems:
        raise RuleModuleProblems(problems)
    rules = tuple(_rule(r) for r in data["rules"])
    clocks = {name: _clock(name, c) for name, c in data.get("clocks", {}).items()}
    module = RuleModule(path=path, data=data, digest=_digest(data), rules=rules, clocks=clocks)
    # Compile once for every parameter start date so a bad macro fails at load, not mid-audit.
    try:
        for start in {s for p in data["parameters"].values() for s in p["values"]}:
            for scope in SCOPES:
                module.compile(date.fromisoformat(start), scope)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # a malformed macro (e.g. $in over a list) slips past the schema into the compiler
        raise RuleModuleError(f"{path}: does not compile: {type(exc).__name__}: {exc}") from None
    return module


def _rule(r: dict[str, Any]) -> Rule:
    superseded = r.get("superseded")
    return Rule(
        id=r["id"],
        code=r["code"],
        severity=r["severity"],
        citation=r["citation"],
        message=r["message"],
        when=r["when"],
        clocks=tuple(r.get("clocks", ())),
        due=r.get("due"),
        observed=r.get("observed"),
        evidence=tuple(r.get("evidence", ())),
        scope=r.get("scope", "complaint"),
        subject=r.get("subject"),
        in_force_to=date.fromisoformat(superseded["from"]) - timedelta(days=1) if superseded else None,
        superseded_by=superseded["by"] if superseded else None,
    )


def _clock(name: str, c: dict[str, Any]) -> ClockSpec:
    return ClockSpec(
        name=name,
        description=c["description"],
        start_event=c["start"]["event"],
        period_param=c["period"]["param"],
        met_by=c.get("met_by"),
        cite=c.get("cite"),
        extension=c.get("extension"),
        applies_if=c.get("applies_if"),
        pauses=c.get("pauses"),
        restart=c.get("restart"),
        start_when=c["start"].get("when_true"),
        reports=c.get("reports"),
    )
