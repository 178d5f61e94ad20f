"""Hostile input: every kind of bad line is quarantined with its reason or judged without crashing,
and the counts always reconcile (lines read = events evaluated + lines quarantined)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import INSTITUTION, cli, compliant, event

AS_OF = "2025-12-31T00:00:00+08:00"


def line(doc) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def audit(
    tmp_path: Path, lines: list[bytes], *extra: str, name: str = "archive.jsonl", raw: bytes | None = None
) -> tuple[int, dict, list[dict]]:
    """Audit the lines; check that the counts reconcile and that the quarantine file has one
    record per quarantined line; return (exit code, JSON report, quarantine records)."""
    path = tmp_path / name
    path.write_bytes(raw if raw is not None else b"".join(item + b"\n" for item in lines))
    quarantine = tmp_path / "quarantine.jsonl"
    result = cli("audit", str(path), "--as-of", AS_OF, "-f", "json", "--quarantine", str(quarantine), *extra)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    doc = json.loads(result.stdout)
    counts = doc["counts"]
    assert counts["lines"] == counts["accepted"] + counts["quarantined"]
    assert counts["accepted"] == counts["complaint_events"] + counts["institution_events"]
    assert counts["complaints"] == len({c["complaint_id"] for c in doc["complaints"]}) + sum(
        v for k, v in counts.items() if k in ("skipped_no_module_in_force", "skipped_no_module_applies")
    )
    records = [json.loads(r) for r in quarantine.read_bytes().splitlines()]
    assert len(records) == counts["quarantined"] == len(doc["quarantined"])
    return result.exit_code, doc, records


def reasons(records: list[dict]) -> list[tuple[int, str]]:
    return [(r["line"], r["reason"]) for r in records]


def test_malformed_json_is_quarantined(tmp_path):
    good = [line(e) for e in compliant("C-1")]
    bad = [
        b'{"event_id": "x"',
        b"not json at all",
        b"[1, 2, 3]",
        b"null",
        b'{"a": NaN}',
        b"{'single': 1}",
        b'{"event_id": "\\ud800"}',
    ]
    code, doc, records = audit(tmp_path, good + bad)
    assert code == 2
    assert reasons(records) == [
        (5, "json"),
        (6, "json"),
        (7, "schema"),
        (8, "schema"),
        (9, "json"),
        (10, "json"),
        (11, "json"),
    ]
    assert doc["counts"]["accepted"] == 4
    assert doc["counts"]["errors"] == 0 and {c["complaint_id"] for c in doc["complaints"]} == {"C-1"}


def test_invalid_utf8_is_quarantined_with_the_byte_offset(tmp_path):
    good = [line(e) for e in compliant("C-1")]
    bad = line(event("C-2", "received", "2025-03-03T10:00:00+08:00")).replace(b"BR-SH", b"BR-\xff\xfe")
    code, doc, records = audit(tmp_path, good + [bad, b"\xc3\x28"])
    assert code == 2
    assert reasons(records) == [(5, "utf8"), (6, "utf8")]
    assert records[0]["errors"][0]["message"].startswith("invalid UTF-8 at byte ")
    assert "\\xff" in records[0]["text"]


def test_a_bom_at_the_start_of_the_file_is_ignored_and_elsewhere_is_quarantined(tmp_path):
    lines = [line(e) for e in compliant("C-1")]
    lines[0] = b"\xef\xbb\xbf" + lines[0]
    lines[2] = b"\xef\xbb\xbf" + lines[2]
    code, doc, records = audit(tmp_path, lines)
    assert code == 2
    assert reasons(records) == [(3, "json")]
    assert doc["counts"]["accepted"] == 3


def test_very_long_lines_are_read_whole(tmp_path):
    long_ok = event("C-1", "received", "2025-03-03T10:00:00+08:00")
    long_ok["ext"] = {"note": "长" * 3_000_000}  # ~9 MB of UTF-8 in one line
    rest = compliant("C-1")[1:]
    long_bad = b'{"event_id": "' + b"x" * 5_000_000  # 5 MB, never closed
    code, doc, records = audit(tmp_path, [line(long_ok)] + [line(e) for e in rest] + [long_bad])
    assert code == 2
    assert reasons(records) == [(5, "json")]
    assert doc["counts"]["accepted"] == 4
    assert doc["complaints"][0]["events"] == 4


def test_missing_fields_are_schema_errors_with_their_path(tmp_path):
    base = event("C-1", "received", "2025-03-03T10:00:00+08:00")
    missing = [
        {k: v for k, v in base.items() if k != name} | {"event_id": f"M-{name}"}
        for name in ("time", "institution", "complaint_id", "type")
    ]
    no_id = {k: v for k, v in base.items() if k != "event_id"}
    no_data = {**base, "event_id": "M-data"}
    del no_data["data"]
    code, doc, records = audit(tmp_path, [line(d) for d in missing + [no_id, no_data]])
    assert code == 2
    paths = [sorted(e["path"] for e in r["errors"]) for r in records]
    assert ["$.time"] in paths and ["$.institution"] in paths and ["$.event_id"] in paths
    assert all(r["reason"] == "schema" for r in records)
    assert (
        doc["counts"]["quarantined"] == 6
    )  # a complaint event without complaint_id, or data, is invalid too


def test_extra_fields_are_schema_errors_unless_under_ext(tmp_path):
    events = compliant("C-1")
    events[0] = {**events[0], "surprise": 1}
    events[1] = {**events[1], "data": {**events[1]["data"], "unexpected": True}}
    events[2] = {**events[2], "ext": {"host_field": [1, {"deep": None}]}}
    code, doc, records = audit(tmp_path, [line(e) for e in events])
    assert code == 2
    assert reasons(records) == [(1, "schema"), (2, "schema")]
    assert records[0]["errors"][0]["path"] == "$.surprise"
    assert records[0]["errors"][0]["keyword"] == "additionalProperties"
    assert doc["counts"]["accepted"] == 2


def test_timestamps_without_an_offset_are_rejected(tmp_path):
    events = compliant("C-1")
    events[0] = {**events[0], "time": "2025-03-03T10:00:00"}
    events[1] = {**events[1], "time": "2025-03-03 11:00:00+08:00"}
    events[2] = {**events[2], "time": "2025-03-04"}
    code, doc, records = audit(tmp_path, [line(e) for e in events])
    assert code == 2
    assert reasons(records) == [(1, "schema"), (2, "schema"), (3, "schema")]
    assert all(r["errors"][0]["path"] == "$.time" and r["errors"][0]["keyword"] == "pattern" for r in records)


def test_dates_far_in_the_future_are_undetermined_or_out_of_range_never_a_crash(tmp_path):
    future = [event("C-F", "received", "2999-06-01T10:00:00+08:00")]  # after the as-of: not yet happened
    pending = [
        event("C-P", "received", "2025-12-30T10:00:00+08:00"),
        event("C-P", "acknowledged", "2999-01-01T00:00:00+08:00"),
    ]
    edge = [
        event("C-E", "received", "9999-12-31T20:00:00-08:00"),  # year 10000 in Shanghai
        event("C-E", "received", "0001-01-01T00:00:00+08:00"),
    ]  # before the year 1 in UTC
    code, doc, records = audit(tmp_path, [line(e) for e in future + pending + edge])
    assert code == 2
    assert reasons(records) == [(4, "semantic"), (5, "semantic")]
    assert "out of range" in records[0]["errors"][0]["message"]
    statuses = {c["complaint_id"]: c["status"] for c in doc["complaints"]}
    assert set(statuses) == {"C-F", "C-P"}
    assert "error" not in statuses.values()
    # the same without the out-of-range lines: a 2999 deadline is undetermined (calendar unknown)
    code, doc, records = audit(tmp_path, [line(e) for e in future + pending], name="b.jsonl")
    assert code in (0, 4) and not records
    assert doc["counts"]["errors"] == 0


def test_the_same_event_id_with_different_contents_is_a_conflict(tmp_path):
    events = compliant("C-1") + compliant("C-2", "2025-03-10")
    same = dict(events[2])
    other_time = {**events[2], "time": "2025-03-04T12:00:00+08:00"}
    other_complaint = {**events[0], "complaint_id": "C-9"}
    reordered_keys = dict(reversed(list(events[3].items())))  # same content, other key order
    code, doc, records = audit(
        tmp_path, [line(e) for e in events + [same, other_time, other_complaint, reordered_keys]]
    )
    assert code == 2
    assert reasons(records) == [(9, "duplicate"), (10, "conflict"), (11, "conflict"), (12, "duplicate")]
    assert records[1]["errors"][0]["message"].endswith("with different content")
    assert "archive.jsonl:3" in records[1]["errors"][0]["message"]
    assert {c["complaint_id"] for c in doc["complaints"]} == {"C-1", "C-2"}  # the first occurrence is kept


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_events_out_of_order_are_judged_by_their_time(tmp_path, jobs):
    events = compliant("C-1") + [
        event("C-LATE", "received", "2025-09-26T16:30:00+08:00"),
        event("C-LATE", "acknowledged", "2025-09-28T10:00:00+08:00"),
        event("C-LATE", "decided", "2025-11-24T09:00:00+08:00"),
    ]
    in_order = audit(tmp_path, [line(e) for e in events], "--jobs", jobs, name="in-order.jsonl")
    shuffled = audit(tmp_path, [line(e) for e in reversed(events)], "--jobs", jobs, name="reversed.jsonl")
    assert in_order[0] == shuffled[0] == 1
    assert in_order[1]["findings"] == shuffled[1]["findings"]
    assert in_order[1]["complaints"] == shuffled[1]["complaints"]


def test_events_dated_before_the_receipt_are_judged_without_error(tmp_path):
    events = [
        event("C-B", "acknowledged", "2025-03-01T10:00:00+08:00"),
        event("C-B", "decided", "2025-03-02T10:00:00+08:00"),
        event("C-B", "received", "2025-03-03T10:00:00+08:00"),
        event("C-B", "result_notified", "2025-03-04T10:00:00+08:00"),
    ]
    code, doc, records = audit(tmp_path, [line(e) for e in events])
    assert not records
    assert doc["counts"]["errors"] == 0 and code != 3
    assert {c["complaint_id"] for c in doc["complaints"]} == {"C-B"}


def test_unknown_event_types_are_schema_errors(tmp_path):
    unknown = {
        "event_id": "U-1",
        "complaint_id": "C-1",
        "type": "teleported",
        "time": "2025-03-03T10:00:00+08:00",
        "institution": INSTITUTION,
    }
    wrong_case = {**unknown, "event_id": "U-2", "type": "Received"}
    not_string = {**unknown, "event_id": "U-3", "type": 7}
    code, doc, records = audit(
        tmp_path, [line(e) for e in compliant("C-1")] + [line(unknown), line(wrong_case), line(not_string)]
    )
    assert code == 2
    assert reasons(records) == [(5, "schema"), (6, "schema"), (7, "schema")]
    assert records[0]["errors"][0] == {
        "path": "$.type",
        "keyword": "enum",
        "message": records[0]["errors"][0]["message"],
    }
    assert doc["counts"]["accepted"] == 4


def test_an_empty_file_is_an_audit_of_nothing_never_a_clean_one(tmp_path):
    for name, raw in [
        ("empty.jsonl", b""),
        ("blank.jsonl", b"\n\n  \n\t\n"),
        ("bom.jsonl", b"\xef\xbb\xbf\n"),
        ("empty.jsonl.gz", gzip.compress(b"")),
    ]:
        code, doc, records = audit(tmp_path, [], name=name, raw=raw)
        assert code == 5, name  # NOTHING_JUDGED (issue 17): not the 0 of a clean audit
        assert doc["counts"]["lines"] == 0 and doc["counts"]["complaints"] == 0 and not records


def test_crlf_nul_and_duplicate_keys(tmp_path):
    events = compliant("C-1")
    crlf = line(events[0]) + b"\r"
    nul = line({**events[1], "data": {**events[1]["data"], "contact": "a\u0000b"}})
    repeated_key = line(events[2])[:-1] + b', "type": "decided"}'  # quarantined (issue 17)
    code, doc, records = audit(tmp_path, [crlf, nul, repeated_key, line(events[3]), b"\x00\x00"])
    assert reasons(records) == [(3, "duplicate_key"), (5, "json")]
    assert doc["counts"]["accepted"] == 3


def test_a_truncated_gzip_file_is_an_input_error(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(line(e) + b"\n" for e in compliant("C-1")))[:-12])
    result = cli("audit", str(path), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "not a valid gzip file" in result.stderr and "Traceback" not in result.output


@pytest.mark.slow
def test_all_of_it_at_once_gives_the_same_report_for_any_jobs_and_order(tmp_path):
    events = compliant("C-2") + compliant("C-1", "2025-03-10")
    lines = [line(e) for e in events] + [
        b'{"event_id": "x"',
        b"\xff",
        line({**events[0], "extra": 1}),
        line(events[1]),
        line({**events[2], "time": "2025-03-03T09:00:00+08:00"}),
        line(event("C-3", "received", "9999-12-31T20:00:00-08:00")),
        line(event("C-4", "acknowledged", "2025-01-01T10:00:00+08:00")),
        line(event("C-5", "received", "2030-02-01T10:00:00+08:00")),
    ]
    outputs = set()
    for extra in (["--jobs", "1"], ["--jobs", "2"], ["--jobs", "2", "--unsorted"], ["--isolate"]):
        code, doc, _ = audit(tmp_path, lines, *extra)
        assert code == 2
        outputs.add(json.dumps(doc, sort_keys=True))
    assert len(outputs) == 1


def test_lines_are_parsed_from_their_bytes_with_the_same_outcome_as_from_their_text(tmp_path):
    from cppolicy.events import iter_lines, parse_and_validate

    events = compliant("C-投诉-1")
    raw = (
        b"\xef\xbb\xbf"
        + line(events[0])
        + b"\r\n"
        + line(events[1])
        + b"\n"
        + '{"event_id": "中文", "x": 1,}'.encode()
        + b"\n"
        + b"\xe4\xb8"
        + b"\n"
        + line(events[2])
    )
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(raw)
    lines = list(iter_lines([str(path)]))
    assert len(lines) == 5
    for item in lines:
        if item.error is None:
            assert item.data == item.text.encode("utf-8"), "no BOM, no line end: the text's own bytes"
        else:
            assert item.data is None
        assert parse_and_validate(item) == parse_and_validate(item._replace(data=None))
    outcomes = [type(parse_and_validate(item)).__name__ for item in lines]
    assert outcomes == ["Event", "Event", "Invalid", "Invalid", "Event"]
    # the comma is the 26th character, the 30th byte: positions count characters, as before
    assert "column 26 (char 25)" in parse_and_validate(lines[2]).errors[0].message


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "archive-2024-2025.jsonl.gz"


@pytest.mark.slow  # the real entry point in a child process, its stdout a pipe closed early
@pytest.mark.parametrize(
    "args",
    [
        ["audit", str(EXAMPLE), "--as-of", "2026-01-31", "-f", "jsonl"],  # streamed
        ["audit", str(EXAMPLE), "--as-of", "2026-01-31"],  # rich's table (rich would exit 1)
        ["modules", "show", "cbrc-2012-13"],  # plain text
        ["calendar", "show", "2025"],  # rich again, another command
    ],
    ids=["audit-jsonl", "audit-table", "modules-show", "calendar-show"],
)
def test_a_reader_that_closes_the_pipe_early_gets_no_exit_0_or_1_and_one_line_naming_stdout(args):
    child = subprocess.Popen(
        [sys.executable, "-m", "cppolicy", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # what `| head -c 0` does: exit 1 would read as "violations found"
    stderr = child.stderr.read().decode("utf-8")
    assert child.wait(timeout=120) == 2
    assert stderr.splitlines() == [
        "cppolicy: error: standard output: the reader closed it (broken pipe); the output is incomplete"
    ]
