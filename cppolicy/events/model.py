"""The complaint event and what reading a line can give: an :class:`Event` or an :class:`Invalid`.

Schema ``complaint-event/v1`` (docs/events.md). An :class:`Event` is built once per accepted line
of an archive (and again in a worker process), so its constructor for validated documents,
:func:`event_from`, sets the frozen dataclass's slots directly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

SCHEMA_ID = "https://cppolicy.example/schemas/complaint-event/v1.json"
SCHEMA_TAG = "complaint-event/v1"

#: event types that belong to the institution, not to one complaint (they carry no complaint_id)
INSTITUTION_TYPES = frozenset(
    {
        "periodic_report_submitted",
        "large_scale_complaint_reported",
        "channel_disclosure",
        "complaint_contact_changed",
    }
)


class RawLine(NamedTuple):
    """One non-blank physical line: ``source`` as given, 1-based ``line``, decoded ``text``.

    ``error`` is set when the line could not be decoded (``text`` then shows the bad bytes as
    ``\\xNN`` escapes) or is past a limit (``text`` is then empty, or its beginning), so that the
    line is quarantined instead of crashing the reader; ``keyword`` says which.
    ``data`` is the line's UTF-8 bytes (without BOM or line end) when it was read from a file
    (:func:`iter_lines` sets it on every line it decoded):
    what is parsed, and what travels to worker processes and spills. orjson parses bytes without
    first encoding the text again (1.4 against 2.0 µs a line of the benchmark's archive), and
    bytes pickle and unpickle at half the cost of text. (A named tuple: one is made for every
    line of an archive, five times faster than a frozen dataclass.)
    """

    source: str
    line: int
    text: str
    error: str | None = None
    data: bytes | None = None
    #: what ``error`` is: ``utf8`` (not UTF-8), ``too_long`` or ``too_deep`` (past a limit of
    #: :class:`~cppolicy.events.limits.ReadLimits`)
    keyword: str = "utf8"


@dataclass(frozen=True, slots=True)
class EventError:
    """One problem with one line: a JSON path, the failing keyword and a message."""

    path: str
    keyword: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "keyword": self.keyword, "message": self.message}


@dataclass(frozen=True, slots=True)
class Event:
    """A valid event. ``complaint_id`` is None for institution-level events; ``data`` is ``{}``
    when absent; ``time`` is aware (in the offset it was written with) and ``epoch`` is its POSIX time."""

    event_id: str
    complaint_id: str | None
    type: str
    time: datetime
    epoch: float
    institution: dict[str, Any]
    data: dict[str, Any]
    raw: dict[str, Any]
    source: str
    line: int


@dataclass(frozen=True, slots=True)
class Invalid:
    """A line that is not a valid event, with every error found in it."""

    source: str
    line: int
    errors: tuple[EventError, ...]
    text: str = field(default="", repr=False)

    @property
    def reason(self) -> str:
        """``utf8``, ``too_long`` / ``too_deep`` (past a limit), ``json``, ``duplicate_key`` (a key
        repeated in an object), ``duplicate`` / ``conflict`` (an event id seen before),
        ``semantic`` (only semantic errors) or ``schema``."""
        keywords = {error.keyword for error in self.errors}
        for reason in ("utf8", "too_long", "too_deep", "json", "duplicate_key", "duplicate", "conflict"):
            if reason in keywords:
                return reason
        return "semantic" if keywords == {"semantic"} else "schema"

    def to_dict(self) -> dict[str, Any]:
        """The quarantine record: ``{source, line, reason, errors, text}``."""
        return {
            "source": self.source,
            "line": self.line,
            "reason": self.reason,
            "errors": [error.as_dict() for error in self.errors],
            "text": self.text,
        }

    def format_lines(self) -> list[str]:
        """One ``FILE:LINE: $.path: message [keyword]`` line per error."""
        return [format_error(self.source, self.line, error) for error in self.errors]


def format_error(source: str, line: int, error: EventError) -> str:
    """``FILE:LINE: $.path: message [keyword]``."""
    return f"{source}:{line}: {error.path}: {error.message} [{error.keyword}]"


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Any, ...]:
    fields = tuple(f.name for f in dataclasses.fields(cls))
    if fields != names:  # this module's fast constructor below must set every field
        raise AssertionError(f"{cls.__name__} fields {fields} are not {names}")
    return tuple(getattr(cls, name).__set__ for name in names)


_new_object = object.__new__
(
    _set_event_id,
    _set_complaint_id,
    _set_type,
    _set_time,
    _set_epoch,
    _set_institution,
    _set_data,
    _set_raw,
    _set_source,
    _set_line,
) = _slot_setters(
    Event,
    ("event_id", "complaint_id", "type", "time", "epoch", "institution", "data", "raw", "source", "line"),
)


def event_from(doc: dict[str, Any], time: datetime, source: str, line: int) -> Event:
    """The Event for a validated document whose ``time`` was parsed.

    Built by setting its slots directly, which is what the frozen dataclass ``__init__`` does
    through ``object.__setattr__`` by name: about half the cost (1.3 against 2.4 µs measured,
    ``time.timestamp()`` included). Every event is built once in an audit, and twice with worker
    processes (the audit process builds it to validate the line, the worker again from the line).
    The result is the same frozen ``Event``, equal to the one ``Event(...)`` builds."""
    event = _new_object(Event)
    _set_event_id(event, doc["event_id"])
    _set_complaint_id(event, doc.get("complaint_id"))
    _set_type(event, doc["type"])
    _set_time(event, time)
    _set_epoch(event, time.timestamp())
    _set_institution(event, doc["institution"])
    _set_data(event, doc.get("data", {}))
    _set_raw(event, doc)
    _set_source(event, source)
    _set_line(event, line)
    return event
