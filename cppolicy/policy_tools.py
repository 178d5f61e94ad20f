"""Tools for policy owners: list, show, coverage, diff, test and validate rule modules.

Each tool computes a plain result first — dicts and lists that are already JSON — and a
renderer from a named registry writes it (``RENDERERS[tool][format]``); the ``--format``
option of ``cppolicy policies …`` offers exactly the registry's keys. Nothing here edits a
module or runs anything from it: modules and their cases are loaded and checked by
``cppolicy.rule_module`` and ``cppolicy.cases``, as everywhere else.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import orjson

from cppolicy.cases import Case, module_cases, run_case
from cppolicy.errors import CppolicyError, RuleModuleError
from cppolicy.rule_module import RuleModule, resolve_folder, resolve_module

COVERAGE_STATUSES = ("encoded", "institution_data", "planned", "not_machine_checkable")
#: Top-level keys of module.yaml that are the module's metadata (docs/rule-modules.md).
METADATA_KEYS = ("id", "version", "instrument", "issuer", "jurisdiction", "effective_from", "effective_to",
                 "notes", "timezone", "calendar")
#: Sections shown and diffed entry by entry; any other top-level key (e.g. ``archive``) is
#: shown and diffed field by field as an "other section".
KEYED_SECTIONS = ("parameters", "clocks", "windows", "rules", "coverage")

# --------------------------------------------------------------------------- numerals

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_AFFIXES = re.compile(r"^第|[条條点點款项項章节節]$")


def parse_numeral(text: str) -> int | None:
    """The number a point or article label stands for: ``十九`` → 19, ``一百零五`` → 105,
    ``第四十五条`` → 45, ``45`` → 45; ``None`` when it is not a number."""
    label = _AFFIXES.sub("", str(text).strip())
    if not label:
        return None
    if label.isdecimal():
        return int(label)
    total, digit, last_unit, previous = 0, None, None, None
    for char in label:
        if char in _DIGITS:
            if previous in _DIGITS and _DIGITS[previous] != 0:
                return None  # 二三: two digits with no unit between them
            digit = _DIGITS[char]
        elif char in _UNITS:
            unit = _UNITS[char]
            if last_unit is not None and unit >= last_unit:
                return None  # units must fall: 百 after 十 is not a number
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
        previous = char
    return total + (digit or 0)


def coverage_sort_key(label: str) -> tuple:
    """Instrument order: numbered labels by number, anything else after them by text."""
    number = parse_numeral(label)
    return (0, number, label) if number is not None else (1, 0, label)


# --------------------------------------------------------------------------- loading

_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def load_checked(spec: str | Path, known: Sequence[Path] = ()) -> RuleModule:
    """Resolve and load a module (ID, ID@VERSION or a folder among ``known``); every check,
    with one line naming the file and JSON path, is the loader's own."""
    return resolve_module(spec, known)


def module_folder(spec: str | Path, known: Sequence[Path]) -> Path:
    return resolve_folder(spec, known)


# --------------------------------------------------------------------------- golden cases

def load_module_cases(module: RuleModule) -> list[Case]:
    return module_cases(module)


# --------------------------------------------------------------------------- values

_UNIT_NAMES = {
    "working_day": ("working day", "working days"), "calendar_day": ("calendar day", "calendar days"),
    "hour": ("hour", "hours"), "day": ("day", "days"), "month": ("month", "months"),
}


def format_value(value: Any) -> str:
    """A parameter value for people: ``15 working days``, ``[sms, phone]``, ``false``."""
    if isinstance(value, dict) and set(value) == {"value", "unit"}:
        number, unit = value["value"], value["unit"]
        names = _UNIT_NAMES.get(unit)
        return f"{number} {(names[0] if number == 1 else names[1]) if names else unit}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, (int, float, str)):
        return str(value)
    return _compact(value)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _cite(citation: dict | None) -> str:
    if not citation:
        return ""
    parts = [f"{kind} {citation[kind]}" for kind in ("point", "article", "paragraph") if citation.get(kind)]
    return ", ".join(parts)


def short_digest(digest: str) -> str:
    return digest[: len("sha256:") + 12]


# --------------------------------------------------------------------------- list


def list_modules(registered: Sequence[Any]) -> list[dict]:
    """One row per registered module (``RegisteredPolicy``: path, plugin). A module that does not
    load is a row with ``error`` set rather than a missing row."""
    known = [entry.path for entry in registered]
    rows = []
    for entry in registered:
        row: dict[str, Any] = {"path": str(entry.path), "plugin": entry.plugin}
        try:
            module = load_checked(entry.path, known)
            cases = load_module_cases(module)
        except CppolicyError as error:
            name = {"id": entry.path.parent.name, "version": entry.path.name}
            rows.append({**row, **name, "error": error.message})
            continue
        rows.append({
            **row, "id": module.id, "version": module.version,
            "instrument": module.data["instrument"]["number"],
            "effective_from": module.data["effective_from"], "effective_to": module.data.get("effective_to"),
            "digest": module.digest, "rules": len(module.rules), "cases": len(cases), "error": None,
        })
    return rows


def _list_table(rows: list[dict]) -> str:
    headers = ["ID", "VERSION", "INSTRUMENT", "FROM", "TO", "DIGEST", "PLUGIN", "RULES", "CASES"]
    body = []
    for r in rows:
        if r["error"]:
            body.append([r["id"], r["version"], "(does not load)", "", "", "", r["plugin"], "", ""])
        else:
            body.append([r["id"], r["version"], r["instrument"], r["effective_from"],
                         r["effective_to"] or "open", short_digest(r["digest"]), r["plugin"],
                         str(r["rules"]), str(r["cases"])])
    return text_table(headers, body) + f"{len(rows)} rule module{'' if len(rows) == 1 else 's'}\n"


# --------------------------------------------------------------------------- show


def _param_values(module: RuleModule, name: str) -> list[dict]:
    values = module.data["parameters"].get(name, {}).get("values", {})
    return [{"from": start, "value": entry["value"], "reference": entry["reference"]}
            for start, entry in sorted(values.items())]


def _param_ref(module: RuleModule, ref: dict | None) -> dict | None:
    if not ref:
        return None
    return {"param": ref["param"],
            "values": [{"from": v["from"], "value": v["value"]} for v in _param_values(module, ref["param"])]}


def _other_entries(module: RuleModule, node: Any, name: str) -> list[dict]:
    """Entries of a section cppolicy's show does not know (e.g. ``archive``): every mapping
    with a ``description``, its other fields flattened and its ``{param: NAME}`` resolved."""
    if not isinstance(node, dict):
        return [{"name": name, "description": None, "fields": {"value": format_value(node)}}]
    if "description" not in node:
        return [entry for key, value in node.items()
                for entry in _other_entries(module, value, f"{name}.{key}")]
    fields = {}
    for key, value in node.items():
        if key == "description":
            continue
        for field_name, leaf in _flatten(value, key).items():
            if field_name == "param" or field_name.endswith(".param"):
                label = field_name.removesuffix("param").rstrip(".") or key
                fields[label] = _ref_text(_param_ref(module, {"param": leaf}))
            else:
                fields[field_name] = format_value(leaf)
    return [{"name": name, "description": node["description"], "fields": fields}]


def _description(value: Any) -> str:
    if isinstance(value, dict):
        return " / ".join(str(value[k]) for k in ("zh", "en") if k in value)
    return "" if value is None else str(value)


def describe_module(module: RuleModule) -> dict:
    """Everything a policy owner reads in a module, resolved (clock periods with their values)."""
    data = module.data
    clocks = []
    for name, spec in (data.get("clocks") or {}).items():
        extension = spec.get("extension")
        applies_if = spec.get("applies_if")
        clocks.append({
            "name": name, "description": spec["description"], "cite": spec.get("cite"),
            "start_event": spec["start"]["event"], "period": _param_ref(module, spec["period"]),
            "met_by": spec.get("met_by"),
            "extension": None if not extension else {
                "event": extension["event"],
                "tiers": [{"up_to": _param_ref(module, tier["up_to"]), "requires": list(tier["requires"]),
                           "approval_levels": _param_ref(module, tier.get("approval_levels"))}
                          for tier in (extension.get("tiers")
                                       or [{"up_to": extension["cap"], "requires": extension["requires"]}])]},
            "pauses": None if not spec.get("pauses") else {
                "start": spec["pauses"]["start"], "end": spec["pauses"]["end"],
                "reasons": _param_ref(module, spec["pauses"]["reasons"])},
            "restart": spec.get("restart"),
            "applies_if": None if not applies_if else {
                "field": applies_if["field"], "in": _param_ref(module, applies_if["in"])},
        })
    windows = [{"name": name, "description": spec.get("description"),
                "period": _param_ref(module, spec.get("period"))}
               for name, spec in (data.get("windows") or {}).items()]
    rules = [{
        "id": r["id"], "code": r["code"], "severity": r["severity"], "scope": r.get("scope", "complaint"),
        "citation": r["citation"], "message": r["message"], "clocks": list(r.get("clocks", [])),
        "due": r.get("due"), "observed": r.get("observed"), "evidence": r.get("evidence"),
        "subject": r.get("subject"), "when": r["when"],
    } for r in data["rules"]]
    coverage = coverage_report(module)
    other = {key: value for key, value in data.items() if key not in METADATA_KEYS + KEYED_SECTIONS}
    return {
        "id": module.id, "version": module.version, "ref": module.ref, "path": str(module.path),
        "digest": module.digest, "instrument": data["instrument"], "issuer": data["issuer"],
        "jurisdiction": data["jurisdiction"], "effective_from": data["effective_from"],
        "effective_to": data.get("effective_to"), "timezone": module.timezone,
        "calendar": data.get("calendar"), "notes": data.get("notes"),
        "parameters": [{"name": name, "description": spec["description"],
                        "values": _param_values(module, name)} for name, spec in data["parameters"].items()],
        "clocks": clocks, "windows": windows, "rules": rules,
        "coverage": {"unit": coverage["unit"], "counts": coverage["counts"], "total": coverage["total"]},
        "other_sections": other,
        "other_entries": [e for key, value in other.items() for e in _other_entries(module, value, key)],
    }


def _ref_text(ref: dict | None) -> str:
    if not ref:
        return ""
    values = ref["values"]
    if len(values) == 1:
        return f"{ref['param']} = {format_value(values[0]['value'])}"
    return f"{ref['param']} = " + "; ".join(f"{format_value(v['value'])} from {v['from']}" for v in values)


def _tiers_text(ext: dict) -> str:
    """``up to 30 calendar days (complex_limit) if before_expiry; up to 60 … if …``."""
    parts = []
    for tier in ext["tiers"]:
        needs = ", ".join(tier["requires"]) or "nothing"
        if tier.get("approval_levels"):
            needs += f" (approval by {_ref_text(tier['approval_levels'])})"
        parts.append(f"up to {_ref_text(tier['up_to'])} if {needs}")
    return "; ".join(parts)


def _clock_lines(clock: dict) -> list[str]:
    lines = [f"start: {clock['start_event']}", f"period: {_ref_text(clock['period'])}"]
    if clock["met_by"]:
        lines.append(f"met by: {clock['met_by']}")
    if clock["extension"]:
        ext = clock["extension"]
        lines.append(f"extension: by {ext['event']}: " + _tiers_text(ext))
    if clock.get("pauses"):
        p = clock["pauses"]
        lines.append(f"pauses: {p['start']} … {p['end']} not counted, for reasons {_ref_text(p['reasons'])}")
    if clock.get("restart"):
        r = clock["restart"]
        lines.append(f"restarts on: {r['event']}" + (f" with {r['when_true']} true" if r.get("when_true") else ""))
    if clock["applies_if"]:
        lines.append(f"applies if: {clock['applies_if']['field']} in {_ref_text(clock['applies_if']['in'])}")
    return lines


def _effective(doc: dict) -> str:
    return f"{doc['effective_from']} – {doc['effective_to'] or 'open'} (by receipt date)"


def _show_text(doc: dict) -> str:
    ins = doc["instrument"]
    out = [f"{doc['ref']} — {ins['number']}", f"  {ins['title_zh']}"]
    if ins.get("title_en"):
        out.append(f"  {ins['title_en']}")
    out += [f"issuer: {doc['issuer']}; jurisdiction: {doc['jurisdiction']}",
            f"effective: {_effective(doc)}; timezone: {doc['timezone']}; calendar: {doc['calendar'] or 'cn'}"]
    if ins.get("source"):
        out.append(f"source: {ins['source']}")
    out += [f"digest: {doc['digest']}", f"path: {doc['path']}"]
    if doc["notes"]:
        out.append(f"notes: {doc['notes']}")
    out += ["", f"Parameters ({len(doc['parameters'])})"]
    for p in doc["parameters"]:
        out.append(f"  {p['name']} — {p['description']}")
        for v in p["values"]:
            out.append(f"    from {v['from']}: {format_value(v['value'])}")
            out.append(f"      reference: {v['reference']}")
    out += ["", f"Clocks ({len(doc['clocks'])})"]
    for c in doc["clocks"]:
        cite = f" ({doc['coverage']['unit']} {c['cite']})" if c["cite"] else ""
        out.append(f"  {c['name']} — {c['description']['zh']} / {c['description']['en']}{cite}")
        out += [f"    {line}" for line in _clock_lines(c)]
    if doc["windows"]:
        out += ["", f"Windows ({len(doc['windows'])})"]
        for w in doc["windows"]:
            desc = w["description"] or {}
            out.append(f"  {w['name']} — {_description(desc)}: {_ref_text(w['period'])}")
    out += ["", f"Rules ({len(doc['rules'])})"]
    for r in doc["rules"]:
        scope = "" if r["scope"] == "complaint" else f" scope={r['scope']}"
        out.append(f"  {r['code']}  [{r['severity']}]  {r['id']}{scope}")
        out.append(f"    {_cite(r['citation'])}: {r['citation']['text']}")
        out.append(f"    zh: {r['message']['zh']}")
        out.append(f"    en: {r['message']['en']}")
        if r["clocks"]:
            out.append(f"    clocks: {', '.join(r['clocks'])}")
    if doc["other_entries"]:
        out += ["", "Other sections"]
        for entry in doc["other_entries"]:
            description = _description(entry["description"])
            out.append(f"  {entry['name']}" + (f" — {description}" if description else ""))
            out += [f"    {key}: {value}" for key, value in entry["fields"].items()]
    cov = doc["coverage"]
    out += ["", f"Coverage: {coverage_summary(cov)} (cppolicy policies coverage {doc['ref']})"]
    return "\n".join(out) + "\n"


def _md(value: Any) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return " ".join(text.split()).replace("|", "\\|")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _show_markdown(doc: dict) -> str:
    ins = doc["instrument"]
    out = [f"# {ins['number']} — `{doc['ref']}`", "", f"**{ins['title_zh']}**", ""]
    if ins.get("title_en"):
        out += [f"*{ins['title_en']}*", ""]
    meta = [("Issuer", doc["issuer"]), ("Jurisdiction", doc["jurisdiction"]), ("Effective", _effective(doc)),
            ("Time zone", doc["timezone"]), ("Calendar", doc["calendar"] or "cn"),
            ("Source", ins.get("source")), ("Digest", f"`{doc['digest']}`"), ("Notes", doc["notes"])]
    out += [markdown_table(["Field", "Value"], [(k, v) for k, v in meta if v]), "## Parameters", ""]
    out.append(markdown_table(["Parameter", "From", "Value", "Reference", "Description"], [
        (f"`{p['name']}`", v["from"], format_value(v["value"]), v["reference"], p["description"])
        for p in doc["parameters"] for v in p["values"]]))
    out += ["## Clocks", ""]
    clock_rows = []
    for c in doc["clocks"]:
        ext, cond = c["extension"], c["applies_if"]
        clock_rows.append((
            f"`{c['name']}`", c["cite"], _description(c["description"]), c["start_event"],
            _ref_text(c["period"]), c["met_by"],
            f"{ext['event']}: {_tiers_text(ext)}" if ext else "",
            f"{cond['field']} in {_ref_text(cond['in'])}" if cond else ""))
    headers = ["Clock", "Point", "Description", "Start", "Period", "Met by", "Extension", "Applies if"]
    out.append(markdown_table(headers, clock_rows))
    if doc["windows"]:
        out += ["## Windows", "", markdown_table(["Window", "Description", "Period"], [
            (f"`{w['name']}`", _description(w["description"]), _ref_text(w["period"]))
            for w in doc["windows"]])]
    out += ["## Rules", ""]
    headers = ["Code", "Severity", "Scope", "Citation", "Original text", "Message (zh)", "Message (en)",
               "Clocks"]
    out.append(markdown_table(headers, [
        (f"`{r['code']}`", r["severity"], r["scope"], _cite(r["citation"]), r["citation"]["text"],
         r["message"]["zh"], r["message"]["en"], ", ".join(r["clocks"])) for r in doc["rules"]]))
    if doc["other_entries"]:
        out += ["## Other sections", "", markdown_table(["Entry", "Description", "Fields"], [
            (f"`{e['name']}`", _description(e["description"]),
             "; ".join(f"{k}: {v}" for k, v in e["fields"].items())) for e in doc["other_entries"]])]
    out += ["## Coverage", "", coverage_summary(doc["coverage"]), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- coverage


def _citation_unit(module: RuleModule) -> str:
    kinds = {kind for rule in module.rules for kind in ("point", "article") if rule.citation.get(kind)}
    if kinds == {"article"}:
        return "article"
    if kinds:
        return "point"
    labels = list(module.data.get("coverage", {}))
    return "article" if labels and all(label.isdecimal() for label in labels) else "point"


def coverage_report(module: RuleModule) -> dict:
    """Every point / article of the module's ``coverage`` table in the instrument's order."""
    codes = {rule.id: rule.code for rule in module.rules}
    entries = []
    for label in sorted(module.data.get("coverage", {}), key=coverage_sort_key):
        entry = module.data["coverage"][label]
        entries.append({
            "label": label, "number": parse_numeral(label), "status": entry["status"],
            "rules": [{"id": rule_id, "code": codes[rule_id]} for rule_id in entry.get("rules", [])],
            "note": entry.get("note"),
        })
    counts = Counter(e["status"] for e in entries)
    cited = {r["id"] for e in entries for r in e["rules"]}
    return {
        "module": module.ref, "instrument": module.data["instrument"]["number"], "digest": module.digest,
        "unit": _citation_unit(module), "entries": entries, "total": len(entries),
        "counts": {status: counts.get(status, 0) for status in COVERAGE_STATUSES},
        "rules_not_in_coverage": [rule.id for rule in module.rules if rule.id not in cited],
    }


def coverage_summary(report: dict) -> str:
    unit = report["unit"] + ("" if report["total"] == 1 else "s")
    counts = ", ".join(f"{n} {status}" for status, n in report["counts"].items())
    return f"{report['total']} {unit}: {counts}"


def _coverage_table(report: dict) -> str:
    rows = [[e["label"], e["status"], "\n".join(f"{r['id']}  {r['code']}" for r in e["rules"]),
             "\n".join(textwrap.wrap(e["note"] or "", 60))] for e in report["entries"]]
    out = f"{report['module']} — {report['instrument']}\n"
    out += text_table([report["unit"].upper(), "STATUS", "RULES", "NOTE"], rows)
    out += coverage_summary(report) + "\n"
    if report["rules_not_in_coverage"]:
        out += f"rules cited by no {report['unit']}: {', '.join(report['rules_not_in_coverage'])}\n"
    return out


def _coverage_markdown(report: dict) -> str:
    unit = report["unit"].capitalize()
    rows = [(e["label"], f"`{e['status']}`", "<br>".join(f"`{r['id']}` ({r['code']})" for r in e["rules"]),
             e["note"] or "") for e in report["entries"]]
    out = f"## Coverage of {report['instrument']} (`{report['module']}`)\n\n"
    out += markdown_table([unit, "Status", "Rules", "Note"], rows) + "\n"
    out += f"**Summary:** {coverage_summary(report)}.\n"
    if report["rules_not_in_coverage"]:
        out += f"\nRules cited by no {report['unit']}: {', '.join(report['rules_not_in_coverage'])}.\n"
    return out


# --------------------------------------------------------------------------- diff

_ABSENT = object()


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted fields; lists and scalars are leaves."""
    if isinstance(node, dict) and node:
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: node}


def _field_changes(a: dict, b: dict) -> list[dict]:
    changes = []
    for key in list(a) + [k for k in b if k not in a]:
        old, new = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if old != new:
            change = "added" if old is _ABSENT else "removed" if new is _ABSENT else "changed"
            changes.append({"field": key, "a": None if old is _ABSENT else old,
                            "b": None if new is _ABSENT else new, "change": change})
    return changes


def _rule_fields(rule: dict) -> dict[str, Any]:
    fields = _flatten({k: v for k, v in rule.items() if k != "when"})
    clauses = rule.get("when", {}).get("all", [])
    for clause in clauses:
        for alias, condition in clause.items():
            fields[f"when.{alias}"] = condition
    fields["when.order"] = [alias for clause in clauses for alias in clause]
    return fields


def _keyed(a: dict, b: dict, fields: Callable[[Any], dict]) -> dict:
    added = [{"name": k, "value": b[k]} for k in b if k not in a]
    removed = [{"name": k, "value": a[k]} for k in a if k not in b]
    changed = []
    for key in a:
        if key in b and a[key] != b[key]:
            changes = _field_changes(fields(a[key]), fields(b[key]))
            # An added or removed condition reorders the aliases too; say so only when the
            # same conditions merely moved.
            changes = [c for c in changes
                       if c["field"] != "when.order" or set(c["a"] or ()) == set(c["b"] or ())]
            changed.append({"name": key, "changes": changes})
    return {"added": added, "removed": removed, "changed": changed}


def _parameter_entry(name: str, spec: dict) -> dict:
    values = [{"from": start, **entry} for start, entry in sorted(spec["values"].items())]
    return {"name": name, "description": spec.get("description"), "values": values}


def _diff_parameters(a: dict, b: dict) -> dict:
    out: dict[str, list] = {"added": [_parameter_entry(name, b[name]) for name in b if name not in a],
                            "removed": [], "changed": []}
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


def diff_modules(a: RuleModule, b: RuleModule) -> dict:
    """What changed from ``a`` to ``b``: metadata fields, and parameters, clocks, windows, rules
    and coverage entry by entry. ``identical`` compares the whole data (as the digest does)."""
    meta_a = _flatten({k: v for k, v in a.data.items() if k in METADATA_KEYS})
    meta_b = _flatten({k: v for k, v in b.data.items() if k in METADATA_KEYS})
    other_a = _flatten({k: v for k, v in a.data.items() if k not in METADATA_KEYS + KEYED_SECTIONS})
    other_b = _flatten({k: v for k, v in b.data.items() if k not in METADATA_KEYS + KEYED_SECTIONS})
    rules_a = {r["id"]: r for r in a.data["rules"]}
    rules_b = {r["id"]: r for r in b.data["rules"]}
    rules = _keyed(rules_a, rules_b, _rule_fields)
    common_b = [rid for rid in rules_b if rid in rules_a]
    rules["reordered"] = [rid for rid in rules_a if rid in rules_b] != common_b
    rules["added"] = [{"id": e["name"], "code": e["value"]["code"], "severity": e["value"]["severity"],
                       "citation": e["value"]["citation"]} for e in rules["added"]]
    rules["removed"] = [{"id": e["name"], "code": e["value"]["code"]} for e in rules["removed"]]
    rules["changed"] = [{"id": e["name"], "code": rules_b[e["name"]]["code"], "changes": e["changes"]}
                        for e in rules["changed"]]
    cov_a, cov_b = a.data.get("coverage", {}), b.data.get("coverage", {})
    coverage = _keyed(cov_a, cov_b, _flatten)
    for key in ("added", "removed", "changed"):
        coverage[key].sort(key=lambda e: coverage_sort_key(e["name"]))
    result = {
        "a": {"ref": a.ref, "path": str(a.path), "digest": a.digest},
        "b": {"ref": b.ref, "path": str(b.path), "digest": b.digest},
        "identical": a.data == b.data,
        "metadata": _field_changes(meta_a, meta_b),
        "parameters": _diff_parameters(a.data["parameters"], b.data["parameters"]),
        "clocks": _keyed(a.data.get("clocks") or {}, b.data.get("clocks") or {}, _flatten),
        "windows": _keyed(a.data.get("windows") or {}, b.data.get("windows") or {}, _flatten),
        "rules": rules,
        "coverage": coverage,
        "other_sections": _field_changes(other_a, other_b),
    }
    result["counts"] = {
        "metadata": len(result["metadata"]),
        "other_sections": len(result["other_sections"]),
        **{section: sum(len(result[section][k]) for k in ("added", "removed", "changed"))
           for section in ("parameters", "clocks", "windows", "rules", "coverage")},
    }
    return result


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else _compact(value)


def _change_line(change: dict) -> str:
    if change["change"] == "added":
        return f"+ {change['field']}: {_shown(change['b'])}"
    if change["change"] == "removed":
        return f"- {change['field']}: {_shown(change['a'])}"
    return f"~ {change['field']}: {_shown(change['a'])} → {_shown(change['b'])}"


def _describe_clock(spec: dict) -> str:
    parts = [f"start {spec['start']['event']}", f"period {spec['period']['param']}"]
    parts += [f"met by {spec['met_by']}"] if spec.get("met_by") else []
    return ", ".join(parts)


def _describe_coverage(entry: dict) -> str:
    rules = f" [{', '.join(entry['rules'])}]" if entry.get("rules") else ""
    note = f" — {entry['note']}" if entry.get("note") else ""
    return f"{entry['status']}{rules}{note}"


def _keyed_lines(section: dict, describe: Callable[[Any], str] = _compact) -> list[str]:
    out = [f"  + {e['name']}: {describe(e['value'])}" for e in section["added"]]
    out += [f"  - {e['name']}: {describe(e['value'])}" for e in section["removed"]]
    for entry in section["changed"]:
        out.append(f"  ~ {entry['name']}")
        out += [f"      {_change_line(c)}" for c in entry["changes"]]
    return out


def _parameter_lines(params: dict) -> list[str]:
    out = []
    for p in params["added"]:
        out += [f"  + {p['name']} from {v['from']}: {format_value(v['value'])}  (reference: {v['reference']})"
                for v in p["values"]]
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


def _diff_text(result: dict) -> str:
    a, b = result["a"], result["b"]
    if result["identical"]:
        return f"identical: {a['ref']} ({a['path']}) and {b['ref']} ({b['path']}), {a['digest']}\n"
    out = [f"--- {a['ref']}  {a['path']}  {short_digest(a['digest'])}",
           f"+++ {b['ref']}  {b['path']}  {short_digest(b['digest'])}"]
    if result["metadata"]:
        out += ["metadata"] + [f"  {_change_line(c)}" for c in result["metadata"]]
    if any(result["parameters"].values()):
        out += ["parameters"] + _parameter_lines(result["parameters"])
    for section, describe in (("clocks", _describe_clock), ("windows", _compact)):
        if any(result[section][k] for k in ("added", "removed", "changed")):
            out += [section] + _keyed_lines(result[section], describe)
    rules = result["rules"]
    if any(rules[k] for k in ("added", "removed", "changed")) or rules["reordered"]:
        out.append("rules")
        for r in rules["added"]:
            cited = f"{_cite(r['citation'])}: {r['citation']['text']}"
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


# --------------------------------------------------------------------------- test


@dataclass
class CaseOutcome:
    case: Case
    problems: list[str]
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class ModuleOutcome:
    module: RuleModule
    outcomes: list[CaseOutcome] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(not o.passed for o in self.outcomes)


@dataclass
class TestRun:
    modules: list[ModuleOutcome]

    @property
    def total(self) -> int:
        return sum(len(m.outcomes) for m in self.modules)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.modules)


def run_tests(suites: Sequence[tuple[RuleModule, Sequence[Case]]],
              calendar_for: Callable[[RuleModule], Any]) -> TestRun:
    """Run every case of every module; one engine per module, as an audit uses."""
    from cppolicy.engine import Engine

    run = TestRun([])
    for module, cases in suites:
        calendar = calendar_for(module)
        engine = Engine(module, calendar)
        outcome = ModuleOutcome(module)
        for case in cases:
            started = time.perf_counter()
            problems = run_case(case, module, calendar, engine)
            outcome.outcomes.append(CaseOutcome(case, problems, time.perf_counter() - started))
        run.modules.append(outcome)
    return run


def _test_text(run: TestRun) -> str:
    out = []
    for m in run.modules:
        out.append(f"{m.module.ref} ({m.module.path.parent}): {len(m.outcomes)} cases")
        for o in m.outcomes:
            out.append(f"{'PASS' if o.passed else 'FAIL'} {o.case.id}: {o.case.name}")
            out += [f"    {problem}" for problem in o.problems]
    passed = run.total - run.failed
    out.append(f"{run.total} cases in {len(run.modules)} module{'' if len(run.modules) == 1 else 's'}: "
               f"{passed} passed, {run.failed} failed")
    return "\n".join(out) + "\n"


def _test_json(run: TestRun) -> str:
    return _json({
        "total": run.total, "passed": run.total - run.failed, "failed": run.failed,
        "modules": [{
            "module": m.module.ref, "path": str(m.module.path), "digest": m.module.digest,
            "cases": [{"id": o.case.id, "name": o.case.name, "file": str(o.case.file), "passed": o.passed,
                       "problems": o.problems} for o in m.outcomes],
        } for m in run.modules],
    })


def junit_xml(run: TestRun) -> bytes:
    """JUnit XML: a testsuite per module, a testcase per case named by its legal sentence."""
    seconds = sum(o.seconds for m in run.modules for o in m.outcomes)
    root = ET.Element("testsuites", name="cppolicy policies test", tests=str(run.total),
                      failures=str(run.failed), errors="0", time=f"{seconds:.3f}")
    for m in run.modules:
        suite = ET.SubElement(root, "testsuite", name=m.module.ref, tests=str(len(m.outcomes)),
                              failures=str(m.failed), errors="0", skipped="0",
                              time=f"{sum(o.seconds for o in m.outcomes):.3f}")
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="path", value=str(m.module.path))
        ET.SubElement(props, "property", name="digest", value=m.module.digest)
        for o in m.outcomes:
            case = ET.SubElement(suite, "testcase", name=o.case.name,
                                 classname=f"{m.module.id}.{o.case.file.stem}", file=str(o.case.file),
                                 time=f"{o.seconds:.3f}")
            if o.problems:
                failure = ET.SubElement(case, "failure", message="; ".join(o.problems), type="mismatch")
                failure.text = f"{o.case.id}\n" + "\n".join(o.problems)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# --------------------------------------------------------------------------- validate


def validate_module(spec: str | Path, known: Sequence[Path] = ()) -> dict:
    """Load and check a module and its case files; raises RuleModuleError on the first problem."""
    module = load_checked(spec, known)
    cases = load_module_cases(module)
    warnings = []
    folder = module.path.parent
    if (folder.parent.name, folder.name) != (module.id, module.version):
        warnings.append(f"{folder}: folder is not named {module.id}/{module.version}, "
                        f"so ID@VERSION will not find it (only its path will)")
    return {"module": module.ref, "path": str(module.path), "rules": len(module.rules), "cases": len(cases),
            "digest": module.digest, "warnings": warnings}


def _validate_text(result: dict) -> str:
    return f"ok: {result['module']} ({result['rules']} rules, {result['cases']} cases, {result['digest']})\n"


# --------------------------------------------------------------------------- renderers


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns aligned by display width (a CJK character takes two cells); a cell holding
    several lines spans several rows."""
    cells = [[str(c).split("\n") for c in headers]] + [[str(c).split("\n") for c in row] for row in rows]
    widths = [max(_width(text) for row in cells for text in row[i]) for i in range(len(headers))]

    def lines(row: Sequence[list[str]]) -> list[str]:
        height = max(len(cell) for cell in row)
        out = []
        for n in range(height):
            texts = [cell[n] if n < len(cell) else "" for cell in row]
            out.append("  ".join(t + " " * (w - _width(t)) for t, w in zip(texts, widths)).rstrip())
        return out

    rule = ["  ".join("-" * w for w in widths)]
    return "\n".join(lines(cells[0]) + rule + [text for row in cells[1:] for text in lines(row)]) + "\n"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


#: tool → format → renderer; ``cppolicy policies TOOL --format`` offers these keys, first is default.
RENDERERS: dict[str, dict[str, Callable[[Any], str]]] = {
    "list": {"table": _list_table, "json": _json},
    "show": {"text": _show_text, "json": _json, "markdown": _show_markdown},
    "coverage": {"table": _coverage_table, "json": _json, "markdown": _coverage_markdown},
    "diff": {"text": _diff_text, "json": _json},
    "test": {"text": _test_text, "json": _test_json},
    "validate": {"text": _validate_text, "json": _json},
}


def render(tool: str, fmt: str, result: Any) -> str:
    return RENDERERS[tool][fmt](result)
