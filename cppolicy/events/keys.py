"""Keys repeated within one JSON object (``{"type": "withdrawn", "type": "received"}``).

RFC 8259 leaves their meaning to the parser: orjson keeps the last value, other parsers the first
or an error, and the audit trail's verifier refuses them. A line with one is quarantined
(``duplicate_key``), naming the key and the object it is repeated in.

:func:`unique_keys` is the cheap test run on every line (about 2 µs of CPU for the benchmark's
lines of 430 bytes, against 7 µs to parse and validate one): without its whitespace, a line
writes every key as ``"key":``, so it holds at least as many ``":`` as keys are written in it; if
it holds exactly as many as the parsed document has keys, no key was dropped, so none was
repeated. Otherwise (a ``":`` inside a string) :func:`duplicate_keys` parses the line again with
the standard library, keeping every key.
"""

from __future__ import annotations

import json
from typing import Any

from cppolicy.documents import json_path
from cppolicy.events.model import EventError


def unique_keys(data: bytes, doc: dict[str, Any]) -> bool:
    """True when the line ``data`` (whose parsed document is ``doc``) certainly repeats no key;
    False when it may (then ask :func:`duplicate_keys`)."""
    count = len(doc)  # the event and the objects in it, unrolled: one call for most lines
    for item in doc.values():
        kind = type(item)
        if kind is dict:
            count += len(item)
            for inner in item.values():
                if type(inner) is dict or type(inner) is list:
                    count += _key_count(inner)
        elif kind is list:
            count += _key_count(item)
    return data.translate(None, b" \t\r").count(b'":') == count  # (a line holds no \n)


def _key_count(value: dict[str, Any] | list[Any]) -> int:
    """The keys of every object in a parsed document (its depth is bounded by the reader)."""
    if type(value) is dict:
        count = len(value)
        values: Any = value.values()
    else:
        count, values = 0, value
    for item in values:
        kind = type(item)
        if kind is dict or kind is list:
            count += _key_count(item)
    return count


class _Object(dict[str, Any]):
    """An object as the standard library's parser built it, with the keys it saw more than once."""

    repeated: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    built = _Object(pairs)
    if len(built) == len(pairs):
        built.repeated = []
    else:
        seen: set[str] = set()
        built.repeated = [key for key, _ in pairs if key in seen or seen.add(key)]  # type: ignore[func-returns-value]
    return built


def duplicate_keys(data: bytes) -> list[EventError]:
    """One ``duplicate_key`` error per key repeated in an object of the line, at the object's
    JSON path (none when the line repeats no key, or is not JSON)."""
    try:
        doc = json.loads(data, object_pairs_hook=_object)
    except (ValueError, RecursionError):
        return []
    errors: list[EventError] = []
    stack: list[tuple[list[str | int], Any]] = [([], doc)]
    while stack:
        parts, value = stack.pop()
        if isinstance(value, _Object):
            for key in dict.fromkeys(value.repeated):
                message = f"the key {json.dumps(key, ensure_ascii=False)} is repeated in this object"
                errors.append(EventError(json_path(parts), "duplicate_key", message))
            stack.extend(([*parts, key], item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(([*parts, index], item) for index, item in enumerate(value))
    errors.sort(key=lambda error: error.path)
    return errors
