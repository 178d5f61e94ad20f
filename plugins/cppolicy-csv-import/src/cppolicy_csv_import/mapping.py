"""The mapping file: which column of the host's table feeds which field of which event.

A mapping is YAML or JSON (see ``examples/mapping.yaml`` and the README). It is checked as a
whole when loaded, against the complaint-event schema bundled with cppolicy: an unknown event
type, a data field the schema does not know, a required field left unmapped, a value map that
does not exist — each is a :class:`MappingError` naming the file and the key path.

A *field* is written either as a column name (``product: 产品``) or as an object::

    {column: 渠道, values: channel}           # a cell looked up in the value map "channel"
    {column: 投诉人数, type: integer}
    {column: 机构层级, values: level, default: branch}   # default when the cell is empty
    {value: true}                              # a constant, no column
    {fields: {regulator: …, office: …}}        # a nested object (emitted when any part is)

Types: ``string`` (default), ``integer``, ``number``, ``boolean``, ``timestamp``, ``date``,
``list`` (cells split on ``separator``, each item looked up in ``values`` when given).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from cppolicy.errors import InputError
from cppolicy.events import INSTITUTION_TYPES, load_schema

__all__ = [
    "CellError",
    "ColumnMapping",
    "EventSpec",
    "Field",
    "MappingError",
    "build_mapping",
    "load_mapping",
    "parse_offset",
    "read_field",
]

TYPES = ("string", "integer", "number", "boolean", "timestamp", "date", "list")
FIELD_KEYS = ("column", "value", "type", "values", "default", "required", "separator", "fields")
EVENT_KEYS = ("type", "time", "required", "data", "recorded_at")
TOP_KEYS = ("csv", "timestamps", "booleans", "values", "complaint_id", "institution", "events")
INSTITUTION_KEYS = ("id", "level", "parent", "name")

DEFAULT_TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日")
DEFAULT_TRUE = ("是", "有", "y", "yes", "true", "1", "√", "✓")
DEFAULT_FALSE = ("否", "无", "n", "no", "false", "0", "×", "✗")

_MISSING: Any = object()
_YAML_BOOL = (
    "YAML read this as true/false/null, not as text: quote it "
    "(yes, no, on, off, true, false, null and ~ need quotes)"
)


class MappingError(InputError):
    """A mapping file that cannot be used (one line naming the file and the key)."""


class CellError(Exception):
    """A cell whose text cannot become the field's value; ``column`` names the cell."""

    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Field:
    """One field of an event, and how to read it from a row."""

    where: str
    column: str | None = None
    value: Any = _MISSING
    kind: str = "string"
    values: Mapping[str, Any] | None = None
    values_name: str | None = None
    default: Any = _MISSING
    required: bool = False
    separator: str = ","
    fields: Mapping[str, Field] | None = None

    def columns(self) -> list[str]:
        if self.fields is not None:
            return [c for f in self.fields.values() for c in f.columns()]
        return [self.column] if self.column else []


@dataclass(frozen=True)
class EventSpec:
    name: str
    type: str
    time: Field
    required: bool
    data: Mapping[str, Field]
    recorded_at: Field | None = None
    #: data fields the schema requires for this type (all mapped: the builder checks)
    required_data: tuple[str, ...] = ()

    def data_columns(self) -> list[str]:
        return [c for f in self.data.values() for c in f.columns()]


@dataclass(frozen=True)
class ColumnMapping:
    """A loaded, checked mapping."""

    source: str
    encoding: str
    delimiter: str
    timestamp_formats: tuple[str, ...]
    date_formats: tuple[str, ...]
    default_offset: timezone
    true_words: frozenset[str]
    false_words: frozenset[str]
    complaint_id: Field
    institution: Mapping[str, Field]
    events: tuple[EventSpec, ...]

    def columns(self) -> list[str]:
        """Every column the mapping reads, in mapping order, once each."""
        found = [*self.complaint_id.columns()]
        for part in self.institution.values():
            found += part.columns()
        for event in self.events:
            found += event.time.columns() + (event.recorded_at.columns() if event.recorded_at else [])
            found += event.data_columns()
        return list(dict.fromkeys(found))


# --------------------------------------------------------------------------- loading


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a mapping file (``.json`` as JSON, anything else as YAML)."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MappingError(f"{source}: cannot read mapping: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise MappingError(f"{source}: mapping is not UTF-8 (byte {exc.start + 1})") from None
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        detail = str(exc).replace("\n", " ")
        raise MappingError(
            f"{source}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {detail}"
        ) from None
    return build_mapping(doc, source)


def build_mapping(doc: Any, source: str = "<mapping>") -> ColumnMapping:
    """Check a mapping document (already parsed) and compile it."""
    return _Builder(source).build(doc)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.value_maps: dict[str, dict[str, Any]] = {}

    def error(self, where: str, problem: str) -> MappingError:
        return MappingError(f"{self.source}: {where}: {problem}" if where else f"{self.source}: {problem}")

    def obj(self, node: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise self.error(where or "(top level)", f"expected a mapping, got {_kind(node)}")
        for key in node:
            if key not in allowed:
                raise self.error(_join(where, str(key)), f"unknown key (allowed: {', '.join(allowed)})")
        return node

    def strings(self, node: Any, where: str) -> tuple[str, ...]:
        if isinstance(node, str):
            node = [node]
        if not isinstance(node, list) or not node:
            raise self.error(where, "expected a non-empty list of strings")
        for index, item in enumerate(node):
            if isinstance(item, bool):
                raise self.error(f"{where}[{index}]", _YAML_BOOL)
            if isinstance(item, (int, float)):
                item = node[index] = str(item)
            if not isinstance(item, str) or not item:
                raise self.error(f"{where}[{index}]", "expected a non-empty string")
        return tuple(node)

    def build(self, doc: Any) -> ColumnMapping:
        doc = self.obj(doc, "", TOP_KEYS)
        for key in ("complaint_id", "institution", "events"):
            if key not in doc:
                raise self.error(key, "required key is missing")

        csv_opts = self.obj(doc.get("csv", {}), "csv", ("encoding", "delimiter"))
        encoding = csv_opts.get("encoding", "utf-8-sig")
        delimiter = csv_opts.get("delimiter", ",")
        check_encoding(encoding, f"{self.source}: csv.encoding")
        check_delimiter(delimiter, f"{self.source}: csv.delimiter")

        stamps = self.obj(
            doc.get("timestamps", {}), "timestamps", ("formats", "date_formats", "default_offset")
        )
        formats = self.strings(stamps.get("formats", list(DEFAULT_TIMESTAMP_FORMATS)), "timestamps.formats")
        date_formats = self.strings(
            stamps.get("date_formats", list(DEFAULT_DATE_FORMATS)), "timestamps.date_formats"
        )
        offset_text = stamps.get("default_offset", "+08:00")
        offset = parse_offset(offset_text)
        if offset is None:
            raise self.error("timestamps.default_offset", f"{offset_text!r} is not a UTC offset like +08:00")

        booleans = doc.get("booleans", {})
        if isinstance(booleans, dict):  # YAML 1.1 reads the keys `true:` / `false:` as booleans
            booleans = {str(k).lower() if isinstance(k, bool) else k: v for k, v in booleans.items()}
        booleans = self.obj(booleans, "booleans", ("true", "false"))
        true_words = frozenset(
            w.casefold() for w in self.strings(booleans.get("true", list(DEFAULT_TRUE)), "booleans.true")
        )
        false_words = frozenset(
            w.casefold() for w in self.strings(booleans.get("false", list(DEFAULT_FALSE)), "booleans.false")
        )
        if true_words & false_words:
            raise self.error(
                "booleans", f"words both true and false: {', '.join(sorted(true_words & false_words))}"
            )

        values = doc.get("values", {})
        if not isinstance(values, dict):
            raise self.error("values", f"expected a mapping of value maps, got {_kind(values)}")
        for name, table in values.items():
            self.value_maps[str(name)] = self.value_map(table, f"values.{name}")

        complaint_id = self.field(doc["complaint_id"], "complaint_id")
        if complaint_id.fields is not None or complaint_id.kind != "string":
            raise self.error("complaint_id", "must be a column (a string)")

        schema = load_schema()
        institution_doc = self.obj(doc["institution"], "institution", INSTITUTION_KEYS)
        for key in ("id", "level"):
            if key not in institution_doc:
                raise self.error(f"institution.{key}", "required key is missing")
        institution = {key: self.field(node, f"institution.{key}") for key, node in institution_doc.items()}

        events_doc = doc["events"]
        if not isinstance(events_doc, dict) or not events_doc:
            raise self.error("events", "expected a non-empty mapping of event name to event")
        complaint_types = [t for t in schema["properties"]["type"]["enum"] if t not in INSTITUTION_TYPES]
        events = tuple(
            self.event(str(name), node, schema, complaint_types) for name, node in events_doc.items()
        )
        return ColumnMapping(
            source=self.source,
            encoding=encoding,
            delimiter=delimiter,
            timestamp_formats=formats,
            date_formats=date_formats,
            default_offset=offset,
            true_words=true_words,
            false_words=false_words,
            complaint_id=complaint_id,
            institution=institution,
            events=events,
        )

    def value_map(self, table: Any, where: str) -> dict[str, Any]:
        if not isinstance(table, dict) or not table:
            raise self.error(where, "expected a non-empty mapping of cell text to value")
        for key in table:
            if isinstance(key, bool) or key is None:
                raise self.error(f"{where}.{key}", _YAML_BOOL)
        return {str(k).strip(): v for k, v in table.items()}

    def field(self, node: Any, where: str, *, kind: str | None = None) -> Field:
        if isinstance(node, str):
            if not node.strip():
                raise self.error(where, "column name is empty")
            return Field(where=where, column=node.strip(), kind=kind or "string")
        spec = self.obj(node, where, FIELD_KEYS)
        if "fields" in spec:
            if set(spec) != {"fields"}:
                raise self.error(where, "a nested object takes only 'fields'")
            parts = self.obj(spec["fields"], f"{where}.fields", tuple(str(k) for k in spec["fields"] or {}))
            if not parts:
                raise self.error(f"{where}.fields", "expected at least one field")
            return Field(
                where=where, fields={str(k): self.field(v, f"{where}.{k}") for k, v in parts.items()}
            )
        if ("column" in spec) == ("value" in spec):
            raise self.error(where, "give exactly one of 'column' or 'value'")
        column = spec.get("column")
        if column is not None and (not isinstance(column, str) or not column.strip()):
            raise self.error(f"{where}.column", "expected a column name")
        chosen = spec.get("type", kind or "string")
        if chosen not in TYPES:
            raise self.error(f"{where}.type", f"{chosen!r} is not one of: {', '.join(TYPES)}")
        if kind is not None and chosen != kind:
            raise self.error(f"{where}.type", f"must be {kind}")
        values, values_name = None, None
        if "values" in spec:
            if isinstance(spec["values"], str):
                values_name = spec["values"]
                if values_name not in self.value_maps:
                    known = ", ".join(self.value_maps) or "none"
                    raise self.error(
                        f"{where}.values", f"no value map {values_name!r} (defined under values: {known})"
                    )
                values = self.value_maps[values_name]
            else:
                values = self.value_map(spec["values"], f"{where}.values")
            if chosen not in ("string", "list"):
                raise self.error(f"{where}.values", f"a value map needs type string or list, not {chosen}")
        separator = spec.get("separator", ",")
        if not isinstance(separator, str) or not separator:
            raise self.error(f"{where}.separator", "expected a non-empty string")
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise self.error(f"{where}.required", "expected true or false")
        return Field(
            where=where,
            column=column.strip() if column else None,
            value=spec.get("value", _MISSING),
            kind=chosen,
            values=values,
            values_name=values_name,
            default=spec.get("default", _MISSING),
            required=required,
            separator=separator,
        )

    def event(self, name: str, node: Any, schema: dict, complaint_types: list[str]) -> EventSpec:
        where = f"events.{name}"
        spec = self.obj(node, where, EVENT_KEYS)
        kind = spec.get("type", name)
        if kind not in complaint_types:
            raise self.error(
                f"{where}.type" if "type" in spec else where,
                f"{kind!r} is not a complaint event type (one of: {', '.join(complaint_types)})",
            )
        if not re.fullmatch(r"\S+", name):
            raise self.error(where, "an event name must not contain whitespace (it is part of the event id)")
        if "time" not in spec:
            raise self.error(f"{where}.time", "required key is missing")
        time = self.field(spec["time"], f"{where}.time", kind="timestamp")
        if time.column is None:
            raise self.error(
                f"{where}.time", "must be a column: the event is emitted when that cell is filled"
            )
        recorded_at = (
            self.field(spec["recorded_at"], f"{where}.recorded_at", kind="timestamp")
            if "recorded_at" in spec
            else None
        )
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise self.error(f"{where}.required", "expected true or false")
        data_doc = spec.get("data", {})
        data_schema = schema["$defs"].get(f"data_{kind}", {})
        allowed = tuple(data_schema.get("properties", {}))
        data_doc = self.obj(data_doc, f"{where}.data", allowed) if data_doc or allowed else {}
        data = {str(k): self.field(v, f"{where}.data.{k}") for k, v in data_doc.items()}
        for key, part in data.items():
            self.check_nested(part, data_schema.get("properties", {}).get(key, {}))
        missing = [r for r in data_schema.get("required", []) if r not in data]
        if missing:
            raise self.error(
                f"{where}.data", f"{', '.join(missing)} required for {kind} events but not mapped"
            )
        return EventSpec(
            name=name,
            type=kind,
            time=time,
            required=required,
            data=data,
            recorded_at=recorded_at,
            required_data=tuple(data_schema.get("required", [])),
        )

    def check_nested(self, part: Field, schema: dict) -> None:
        if part.fields is None:
            return
        allowed = schema.get("properties")
        if allowed is None:
            return  # a $ref or a union: the event schema checks it when the CLI validates
        for key, sub in part.fields.items():
            if key not in allowed:
                raise self.error(sub.where, f"unknown field (allowed: {', '.join(allowed)})")
            self.check_nested(sub, allowed[key])
        missing = [r for r in schema.get("required", []) if r not in part.fields]
        if missing:
            raise self.error(part.where, f"{', '.join(missing)} required but not mapped")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(node: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}.get(
        type(node), type(node).__name__
    )


def check_encoding(name: Any, where: str) -> None:
    import codecs

    try:
        codecs.lookup(str(name))
    except LookupError:
        raise MappingError(f"{where}: unknown encoding {name!r}") from None


def check_delimiter(text: Any, where: str) -> None:
    if not isinstance(text, str) or len(text) != 1:
        raise MappingError(f"{where}: must be one character, got {text!r}")


def parse_offset(text: Any) -> timezone | None:
    """``+08:00``, ``+0800``, ``-05:30``, ``Z`` or ``UTC`` as a fixed timezone; None otherwise."""
    if not isinstance(text, str):
        return None
    if text.strip().upper() in ("Z", "UTC"):
        return UTC
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text.strip())
    if match is None or int(match[2]) > 23 or int(match[3]) > 59:
        return None
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    return timezone(-delta if match[1] == "-" else delta)


# --------------------------------------------------------------------------- reading cells


def read_field(part: Field, cells: Mapping[str, str], mapping: ColumnMapping) -> Any:
    """The field's value for one row, ``_MISSING`` when it has none. Raises :class:`CellError`."""
    if part.fields is not None:
        out: dict[str, Any] = {}
        for key, sub in part.fields.items():
            value = read_field(sub, cells, mapping)
            if value is not _MISSING:
                out[key] = value
        return out if out else _MISSING
    if part.value is not _MISSING:
        return part.value
    text = cells.get(part.column, "") if part.column else ""
    if not text:
        if part.default is not _MISSING:
            return part.default
        if part.required:
            raise CellError(part.column, "empty, but a value is required")
        return _MISSING
    return convert(part, text, mapping)


def convert(part: Field, text: str, mapping: ColumnMapping) -> Any:
    """One non-empty cell as the field's type."""
    kind = part.kind
    if kind == "string":
        return lookup(part, text)
    if kind == "list":
        return [lookup(part, item.strip()) for item in text.split(part.separator) if item.strip()]
    if kind == "integer":
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        raise CellError(part.column, f"{text!r} is not a whole number")
    if kind == "number":
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            number = float("nan")
        if not math.isfinite(number):
            raise CellError(part.column, f"{text!r} is not a number")
        return int(number) if number.is_integer() and "." not in text else number
    if kind == "boolean":
        word = text.casefold()
        if word in mapping.true_words:
            return True
        if word in mapping.false_words:
            return False
        raise CellError(
            part.column,
            f"{text!r} is neither true ({', '.join(sorted(mapping.true_words))}) "
            f"nor false ({', '.join(sorted(mapping.false_words))})",
        )
    if kind == "timestamp":
        return parse_timestamp(text, mapping, part.column)
    if kind == "date":
        return parse_date(text, mapping, part.column)
    raise AssertionError(kind)  # the builder admits only TYPES


def lookup(part: Field, text: str) -> Any:
    if part.values is None:
        return text
    if text in part.values:
        return part.values[text]
    targets = {v for v in part.values.values() if isinstance(v, str)}
    if text in targets:  # already the schema's value (e.g. "sms")
        return text
    accepted = ", ".join(part.values)
    if len(accepted) > 120:
        accepted = accepted[:117] + "..."
    name = f"value map {part.values_name!r}" if part.values_name else "the field's value map"
    raise CellError(part.column, f"{text!r} is not in {name} ({accepted})")


def parse_timestamp(text: str, mapping: ColumnMapping, column: str | None) -> str:
    """An RFC 3339 date-time; a cell without an offset gets the mapping's default offset."""
    for fmt in mapping.timestamp_formats:
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=mapping.default_offset)
        return moment.isoformat()
    raise CellError(
        column, f"{text!r} is not a date-time in any of the formats {', '.join(mapping.timestamp_formats)}"
    )


def parse_date(text: str, mapping: ColumnMapping, column: str | None) -> str:
    for fmt in mapping.date_formats:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise CellError(column, f"{text!r} is not a date in any of the formats {', '.join(mapping.date_formats)}")
