"""``cppolicy modules show``: everything a policy owner reads in a module, resolved — each parameter
value with its start date and legal reference, each clock with its period's values, each rule with
its citation (original text) and messages."""

from __future__ import annotations

from typing import Any

from cppolicy.authoring.coverage import coverage_report, coverage_summary
from cppolicy.authoring.text import (
    citation_text,
    describe_text,
    flatten_fields,
    format_value,
    json_text,
    markdown_table,
    writes,
)
from cppolicy.reports.formats import FORMATS
from cppolicy.rules import RuleModule

#: Top-level keys of module.yaml that are the module's metadata (docs/rule-modules.md).
METADATA_KEYS = (
    "id",
    "version",
    "instrument",
    "issuer",
    "jurisdiction",
    "effective_from",
    "effective_to",
    "notes",
    "timezone",
    "calendar",
)
#: Sections shown and diffed entry by entry; any other top-level key (e.g. ``archive``) is
#: shown and diffed field by field as an "other section".
KEYED_SECTIONS = ("parameters", "clocks", "windows", "rules", "coverage")


def _param_values(module: RuleModule, name: str) -> list[dict[str, Any]]:
    values = module.data["parameters"].get(name, {}).get("values", {})
    return [
        {"from": start, "value": entry["value"], "reference": entry["reference"]}
        for start, entry in sorted(values.items())
    ]


def param_ref(module: RuleModule, ref: dict[str, Any] | None) -> dict[str, Any] | None:
    if not ref:
        return None
    return {
        "param": ref["param"],
        "values": [{"from": v["from"], "value": v["value"]} for v in _param_values(module, ref["param"])],
    }


def _other_entries(module: RuleModule, node: Any, name: str) -> list[dict[str, Any]]:
    """Entries of a section cppolicy's show does not know (e.g. ``archive``): every mapping
    with a ``description``, its other fields flattened and its ``{param: NAME}`` resolved."""
    if not isinstance(node, dict):
        return [{"name": name, "description": None, "fields": {"value": format_value(node)}}]
    if "description" not in node:
        return [
            entry for key, value in node.items() for entry in _other_entries(module, value, f"{name}.{key}")
        ]
    fields = {}
    for key, value in node.items():
        if key == "description":
            continue
        for field_name, leaf in flatten_fields(value, key).items():
            if field_name == "param" or field_name.endswith(".param"):
                label = field_name.removesuffix("param").rstrip(".") or key
                fields[label] = ref_text(param_ref(module, {"param": leaf}))
            else:
                fields[field_name] = format_value(leaf)
    return [{"name": name, "description": node["description"], "fields": fields}]


def _extension(module: RuleModule, extension: dict[str, Any] | None) -> dict[str, Any] | None:
    if not extension:
        return None
    tiers = extension.get("tiers") or [{"up_to": extension["cap"], "requires": extension["requires"]}]
    return {"event": extension["event"], "fall_back": bool(extension.get("fall_back")), "tiers": [
        {"up_to": param_ref(module, tier["up_to"]), "requires": list(tier["requires"]),
         "approval_levels": param_ref(module, tier.get("approval_levels"))}
        for tier in tiers]}  # fmt: skip


def _clock(module: RuleModule, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A clock as a policy owner reads it: its period, tiers and reasons with their values."""
    pauses, applies_if = spec.get("pauses"), spec.get("applies_if")
    return {
        "name": name, "description": spec["description"], "cite": spec.get("cite"),
        "start_event": spec["start"]["event"], "start_when_true": spec["start"].get("when_true"),
        "period": param_ref(module, spec["period"]), "met_by": spec.get("met_by"), "reports": spec.get("reports"),
        "extension": _extension(module, spec.get("extension")),
        "pauses": None if not pauses else {"start": pauses["start"], "end": pauses["end"],
                                           "reasons": param_ref(module, pauses["reasons"])},
        "restart": spec.get("restart"),
        "applies_if": None if not applies_if else {"field": applies_if["field"],
                                                   "in": param_ref(module, applies_if["in"])},
    }  # fmt: skip


def _rule(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "code": r["code"], "severity": r["severity"], "scope": r.get("scope", "complaint"),
            "citation": r["citation"], "message": r["message"], "clocks": list(r.get("clocks", [])),
            "due": r.get("due"), "observed": r.get("observed"), "evidence": r.get("evidence"),
            "subject": r.get("subject"), "when": r["when"]}  # fmt: skip


def describe_module(module: RuleModule) -> dict[str, Any]:
    """Everything a policy owner reads in a module, resolved (clock periods with their values)."""
    data = module.data
    coverage = coverage_report(module)
    other = {key: value for key, value in data.items() if key not in METADATA_KEYS + KEYED_SECTIONS}
    return {
        "id": module.id, "version": module.version, "ref": module.ref, "path": str(module.path),
        "digest": module.digest, "instrument": data["instrument"], "issuer": data["issuer"],
        "jurisdiction": data["jurisdiction"], "effective_from": data["effective_from"],
        "effective_to": data.get("effective_to"), "timezone": module.timezone, "calendar": data.get("calendar"),
        "notes": data.get("notes"),
        "parameters": [{"name": name, "description": spec["description"], "values": _param_values(module, name)}
                       for name, spec in data["parameters"].items()],
        "clocks": [_clock(module, name, spec) for name, spec in (data.get("clocks") or {}).items()],
        "windows": [{"name": name, "description": spec.get("description"),
                     "period": param_ref(module, spec.get("period"))}
                    for name, spec in (data.get("windows") or {}).items()],
        "rules": [_rule(r) for r in data["rules"]],
        "coverage": {"unit": coverage["unit"], "counts": coverage["counts"], "total": coverage["total"]},
        "other_sections": other,
        "other_entries": [e for key, value in other.items() for e in _other_entries(module, value, key)],
    }  # fmt: skip


def ref_text(ref: dict[str, Any] | None) -> str:
    if not ref:
        return ""
    values = ref["values"]
    if len(values) == 1:
        return f"{ref['param']} = {format_value(values[0]['value'])}"
    return f"{ref['param']} = " + "; ".join(f"{format_value(v['value'])} from {v['from']}" for v in values)


def _tiers_text(ext: dict[str, Any]) -> str:
    """``up to 30 calendar days (complex_limit) if before_expiry; up to 60 … if …``."""
    parts = []
    for tier in ext["tiers"]:
        needs = ", ".join(tier["requires"]) or "nothing"
        if tier.get("approval_levels"):
            needs += f" (approval by {ref_text(tier['approval_levels'])})"
        parts.append(f"up to {ref_text(tier['up_to'])} if {needs}")
    return "; ".join(parts)


def _clock_lines(clock: dict[str, Any]) -> list[str]:
    when = f" with {clock['start_when_true']} true" if clock.get("start_when_true") else ""
    lines = [f"start: {clock['start_event']}{when}", f"period: {ref_text(clock['period'])}"]
    if clock["met_by"]:
        reports = f" (not one dated before the {clock['reports']} it reports)" if clock.get("reports") else ""
        lines.append(f"met by: {clock['met_by']}{reports}")
    if clock["extension"]:
        ext = clock["extension"]
        fall_back = "; a request a tier does not allow stands as the highest lower tier it meets"
        lines.append(
            f"extension: by {ext['event']}: " + _tiers_text(ext) + (fall_back if ext.get("fall_back") else "")
        )
    if clock.get("pauses"):
        p = clock["pauses"]
        lines.append(f"pauses: {p['start']} … {p['end']} not counted, for reasons {ref_text(p['reasons'])}")
    if clock.get("restart"):
        r = clock["restart"]
        lines.append(
            f"restarts on: {r['event']}"
            + (f" with {r['when_true']} true" if r.get("when_true") else "")
            + (", only within the limit then in force" if r.get("within_limit") else "")
        )
    if clock["applies_if"]:
        lines.append(f"applies if: {clock['applies_if']['field']} in {ref_text(clock['applies_if']['in'])}")
    return lines


def _effective(doc: dict[str, Any]) -> str:
    return f"{doc['effective_from']} – {doc['effective_to'] or 'open'} (by receipt date)"


def _show_text(doc: dict[str, Any]) -> str:
    ins = doc["instrument"]
    out = [f"{doc['ref']} — {ins['number']}", f"  {ins['title_zh']}"]
    if ins.get("title_en"):
        out.append(f"  {ins['title_en']}")
    out += [
        f"issuer: {doc['issuer']}; jurisdiction: {doc['jurisdiction']}",
        f"effective: {_effective(doc)}; timezone: {doc['timezone']}; calendar: {doc['calendar'] or 'cn'}",
    ]
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
            out.append(f"  {w['name']} — {describe_text(desc)}: {ref_text(w['period'])}")
    out += ["", f"Rules ({len(doc['rules'])})"]
    for r in doc["rules"]:
        scope = "" if r["scope"] == "complaint" else f" scope={r['scope']}"
        out.append(f"  {r['code']}  [{r['severity']}]  {r['id']}{scope}")
        out.append(f"    {citation_text(r['citation'])}: {r['citation']['text']}")
        out.append(f"    zh: {r['message']['zh']}")
        out.append(f"    en: {r['message']['en']}")
        if r["clocks"]:
            out.append(f"    clocks: {', '.join(r['clocks'])}")
    if doc["other_entries"]:
        out += ["", "Other sections"]
        for entry in doc["other_entries"]:
            description = describe_text(entry["description"])
            out.append(f"  {entry['name']}" + (f" — {description}" if description else ""))
            out += [f"    {key}: {value}" for key, value in entry["fields"].items()]
    cov = doc["coverage"]
    out += ["", f"Coverage: {coverage_summary(cov)} (cppolicy modules coverage {doc['ref']})"]
    return "\n".join(out) + "\n"


def _markdown_head(doc: dict[str, Any]) -> list[str]:
    """The title, the metadata table and the parameters table."""
    ins = doc["instrument"]
    out = [f"# {ins['number']} — `{doc['ref']}`", "", f"**{ins['title_zh']}**", ""]
    if ins.get("title_en"):
        out += [f"*{ins['title_en']}*", ""]
    meta = [("Issuer", doc["issuer"]), ("Jurisdiction", doc["jurisdiction"]), ("Effective", _effective(doc)),
            ("Time zone", doc["timezone"]), ("Calendar", doc["calendar"] or "cn"), ("Source", ins.get("source")),
            ("Digest", f"`{doc['digest']}`"), ("Notes", doc["notes"])]  # fmt: skip
    out += [markdown_table(["Field", "Value"], [(k, v) for k, v in meta if v]), "## Parameters", ""]
    parameters = [(f"`{p['name']}`", v["from"], format_value(v["value"]), v["reference"], p["description"])
                  for p in doc["parameters"] for v in p["values"]]  # fmt: skip
    out.append(markdown_table(["Parameter", "From", "Value", "Reference", "Description"], parameters))
    return out


def _markdown_clocks(doc: dict[str, Any]) -> list[str]:
    """The clocks table, and the windows table when the module has windows."""
    rows = []
    for c in doc["clocks"]:
        ext, cond = c["extension"], c["applies_if"]
        rows.append((f"`{c['name']}`", c["cite"], describe_text(c["description"]), c["start_event"],
                     ref_text(c["period"]), c["met_by"], f"{ext['event']}: {_tiers_text(ext)}" if ext else "",
                     f"{cond['field']} in {ref_text(cond['in'])}" if cond else ""))  # fmt: skip
    headers = ["Clock", "Point", "Description", "Start", "Period", "Met by", "Extension", "Applies if"]
    out = ["## Clocks", "", markdown_table(headers, rows)]
    if doc["windows"]:
        windows = [
            (f"`{w['name']}`", describe_text(w["description"]), ref_text(w["period"])) for w in doc["windows"]
        ]
        out += ["## Windows", "", markdown_table(["Window", "Description", "Period"], windows)]
    return out


def _markdown_rules(doc: dict[str, Any]) -> list[str]:
    """The rules table, the other sections, the coverage summary."""
    headers = [
        "Code",
        "Severity",
        "Scope",
        "Citation",
        "Original text",
        "Message (zh)",
        "Message (en)",
        "Clocks",
    ]
    rules = [(f"`{r['code']}`", r["severity"], r["scope"], citation_text(r["citation"]), r["citation"]["text"],
              r["message"]["zh"], r["message"]["en"], ", ".join(r["clocks"])) for r in doc["rules"]]  # fmt: skip
    out = ["## Rules", "", markdown_table(headers, rules)]
    if doc["other_entries"]:
        entries = [(f"`{e['name']}`", describe_text(e["description"]),
                    "; ".join(f"{k}: {v}" for k, v in e["fields"].items())) for e in doc["other_entries"]]  # fmt: skip
        out += ["## Other sections", "", markdown_table(["Entry", "Description", "Fields"], entries)]
    return [*out, "## Coverage", "", coverage_summary(doc["coverage"]), ""]


def _show_markdown(doc: dict[str, Any]) -> str:
    return "\n".join([*_markdown_head(doc), *_markdown_clocks(doc), *_markdown_rules(doc)])


FORMATS.register("modules.show", "text")(writes(_show_text))
FORMATS.register("modules.show", "json")(writes(json_text))
FORMATS.register("modules.show", "markdown")(writes(_show_markdown))
