"""Reading and validating complaint events (schema ``complaint-event/v1``, see docs/events.md).

* :func:`iter_lines` reads JSON Lines from files, gzip files (recognised by their magic bytes)
  and ``-`` (stdin), yielding one :class:`RawLine` per non-blank physical line. Blank lines are
  not events: they are skipped and never counted, but line numbers stay physical.
* :func:`parse_and_validate` turns a line into an :class:`Event` or an :class:`Invalid`. The hot
  path is orjson + jsonschema-rs (a Rust validator of the Python objects); only a line it
  rejects is re-checked with jsonschema (Draft 2020-12), the reference, which gives exact,
  path-bearing errors and has the last word.
* After the schema, a semantic check rejects impossible dates the patterns let through
  (``2025-02-30``) and instants outside the years 0001-9999 in UTC or Asia/Shanghai
  (``9999-12-31T20:00:00-08:00``); a leap second (``:60``) is accepted and read as ``:59``.
* :class:`Quarantine` writes invalid lines to a JSONL file and counts them.
"""

from __future__ import annotations

import copy
import dataclasses
import gzip
import io
import json
import os
import re
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import IO, Any, NamedTuple

import jsonschema_rs
import orjson

from cppolicy._resources import schemas_dir
from cppolicy.errors import InputError

SCHEMA_ID = "https://cppolicy.example/schemas/complaint-event/v1.json"
SCHEMA_TAG = "complaint-event/v1"

#: event types that belong to the institution, not to one complaint (they carry no complaint_id)
INSTITUTION_TYPES = frozenset(
    {"periodic_report_submitted", "large_scale_complaint_reported", "channel_disclosure",
     "complaint_contact_changed"}
)

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_MAX_SHOWN = 80  # longest value echoed back in an error message


# --------------------------------------------------------------------------- data types


class RawLine(NamedTuple):
    """One non-blank physical line: ``source`` as given, 1-based ``line``, decoded ``text``.

    ``error`` is set when the line could not be decoded (``text`` then shows the bad bytes as
    ``\\xNN`` escapes) so that the line is quarantined instead of crashing the reader.
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
        """``utf8``, ``json``, ``duplicate`` / ``conflict`` (an event id seen before),
        ``semantic`` (only semantic errors) or ``schema``."""
        keywords = {error.keyword for error in self.errors}
        for reason in ("utf8", "json", "duplicate", "conflict"):
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


# --------------------------------------------------------------------------- the schema


def schema_path() -> Path:
    """The bundled ``complaint-event/v1`` JSON Schema file."""
    return schemas_dir() / "complaint-event" / "v1.json"


@cache
def _schema() -> dict[str, Any]:
    with schema_path().open("rb") as handle:
        schema = orjson.loads(handle.read())
    if schema.get("$id") != SCHEMA_ID:
        raise InputError(f"{schema_path()}: $id is {schema.get('$id')!r}, expected {SCHEMA_ID}")
    return schema


def load_schema() -> dict[str, Any]:
    """A fresh copy of the schema dict (the module keeps its own, unmodified)."""
    return copy.deepcopy(_schema())


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
    return _fast_validate


def _fast_validate(doc: Any) -> bool:
    kind = doc.get("type") if isinstance(doc, dict) else None
    if isinstance(kind, str) and kind in _fast_types():
        check = _fast_for(kind)
    else:
        check = _fast_for(None)
    try:
        return check(doc)
    except Exception:  # noqa: BLE001 — e.g. a value it cannot convert: the reference decides
        return False


def _compile(schema: dict[str, Any]) -> Callable[[Any], bool]:
    # validate_formats=False: what the reference (jsonschema without a format checker) does
    return jsonschema_rs.validator_for(schema, validate_formats=False).is_valid


def _type_condition(part: dict[str, Any]) -> set[str] | None:
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
def _fast_types() -> frozenset[str]:
    """Types the schema can be specialised for (empty if the allOf is not all type conditions)."""
    conditions = [_type_condition(part) for part in _schema().get("allOf", [])]
    if any(condition is None for condition in conditions):
        return frozenset()
    return frozenset(_schema()["properties"]["type"]["enum"])


@cache
def _fast_for(kind: str | None) -> Callable[[Any], Any]:
    schema = _schema()
    if kind is None:
        return _compile(schema)
    kept = [part["then"] for part in schema["allOf"] if kind in (_type_condition(part) or ())]
    return _compile({**schema, "allOf": kept})


@cache
def exact_validator() -> Any:
    """A jsonschema Draft 2020-12 validator with the schema in a local registry (no network)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(_schema(), default_specification=DRAFT202012)
    registry = Registry().with_resource(SCHEMA_ID, resource)
    return Draft202012Validator(_schema(), registry=registry)


# --------------------------------------------------------------------------- reading lines


def iter_lines(paths: Iterable[str]) -> Iterator[RawLine]:
    """Yield the non-blank lines of JSONL files, gzip files and ``-`` (stdin), in order.

    Every named file is checked before anything is yielded, so a missing or unreadable file
    raises :class:`InputError` (one line naming the file) at call time. A gzip stream that turns
    out to be corrupt raises InputError while iterating.
    """
    paths = list(paths)
    for path in paths:
        if path != "-":
            _check_readable(path)
    return _generate(paths)


def _check_readable(path: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _generate(paths: list[str]) -> Iterator[RawLine]:
    for path in paths:
        yield from _decoded(path, _physical_lines(path))


#: How much :func:`iter_raw_blocks` reads at a time.
RAW_BLOCK_SIZE = 1 << 22


def iter_raw_blocks(paths: Iterable[str], size: int | None = None) -> Iterator[tuple[bytearray, int]]:
    """The physical lines of files (gzip or not) as bytes, undecoded and unstripped, many at a
    time: ``(buffer, end)`` where ``buffer[:end]`` holds whole lines (the last line of a file may
    have no newline; a block never spans two files). The buffer (``size`` bytes, default
    :data:`RAW_BLOCK_SIZE`; doubled for a line longer than that) is filled again for the next
    block: read it in place (``find``, a pattern's ``findall(buffer, 0, end)``) before asking for
    the next, which costs no copy. For scans that only look for a key and can treat a line they
    cannot read as a match (no ``-``: stdin cannot be read twice). Errors as :func:`iter_lines`."""
    paths = list(paths)
    size = size or RAW_BLOCK_SIZE
    for path in paths:
        _check_readable(path)
    for path in paths:
        with _opened(path) as stream:
            buffer = bytearray(size)
            kept = 0  # bytes of a line begun in the last block, at the start of the buffer
            while True:
                if kept == len(buffer):  # a line longer than the buffer
                    buffer.extend(bytes(len(buffer)))
                with memoryview(buffer) as view, view[kept:] as free:
                    read = stream.readinto(free)
                if not read:
                    if kept:
                        yield buffer, kept
                    break
                end = kept + read
                cut = buffer.rfind(b"\n", 0, end) + 1
                if cut:
                    yield buffer, cut
                    buffer[:end - cut] = buffer[cut:end]
                    kept = end - cut
                else:
                    kept = end


def _physical_lines(path: str) -> Iterator[bytes]:
    """The lines of one file, or of stdin for ``-``, as bytes (a gzip stream is unpacked);
    a read error or a corrupt gzip stream is an InputError naming the file."""
    with _opened(path) as stream:
        yield from stream


@contextmanager
def _opened(path: str) -> Iterator[IO[bytes]]:
    """One file, or stdin for ``-``, unpacked if it is gzip; errors while it is open or read
    become an InputError naming the file."""
    try:
        if path == "-":
            yield _unpacked(_peekable(sys.stdin.buffer))
        else:
            with open(path, "rb") as handle:
                yield _unpacked(handle)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: not a valid gzip file: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _peekable(stream: IO[bytes]) -> IO[bytes]:
    return stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]


def _unpacked(stream: IO[bytes]) -> IO[bytes]:
    if stream.peek(2)[:2] == _GZIP_MAGIC:  # type: ignore[attr-defined]
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


def _decoded(source: str, lines: Iterable[bytes]) -> Iterator[RawLine]:
    for number, data in enumerate(lines, start=1):
        shift = 0
        if number == 1 and data.startswith(_BOM):
            data, shift = data[3:], 3
        if not data or data.isspace():  # blank (ASCII whitespace only, as bytes.strip() strips)
            continue
        if data.endswith(b"\n"):
            data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
        try:
            yield RawLine(source, number, data.decode("utf-8"), None, data)
        except UnicodeDecodeError as exc:
            text = data.decode("utf-8", "backslashreplace")
            # 1-based byte offset in the physical line (a stripped BOM counts)
            yield RawLine(source, number, text, f"invalid UTF-8 at byte {exc.start + shift + 1}")


# --------------------------------------------------------------------------- validating


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple:
    fields = tuple(f.name for f in dataclasses.fields(cls))
    if fields != names:  # this module's fast constructor below must set every field
        raise AssertionError(f"{cls.__name__} fields {fields} are not {names}")
    return tuple(getattr(cls, name).__set__ for name in names)


_new_object = object.__new__
(_set_event_id, _set_complaint_id, _set_type, _set_time, _set_epoch, _set_institution, _set_data,
 _set_raw, _set_source, _set_line) = _slot_setters(
    Event, ("event_id", "complaint_id", "type", "time", "epoch", "institution", "data", "raw", "source", "line"))


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


def parse_and_validate(raw: RawLine) -> Event | Invalid:
    """Parse one line and validate it against complaint-event/v1 plus the semantic checks."""
    if raw.error is not None:
        return Invalid(raw.source, raw.line, (EventError("$", "utf8", raw.error),), raw.text)
    try:  # (orjson parses text as its UTF-8: the same document, the same message, from either)
        doc = orjson.loads(raw.text if raw.data is None else raw.data)
    except orjson.JSONDecodeError as exc:
        return Invalid(raw.source, raw.line, (EventError("$", "json", f"malformed JSON: {exc}"),), raw.text)
    if not _fast_validate(doc):
        errors = schema_errors(doc)
        if errors:  # else the reference accepts what the fast check refused: it is right
            errors += _semantic_errors(doc)
            errors.sort(key=lambda e: e.path)
            return Invalid(raw.source, raw.line, tuple(errors), raw.text)
    time = _parse_datetime(doc["time"])
    recorded = doc.get("recorded_at")
    # the rarer semantic cases: an instant in the year 1 or 9999 may not convert to Asia/Shanghai
    # (any other year converts whatever its offset), an extension's new date; else none can arise
    if (time is None or time.year in (1, 9999) or doc["type"] == "extended"
            or (recorded is not None and _edge_or_unreal(recorded))):
        semantic = _semantic_errors(doc)
        if time is None and not semantic:  # cannot happen while _DATETIME mirrors the schema pattern
            semantic = [EventError("$.time", "semantic", f"{_shown(doc['time'])} is not a real date-time")]
        if semantic:
            return Invalid(raw.source, raw.line, tuple(semantic), raw.text)
    assert time is not None
    return event_from(doc, time, raw.source, raw.line)


def _edge_or_unreal(text: str) -> bool:
    """Whether a date-time the schema accepted is no real instant or falls in the year 1 or 9999."""
    moment = _parse_datetime(text)
    return moment is None or moment.year in (1, 9999)


def parse_events(paths: Iterable[str]) -> Iterator[Event | Invalid]:
    """``parse_and_validate`` over ``iter_lines(paths)`` (same InputError behaviour)."""
    return map(parse_and_validate, iter_lines(paths))


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


def json_path(parts: Iterable[str | int]) -> str:
    """``['data', 'channels', 2]`` -> ``$.data.channels[2]``; other keys are quoted: ``$["a b"]``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
               float: "number", type(None): "null"}


def _convert(error: Any, root: Any) -> list[EventError]:
    """Turn one jsonschema error into EventErrors with a path that points at the field."""
    parts = list(error.absolute_path)
    keyword = error.validator
    value, instance = error.validator_value, error.instance
    if keyword == "required":
        missing = [name for name in value if name not in instance]
        return [EventError(json_path([*parts, name]), "required", "required property is missing")
                for name in missing]
    if keyword == "additionalProperties":
        allowed = error.schema.get("properties", {})
        extra = [name for name in instance if name not in allowed]
        hint = "allowed: " + ", ".join(allowed) if allowed else "this object takes no properties"
        return [EventError(json_path([*parts, name]), keyword, f"unknown property ({hint})")
                for name in extra]
    if keyword == "type":
        wanted = " or ".join([value] if isinstance(value, str) else value)
        got = _JSON_TYPES.get(type(instance), "value")
        message = f"expected {wanted}, got {got if instance is None else got + ' ' + _shown(instance)}"
    elif keyword == "enum":
        message = f"{_shown(instance)} is not one of: " + ", ".join(_shown(v) for v in value)
    elif keyword == "const":
        message = f"must be {_shown(value)}, got {_shown(instance)}"
    elif keyword == "minLength":
        message = "must not be empty" if value == 1 else f"must be at least {value} characters long"
    elif keyword == "maxLength":
        message = f"is {len(instance)} characters long, at most {value} allowed"
    elif keyword in ("minimum", "maximum"):
        bound = "below the minimum" if keyword == "minimum" else "above the maximum"
        message = f"{_shown(instance)} is {bound} {value}"
    elif keyword == "uniqueItems":
        message = f"{_shown(instance)} has duplicate items"
    elif keyword == "pattern":
        wanted = error.schema.get("description") or f"a string matching {value}"
        message = f"{_shown(instance)} is not {wanted}"
    elif keyword == "not" and value == {}:
        kind = root.get("type") if isinstance(root, dict) else None
        message = "property is not allowed" + (f" for type {kind!r}" if isinstance(kind, str) else "")
    elif keyword == "oneOf" and all(set(alt) == {"required"} for alt in value):
        names = [name for alt in value for name in alt["required"]]
        present = [name for name in names if name in instance]
        message = (f"exactly one of {', '.join(names)} is required, "
                   f"found {' and '.join(present) if present else 'none'}")
    elif keyword is None:  # a `false` subschema
        keyword, message = "false", "value is not allowed here"
    else:
        message = error.message
        if len(message) > 200:
            message = message[:197] + "..."
    return [EventError(json_path(parts), keyword, message)]


# --------------------------------------------------------------------------- semantic checks

# Splits a string the schema's date-time pattern accepted; the schema pattern itself decides the form.
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


@cache
def _schema_pattern(name: str) -> re.Pattern[str]:
    """The ``pattern`` of ``$defs/<name>``, compiled as jsonschema uses it (``re.search``)."""
    return re.compile(_schema()["$defs"][name]["pattern"])


def _well_formed(text: Any, name: str) -> bool:
    return isinstance(text, str) and _schema_pattern(name).search(text) is not None


def _parse_datetime(text: Any) -> datetime | None:
    """An aware datetime for a string the schema's date-time pattern accepted; None if no such instant.

    Callers check the pattern first: ``fromisoformat`` alone would accept forms RFC 3339 does not.
    """
    if not isinstance(text, str):
        return None
    try:  # fast path; fromisoformat is laxer than RFC 3339, so only what the pattern passed gets here
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        if parsed.tzinfo is not None:
            return parsed
    except ValueError:
        pass  # a leap second, or an impossible date
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    y, mo, d, h, mi, s, frac, zulu, sign, oh, om = match.groups()
    if zulu:
        tz = timezone.utc
    else:
        offset = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        # a leap second is read as :59 (datetime has no :60)
        return datetime(int(y), int(mo), int(d), int(h), int(mi), min(int(s), 59),
                        int((frac or "0")[:6].ljust(6, "0")), tzinfo=tz)
    except ValueError:
        return None


def _in_range(moment: datetime) -> bool:
    """Whether the instant can be converted to UTC and Asia/Shanghai (``0001-01-01T00:00+08:00``
    is a valid RFC 3339 string whose instant falls before the year 1 in UTC)."""
    if 1 < moment.year < 9999:
        return True
    from cppolicy.calendar import SHANGHAI

    try:
        moment.astimezone(timezone.utc)
        moment.astimezone(SHANGHAI)
    except (OverflowError, ValueError):
        return False
    return True


def _semantic_errors(doc: Any) -> list[EventError]:
    """Impossible or out-of-range dates in fields whose form is right (the schema already reports
    bad forms)."""
    if not isinstance(doc, dict):
        return []
    errors = []
    for name in ("time", "recorded_at"):
        text = doc.get(name)
        if _well_formed(text, "datetime"):
            moment = _parse_datetime(text)
            if moment is None:
                message = f"{_shown(text)} is not a real date-time"
                errors.append(EventError(json_path([name]), "semantic", message))
            elif not _in_range(moment):
                message = (f"{_shown(text)} is out of range: the instant must fall within the years "
                           f"0001-9999 in UTC and in Asia/Shanghai")
                errors.append(EventError(json_path([name]), "semantic", message))
    data = doc.get("data")
    if doc.get("type") == "extended" and isinstance(data, dict):
        text = data.get("new_due_date")
        if _well_formed(text, "date"):
            try:
                date.fromisoformat(text)
            except ValueError:
                message = f"{_shown(text)} is not a real date"
                errors.append(EventError("$.data.new_due_date", "semantic", message))
    return errors


# --------------------------------------------------------------------------- quarantine


class Quarantine:
    """Writes invalid lines as JSONL records ``{source, line, reason, errors, text}`` and counts them.

    With ``path=None`` nothing is written but the counters still work. Use as a context manager
    (or call :meth:`close`). The file is created (truncated) when the Quarantine is made.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = path
        self.total = 0
        self.by_reason: Counter[str] = Counter()
        try:
            self._handle = open(path, "wb") if path is not None else None  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"{path}: cannot write quarantine file: {exc.strerror or exc}") from None

    def add(self, invalid: Invalid) -> None:
        self.total += 1
        self.by_reason[invalid.reason] += 1
        if self._handle is not None:
            self._handle.write(orjson.dumps(invalid.to_dict()) + b"\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> Quarantine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
