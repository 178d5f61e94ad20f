"""Hostile inputs of issue 17: pipes and FIFOs, repeated keys, deep nesting, long lines and gzip
bombs, moments out of range, archives that judge nothing. One test per defect class, named after
the defect; each failed before the fix."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cppolicy.audit import sorted_by_complaint
from cppolicy.errors import ExitCode, InputError
from cppolicy.events import RawLine, ReadLimits, iter_lines, parse_and_validate
from tests.helpers import cli, compliant, event, write_jsonl

AS_OF = "2025-12-31"


def six_lines() -> list[dict]:
    """Six lines: a compliant complaint and two received only (violations by the as-of)."""
    return [
        *compliant("C-1"),
        event("C-2", "received", "2025-03-03T10:00:00+08:00"),
        event("C-3", "received", "2025-03-03T10:00:00+08:00"),
    ]


@contextmanager
def pipe_of(data: bytes) -> Iterator[str]:
    """``<(cat FILE)``: a path (``/dev/fd/N``) reading a pipe that a thread fills with ``data``."""
    read, write = os.pipe()

    def feed() -> None:
        with open(write, "wb") as out:
            try:
                out.write(data)
            except BrokenPipeError:
                pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        yield f"/dev/fd/{read}"
    finally:
        os.close(read)
        feeder.join(5)


@contextmanager
def fifo_of(tmp_path: Path, data: bytes, patience: float = 5.0) -> Iterator[str]:
    """A named FIFO that a thread writes ``data`` into once, as ``cat FILE > FIFO`` would. After
    ``patience`` seconds, and every ``patience`` seconds after, a watchdog opens it for writing and
    closes it, so that a reader waiting for a second writer that never comes gets end of file (the
    test fails) instead of hanging."""
    path = tmp_path / "archive.fifo"
    os.mkfifo(path)
    done = threading.Event()

    def feed() -> None:
        try:
            with open(path, "wb") as out:
                out.write(data)
        except BrokenPipeError:  # the reader closed it before reading (the old check did)
            pass

    def watchdog() -> None:
        while not done.wait(patience):
            _end_a_waiting_reader(path)

    threads = [threading.Thread(target=feed, daemon=True), threading.Thread(target=watchdog, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        yield str(path)
    finally:
        done.set()
        if threads[0].is_alive():  # nobody read it: unblock the feeder
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.close(fd)
        for thread in threads:
            thread.join(5)


def _end_a_waiting_reader(path: Path) -> None:
    """A writer that comes and goes: a reader blocked opening the FIFO then reads end of file."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # no reader
        pass


def audit_json(*args: object) -> tuple[int, dict]:
    result = cli("audit", *args, "--as-of", AS_OF, "-f", "json")
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)


def test_a_pipe_as_the_archive_is_read_whole_not_lost_to_the_pre_scan(tmp_path):
    archive = write_jsonl(tmp_path / "six.jsonl", six_lines())
    code, expected = audit_json(archive)
    assert (code, expected["counts"]["lines"], expected["counts"]["violations"]) == (1, 6, 8)
    with pipe_of(archive.read_bytes()) as path:
        code, doc = audit_json(path)  # was: 0 lines read, exit 0
    assert code == 1
    assert doc["counts"] == expected["counts"]
    assert doc["complaints"] == expected["complaints"]
    # gzip through a pipe, and --sorted / --unsorted
    packed = gzip.compress(archive.read_bytes())
    for order in ("--sorted", "--unsorted"):
        with pipe_of(packed) as path:
            code, doc = audit_json(path, order)
        assert (code, doc["counts"]) == (1, expected["counts"]), order


def test_a_pipe_larger_than_the_pre_scan_block_loses_no_line(tmp_path):
    # more than the 4 MiB the pre-scan reads at a time, and not sorted: the old pre-scan read its
    # first block, found it unsorted and left it consumed
    events = []
    for n in range(1_400):
        for item in compliant(f"C-{n:05d}"):
            item["ext"] = {"note": "x" * 800}
            events.append(item)
    events.reverse()
    archive = write_jsonl(tmp_path / "big.jsonl", events)
    assert archive.stat().st_size > 5 << 20
    with pipe_of(archive.read_bytes()) as path:
        result = cli("audit", path, "--as-of", AS_OF, "-m", "cbrc-2012-13", "-f", "json")
    doc = json.loads(result.stdout)
    assert doc["counts"]["lines"] == len(events) == doc["counts"]["accepted"]
    assert doc["counts"]["complaints"] == 1_400
    assert doc["counts"]["violations"] == 0 and result.exit_code == 0


def test_a_named_fifo_is_read_once_and_never_hangs(tmp_path):
    data = write_jsonl(tmp_path / "six.jsonl", six_lines()).read_bytes()
    with fifo_of(tmp_path, data) as path:
        code, doc = audit_json(path)  # was: a hang (opened, closed, then waited for a writer)
    assert (code, doc["counts"]["lines"], doc["counts"]["violations"]) == (1, 6, 8)
    os.unlink(path)
    with fifo_of(tmp_path, data) as path:
        result = cli("validate", path)
    assert result.exit_code == 0 and "checked 6 events in 1 file: 6 valid" in result.stdout
    os.unlink(path)
    with fifo_of(tmp_path, data) as path:
        result = cli("report", "semiannual", path, "--period", "2025H1", "-f", "csv")
    assert result.exit_code == 0 and "Traceback" not in result.output
    os.unlink(path)
    with fifo_of(tmp_path, data) as path:
        result = cli("explain", "C-2", path, "--as-of", AS_OF)
    assert result.exit_code == 0 and "C-2" in result.stdout


def test_the_trail_of_a_piped_archive_records_the_digest_of_what_was_read(tmp_path):
    data = write_jsonl(tmp_path / "six.jsonl", six_lines()).read_bytes()
    trail = tmp_path / "trail.jsonl"
    with pipe_of(data) as path:
        result = cli("audit", path, "--as-of", AS_OF, "--trail", trail, "-f", "json")
    assert result.exit_code == 1, result.output
    started = json.loads(trail.read_text().splitlines()[0])
    inputs = started.get("inputs") or started["record"]["inputs"]
    assert inputs == [{"source": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}]
    assert cli("trail", "verify", trail).exit_code == 0


def repeated_key_lines() -> list[bytes]:
    good = compliant("C-1")
    line = [json.dumps(e, separators=(",", ":")).encode() for e in good]
    return [
        # the line: the last "type" would win (withdrawn -> received)
        line[0].replace(b'"type":"received"', b'"type":"withdrawn","type":"received"'),
        # nested, and with a space before a colon hiding the count of keys
        line[1].replace(b'"parent":"HO-001"', b'"parent":"HO-001","parent" :"HO-002"'),
        # an escaped quote and colon in a string, which the cheap count cannot tell from a key
        line[2].replace(b'"outcome":"upheld"', b'"outcome":"rejected","x":"\\u0022:","outcome":"upheld"'),
        line[3],
    ]


def test_repeated_json_keys_are_quarantined_naming_the_key(tmp_path):
    archive = tmp_path / "keys.jsonl"
    archive.write_bytes(b"\n".join(repeated_key_lines()) + b"\n")
    quarantine = tmp_path / "q.jsonl"
    result = cli("audit", archive, "--as-of", AS_OF, "-f", "json", "--quarantine", quarantine)
    assert result.exit_code == ExitCode.USAGE
    records = [json.loads(r) for r in quarantine.read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in records] == [
        (1, "duplicate_key"),
        (2, "duplicate_key"),
        (3, "duplicate_key"),
    ]
    found = [(r["errors"][0]["path"], r["errors"][0]["message"]) for r in records]
    assert found[0] == ("$", 'the key "type" is repeated in this object')
    assert found[1] == ("$.institution", 'the key "parent" is repeated in this object')
    assert found[2][0] == "$.data" and '"outcome"' in found[2][1]
    assert json.loads(result.stdout)["counts"]["accepted"] == 1
    validated = cli("validate", archive)
    assert validated.exit_code == ExitCode.FINDINGS
    assert validated.stdout.count("[duplicate_key]") == 3


def test_keys_repeated_in_no_object_are_accepted_whatever_their_spacing():
    doc = compliant("C-1")[2]
    doc["ext"] = {"note": 'a ":" and "b" : c', "list": [{"a": 1}, {"a": 2}, [{"a": 3}]]}
    for text in (
        json.dumps(doc),
        json.dumps(doc, separators=(",", ":")),
        json.dumps(doc, indent=None, separators=(" , ", " : ")),
        json.dumps(doc, ensure_ascii=True),
    ):
        parsed = parse_and_validate(RawLine("x", 1, text, None, text.encode()))
        assert not hasattr(parsed, "errors"), (text, parsed)


def deep_event(depth: int) -> dict:
    doc = event("C-D", "received", "2025-03-03T10:00:00+08:00")
    ext: dict = {"leaf": 1}
    for _ in range(depth - 2):  # the event, ext, then depth - 2 nested objects
        ext = {"a": ext}
    doc["ext"] = ext
    return doc


def test_an_ext_nested_254_deep_is_quarantined_not_a_traceback(tmp_path):
    archive = write_jsonl(tmp_path / "deep.jsonl", [deep_event(254), *compliant("C-1")])
    assert len(archive.read_bytes().splitlines()[0]) < 2_500  # a small line
    quarantine = tmp_path / "q.jsonl"
    result = cli("audit", archive, "--as-of", AS_OF, "-f", "json", "--quarantine", quarantine)
    assert "Traceback" not in result.output and result.exit_code == ExitCode.USAGE
    (record,) = [json.loads(r) for r in quarantine.read_text().splitlines()]
    assert (record["line"], record["reason"]) == (1, "too_deep")
    assert "more than 64 levels" in record["errors"][0]["message"]
    assert json.loads(result.stdout)["counts"]["accepted"] == 4
    validated = cli("validate", archive)  # was: accepted
    assert validated.exit_code == ExitCode.FINDINGS and "[too_deep]" in validated.stdout
    explained = cli("explain", "C-D", archive, "--as-of", AS_OF)
    assert explained.exit_code == ExitCode.USAGE and "Traceback" not in explained.output
    assert "no valid event" in explained.output
    monitored = cli("monitor", "--state", tmp_path / "state.db", archive)
    assert monitored.exit_code == ExitCode.USAGE and "Traceback" not in monitored.output
    assert "[too_deep]" in monitored.output
    # 64 deep is within the default limit; the limit can be set
    within = write_jsonl(tmp_path / "within.jsonl", [deep_event(64)])
    assert cli("validate", within).exit_code == 0
    assert "more than 10 levels" in _validate_with(tmp_path, within, CPPOLICY_MAX_DEPTH="10").stdout


def _validate_with(tmp_path: Path, archive: Path, **environ: str):
    from typer.testing import CliRunner

    from cppolicy.cli import get_app

    return CliRunner().invoke(get_app(), ["validate", str(archive)], env=environ)


def test_a_line_longer_than_the_limit_is_quarantined_and_the_rest_is_read(tmp_path):
    events = compliant("C-1")
    long = dict(events[1], ext={"note": "x" * 5_000})
    lines = [json.dumps(e).encode() for e in (events[0], long, *events[2:])]
    archive = tmp_path / "long.jsonl"
    archive.write_bytes(b"\r\n".join(lines) + b"\r\n")
    limits = ReadLimits(max_line_bytes=4_096)
    raws = list(iter_lines([str(archive)], limits))
    assert [(r.line, r.keyword if r.error else None) for r in raws] == [
        (1, None),
        (2, "too_long"),
        (3, None),
        (4, None),
    ]
    assert raws[1].error == f"the line is {len(lines[1])} bytes long, more than the limit of 4096 bytes"
    # a line of exactly the limit (its \r\n not counted) is read whole
    exact = ReadLimits(max_line_bytes=len(lines[1]))
    assert [r.error for r in iter_lines([str(archive)], exact)] == [None] * 4
    result = _validate_with(tmp_path, archive, CPPOLICY_MAX_LINE_BYTES="4096")
    assert result.exit_code == ExitCode.FINDINGS and "long.jsonl:2: $: the line is" in result.stdout
    assert "checked 4 events in 1 file: 3 valid, 1 invalid" in result.stdout


def test_a_gzip_bomb_line_is_read_in_bounded_memory(tmp_path):
    # one line of 256 MiB in a gzip of a quarter of a megabyte, between two good lines
    first, last = (json.dumps(e).encode() + b"\n" for e in compliant("C-1")[:2])
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(first), packer.compress(b'{"ext": "')]
    block = b"x" * (1 << 20)
    parts += [packer.compress(block) for _ in range(256)]
    parts += [packer.compress(b'"}\n' + last), packer.flush()]
    archive = tmp_path / "bomb.jsonl.gz"
    archive.write_bytes(b"".join(parts))
    assert archive.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        raws = [(r.line, r.keyword if r.error else None) for r in iter_lines([str(archive)])]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raws == [(1, None), (2, "too_long"), (3, None)]
    assert peak < 64 << 20  # the 16 MiB limit, read once; never the 256 MiB line
    # the audit's pre-scan (which doubled its buffer for the whole line) is bounded as well
    tracemalloc.start()
    try:
        assert sorted_by_complaint([str(archive)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 96 << 20  # its buffer grows to twice the limit at most


def test_bad_limit_settings_are_one_line_errors(tmp_path):
    archive = write_jsonl(tmp_path / "a.jsonl", compliant("C-1"))
    for name, value, message in [
        ("CPPOLICY_MAX_DEPTH", "0", "CPPOLICY_MAX_DEPTH: 0 is not within 1-200"),
        ("CPPOLICY_MAX_DEPTH", "deep", "CPPOLICY_MAX_DEPTH: 'deep' is not a whole number"),
        ("CPPOLICY_MAX_LINE_BYTES", "10", "CPPOLICY_MAX_LINE_BYTES: 10 is below 1024"),
    ]:
        result = _validate_with(tmp_path, archive, **{name: value})
        assert result.exit_code == ExitCode.USAGE and "Traceback" not in result.output
        assert result.output.strip().splitlines()[-1] == f"cppolicy: error: {message}"
    with pytest.raises(InputError):
        ReadLimits(max_depth=201)


@pytest.mark.parametrize(
    "as_of",
    ["9999-12-31", "9999-01-01T00:00:00+08:00", "9998-12-31T20:00:00-08:00", "0001-01-01T00:00:00+14:00"],
)
def test_an_as_of_outside_the_years_1_to_9998_is_one_line_error(tmp_path, as_of):
    archive = write_jsonl(tmp_path / "a.jsonl", compliant("C-1"))
    for args in (
        ("audit", archive),
        ("explain", "C-1", archive),
        ("report", "semiannual", archive, "--period", "2025H1"),
    ):
        result = cli(*args, "--as-of", as_of)
        assert result.exit_code == ExitCode.USAGE, (args, result.output)
        assert "Traceback" not in result.output
        assert result.output.strip().splitlines()[-1] == (
            f"cppolicy: error: --as-of: '{as_of}' is out of range: a moment must fall within the "
            f"years 0001-9998 (in Asia/Shanghai and in UTC)"
        )
    last = cli("audit", archive, "--as-of", "9998-12-31")  # the last day taken: judged
    assert last.exit_code in (0, 1, 4) and last.exception is None or isinstance(last.exception, SystemExit)


def test_event_times_outside_the_years_1_to_9998_are_quarantined(tmp_path):
    far = [
        event("C-F", "received", "9999-01-01T00:00:00+08:00"),
        event("C-G", "received", "9998-12-31T20:00:00-08:00"),  # 9999 in UTC and in Shanghai
        dict(event("C-H", "received", "2025-03-03T10:00:00+08:00"), recorded_at="9999-06-01T00:00:00Z"),
    ]
    archive = write_jsonl(tmp_path / "far.jsonl", [*far, *compliant("C-1")])
    quarantine = tmp_path / "q.jsonl"
    result = cli("audit", archive, "--as-of", "9998-06-30", "-f", "json", "--quarantine", quarantine)
    assert result.exit_code == ExitCode.USAGE and "Traceback" not in result.output
    records = [json.loads(r) for r in quarantine.read_text().splitlines()]
    assert [(r["line"], r["reason"], r["errors"][0]["path"]) for r in records] == [
        (1, "semantic", "$.time"),
        (2, "semantic", "$.time"),
        (3, "semantic", "$.recorded_at"),
    ]
    assert all("0001-9998" in r["errors"][0]["message"] for r in records)


def test_an_audit_that_judges_nothing_says_so_and_exits_5(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = cli("audit", empty, "--as-of", AS_OF)
    assert result.exit_code == ExitCode.NOTHING_JUDGED == 5  # was: 0, as clean
    assert "cppolicy: nothing judged: the input holds no event" in result.output
    # complaints, but none that a selected module judges (received before any was in force)
    old = write_jsonl(tmp_path / "old.jsonl", compliant("C-OLD", "2009-03-02"))
    result = cli("audit", old, "--as-of", AS_OF)
    assert result.exit_code == 5
    assert "no selected rule module judges any of its 1 complaint(s)" in result.output
    # the half-yearly report of an input with no event at all
    result = cli("report", "semiannual", empty, "--period", "2025H1")
    assert result.exit_code == 5 and "cppolicy: nothing judged: the input holds no event" in result.output
    assert cli("report", "semiannual", old, "--period", "2025H1").exit_code == 0  # a half-year of zero
    # with lines quarantined, 2 comes first
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{not json\n")
    assert cli("audit", bad, "--as-of", AS_OF).exit_code == ExitCode.USAGE


def test_nothing_judged_with_lines_quarantined_names_the_real_exit_code(tmp_path):
    """A quarantined line makes the exit 2 (it comes before 5): the line must not claim exit 5."""
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{not json\n")
    result = cli("audit", bad, "--as-of", AS_OF)
    assert result.exit_code == ExitCode.USAGE
    lines = [line for line in result.output.splitlines() if "nothing judged" in line]
    assert len(lines) == 1 and lines[0].endswith("(exit 2)"), result.output
    assert "exit 5" not in result.output
