"""The complaint-event/v1 schema and cppolicy.events: fixtures, error paths, reading, quarantine.

Invalid fixtures are asserted by JSON path and failing keyword, never by message wording.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from cppolicy import events
from cppolicy.audit import QuarantineWriter
from cppolicy.documents import json_path
from cppolicy.errors import InputError
from cppolicy.events import (
    INSTITUTION_TYPES,
    SCHEMA_ID,
    Event,
    EventError,
    Invalid,
    RawLine,
    format_error,
    iter_lines,
    load_schema,
    parse_and_validate,
    schema_path,
)
from cppolicy.events import schema as schema_module

FIXTURES = Path(__file__).parent / "fixtures" / "events"
VALID = sorted((FIXTURES / "valid").glob("*.json"))
INVALID = sorted((FIXTURES / "invalid").glob("*.json"))
DOCS = Path(__file__).parent.parent / "docs" / "events.md"

#: invalid fixture -> every (JSON path, keyword) it must be reported with, and nothing else
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "missing_event_id": {("$.event_id", "required")},
    "empty_event_id": {("$.event_id", "minLength")},
    "event_id_with_whitespace": {("$.event_id", "pattern")},
    "event_id_trailing_newline": {("$.event_id", "pattern")},
    "complaint_id_too_long": {("$.complaint_id", "maxLength")},
    "complaint_event_without_complaint_id": {("$.complaint_id", "required")},
    "institution_event_with_complaint_id": {("$.complaint_id", "not")},
    "unknown_type": {("$.type", "enum")},
    "missing_type": {("$.type", "required")},
    "wrong_schema_tag": {("$.schema", "const")},
    "extra_top_level_field": {("$.severity", "additionalProperties")},
    "time_without_offset": {("$.time", "pattern")},
    "time_date_only": {("$.time", "pattern")},
    "time_space_separator": {("$.time", "pattern")},
    "time_not_a_string": {("$.time", "type")},
    "month_13": {("$.time", "pattern")},
    "feb_30": {("$.time", "semantic")},
    "recorded_at_without_offset": {("$.recorded_at", "pattern")},
    "missing_institution": {("$.institution", "required")},
    "branch_without_parent": {("$.institution.parent", "required")},
    "branch_with_null_parent": {("$.institution.parent", "type")},
    "bad_institution_level": {("$.institution.level", "enum")},
    "institution_unknown_field": {("$.institution.nmae", "additionalProperties")},
    "received_missing_data": {("$.data", "required")},
    "data_not_an_object": {("$.data", "type")},
    "bad_channel": {("$.data.channel", "enum")},
    "complainants_zero": {("$.data.complainants", "minimum")},
    "complainants_fractional": {("$.data.complainants", "type")},
    "forwarded_by_bad_regulator": {("$.data.forwarded_by.regulator", "enum")},
    "ack_missing_states_contact": {("$.data.states_contact", "required")},
    "ack_states_contact_not_boolean": {("$.data.states_contact", "type")},
    "ack_unknown_data_field": {("$.data.states_contcat", "additionalProperties")},
    "extended_with_both_limits": {("$.data", "oneOf")},
    "extended_without_limit": {("$.data", "oneOf")},
    "extended_missing_reason": {("$.data.reason", "required")},
    "extended_bad_unit": {("$.data.new_limit.unit", "enum")},
    "new_due_date_feb_29_non_leap": {("$.data.new_due_date", "semantic")},
    "new_due_date_with_time": {("$.data.new_due_date", "pattern")},
    "paused_bad_reason": {("$.data.reason", "enum")},
    "resumed_with_data_field": {("$.data.note", "additionalProperties")},
    "decided_negative_compensation": {("$.data.compensation.amount", "minimum")},
    "decided_bad_currency": {("$.data.compensation.currency", "pattern")},
    "decided_duplicate_remedies": {("$.data.remedies_offered", "uniqueItems")},
    "bad_period": {("$.data.period", "pattern")},
    "channel_disclosure_bad_channel_item": {("$.data.channels[1]", "enum")},
    "top_level_array": {("$", "type")},
}


def _line(path: Path) -> RawLine:
    """A fixture as the one-line JSONL record an archive would hold."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return RawLine(path.name, 1, json.dumps(doc, ensure_ascii=False))


def _doc(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def _type_rows() -> dict[str, str]:
    """type -> data-fields cell, from the two event tables of docs/events.md (envelope table excluded)."""
    text = DOCS.read_text(encoding="utf-8")
    tables = text[text.index("## Complaint events") : text.index("## Example")]
    rows = re.findall(r"^\| `([a-z_]+)` \| (.*) \|$", tables, re.MULTILINE)
    return {kind: cell for kind, cell in rows if kind != "type"}  # "| `type` |" is a header row


def _doc_types() -> list[str]:
    return list(_type_rows())


# --------------------------------------------------------------------------- the schema itself


def test_schema_is_valid_draft_2020_12_with_the_documented_id() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID == "https://cppolicy.example/schemas/complaint-event/v1.json"
    assert schema_path().name == "v1.json" and schema_path().parent.name == "complaint-event"


def test_load_schema_returns_a_copy() -> None:
    load_schema()["properties"].clear()
    assert "event_id" in load_schema()["properties"]


def test_type_enum_is_exactly_the_documented_vocabulary() -> None:
    schema = load_schema()
    documented = _doc_types()
    assert len(documented) == 19
    assert schema["properties"]["type"]["enum"] == documented
    assert {name for name in schema["$defs"] if name.startswith("data_")} == {f"data_{t}" for t in documented}


def test_every_object_in_the_schema_is_closed() -> None:
    schema = load_schema()
    assert schema["additionalProperties"] is False

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if "properties" in node and "type" in node:
                assert node.get("additionalProperties") is False, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(schema, "#")


def test_data_fields_match_the_documented_tables() -> None:
    """Each data property is named in its type's row; required ones are the bold ones."""
    rows = _type_rows()
    schema = load_schema()
    for kind, row in rows.items():
        data = schema["$defs"][f"data_{kind}"]
        named = set(re.findall(r"`([a-z_]+)`", row))
        assert set(data["properties"]) <= named, kind
        bold = set(re.findall(r"\*\*`([a-z_]+)`\*\*", row))
        top_level_bold = bold & set(data["properties"])
        assert set(data.get("required", [])) | _one_of_required(data) == top_level_bold, kind


def _one_of_required(data: dict) -> set[str]:
    return {name for alt in data.get("oneOf", []) for name in alt["required"]}


# --------------------------------------------------------------------------- fixtures


def test_fixtures_cover_every_type_and_enough_defects() -> None:
    types = {_doc(path)["type"] for path in VALID}
    assert types == set(_doc_types())
    assert len(INVALID) >= 12
    assert {path.stem for path in INVALID} == set(EXPECTED), "every invalid fixture needs an expectation"


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_gives_an_event(path: Path) -> None:
    result = parse_and_validate(_line(path))
    assert isinstance(result, Event), result
    doc = _doc(path)
    assert result.raw == doc
    assert result.type == doc["type"]
    assert result.event_id == doc["event_id"]
    assert result.institution == doc["institution"]
    assert result.data == doc.get("data", {})
    assert result.time.tzinfo is not None
    assert result.epoch == result.time.timestamp()
    if result.type in INSTITUTION_TYPES:
        assert result.complaint_id is None
    else:
        assert result.complaint_id == doc["complaint_id"]
    # built slot by slot (events.event_from), it is the frozen event the constructor builds
    built = Event(
        event_id=doc["event_id"],
        complaint_id=doc.get("complaint_id"),
        type=doc["type"],
        time=result.time,
        epoch=result.epoch,
        institution=doc["institution"],
        data=doc.get("data", {}),
        raw=doc,
        source=result.source,
        line=result.line,
    )
    assert result == built and repr(result) == repr(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.type = "other"  # type: ignore[misc]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_reports_path_and_keyword(path: Path) -> None:
    result = parse_and_validate(_line(path))
    assert isinstance(result, Invalid)
    assert (result.source, result.line) == (path.name, 1)
    assert {(error.path, error.keyword) for error in result.errors} == EXPECTED[path.stem]
    assert all(error.message and "\n" not in error.message for error in result.errors)


@pytest.mark.parametrize("path", VALID + INVALID, ids=lambda p: p.stem)
def test_fast_check_and_the_reference_agree(path: Path) -> None:
    """The per-type specialised hot path and the whole schema compiled by jsonschema-rs agree
    with jsonschema (the reference) on every fixture."""
    doc = _doc(path)
    exact_ok = events.exact_validator().is_valid(doc)
    assert events.fast_validator()(doc) == exact_ok
    assert schema_module.fast_for(None)(doc) == exact_ok
    semantic_only = all(kw == "semantic" for _, kw in EXPECTED.get(path.stem, set()))
    assert exact_ok == (path in VALID or semantic_only)


def _patterns(node) -> list[str]:
    if isinstance(node, list):
        return [p for item in node for p in _patterns(item)]
    if not isinstance(node, dict):
        return []
    own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    return own + [p for value in node.values() for p in _patterns(value)]


def test_an_event_id_with_whitespace_is_reported_in_words_not_as_the_pattern() -> None:
    doc = _doc(FIXTURES / "invalid" / "event_id_with_whitespace.json")
    result = parse_and_validate(RawLine("x", 1, json.dumps(doc)))
    assert isinstance(result, Invalid)
    assert [e.message for e in result.errors] == [
        f"{json.dumps(doc['event_id'])} is not a string without whitespace (the idempotency key: the same id "
        "always carries the same content)"
    ]


@pytest.mark.slow  # generates many strings per pattern
def test_every_schema_pattern_means_the_same_to_python_re_and_to_jsonschema_rs() -> None:
    """Python's ``re`` (the reference) and the Rust engine differ on some shorthand classes (``\\s``
    takes U+001C..U+001F in Python only): each pattern is tried with every code point in the
    middle, at the start and at the end of a string, and with the strings the patterns are for."""
    import jsonschema_rs

    patterns = sorted(set(_patterns(load_schema())))
    assert len(patterns) >= 5
    samples = [
        "",
        "2024",
        "2024H1",
        "2024H3",
        "2024-02-29",
        "2024-13-01",
        "CNY",
        "cny",
        "2024-01-02T09:30:00+08:00",
        "2024-01-02t09:30:60.5z",
        "2024-01-02T24:00:00Z",
    ]
    for pattern in patterns:
        rust = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        python = re.compile(pattern)
        texts = samples + [s + t for s in samples for t in ("\n", "\r", " ")]
        for code in range(0x110000):
            if 0xD800 <= code <= 0xDFFF:
                continue  # not in a valid JSON text (orjson rejects lone surrogates)
            c = chr(code)
            texts.extend((f"A{c}1", c))
        for text in texts:
            assert rust.is_valid(text) == (python.search(text) is not None), (pattern, text)


def test_hot_path_is_specialised_per_type() -> None:
    assert schema_module.fast_types() == frozenset(_doc_types())


def test_errors_for_acknowledged_point_into_data_not_at_oneof_noise() -> None:
    doc = _doc(FIXTURES / "valid" / "acknowledged.json")
    doc["data"]["states_contact"] = "yes"
    doc["data"]["channel"] = "fax"
    del doc["data"]["states_acceptance"]
    result = parse_and_validate(RawLine("a.jsonl", 7, json.dumps(doc)))
    assert isinstance(result, Invalid)
    assert [(e.path, e.keyword) for e in result.errors] == [
        ("$.data.channel", "enum"),
        ("$.data.states_acceptance", "required"),
        ("$.data.states_contact", "type"),
    ]


def test_time_parsing() -> None:
    by_name = {path.stem: parse_and_validate(_line(path)) for path in VALID}
    leap = by_name["time_leap_second"]
    assert isinstance(leap, Event) and leap.time == datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)
    fraction = by_name["time_utc_with_fraction"]
    assert isinstance(fraction, Event) and fraction.time.microsecond == 123456
    lower = by_name["time_negative_offset_lowercase"]
    assert isinstance(lower, Event)
    assert lower.epoch == datetime(2025, 9, 26, 2, 15, tzinfo=UTC).timestamp()
    received = by_name["received"]
    assert isinstance(received, Event) and received.time.utcoffset().total_seconds() == 8 * 3600


def test_semantic_and_schema_errors_are_reported_together() -> None:
    doc = _doc(FIXTURES / "valid" / "received.json")
    doc["time"] = "2025-04-31T00:00:00Z"
    doc["data"]["channel"] = "fax"
    result = parse_and_validate(RawLine("x", 1, json.dumps(doc)))
    assert isinstance(result, Invalid)
    found = [(e.path, e.keyword) for e in result.errors]
    assert found == [("$.data.channel", "enum"), ("$.time", "semantic")]
    assert result.reason == "schema"


@pytest.mark.parametrize(
    ("recorded_at", "expected"),
    [
        ("2025-04-31T10:00:00+08:00", "is not a real date-time"),
        ("9999-12-31T20:00:00-08:00", "is out of range"),
        ("0001-01-01T01:00:00+08:00", "is out of range"),
        ("9999-12-31T10:00:00+08:00", "is out of range"),  # 0001-9998 only (issue 17)
        ("9998-12-31T10:00:00+08:00", None),
        ("0001-01-01T09:00:00+08:00", None),
        ("2025-04-30T10:00:60+08:00", None),
    ],
)
def test_recorded_at_is_a_real_instant_in_range(recorded_at, expected) -> None:
    doc = _doc(FIXTURES / "valid" / "received.json")
    doc["recorded_at"] = recorded_at
    result = parse_and_validate(RawLine("x", 1, json.dumps(doc)))
    if expected is None:
        assert isinstance(result, Event)
    else:
        assert isinstance(result, Invalid) and [(e.path, e.keyword) for e in result.errors] == [
            ("$.recorded_at", "semantic")
        ]
        assert expected in result.errors[0].message


def test_malformed_json_and_bad_utf8_are_invalid_not_crashes() -> None:
    broken = parse_and_validate(RawLine("f", 3, '{"event_id": '))
    assert isinstance(broken, Invalid) and [(e.path, e.keyword) for e in broken.errors] == [("$", "json")]
    assert broken.reason == "json"
    bad = parse_and_validate(RawLine("f", 4, "x\\xff", "invalid UTF-8 at byte 2"))
    assert isinstance(bad, Invalid) and [(e.path, e.keyword) for e in bad.errors] == [("$", "utf8")]
    assert bad.errors[0].message == "invalid UTF-8 at byte 2" and bad.reason == "utf8"


def test_error_line_format() -> None:
    error = EventError("$.data.channel", "enum", "bad")
    assert format_error("a.jsonl", 12, error) == "a.jsonl:12: $.data.channel: bad [enum]"
    assert Invalid("a.jsonl", 12, (error,)).format_lines() == ["a.jsonl:12: $.data.channel: bad [enum]"]


def test_json_path() -> None:
    assert json_path([]) == "$"
    assert json_path(["data", "channels", 2]) == "$.data.channels[2]"
    assert json_path(["ext", "a b"]) == '$.ext["a b"]'


def test_event_is_frozen() -> None:
    result = parse_and_validate(_line(VALID[0]))
    with pytest.raises(AttributeError):
        result.type = "closed"  # type: ignore[misc]


# --------------------------------------------------------------------------- reading lines

GOOD = json.dumps(_doc(FIXTURES / "valid" / "closed.json"))


def test_iter_lines_skips_blank_lines_but_keeps_physical_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(f"{GOOD}\n\n   \n{GOOD}\r\n{GOOD}".encode())
    lines = list(iter_lines([str(path)]))
    assert [(raw.source, raw.line) for raw in lines] == [(str(path), 1), (str(path), 4), (str(path), 5)]
    assert all(raw.text == GOOD and raw.error is None for raw in lines)


def test_iter_lines_reads_gzip_by_magic_bytes_not_suffix(tmp_path: Path) -> None:
    disguised = tmp_path / "events.jsonl"  # gzip content, plain name
    disguised.write_bytes(gzip.compress(f"{GOOD}\n{GOOD}\n".encode()))
    plain = tmp_path / "plain.jsonl.gz"  # plain content, gzip name
    plain.write_text(GOOD + "\n")
    lines = list(iter_lines([str(disguised), str(plain)]))
    assert [raw.text for raw in lines] == [GOOD, GOOD, GOOD]
    assert all(isinstance(parse_and_validate(raw), Event) for raw in lines)


def test_iter_lines_strips_bom_on_the_first_line_only(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\n" + GOOD.encode() + b"\n")
    lines = list(iter_lines([str(path)]))
    assert [raw.text for raw in lines] == [GOOD, GOOD]


def test_iter_lines_flags_invalid_utf8_with_its_byte(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + b'{"a":"\xff"}\n')
    first, second = iter_lines([str(path)])
    assert first.error is None
    assert second.line == 2 and second.error == "invalid UTF-8 at byte 7"
    assert second.text == '{"a":"\\xff"}'


def test_iter_lines_reads_stdin_plain_and_gzip(monkeypatch: pytest.MonkeyPatch) -> None:
    for payload in (f"{GOOD}\n".encode(), gzip.compress(f"{GOOD}\n".encode())):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload)))
        assert [(raw.source, raw.line, raw.text) for raw in iter_lines(["-"])] == [("-", 1, GOOD)]


def test_missing_file_raises_input_error_at_call_time(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(GOOD + "\n")
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(InputError, match=r"missing\.jsonl: cannot read: No such file or directory$"):
        iter_lines([str(good), str(missing)])
    with pytest.raises(InputError, match=": cannot read: "):
        iter_lines([str(tmp_path)])


def test_corrupt_gzip_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(((GOOD + "\n") * 200).encode())[:60])
    with pytest.raises(InputError, match="not a valid gzip file"):
        list(iter_lines([str(path)]))


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert list(iter_lines([str(path)])) == []


# --------------------------------------------------------------------------- quarantine


def test_quarantine_writes_records_and_counts(tmp_path: Path) -> None:
    out = tmp_path / "q.jsonl"
    bad_json = parse_and_validate(RawLine("a", 1, "{"))
    bad_schema = parse_and_validate(_line(FIXTURES / "invalid" / "bad_channel.json"))
    with QuarantineWriter(out) as quarantine:
        quarantine.add(bad_json)  # type: ignore[arg-type]
        quarantine.add(bad_schema)  # type: ignore[arg-type]
    assert quarantine.total == 2 and quarantine.by_reason == {"json": 1, "schema": 1}
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [set(r) for r in records] == [{"source", "line", "reason", "errors", "text"}] * 2
    assert records[0]["text"] == "{" and records[0]["reason"] == "json"
    assert records[1]["errors"][0]["path"] == "$.data.channel"
    assert records[1]["errors"][0]["keyword"] == "enum"


def test_quarantine_without_a_file_only_counts() -> None:
    quarantine = QuarantineWriter()
    quarantine.add(parse_and_validate(RawLine("a", 1, "[]")))  # type: ignore[arg-type]
    quarantine.close()
    assert quarantine.total == 1 and quarantine.by_reason == {"schema": 1}
