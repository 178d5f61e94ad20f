"""What a rule module must satisfy beyond its JSON Schema, checked when it is loaded.

Every name a rule or clock uses must exist (parameters, clocks, aliases, coverage rules); dates
must be calendar dates; a condition may compare a fact only with constants, parameters and its
own fields (durable_rules 2.0.28 reads out of bounds on cross-fact comparisons). A mistake is an
error at load time, never a rule that silently never fires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from cppolicy.rules.compiler import COMPARISONS

_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _cross_fact_reference(node: Any, aliases: set[str]) -> str | None:
    """The first ``{ALIAS: FIELD}`` operand in a condition, if any (``$m`` is the fact itself)."""
    if isinstance(node, list):
        return next((r for r in (_cross_fact_reference(item, aliases) for item in node) if r), None)
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if key in COMPARISONS and isinstance(value, dict):
            for operand in value.values():
                if isinstance(operand, dict) and len(operand) == 1:
                    ((ref_alias, ref_field),) = operand.items()
                    if not ref_alias.startswith("$"):
                        return f"{ref_alias}.{ref_field}"
        elif not key.startswith("$") and isinstance(value, dict) and len(value) == 1:
            ((ref_alias, ref_field),) = value.items()
            if ref_alias in aliases:
                return f"{ref_alias}.{ref_field}"
        found = _cross_fact_reference(value, aliases)
        if found:
            return found
    return None


def _binds_asof(condition: Any) -> bool:
    if condition == {"f": "asof"}:
        return True
    return isinstance(condition, dict) and {"f": "asof"} in condition.get("$and", [])


def check_dates(data: dict[str, Any], path: Path, problems: list[str]) -> None:
    """Dates that match the schema's pattern must also be calendar dates."""
    places: list[tuple[str, Any]] = [
        ("$.effective_from", data.get("effective_from")),
        ("$.effective_to", data.get("effective_to")),
    ]
    parameters = data.get("parameters")
    if isinstance(parameters, dict):
        for name, spec in parameters.items():
            values = spec.get("values") if isinstance(spec, dict) else None
            if isinstance(values, dict):
                places.extend((f"$.parameters.{name}.values", start) for start in values)
    for where, value in places:
        if isinstance(value, str) and _DATE_RE.match(value):
            try:
                date.fromisoformat(value)
            except ValueError as exc:
                problems.append(f"{path}: {where}: {value!r} is not a calendar date ({exc})")
    start, end = data.get("effective_from"), data.get("effective_to")
    if isinstance(start, str) and isinstance(end, str) and end < start:
        problems.append(f"{path}: $.effective_to: {end} is before effective_from {start}")


def _param_refs(node: Any, where: str) -> Iterable[tuple[str, str]]:
    if isinstance(node, dict):
        if set(node) == {"param"} and isinstance(node["param"], str):
            yield where, node["param"]
            return
        for key, value in node.items():
            yield from _param_refs(value, f"{where}.{key}")


def check_param_references(data: dict[str, Any], path: Path, problems: list[str]) -> None:
    """Every ``{param: NAME}`` outside the rules (clocks, applies_if, windows, archive) names a
    parameter, so a typo fails at load rather than mid-audit."""
    params = data["parameters"]
    for section, value in data.items():
        if section in ("parameters", "rules", "coverage"):
            continue
        for where, name in _param_refs(value, f"$.{section}"):
            if name not in params:
                problems.append(f"{path}: {where}: unknown parameter {name!r}")


def check_semantics(data: dict[str, Any], path: Path, problems: list[str]) -> None:
    """Cross-references the schema cannot express: every name a rule or clock uses exists.
    Every problem is appended to ``problems`` (all of them, not only the first)."""
    clocks = data.get("clocks", {})
    rule_ids = set()
    for index, rule in enumerate(data["rules"]):
        where = f"{path}: $.rules[{index}] ({rule['id']})"
        if rule["id"] in rule_ids:
            problems.append(f"{where}: duplicate rule id")
        rule_ids.add(rule["id"])
        aliases = []
        for clause in rule["when"]["all"]:
            if len(clause) != 1:
                problems.append(f"{where}: each when.all item must bind exactly one alias")
            aliases.extend(clause)
        if len(set(aliases)) != len(aliases):
            problems.append(f"{where}: duplicate alias in when.all")
        bound = {alias for alias in aliases if "$" not in alias}
        # durable_rules never retracts a firing, so an absence ($not) is only meaningful once
        # every fact is in: such a rule must wait for the as-of fact, which is asserted last.
        if any(alias.endswith("$not") for alias in aliases) and not any(
            _binds_asof(next(iter(clause.values()))) for clause in rule["when"]["all"]
        ):
            problems.append(
                f"{where}: a rule with a $not condition must also bind the as-of fact {{f: asof}}"
            )
        archive = data.get("archive") or {}
        generators = {
            name for kind in ("schedules", "obligations", "clusters") for name in archive.get(kind) or {}
        }
        for clock in rule.get("clocks", []):
            known = generators if rule.get("scope") == "archive" else clocks
            if clock not in known:
                problems.append(f"{where}: unknown clock {clock!r}")
        for key in ("due", "observed", "subject"):
            if rule.get(key) and rule[key].split(".")[0] not in bound:
                problems.append(f"{where}: {key} refers to unbound alias {rule[key]!r}")
        for ref in rule.get("evidence", []):
            if ref.split(".")[0] not in bound:
                problems.append(f"{where}: evidence names unbound alias {ref!r}")
        for index, clause in enumerate(rule["when"]["all"]):
            ((alias, condition),) = clause.items()
            reference = _cross_fact_reference(condition, set(aliases))
            if reference:
                problems.append(
                    f"{where}: when.all[{index}] ({alias}) compares with another fact ({reference}); conditions may "
                    f"compare a fact only with constants, parameters and its own fields ($m). durable_rules 2.0.28 "
                    f"reads out of bounds on cross-fact comparisons (measured: segfaults), so the engine projects "
                    f"clock numbers and receipt data onto each fact instead (docs/rule-modules.md)"
                )
    for point, entry in data.get("coverage", {}).items():
        for rule_id in entry.get("rules", []):
            if rule_id not in rule_ids:
                problems.append(f"{path}: $.coverage.{point}: unknown rule {rule_id!r}")
