"""Complaint events: the model, reading JSON Lines, schema validation (docs/events.md).

* :mod:`~cppolicy.events.model` — :class:`Event`, :class:`RawLine`, :class:`Invalid`;
* :mod:`~cppolicy.events.reading` — lines from files, gzip files and stdin;
* :mod:`~cppolicy.events.limits` — how long and how deep a line may be;
* :mod:`~cppolicy.events.unseekable` — pipes and FIFOs copied once, to be read twice;
* :mod:`~cppolicy.events.keys` — keys repeated in an object;
* :mod:`~cppolicy.events.schema` — the bundled ``complaint-event/v1`` schema, fast and exact checks;
* :mod:`~cppolicy.events.validation` — a line to an Event or an Invalid, with the semantic checks.
"""

from __future__ import annotations

from cppolicy.events.limits import ReadLimits
from cppolicy.events.model import (
    INSTITUTION_TYPES,
    SCHEMA_ID,
    SCHEMA_TAG,
    Event,
    EventError,
    Invalid,
    RawLine,
    event_from,
    format_error,
)
from cppolicy.events.reading import RAW_BLOCK_SIZE, iter_lines, iter_raw_blocks
from cppolicy.events.schema import (
    exact_validator,
    fast_validator,
    is_valid,
    load_schema,
    schema_errors,
    schema_path,
)
from cppolicy.events.unseekable import file_to_read, is_regular, readable_twice
from cppolicy.events.validation import parse_and_validate, parse_datetime, parse_events, revive

__all__ = [
    "INSTITUTION_TYPES",
    "RAW_BLOCK_SIZE",
    "SCHEMA_ID",
    "SCHEMA_TAG",
    "Event",
    "EventError",
    "Invalid",
    "RawLine",
    "ReadLimits",
    "event_from",
    "exact_validator",
    "fast_validator",
    "file_to_read",
    "format_error",
    "is_regular",
    "is_valid",
    "iter_lines",
    "iter_raw_blocks",
    "load_schema",
    "parse_and_validate",
    "parse_datetime",
    "parse_events",
    "readable_twice",
    "revive",
    "schema_errors",
    "schema_path",
]
