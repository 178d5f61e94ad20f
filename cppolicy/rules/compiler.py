"""Compiling a rule's conditions into durable_rules ruleset JSON.

A rule's ``when`` is durable_rules JSON plus the module macros documented in
docs/rule-modules.md (``$param``, ``$in``, ``$nin``, ``$lacks_any``, ``$param_is``), expanded
here with the parameter values in force on a date. Nothing is evaluated: the result is data
for the engine's C core.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cppolicy.errors import RuleModuleError

if TYPE_CHECKING:
    from cppolicy.rules.model import Rule

#: the comparison operators of a condition
COMPARISONS = frozenset({"$lt", "$lte", "$gt", "$gte", "$eq", "$neq"})


def compile_rule(rule: Rule, params: dict[str, Any], path: Path) -> list[Any]:
    out = []
    for index, clause in enumerate(rule.when["all"]):
        ((alias, condition),) = clause.items()
        where = f"{path}: rule {rule.id}: when.all[{index}]"
        out.append({alias: _guard_same_fact(_expand(copy.deepcopy(condition), params, where))})
    return out


def same_fact_fields(node: Any) -> set[str]:
    """Fields a comparison node reads from its own fact: the left field and any {$m: field}."""
    fields: set[str] = set()
    for key, value in node.items():
        if key in COMPARISONS and isinstance(value, dict):
            for left, right in value.items():
                if isinstance(right, dict) and set(right) == {"$m"}:
                    fields.update((left, right["$m"]))
    return fields


def _guard_same_fact(node: Any, wrap: bool = True) -> Any:
    """Add ``$ex`` guards for both sides of every same-fact ({$m: …}) comparison.

    Measured on durable_rules 2.0.28 (docs/cross-check.md): in some ruleset layouts a
    comparison with a *missing* {$m: …} field evaluated true, e.g. a decision "late" against a
    deadline that was never computed. An explicit presence test beside the comparison (in the
    same ``$and``) makes the answer the same in every layout.
    """
    if isinstance(node, list):
        return [_guard_same_fact(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"$and"}:
        items = [_guard_same_fact(item, wrap=False) for item in node["$and"]]
        needed = set().union(set(), *(same_fact_fields(i) for i in items if isinstance(i, dict)))
        present = {next(iter(i["$ex"])) for i in items if isinstance(i, dict) and set(i) == {"$ex"}}
        return {"$and": items + [{"$ex": {f: 1}} for f in sorted(needed - present)]}
    fields = same_fact_fields(node)
    if fields:
        return {"$and": [node] + [{"$ex": {f: 1}} for f in sorted(fields)]} if wrap else node
    return {key: _guard_same_fact(value) for key, value in node.items()}


_TAUTOLOGY = {"$ex": {"f": 1}}
_CONTRADICTION = {"$nex": {"f": 1}}


def _param(name: str, params: dict[str, Any], where: str) -> Any:
    if name not in params:
        raise RuleModuleError(f"{where}: $param names unknown parameter {name!r}")
    return params[name]


def _expand(node: Any, params: dict[str, Any], where: str) -> Any:
    """Expand the module macros ($param, $in, $nin, $lacks_any, $param_is) into plain
    durable_rules JSON."""
    if isinstance(node, list):
        return [_expand(item, params, where) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"$param"}:
        return _param(node["$param"], params, where)
    if len(node) == 1:
        ((key, value),) = node.items()
        if key in ("$in", "$nin"):
            ((fieldname, options),) = value.items()
            options = _expand(options, params, where)
            if not isinstance(options, list) or not options:
                raise RuleModuleError(f"{where}: {key} needs a non-empty list")
            if key == "$in":
                return {"$or": [{fieldname: option} for option in options]}
            return {"$and": [{"$neq": {fieldname: option}} for option in options]}
        if key == "$lacks_any":
            ((fieldname, options),) = value.items()
            options = _expand(options, params, where)
            if not isinstance(options, list) or not options:
                raise RuleModuleError(f"{where}: $lacks_any needs a non-empty list")
            return {"$or": [{"$nex": {f"{fieldname}__{option}": 1}} for option in options]}
        if key == "$param_is":
            ((name, expected),) = value.items()
            return _TAUTOLOGY if _param(name, params, where) == expected else _CONTRADICTION
    return {key: _expand(value, params, where) for key, value in node.items()}
