"""Property-based: no valid event crashes the audit pipeline, and the counts always reconcile.

Events are generated from the bundled JSON Schema (``schemas/complaint-event/v1.json``) with
hypothesis-jsonschema, one strategy per event type (the schema's ``allOf`` of ``if type …
then …`` specialised to that type, as the fast validator does: the whole schema at once is too
slow for hypothesis-jsonschema to canonicalise). Complaint ids and event ids are then drawn from
small pools so that events share complaints, and ids repeat (duplicates and conflicts).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import hypothesis_jsonschema  # a test dependency: missing, the suite fails rather than skips
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppolicy.audit import audit_archive, read_archive
from cppolicy.calendar import parse_moment
from cppolicy.cli.options import calendar_from, modules_from
from cppolicy.events import INSTITUTION_TYPES, load_schema
from cppolicy.events.schema import type_condition
from cppolicy.plugin import Plugins
from tests.helpers import render_all

pytestmark = pytest.mark.slow  # generates and audits hundreds of archives

AS_OF = parse_moment("2025-12-31T00:00:00+08:00")
SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("CPPOLICY_PROPERTY_EXAMPLES", "25")),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


@cache
def setup():
    plugins = Plugins()
    return modules_from(None, plugins), calendar_from(None, plugins)


def _inline(node, defs: dict):
    """The schema with every local ``$ref`` replaced by what it points to (no resolver needed:
    hypothesis-jsonschema's resolver can trip over the schema's ``$id`` once jsonschema's
    reference caches have seen it)."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _inline(value, defs) for key, value in node.items() if key != "$ref"}
    if "$ref" in node:
        target = _inline(defs[node["$ref"].removeprefix("#/$defs/")], defs)
        rest = {k: v for k, v in out.items() if k not in ("description", "$comment")}
        return {"allOf": [target, rest]} if rest else target
    return out


def schema_for(kind: str) -> dict:
    schema = load_schema()
    schema["allOf"] = [part["then"] for part in schema["allOf"] if kind in (type_condition(part) or ())]
    schema["properties"]["type"] = {"const": kind}
    defs = schema.pop("$defs")
    for key in ("$id", "$schema"):
        schema.pop(key, None)
    return _inline(schema, defs)


def _fits_64_bits(value) -> bool:
    """orjson reads integers of up to 64 bits; a longer one is quarantined as malformed JSON (see
    the report of this suite), so such values are left out here."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return all(map(_fits_64_bits, value.values()))
    if isinstance(value, list):
        return all(map(_fits_64_bits, value))
    return True


@cache
def event_strategy():
    kinds = load_schema()["properties"]["type"]["enum"]
    by_type = [hypothesis_jsonschema.from_schema(schema_for(kind)) for kind in kinds]
    return st.one_of(by_type).filter(_fits_64_bits)


@st.composite
def archives(draw):
    """A list of schema-valid events sharing a few complaint and event ids, in any order."""
    events = draw(st.lists(event_strategy(), min_size=1, max_size=8))
    complaint_ids = st.sampled_from(["C-1", "C-2", "C-é", "C-\u0000", "C-😀"])
    event_ids = st.sampled_from([f"E-{n}" for n in range(6)])
    out = []
    for doc in events:
        doc = dict(doc)
        if doc["type"] not in INSTITUTION_TYPES and draw(st.booleans()):
            doc["complaint_id"] = draw(complaint_ids)
        if draw(st.integers(0, 3)) == 0:
            doc["event_id"] = draw(event_ids)
        out.append(doc)
        if draw(st.integers(0, 5)) == 0:
            out.append(dict(doc))  # an exact duplicate line
    return out


def write(tmp_path: Path, events: list[dict]) -> str:
    path = tmp_path / "archive.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8")
    return str(path)


@SETTINGS
@given(events=archives())
def test_no_valid_event_crashes_the_pipeline_and_counts_reconcile(tmp_path, events):
    modules, calendar = setup()
    path = write(tmp_path, events)
    report = audit_archive([path], modules, calendar, AS_OF)
    counts = report.counts()
    assert counts["lines"] == len(events) == counts["accepted"] + counts["quarantined"]
    assert counts["accepted"] == counts["complaint_events"] + counts["institution_events"]
    # valid events are accepted, unless their id was seen before or a date is impossible
    assert {q.reason for q in report.contents.quarantined} <= {"duplicate", "conflict", "semantic"}
    judged = {r.complaint_id for r in report.results}
    skipped = sum(n for why, n in report.skipped.items() if why.startswith("no_module"))
    assert len(judged) + skipped == counts["complaints"]
    assert all(r.complaint_id is not None for r in report.results)
    render_all(report)  # every format renders


@SETTINGS
@given(events=archives())
def test_streaming_spilling_and_in_memory_pipelines_agree(tmp_path, events):
    modules, calendar = setup()
    path = write(tmp_path, events)
    reference = render_all(audit_archive(read_archive([path]), modules, calendar, AS_OF, keep="full"))
    assert render_all(audit_archive([path], modules, calendar, AS_OF, order="unsorted")) == reference
    assert render_all(audit_archive([path], modules, calendar, AS_OF, order="auto")) == reference


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw):
    """A schema-valid event with one place changed: a key dropped, added or given any JSON value."""
    doc = draw(event_strategy())
    node = doc
    while isinstance(node, dict) and node and draw(st.booleans()):
        child = draw(st.sampled_from(sorted(node)))
        if not isinstance(node[child], dict):
            break
        node = node[child]
    action = draw(st.sampled_from(["drop", "add", "replace"]))
    if action == "drop" and node:
        node.pop(draw(st.sampled_from(sorted(node))))
    elif action == "add" or not node:
        node[draw(st.text(max_size=8))] = draw(_JSON)
    else:
        node[draw(st.sampled_from(sorted(node)))] = draw(_JSON)
    return doc


@SETTINGS
@given(doc=st.one_of(event_strategy(), mutated()))
def test_the_fast_check_agrees_with_the_reference_validator(doc):
    from cppolicy.events import exact_validator, fast_validator

    assert fast_validator()(doc) == exact_validator().is_valid(doc)


def test_the_schema_copy_is_not_changed_by_the_fast_validator():
    from cppolicy.events import fast_validator

    for kind in ("received", "decided", None):  # compiles the validators (the verdicts are irrelevant)
        fast_validator()({"type": kind})
    refs = [part for part in json.dumps(load_schema()).split('"$ref": ')[1:]]
    assert refs and all(ref.startswith('"#/$defs/') for ref in refs)
