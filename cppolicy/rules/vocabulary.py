"""The fact vocabulary: every field a rule condition may name, per scope — the single source of
truth for the fields cppolicy writes on the facts it asserts.

The fact builders (:mod:`cppolicy.evaluation.facts`, ``clocks``, ``engine``, ``archive_scope``,
``clusters``, ``institution``) write the fields named here; the data fields of events and
institution profiles come from their bundled JSON Schemas (``additionalProperties: false``, so
the schema lists every field an input may hold), flattened as the builders flatten data. A rule
module is checked against this vocabulary when it loads (:mod:`cppolicy.rules.conditions`), so
a misspelt field is an error with its line, never a rule that silently never fires.
``tests/test_fact_vocabulary.py`` asserts the facts really built on the golden cases and the
example archive use no other field, and that docs/rule-modules.md shows this table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from cppolicy.resources import schemas_dir

#: fields cppolicy writes on every event fact (an event's data never overrides them)
EVENT_CORE = ("f", "type", "t", "id", "first", "institution_id", "institution_level")
#: fields the engine writes on every fact it asserts (the session and the as-of time)
ENGINE_FIELDS = ("sid", "asof_t")
#: names a flattened event's data never takes (they are the engine's and the core's)
RESERVED = frozenset({"f", "type", "t", "id", "first", "sid", "asof_t"})
#: a computed clock's fact
CLOCK_FACT = ("f", "clock", "start", "start_id", "due", "base_due", "cap_due")
#: clock numbers projected onto every event fact of a complaint as ``<clock>_<name>``
CLOCK_PROJECTION = ("due", "base_due", "cap_due", "start")
#: what a clock writes on the fact of an event it interprets (a pause, an extension)
ANNOTATIONS = (
    "pause_excluded",
    "limit_due",
    "new_due",
    "ext_tier",
    "ext_tier_due",
    "out_of_order",
    "reports_id",
    "first_in_order",
)
#: the receipt projected onto every event fact: its id, and its data as ``received_<field>``
RECEIVED_PREFIX = "received_"
RECEIVED_ID = "received_id"
#: the as-of fact, asserted last
ASOF_FACT = ("f", "t", "sid")
#: archive scope: a periodic report due (schedules), an event-started obligation, a cluster
SCHEDULE_FACT = (
    "f", "schedule", "id", "institution", "period", "due", "rule_changes", "channel_changes",
    "met_t", "met_id", "reflects_rule_changes", "reflects_channel_changes",
)  # fmt: skip
OBLIGATION_FACT = ("f", "obligation", "id", "institution", "start", "due", "met_t")
CLUSTER_FACT = (
    "f", "cluster", "kind", "id", "institution", "product", "issue", "complaints", "complainants",
    "detected_t", "complaint_ids", "due", "met_t", "met_id",
)  # fmt: skip
#: institution scope: a node of the tree (its profile data flattened), website, hotline,
#: look-back window, training (``in_window__<window>`` per window of the module)
NODE_FACT = ("f", "id", "node_id", "level", "parent")
SITE_FACT = ("f", "id", "institution")
WINDOW_FACT = ("f", "id", "window", "since", "institution")
TRAINING_FACT = ("f", "id", "t", "topic", "institution")
IN_WINDOW_PREFIX = "in_window__"
#: a list field ``name`` becomes ``name_count`` and ``name__<item>: true`` per item
LIST_ITEM = "__"
LIST_COUNT = "_count"


@dataclass(frozen=True)
class Vocabulary:
    """The fields one scope's facts may hold: exact names, list fields (``name__<item>``; the
    items when the schema enumerates them) and free prefixes (an object without listed fields)."""

    fields: frozenset[str]
    lists: dict[str, frozenset[str] | None]
    prefixes: frozenset[str] = frozenset()

    def knows(self, name: str) -> bool:
        if name in self.fields or any(name.startswith(p) for p in self.prefixes):
            return True
        head, sep, item = name.partition(LIST_ITEM)
        if sep and head in self.lists:
            items = self.lists[head]
            return items is None or item in items
        return False

    def names(self) -> list[str]:
        """Every exact name and list item (for a "did you mean")."""
        items = [f"{n}{LIST_ITEM}{i}" for n, its in self.lists.items() for i in sorted(its or ())]
        return sorted(self.fields) + items

    def with_fields(self, extra: Iterable[str]) -> Vocabulary:
        return Vocabulary(self.fields | frozenset(extra), self.lists, self.prefixes)


@cache
def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((schemas_dir() / name / "v1.json").read_text(encoding="utf-8"))
    return loaded


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _alternatives(schema: dict[str, Any], node: Any) -> list[dict[str, Any]]:
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return []
    subs = node.get("oneOf", []) + node.get("anyOf", [])
    return [node, *(alt for sub in subs for alt in _alternatives(schema, sub))]


def flatten_schema(
    schema: dict[str, Any], node: Any, prefix: str, out: dict[str, Any], sep: str = "_"
) -> None:
    """Add to ``out`` the flat field names :func:`cppolicy.evaluation.facts.flatten` makes of
    data valid against ``node``: ``fields`` (exact), ``lists`` (name -> items or None),
    ``prefixes`` (objects whose fields the schema does not list)."""
    for alt in _alternatives(schema, node):
        kinds = alt.get("type", [])
        kinds = {kinds} if isinstance(kinds, str) else set(kinds)
        if "object" in kinds or "properties" in alt:
            if alt.get("properties"):
                for key, sub in alt["properties"].items():
                    flatten_schema(schema, sub, f"{prefix}{key}{sep}", out, sep)
            elif alt.get("additionalProperties") is not False:
                out["prefixes"].add(prefix)  # an object whose fields the schema leaves open
        if "array" in kinds:
            name = prefix[:-1]
            out["fields"].add(name + LIST_COUNT)
            items = [i for a in _alternatives(schema, alt.get("items", {})) for i in a.get("enum", [None])]
            known = None if None in items or not items else {str(i) for i in items}
            previous = out["lists"].get(name, set())
            out["lists"][name] = None if known is None or previous is None else previous | known
        scalar = kinds - {"object", "array", "null"} or (not kinds and ("enum" in alt or "const" in alt))
        if scalar and "properties" not in alt:
            out["fields"].add(prefix[:-1])


def _data_fields(schema_name: str, defs: Iterable[str], prefix: str = "") -> dict[str, Any]:
    schema = _schema(schema_name)
    out: dict[str, Any] = {"fields": set(), "lists": {}, "prefixes": set()}
    for name in defs:
        flatten_schema(schema, schema["$defs"][name], prefix, out)
    out["fields"] -= RESERVED
    return out


def _vocabulary(parts: Iterable[dict[str, Any]], *exact: Iterable[str]) -> Vocabulary:
    fields: set[str] = set().union(*map(set, exact))
    lists: dict[str, frozenset[str] | None] = {}
    prefixes: set[str] = set()
    for part in parts:
        fields |= part["fields"]
        prefixes |= part["prefixes"]
        for name, items in part["lists"].items():
            before = lists.get(name, frozenset())
            lists[name] = None if items is None or before is None else before | frozenset(items)
    return Vocabulary(frozenset(fields), lists, frozenset(prefixes))


def _event_data() -> dict[str, Any]:
    return _data_fields(
        "complaint-event", (d for d in _schema("complaint-event")["$defs"] if d.startswith("data_"))
    )


@cache
def event_data_fields(event_type: str, sep: str = "_") -> frozenset[str]:
    """The data fields of one event type, nested names joined by ``sep`` (``_``: as on its fact,
    ``forwarded_by_office``; ``.``: as a dotted path, ``forwarded_by.office``); empty for a type
    the schema does not know."""
    schema = _schema("complaint-event")
    if f"data_{event_type}" not in schema["$defs"]:
        return frozenset()
    out: dict[str, Any] = {"fields": set(), "lists": {}, "prefixes": set()}
    flatten_schema(schema, schema["$defs"][f"data_{event_type}"], "", out, sep)
    return frozenset(out["fields"])


@cache
def event_types() -> frozenset[str]:
    """Every event type the complaint-event schema admits (what a condition's ``type`` may be)."""
    return frozenset(_schema("complaint-event")["properties"]["type"]["enum"])


def _received_data() -> dict[str, Any]:
    return _data_fields("complaint-event", ["data_received"], RECEIVED_PREFIX)


@cache
def scope_vocabulary(scope: str) -> Vocabulary:
    """The fields of every fact of ``scope`` that do not depend on a module's own names."""
    common = (ENGINE_FIELDS, ASOF_FACT)
    if scope == "complaint":
        return _vocabulary(
            [_event_data(), _received_data()], EVENT_CORE, ANNOTATIONS, CLOCK_FACT, (RECEIVED_ID,), *common
        )
    if scope == "archive":
        return _vocabulary([_event_data()], EVENT_CORE, SCHEDULE_FACT, OBLIGATION_FACT, CLUSTER_FACT, *common)
    profile = _schema("institution-profile")
    node = profile["$defs"]["node"]["properties"]
    parts = [
        _flat(profile, {k: v for k, v in node.items() if k not in ("id", "level", "parent")}),
        _flat(profile, profile["properties"]["website"]["properties"]),
        _flat(profile, profile["properties"]["hotline"]["properties"]),
    ]
    return _vocabulary(parts, NODE_FACT, SITE_FACT, WINDOW_FACT, TRAINING_FACT, *common)


def _flat(schema: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"fields": set(), "lists": {}, "prefixes": set()}
    flatten_schema(schema, {"type": "object", "properties": properties}, "", out)
    return out


def module_vocabulary(scope: str, clocks: Iterable[str] = (), windows: Iterable[str] = ()) -> Vocabulary:
    """The vocabulary of ``scope`` for a module with these clocks and look-back windows."""
    base = scope_vocabulary(scope)
    if scope == "complaint":
        return base.with_fields(f"{clock}_{suffix}" for clock in clocks for suffix in CLOCK_PROJECTION)
    if scope == "institution":
        return base.with_fields(f"{IN_WINDOW_PREFIX}{window}" for window in windows)
    return base


def vocabulary_table() -> str:
    """The Markdown table of docs/rule-modules.md#fact-vocabulary (kept in sync by a test)."""
    rows = ["| scope | field | from |", "|---|---|---|"]

    def add(scope: str, names: Iterable[str], origin: str) -> None:
        rows.append(f"| {scope} | {', '.join(f'`{n}`' for n in names)} | {origin} |")

    add("all", sorted(set(ENGINE_FIELDS)), "the engine, on every fact")
    add("all", ASOF_FACT, "the as-of fact (`f: asof`), asserted last")
    add("complaint, archive", EVENT_CORE, "every event fact")
    data = _event_data()
    add("complaint, archive", sorted(data["fields"]), "event data (schemas/complaint-event), flattened")
    add("complaint, archive", _list_names(data["lists"]), "event data lists: one `true` field per item")
    add("complaint", ANNOTATIONS, "clock annotations on pause, extension and out-of-order report events")
    add("complaint", CLOCK_FACT, "clock facts (`f: clock`)")
    add("complaint", [f"<clock>_{s}" for s in CLOCK_PROJECTION], "projection of each clock of the module")
    add("complaint", [RECEIVED_ID, f"{RECEIVED_PREFIX}<field>"], "projection of the receipt and its data")
    add("archive", SCHEDULE_FACT, "schedule facts (`f: schedule`)")
    add("archive", OBLIGATION_FACT, "obligation facts (`f: obligation`)")
    add("archive", CLUSTER_FACT, "cluster facts (`f: cluster`)")
    inst = scope_vocabulary("institution")
    add("institution", NODE_FACT, "node facts (`f: node`), with the node's profile data flattened")
    add("institution", SITE_FACT, "website and hotline facts, with their profile data flattened")
    add("institution", WINDOW_FACT, "look-back window facts (`f: window`)")
    add("institution", (*TRAINING_FACT, f"{IN_WINDOW_PREFIX}<window>"), "training facts (`f: training`)")
    profile = sorted(
        inst.fields - {*NODE_FACT, *SITE_FACT, *WINDOW_FACT, *TRAINING_FACT, *ENGINE_FIELDS, *ASOF_FACT}
    )
    add("institution", profile, "profile data (schemas/institution-profile), flattened")
    add("institution", _list_names(inst.lists), "profile data lists: one `true` field per item")
    return "\n".join(rows) + "\n"


def _list_names(lists: dict[str, Any]) -> list[str]:
    """``channels__<app/email/…>`` for an enumerated list, ``contents__<item>`` for an open one."""
    return [
        f"{name}__<{'/'.join(sorted(items)) if items else 'item'}>" for name, items in sorted(lists.items())
    ]
