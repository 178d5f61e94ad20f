"""``cppolicy modules coverage``: how each point / article of the instrument is covered — encoded
(by which rules), checked from institution data, planned, or not machine-checkable (and why)."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any

from cppolicy.authoring.numerals import coverage_sort_key, parse_numeral
from cppolicy.authoring.text import json_text, markdown_table, text_table, writes
from cppolicy.reports.formats import FORMATS
from cppolicy.rules import RuleModule

COVERAGE_STATUSES = ("encoded", "institution_data", "planned", "not_machine_checkable")


def _citation_unit(module: RuleModule) -> str:
    kinds = {kind for rule in module.rules for kind in ("point", "article") if rule.citation.get(kind)}
    if kinds == {"article"}:
        return "article"
    if kinds:
        return "point"
    labels = list(module.data.get("coverage", {}))
    return "article" if labels and all(label.isdecimal() for label in labels) else "point"


def coverage_report(module: RuleModule) -> dict[str, Any]:
    """Every point / article of the module's ``coverage`` table in the instrument's order."""
    codes = {rule.id: rule.code for rule in module.rules}
    entries = []
    for label in sorted(module.data.get("coverage", {}), key=coverage_sort_key):
        entry = module.data["coverage"][label]
        entries.append(
            {
                "label": label,
                "number": parse_numeral(label),
                "status": entry["status"],
                "rules": [{"id": rule_id, "code": codes[rule_id]} for rule_id in entry.get("rules", [])],
                "note": entry.get("note"),
            }
        )
    counts = Counter(e["status"] for e in entries)
    cited = {r["id"] for e in entries for r in e["rules"]}
    return {
        "module": module.ref,
        "instrument": module.data["instrument"]["number"],
        "digest": module.digest,
        "unit": _citation_unit(module),
        "entries": entries,
        "total": len(entries),
        "counts": {status: counts.get(status, 0) for status in COVERAGE_STATUSES},
        "rules_not_in_coverage": [rule.id for rule in module.rules if rule.id not in cited],
    }


def coverage_summary(report: dict[str, Any]) -> str:
    unit = report["unit"] + ("" if report["total"] == 1 else "s")
    counts = ", ".join(f"{n} {status}" for status, n in report["counts"].items())
    return f"{report['total']} {unit}: {counts}"


def _coverage_table(report: dict[str, Any]) -> str:
    rows = [
        [
            e["label"],
            e["status"],
            "\n".join(f"{r['id']}  {r['code']}" for r in e["rules"]),
            "\n".join(textwrap.wrap(e["note"] or "", 60)),
        ]
        for e in report["entries"]
    ]
    out = f"{report['module']} — {report['instrument']}\n"
    out += text_table([report["unit"].upper(), "STATUS", "RULES", "NOTE"], rows)
    out += coverage_summary(report) + "\n"
    if report["rules_not_in_coverage"]:
        out += f"rules cited by no {report['unit']}: {', '.join(report['rules_not_in_coverage'])}\n"
    return out


def _coverage_markdown(report: dict[str, Any]) -> str:
    unit = report["unit"].capitalize()
    rows = [
        (
            e["label"],
            f"`{e['status']}`",
            "<br>".join(f"`{r['id']}` ({r['code']})" for r in e["rules"]),
            e["note"] or "",
        )
        for e in report["entries"]
    ]
    out = f"## Coverage of {report['instrument']} (`{report['module']}`)\n\n"
    out += markdown_table([unit, "Status", "Rules", "Note"], rows) + "\n"
    out += f"**Summary:** {coverage_summary(report)}.\n"
    if report["rules_not_in_coverage"]:
        out += f"\nRules cited by no {report['unit']}: {', '.join(report['rules_not_in_coverage'])}.\n"
    return out


FORMATS.register("modules.coverage", "table")(writes(_coverage_table))
FORMATS.register("modules.coverage", "json")(writes(json_text))
FORMATS.register("modules.coverage", "markdown")(writes(_coverage_markdown))
