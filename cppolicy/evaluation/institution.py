"""Institution profiles and the institution-scope rules (``cppolicy check-institution``).

A profile (``schemas/institution-profile/v1.json``) describes what an institution has in
place: its tree, a senior manager per level, the complaint department, channels published at
outlets and on the website, the hotline, assessment and training. It becomes facts —

- ``node``: ``f: node``, ``id`` (``node:<id>``), ``node_id``, ``level``, ``parent``, the node's
  fields flattened (``senior_manager_name``, ``published_channels__phone``…);
- ``website``: ``f: website``, ``id``, ``institution``, ``published_channels__…``, ``prominent``;
- ``hotline``: ``f: hotline``, ``id``, ``institution``, ``shared_with_customer_service``,
  ``complaint_prompt``;
- ``window``: ``f: window``, ``window``, ``since`` (epoch), ``institution`` — from the module's
  ``windows``;
- ``training``: ``f: training``, ``id``, ``t`` (epoch of the day's start), ``topic``,
  ``in_window__<window>`` (within that window, up to the as-of time);
- the as-of fact: ``f: asof``, ``t``

— evaluated by the module's ``scope: institution`` rules on durable_rules, like complaints.
"""

from __future__ import annotations

import calendar as _calendar
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from cppolicy.calendar import SHANGHAI, end_of_day
from cppolicy.documents import MAX_DEPTH, json_path, json_too_deep, load_yaml, read_text
from cppolicy.errors import InputError
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.facts import flatten
from cppolicy.evaluation.findings import Finding, ModuleRef, Status, worst_status
from cppolicy.resources import schemas_dir
from cppolicy.rules import RuleModule


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((schemas_dir() / "institution-profile" / "v1.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def load_profile(path: Path) -> dict[str, Any]:
    """Read a profile (JSON, or YAML by suffix) and validate it; errors name file and JSON path."""
    path = Path(path)
    if path.suffix in (".yaml", ".yml"):
        doc: dict[str, Any] = load_yaml(path, InputError)  # an object once validated below
    else:
        text = read_text(path, InputError)  # within the data-file limits (docs/rule-modules.md#limits)
        deep = json_too_deep(text)
        if deep is not None:
            raise InputError(f"{path}:{deep[0]}:{deep[1]}: nested deeper than {MAX_DEPTH} levels (the limit)")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: invalid JSON: {exc}") from None
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise InputError(f"{path}: {json_path(first.absolute_path)}: {first.message} [{first.validator}]")
    _check_tree(doc, path)
    return doc


def _check_tree(doc: dict[str, Any], path: Path) -> None:
    ids: dict[str, int] = {}
    for index, node in enumerate(doc["nodes"]):
        if node["id"] in ids:
            raise InputError(f"{path}: $.nodes[{index}].id: duplicate node id {node['id']!r}")
        ids[node["id"]] = index
    heads = [n for n in doc["nodes"] if n["level"] == "head_office"]
    if len(heads) != 1:
        raise InputError(f"{path}: $.nodes: expected exactly one head_office node, found {len(heads)}")
    for index, node in enumerate(doc["nodes"]):
        if node["level"] == "head_office":
            if node["parent"] is not None:
                raise InputError(f"{path}: $.nodes[{index}].parent: the head office has no parent")
            continue
        if node["parent"] not in ids:
            raise InputError(f"{path}: $.nodes[{index}].parent: unknown node {node['parent']!r}")
        seen, current = {node["id"]}, node["parent"]
        while current is not None:
            if current in seen:
                raise InputError(f"{path}: $.nodes[{index}].parent: cycle through {current!r}")
            seen.add(current)
            current = doc["nodes"][ids[current]]["parent"]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (民法典 Art. 202: the corresponding day, else month end)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _start_of(day: date) -> float:
    return datetime.combine(day, time(0), SHANGHAI).timestamp()


def profile_facts(
    doc: dict[str, Any], module: RuleModule, params: dict[str, Any], as_of: datetime
) -> list[dict[str, Any]]:
    root = next(n["id"] for n in doc["nodes"] if n["level"] == "head_office")
    facts: list[dict[str, Any]] = []
    for node in doc["nodes"]:
        fact = flatten({k: v for k, v in node.items() if k not in ("id", "level", "parent")})
        fact.update({"f": "node", "id": f"node:{node['id']}", "node_id": node["id"], "level": node["level"]})
        if node["parent"]:
            fact["parent"] = node["parent"]
        facts.append(fact)
    if "website" in doc:
        facts.append({**flatten(doc["website"]), "f": "website", "id": "website", "institution": root})
    if "hotline" in doc:
        facts.append({**flatten(doc["hotline"]), "f": "hotline", "id": "hotline", "institution": root})
    # A look-back window becomes a flag on the facts it covers (``in_window__<name>``) rather than
    # a cross-fact comparison: durable_rules 2.0.28 was seen to crash (out-of-bounds read) on a
    # cross-fact $gte/$lt join in a small ruleset, so the comparison is made here, declaratively.
    since: dict[str, float] = {}
    for name, window in (module.data.get("windows") or {}).items():
        period = params[window["period"]["param"]]
        if period["unit"] != "month":
            raise InputError(f"{module.path}: window {name}: only month periods are supported")
        since[name] = _start_of(months_before(as_of.astimezone(SHANGHAI).date(), int(period["value"])))
        facts.append(
            {"f": "window", "id": f"window:{name}", "window": name, "since": since[name], "institution": root}
        )
    for n, entry in enumerate(doc.get("training", [])):
        t = _start_of(date.fromisoformat(entry["date"]))
        fact = {
            "f": "training",
            "id": f"training:{n}",
            "t": t,
            "topic": entry["topic"],
            "institution": entry.get("institution", root),
        }
        fact.update({f"in_window__{name}": since[name] <= t <= as_of.timestamp() for name in since})
        facts.append(fact)
    return facts


@dataclass
class InstitutionResult:
    institution_id: str
    module: ModuleRef
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return worst_status(self.findings)


def check_institution(doc: dict[str, Any], engine: Engine, as_of: datetime) -> InstitutionResult:
    """Evaluate ``engine.module``'s institution-scope rules on a validated profile."""
    root = next(n["id"] for n in doc["nodes"] if n["level"] == "head_office")
    result = InstitutionResult(root, engine.ref)
    as_of_text = as_of.astimezone(SHANGHAI).isoformat()
    on = as_of.astimezone(SHANGHAI).date()
    try:
        params = engine.module.parameters_on(on)
        fired = engine.run_facts("institution", on, profile_facts(doc, engine.module, params, as_of), as_of)
    except Exception as exc:  # noqa: BLE001 — a failure is an error finding, never compliance
        result.findings.append(engine.error_finding(None, root, as_of_text, exc))
        return result
    result.findings = sorted(
        engine.findings_for(None, root, fired, as_of_text), key=lambda f: (f.institution_id or "", f.code)
    )
    return result


def default_as_of(doc: dict[str, Any]) -> datetime:
    return end_of_day(date.fromisoformat(doc["as_of"]))


def describe(doc: dict[str, Any]) -> dict[str, Any]:
    levels: dict[str, int] = {}
    for node in doc["nodes"]:
        levels[node["level"]] = levels.get(node["level"], 0) + 1
    return {"institution": doc["institution"], "as_of": doc["as_of"], "nodes": levels}
