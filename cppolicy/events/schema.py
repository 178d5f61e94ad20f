"""The event schema: loaded once from the package, checked fast, and explained exactly.

The hot path is jsonschema-rs (a Rust validator of the Python objects, :func:`is_valid`); only a
document it rejects is re-checked with jsonschema (Draft 2020-12), the reference, which gives
exact, path-bearing errors and has the last word (:func:`schema_errors`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cppolicy.documents import json_path
from cppolicy.errors import InputError
from cppolicy.events.model import SCHEMA_ID, EventError
from cppolicy.resources import schemas_dir

_MAX_SHOWN = 80  # longest value echoed back in an error message


def schema_path() -> Path:
    """The bundled ``complaint-event/v1`` JSON Schema file."""
    return schemas_dir() / "complaint-event" / "v1.json"


@cache
def event_schema() -> dict[str, Any]:
    """The bundled schema, parsed once (read-only: :func:`load_schema` gives a copy)."""
    with schema_path().open("rb") as handle:
        loaded: dict[str, Any] = orjson.loads(handle.read())
    if loaded.get("$id") != SCHEMA_ID:
        raise InputError(f"{schema_path()}: $id is {loaded.get('$id')!r}, expected {SCHEMA_ID}")
    return loaded


def load_schema() -> dict[str, Any]:
    """A fresh copy of the schema dict (the module keeps its own, unmodified)."""
    return copy.deepcopy(event_schema())


def fast_validator() -> Callable[[Any], bool]:
    """The hot-path check: ``True`` when a parsed document is valid.

    jsonschema-rs validators (about 4 µs a line; fastjsonschema took 13, jsonschema about 200),
    one per event type, compiled lazily from the schema with its ``allOf`` specialised to that
    type: an ``if`` that tests the type is decided in advance, so the 21 if/then branches are not
    tried on every event. Anything else (no dict, unknown type) goes to the whole schema. Formats
    are not checked (nor does the reference check them: patterns and semantic checks decide).
    Its ``True`` is final; a ``False`` (or any exception from it) sends the document to
    :func:`schema_errors`, the reference, for the errors — and if the reference finds none, the
    reference is right. ``tests/test_schema.py`` checks the two agree on every fixture and on
    generated documents, and that the schema's patterns mean the same to Python's ``re`` and to
    the Rust engine.
    """
    return is_valid


def is_valid(doc: Any) -> bool:
    kind = doc.get("type") if isinstance(doc, dict) else None
    if isinstance(kind, str) and kind in fast_types():
        check = fast_for(kind)
    else:
        check = fast_for(None)
    try:
        return check(doc)
    except Exception:  # noqa: BLE001 — e.g. a value it cannot convert: the reference decides
        return False


def _compile(schema: dict[str, Any]) -> Callable[[Any], bool]:
    # validate_formats=False: what the reference (jsonschema without a format checker) does
    return jsonschema_rs.validator_for(schema, validate_formats=False).is_valid


def type_condition(part: dict[str, Any]) -> set[str] | None:
    """The types an ``allOf`` entry ``{if: <type is one of ...>, then: ...}`` applies to, else None."""
    condition = part.get("if")
    if set(part) - {"if", "then", "$comment"} or not isinstance(condition, dict):
        return None
    if condition.get("required") != ["type"] or set(condition) != {"required", "properties"}:
        return None
    test = condition["properties"].get("type", {})
    if set(condition["properties"]) != {"type"} or len(test) != 1:
        return None
    if "const" in test:
        return {test["const"]}
    return set(test["enum"]) if "enum" in test else None


@cache
def fast_types() -> frozenset[str]:
    """Types the schema can be specialised for (empty if the allOf is not all type conditions)."""
    conditions = [type_condition(part) for part in event_schema().get("allOf", [])]
    if any(condition is None for condition in conditions):
        return frozenset()
    return frozenset(event_schema()["properties"]["type"]["enum"])


@cache
def fast_for(kind: str | None) -> Callable[[Any], bool]:
    schema = event_schema()
    if kind is None:
        return _compile(schema)
    kept = [part["then"] for part in schema["allOf"] if kind in (type_condition(part) or ())]
    return _compile({**schema, "allOf": kept})


@cache
def exact_validator() -> Any:
    """A jsonschema Draft 2020-12 validator with the schema in a local registry (no network)."""
    resource = Resource.from_contents(event_schema(), default_specification=DRAFT202012)
    registry = Registry().with_resource(SCHEMA_ID, resource)
    return Draft202012Validator(event_schema(), registry=registry)


def schema_errors(doc: Any) -> list[EventError]:
    """Every schema error in ``doc`` (jsonschema, exact paths), sorted by path; ``[]`` when valid."""
    seen: set[tuple[str, str]] = set()
    out: list[EventError] = []
    for error in exact_validator().iter_errors(doc):
        for item in _convert(error, doc):
            if (item.path, item.keyword) not in seen:
                seen.add((item.path, item.keyword))
                out.append(item)
    out.sort(key=lambda e: e.path)
    return out


def shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def _convert(error: Any, root: Any) -> list[EventError]:
    """Turn one jsonschema error into EventErrors with a path that points at the field."""
    parts = list(error.absolute_path)
    keyword = error.validator
    value, instance = error.validator_value, error.instance
    if keyword == "required":
        missing = [name for name in value if name not in instance]
        return [
            EventError(json_path([*parts, name]), "required", "required property is missing")
            for name in missing
        ]
    if keyword == "additionalProperties":
        allowed = error.schema.get("properties", {})
        extra = [name for name in instance if name not in allowed]
        hint = "allowed: " + ", ".join(allowed) if allowed else "this object takes no properties"
        return [
            EventError(json_path([*parts, name]), keyword, f"unknown property ({hint})") for name in extra
        ]
    if keyword == "type":
        wanted = " or ".join([value] if isinstance(value, str) else value)
        got = _JSON_TYPES.get(type(instance), "value")
        message = f"expected {wanted}, got {got if instance is None else got + ' ' + shown(instance)}"
    elif keyword == "enum":
        message = f"{shown(instance)} is not one of: " + ", ".join(shown(v) for v in value)
    elif keyword == "const":
        message = f"must be {shown(value)}, got {shown(instance)}"
    elif keyword == "minLength":
        message = "must not be empty" if value == 1 else f"must be at least {value} characters long"
    elif keyword == "maxLength":
        message = f"is {len(instance)} characters long, at most {value} allowed"
    elif keyword in ("minimum", "maximum"):
        bound = "below the minimum" if keyword == "minimum" else "above the maximum"
        message = f"{shown(instance)} is {bound} {value}"
    elif keyword == "uniqueItems":
        message = f"{shown(instance)} has duplicate items"
    elif keyword == "pattern":
        wanted = error.schema.get("description") or f"a string matching {value}"
        message = f"{shown(instance)} is not {wanted}"
    elif keyword == "not" and value == {}:
        kind = root.get("type") if isinstance(root, dict) else None
        message = "property is not allowed" + (f" for type {kind!r}" if isinstance(kind, str) else "")
    elif keyword == "oneOf" and all(set(alt) == {"required"} for alt in value):
        names = [name for alt in value for name in alt["required"]]
        present = [name for name in names if name in instance]
        message = (
            f"exactly one of {', '.join(names)} is required, "
            f"found {' and '.join(present) if present else 'none'}"
        )
    elif keyword is None:  # a `false` subschema
        keyword, message = "false", "value is not allowed here"
    else:
        message = error.message
        if len(message) > 200:
            message = message[:197] + "..."
    return [EventError(json_path(parts), keyword, message)]
