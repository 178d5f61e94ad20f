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

from cppolicy.documents import json_path, load_yaml
from cppolicy.errors import RuleModuleError
from cppolicy.resources import schemas_dir
from cppolicy.rules.checks import check_dates, check_param_references, check_semantics
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


def load_module(folder: Path | str) -> RuleModule:
    """Load and validate one rule-module folder (or its module.yaml)."""
    folder = Path(folder)
    path = folder if folder.is_file() else folder / MODULE_FILE
    if not path.is_file():
        raise RuleModuleError(f"{path}: no such rule module file")
    return module_from_data(path, load_yaml(path))


def module_from_data(path: Path, data: Any) -> RuleModule:
    """Validate and build the module whose ``module.yaml`` at ``path`` parsed to ``data``: every
    check of :func:`load_module` but the YAML parse (which takes most of its time). Worker
    processes build their modules from the audit's parsed data this way."""
    if not isinstance(data, dict):
        raise RuleModuleError(f"{path}: a rule module must be a mapping")
    validator = jsonschema.Draft202012Validator(module_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise RuleModuleError(
            f"{path}: {json_path(first.absolute_path)}: {first.message} [{first.validator}]"
        )
    check_dates(data, path)
    check_param_references(data, path)
    check_semantics(data, path)
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
    )
