"""``cppolicy modules diff``: what changed from module A to module B — metadata fields, and
parameters (per start date), clocks, windows, rules and coverage entry by entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cppolicy.authoring.describe import KEYED_SECTIONS, METADATA_KEYS
from cppolicy.authoring.numerals import coverage_sort_key
from cppolicy.authoring.text import (
    citation_text,
    compact,
    flatten_fields,
    format_value,
    json_text,
    short_digest,
    writes,
)
from cppolicy.reports.formats import FORMATS
from cppolicy.rules import RuleModule

_ABSENT = object()


def _field_changes(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    changes = []
    for key in list(a) + [k for k in b if k not in a]:
        old, new = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if old != new:
            change = "added" if old is _ABSENT else "removed" if new is _ABSENT else "changed"
            changes.append(
                {
                    "field": key,
                    "a": None if old is _ABSENT else old,
                    "b": None if new is _ABSENT else new,
                    "change": change,
                }
            )
    return changes


def _rule_fields(rule: dict[str, Any]) -> dict[str, Any]:
    fields = flatten_fields({k: v for k, v in rule.items() if k != "when"})
    clauses = rule.get("when", {}).get("all", [])
    for clause in clauses:
        for alias, condition in clause.items():
            fields[f"when.{alias}"] = condition
    fields["when.order"] = [alias for clause in clauses for alias in clause]
    return fields


def _keyed(a: dict[str, Any], b: dict[str, Any], fields: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    added = [{"name": k, "value": b[k]} for k in b if k not in a]
    removed = [{"name": k, "value": a[k]} for k in a if k not in b]
    changed = []
    for key in a:
        if key in b and a[key] != b[key]:
            changes = _field_changes(fields(a[key]), fields(b[key]))
            # An added or removed condition reorders the aliases too; say so only when the
            # same conditions merely moved.
            changes = [
                c for c in changes if c["field"] != "when.order" or set(c["a"] or ()) == set(c["b"] or ())
            ]
            changed.append({"name": key, "changes": changes})
    return {"added": added, "removed": removed, "changed": changed}


def _parameter_entry(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    values = [{"from": start, **entry} for start, entry in sorted(spec["values"].items())]
    return {"name": name, "description": spec.get("description"), "values": values}


def _diff_parameters(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {
        "added": [_parameter_entry(name, b[name]) for name in b if name not in a],
        "removed": [],
        "changed": [],
    }
    for name in a:
        if name not in b:
            out["removed"].append(_parameter_entry(name, a[name]))
            continue
        if a[name] == b[name]:
            continue
        va, vb = a[name]["values"], b[name]["values"]
        values = []
        for start in sorted(set(va) | set(vb)):
            old, new = va.get(start), vb.get(start)
            if old != new:
                change = "added" if old is None else "removed" if new is None else "changed"
                values.append({"from": start, "change": change, "a": old, "b": new})
        description = None
        if a[name].get("description") != b[name].get("description"):
            description = {"a": a[name].get("description"), "b": b[name].get("description")}
        out["changed"].append({"name": name, "description": description, "values": values})
    return out


def diff_modules(a: RuleModule, b: RuleModule) -> dict[str, Any]:
    """What changed from ``a`` to ``b``: metadata fields, and parameters, clocks, windows, rules
    and coverage entry by entry. ``identical`` compares the whole data (as the digest does)."""
    meta_a = flatten_fields({k: v for k, v in a.data.items() if k in METADATA_KEYS})
    meta_b = flatten_fields({k: v for k, v in b.data.items() if k in METADATA_KEYS})
    other_a = flatten_fields({k: v for k, v in a.data.items() if k not in METADATA_KEYS + KEYED_SECTIONS})
    other_b = flatten_fields({k: v for k, v in b.data.items() if k not in METADATA_KEYS + KEYED_SECTIONS})
    rules_a = {r["id"]: r for r in a.data["rules"]}
    rules_b = {r["id"]: r for r in b.data["rules"]}
    rules = _keyed(rules_a, rules_b, _rule_fields)
    common_b = [rid for rid in rules_b if rid in rules_a]
    rules["reordered"] = [rid for rid in rules_a if rid in rules_b] != common_b
    rules["added"] = [
        {
            "id": e["name"],
            "code": e["value"]["code"],
            "severity": e["value"]["severity"],
            "citation": e["value"]["citation"],
        }
        for e in rules["added"]
    ]
    rules["removed"] = [{"id": e["name"], "code": e["value"]["code"]} for e in rules["removed"]]
    rules["changed"] = [
        {"id": e["name"], "code": rules_b[e["name"]]["code"], "changes": e["changes"]}
        for e in rules["changed"]
    ]
    cov_a, cov_b = a.data.get("coverage", {}), b.data.get("coverage", {})
    coverage = _keyed(cov_a, cov_b, flatten_fields)
    for key in ("added", "removed", "changed"):
        coverage[key].sort(key=lambda e: coverage_sort_key(e["name"]))
    result: dict[str, Any] = {
        "a": {"ref": a.ref, "path": str(a.path), "digest": a.digest},
        "b": {"ref": b.ref, "path": str(b.path), "digest": b.digest},
        "identical": a.data == b.data,
        "metadata": _field_changes(meta_a, meta_b),
        "parameters": _diff_parameters(a.data["parameters"], b.data["parameters"]),
        "clocks": _keyed(a.data.get("clocks") or {}, b.data.get("clocks") or {}, flatten_fields),
        "windows": _keyed(a.data.get("windows") or {}, b.data.get("windows") or {}, flatten_fields),
        "rules": rules,
        "coverage": coverage,
        "other_sections": _field_changes(other_a, other_b),
    }
    result["counts"] = {
        "metadata": len(result["metadata"]),
        "other_sections": len(result["other_sections"]),
        **{
            section: sum(len(result[section][k]) for k in ("added", "removed", "changed"))
            for section in ("parameters", "clocks", "windows", "rules", "coverage")
        },
    }
    return result


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else compact(value)


def _change_line(change: dict[str, Any]) -> str:
    if change["change"] == "added":
        return f"+ {change['field']}: {_shown(change['b'])}"
    if change["change"] == "removed":
        return f"- {change['field']}: {_shown(change['a'])}"
    return f"~ {change['field']}: {_shown(change['a'])} → {_shown(change['b'])}"


def _describe_clock(spec: dict[str, Any]) -> str:
    parts = [f"start {spec['start']['event']}", f"period {spec['period']['param']}"]
    parts += [f"met by {spec['met_by']}"] if spec.get("met_by") else []
    return ", ".join(parts)


def _describe_coverage(entry: dict[str, Any]) -> str:
    rules = f" [{', '.join(entry['rules'])}]" if entry.get("rules") else ""
    note = f" — {entry['note']}" if entry.get("note") else ""
    return f"{entry['status']}{rules}{note}"


def _keyed_lines(section: dict[str, Any], describe: Callable[[Any], str] = compact) -> list[str]:
    out = [f"  + {e['name']}: {describe(e['value'])}" for e in section["added"]]
    out += [f"  - {e['name']}: {describe(e['value'])}" for e in section["removed"]]
    for entry in section["changed"]:
        out.append(f"  ~ {entry['name']}")
        out += [f"      {_change_line(c)}" for c in entry["changes"]]
    return out


def _parameter_lines(params: dict[str, Any]) -> list[str]:
    out = []
    for p in params["added"]:
        out += [
            f"  + {p['name']} from {v['from']}: {format_value(v['value'])}  (reference: {v['reference']})"
            for v in p["values"]
        ]
    for p in params["removed"]:
        values = "; ".join(f"{format_value(v['value'])} from {v['from']}" for v in p["values"])
        out.append(f"  - {p['name']} ({values})")
    for p in params["changed"]:
        if p["description"]:
            old, new = _shown(p["description"]["a"]), _shown(p["description"]["b"])
            out.append(f"  ~ {p['name']}: description {old} → {new}")
        for v in p["values"]:
            where = f"{p['name']} from {v['from']}"
            old, new = v["a"], v["b"]
            if v["change"] == "added":
                out.append(f"  + {where}: {format_value(new['value'])}  (reference: {new['reference']})")
            elif v["change"] == "removed":
                out.append(f"  - {where}: {format_value(old['value'])}")
            else:
                if old["value"] != new["value"]:
                    out.append(f"  ~ {where}: {format_value(old['value'])} → {format_value(new['value'])}")
                if old["reference"] != new["reference"]:
                    references = f"{_shown(old['reference'])} → {_shown(new['reference'])}"
                    out.append(f"  ~ {where}: reference {references}")
                else:
                    out.append(f"      reference: {new['reference']}")
    return out


def _diff_text(result: dict[str, Any]) -> str:
    a, b = result["a"], result["b"]
    if result["identical"]:
        return f"identical: {a['ref']} ({a['path']}) and {b['ref']} ({b['path']}), {a['digest']}\n"
    out = [
        f"--- {a['ref']}  {a['path']}  {short_digest(a['digest'])}",
        f"+++ {b['ref']}  {b['path']}  {short_digest(b['digest'])}",
    ]
    if result["metadata"]:
        out += ["metadata"] + [f"  {_change_line(c)}" for c in result["metadata"]]
    if any(result["parameters"].values()):
        out += ["parameters"] + _parameter_lines(result["parameters"])
    for section, describe in (("clocks", _describe_clock), ("windows", compact)):
        if any(result[section][k] for k in ("added", "removed", "changed")):
            out += [section] + _keyed_lines(result[section], describe)
    rules = result["rules"]
    if any(rules[k] for k in ("added", "removed", "changed")) or rules["reordered"]:
        out.append("rules")
        for r in rules["added"]:
            cited = f"{citation_text(r['citation'])}: {r['citation']['text']}"
            out.append(f"  + {r['id']} ({r['code']}, {r['severity']}) {cited}")
        for r in rules["removed"]:
            out.append(f"  - {r['id']} ({r['code']})")
        for entry in rules["changed"]:
            out.append(f"  ~ {entry['id']} ({entry['code']})")
            out += [f"      {_change_line(c)}" for c in entry["changes"]]
        if rules["reordered"]:
            out.append("  ~ order of the rules changed")
    coverage = result["coverage"]
    if any(coverage.values()):
        out += ["coverage"] + _keyed_lines(coverage, _describe_coverage)
    if result["other_sections"]:
        out += ["other sections"] + [f"  {_change_line(c)}" for c in result["other_sections"]]
    counts = ", ".join(f"{n} {section}" for section, n in result["counts"].items() if n)
    out.append(f"differ: {counts or 'rule order only'}")
    return "\n".join(out) + "\n"


FORMATS.register("modules.diff", "text")(writes(_diff_text))
FORMATS.register("modules.diff", "json")(writes(json_text))
