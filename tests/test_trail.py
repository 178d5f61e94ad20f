"""The hash-chained audit trail: writing runs, `audit --trail`, `trail verify`, and every way of
tampering with a trail that verification must catch (each test named after the defect)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from itertools import count
from pathlib import Path

import pytest

from cppolicy.audit import TrailObserver, audit_archive, read_archive
from cppolicy.calendar import parse_moment
from cppolicy.cli.options import modules_from
from cppolicy.evaluation import evaluation_order
from cppolicy.evaluation.engine import engine_version
from cppolicy.plugin import Plugins, hookimpl
from cppolicy.trail import (
    GENESIS,
    TrailError,
    TrailWriter,
    canonical_json,
    iter_records,
    record_hash,
    verify_trail,
)
from tests.helpers import cli, compliant, event, write_jsonl

AS_OF = "2025-12-31T00:00:00+08:00"
POLICY = "cbrc-2012-13"


def fixed_clock():
    ticks = count()
    return lambda: f"2026-01-01T00:00:{next(ticks) % 60:02d}.000000Z"


@pytest.fixture
def archive(tmp_path) -> Path:
    """Three complaints: two handled by the book, one late (findings with evidence). C-LATE is
    received on Friday 2019-09-27, while point 九 still applied (up to 2020-02-29), and decided
    on 2019-10-24, after its 15th working day 2019-10-23."""
    events = (
        compliant("C-1")
        + compliant("C-2", "2025-03-10")
        + [
            event("C-LATE", "received", "2019-09-27T16:30:00+08:00"),
            event("C-LATE", "acknowledged", "2019-09-29T10:00:00+08:00"),
            event("C-LATE", "decided", "2019-10-24T09:00:00+08:00"),
            event("C-LATE", "result_notified", "2019-10-24T10:00:00+08:00"),
        ]
    )
    return write_jsonl(tmp_path / "archive.jsonl", events)


def audit_to_trail(archive: Path, trail: Path, plugins: Plugins, calendar):
    """What `cppolicy audit --trail` does, through the Python API (so that tests can plug in)."""
    moment = parse_moment(AS_OF)
    modules = modules_from([POLICY], plugins)
    with TrailWriter(trail, plugins, clock=fixed_clock()) as writer:
        contents = read_archive([str(archive)])
        observer = TrailObserver(
            writer,
            modules=modules,
            calendar=calendar.version,
            as_of=moment,
            inputs=lambda: [{"source": str(archive), "sha256": "x"}],
        )
        report = audit_archive(contents, modules, calendar, moment, keep="full", observers=[observer])
    return report


@pytest.fixture
def trail(tmp_path, archive) -> Path:
    """A one-run trail written by the CLI: run_started, 3 evaluations, run_finished."""
    path = tmp_path / "trail.jsonl"
    result = cli("audit", archive, "--as-of", AS_OF, "--policy", POLICY, "--format", "json", "--trail", path)
    assert result.exit_code == 1, result.output
    return path


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write(path: Path, new_lines: list[str]) -> None:
    path.write_text("".join(new_lines), encoding="utf-8")


def rehash(record: dict) -> str:
    record = {k: v for k, v in record.items() if k != "hash"}
    record["hash"] = record_hash(record)
    return canonical_json(record) + "\n"


def problem(path: Path):
    result = verify_trail(path)
    assert not result.ok
    return result.first_bad


# --------------------------------------------------------------------------- what is written


def test_audit_with_trail_writes_one_run_with_one_evaluation_per_complaint(trail, archive, calendar):
    records = list(iter_records(trail))
    assert [r["type"] for r in records] == ["run_started"] + ["evaluation"] * 3 + ["run_finished"]
    assert [r["seq"] for r in records] == list(range(5))
    assert records[0]["prev"] == GENESIS
    assert all(b["prev"] == a["hash"] for a, b in zip(records, records[1:], strict=False))
    assert all(r["hash"] == record_hash(r) for r in records)

    [module] = modules_from([POLICY], Plugins(load_entry_points=False))
    started = records[0]
    assert started["command"] == "audit" and started["tool"].startswith("cppolicy ")
    assert started["modules"] == [{"id": module.id, "version": module.version, "digest": module.digest}]
    assert started["calendar"] == calendar.version
    assert started["engine"] == engine_version()
    assert started["as_of"] == AS_OF
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert started["inputs"] == [{"source": str(archive), "sha256": digest, "bytes": archive.stat().st_size}]

    evaluations = records[1:-1]
    assert sorted(r["complaint_id"] for r in evaluations) == ["C-1", "C-2", "C-LATE"]
    for record in evaluations:
        assert record["module"] == started["modules"][0]
        assert record["calendar"] == calendar.version and record["engine"] == engine_version()
        assert record["as_of"] == AS_OF
        decided = datetime.fromisoformat(record["decision_time"].replace("Z", "+00:00"))
        assert record["decision_time"].endswith("Z") and decided.utcoffset().total_seconds() == 0
    late = next(r for r in evaluations if r["complaint_id"] == "C-LATE")
    assert late["result"]["status"] == "violation"
    assert {"code", "severity", "due", "observed", "evidence"} == set(late["result"]["findings"][0])
    assert late["event_time"] == "2019-10-24T10:00:00+08:00"
    assert [f["code"] for f in late["result"]["findings"]] == ["CBRC2012.P9.DECISION_LATE"]

    finished = records[-1]
    assert finished["records"] == 5 and finished["exit_code"] == 1
    assert finished["counts"]["complaints"] == 3 and finished["counts"]["evaluations"] == 3


def test_audit_report_is_unchanged_by_trail(tmp_path, archive):
    plain = cli("audit", archive, "--as-of", AS_OF, "--policy", POLICY, "--format", "json")
    trailed = cli(
        "audit",
        archive,
        "--as-of",
        AS_OF,
        "--policy",
        POLICY,
        "--format",
        "json",
        "--trail",
        tmp_path / "t.jsonl",
    )
    assert plain.exit_code == trailed.exit_code == 1
    assert plain.stdout == trailed.stdout


def test_api_trail_argument_writes_what_the_cli_writes(tmp_path, trail, archive, calendar):
    """`audit_archive(paths, ..., trail=writer)` is the CLI's --trail: the same records, field by
    field, except those that depend on when and by which command they were written."""
    api = tmp_path / "api.jsonl"
    modules = modules_from([POLICY], Plugins(load_entry_points=False))
    with TrailWriter(api, Plugins(load_entry_points=False)) as writer:
        audit_archive([str(archive)], modules, calendar, parse_moment(AS_OF), trail=writer)

    def comparable(path: Path) -> list[dict]:
        varying = {"hash", "prev", "decision_time", "started", "finished", "argv", "pid", "host"}
        return [{k: v for k, v in r.items() if k not in varying} for r in iter_records(path)]

    from_api, from_cli = comparable(api), comparable(trail)
    assert [r["type"] for r in from_api] == [r["type"] for r in from_cli]
    assert from_api[1:-1] == from_cli[1:-1]  # the evaluations
    for key in ("modules", "calendar", "engine", "as_of", "inputs"):
        assert from_api[0][key] == from_cli[0][key], key
    assert from_api[-1] == from_cli[-1]  # counts, exit code, record count


def test_evaluation_digests_cover_the_input_in_engine_order_and_the_result(tmp_path, archive, calendar):
    plugins = Plugins(load_entry_points=False)
    path = tmp_path / "t.jsonl"
    report = audit_to_trail(archive, path, plugins, calendar)
    contents = read_archive([str(archive)])
    moment = parse_moment(AS_OF)
    by_id = {r["complaint_id"]: r for r in iter_records(path) if r["type"] == "evaluation"}
    for result in report.results:
        record = by_id[result.complaint_id]
        events = evaluation_order(contents.complaints[result.complaint_id], moment)
        assert len(events) == result.events  # the engine's own count of the events it considered
        # each event's digest (SHA-256 of its canonical JSON), the digests joined by "\n"
        joined = "\n".join(
            "sha256:" + hashlib.sha256(canonical_json(e.raw).encode()).hexdigest() for e in events
        )
        assert record["input_digest"] == "sha256:" + hashlib.sha256(joined.encode()).hexdigest()
        assert (
            record["result_digest"]
            == "sha256:" + hashlib.sha256(canonical_json(record["result"]).encode()).hexdigest()
        )
        assert record["result"]["status"] == result.status


def test_audit_from_stdin_records_the_digest_of_the_bytes_read(tmp_path, archive):
    path = tmp_path / "t.jsonl"
    result = cli(
        "audit", "-", "--as-of", AS_OF, "--policy", POLICY, "--trail", path, input=archive.read_bytes()
    )
    assert result.exit_code == 1, result.output
    [started] = [r for r in iter_records(path) if r["type"] == "run_started"]
    assert started["inputs"] == [
        {
            "source": "-",
            "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
            "bytes": len(archive.read_bytes()),
        }
    ]


def test_lines_are_canonical_json(trail):
    for line in lines(trail):
        assert line.endswith("\n")
        assert canonical_json(json.loads(line)) == line[:-1]


# --------------------------------------------------------------------------- appending


def test_appending_two_runs_chains_and_verifies(trail, archive):
    first = list(iter_records(trail))
    result = cli("audit", archive, "--as-of", "2025-06-30", "--policy", POLICY, "--trail", trail)
    assert result.exit_code in (0, 1, 4), result.output
    records = list(iter_records(trail))
    assert records[: len(first)] == first  # earlier lines never rewritten
    second = records[len(first)]
    assert second["type"] == "run_started" and second["seq"] == len(first)
    assert second["prev"] == first[-1]["hash"]
    verified = verify_trail(trail)
    assert verified.ok and verified.runs == 2 and verified.records == len(records)
    assert verified.last_hash == records[-1]["hash"]


def test_append_refuses_a_tampered_trail(trail, archive):
    content = lines(trail)
    content[2] = content[2].replace('"C-', '"X-', 1)
    write(trail, content)
    before = trail.read_bytes()
    result = cli("audit", archive, "--as-of", AS_OF, "--policy", POLICY, "--trail", trail)
    assert result.exit_code == 2
    assert result.stderr == (
        f"cppolicy: error: {trail}:3: seq 2: hash mismatch (record edited); "
        f"refusing to append to a broken trail\n"
    )
    assert result.stdout == ""
    assert trail.read_bytes() == before


def test_append_refuses_a_trail_whose_last_run_is_unfinished(trail, archive):
    write(trail, lines(trail)[:-1])
    result = cli("audit", archive, "--as-of", AS_OF, "--policy", POLICY, "--trail", trail)
    assert result.exit_code == 2
    assert "truncated: run started at line 1 has no run_finished; refusing to append" in result.stderr


def test_writer_aborted_by_an_exception_finishes_the_run_with_the_error(tmp_path):
    path = tmp_path / "t.jsonl"
    with pytest.raises(RuntimeError):
        with TrailWriter(path, Plugins(load_entry_points=False)) as writer:
            writer.start_run(command="test", as_of=None, modules=[], calendar="cal", inputs=[])
            raise RuntimeError("boom")
    records = list(iter_records(path))
    assert records[-1]["type"] == "run_finished"
    assert records[-1]["error"] == "aborted: RuntimeError: boom" and records[-1]["exit_code"] is None
    assert verify_trail(path).ok


def test_writer_without_a_run_writes_nothing(tmp_path):
    path = tmp_path / "t.jsonl"
    with TrailWriter(path, Plugins(load_entry_points=False)):
        pass
    assert path.read_bytes() == b""
    assert verify_trail(path).ok


def test_second_writer_on_a_locked_trail_is_refused(tmp_path):
    path = tmp_path / "t.jsonl"
    with TrailWriter(path, Plugins(load_entry_points=False)):
        with pytest.raises(TrailError, match="locked by another writer"):
            TrailWriter(path, Plugins(load_entry_points=False)).open()


def test_host_records_of_their_own_type_verify(tmp_path):
    path = tmp_path / "t.jsonl"
    with TrailWriter(path, Plugins(load_entry_points=False)) as writer:
        writer.start_run(command="monitor", as_of=None, modules=[], calendar="cal", inputs=[])
        writer.record("alert_emitted", key="k-1")
        with pytest.raises(TrailError, match="reserved"):
            writer.record("evaluation", key="k-2")
        writer.finish_run({"alerts": 1}, 0)
    assert [r["type"] for r in iter_records(path)] == ["run_started", "alert_emitted", "run_finished"]
    assert verify_trail(path).ok


def test_records_outside_a_run_are_refused(tmp_path):
    with TrailWriter(tmp_path / "t.jsonl", Plugins(load_entry_points=False)) as writer:
        with pytest.raises(TrailError, match="outside a run"):
            writer.finish_run({}, 0)


# --------------------------------------------------------------------------- hooks


class MaskComplaintIds:
    @hookimpl
    def cppolicy_mask_payload(self, payload, kind):
        if kind == "trail" and "complaint_id" in payload:
            payload["complaint_id"] = "***" + payload["complaint_id"][-2:]


class Collect:
    def __init__(self):
        self.records = []

    @hookimpl
    def cppolicy_record_trail(self, record):
        self.records.append(record)


def test_mask_hook_changes_what_is_written_and_the_trail_still_verifies(tmp_path, archive, calendar):
    path = tmp_path / "t.jsonl"
    audit_to_trail(archive, path, Plugins(extra=[MaskComplaintIds()], load_entry_points=False), calendar)
    ids = sorted(r["complaint_id"] for r in iter_records(path) if r["type"] == "evaluation")
    assert ids == ["***-1", "***-2", "***TE"]
    assert '"C-LATE"' not in path.read_text(encoding="utf-8")
    assert verify_trail(path).ok


def test_mask_hook_may_not_change_the_chain(tmp_path):
    class Tamper:
        @hookimpl
        def cppolicy_mask_payload(self, payload, kind):
            payload["seq"] = 99

    path = tmp_path / "t.jsonl"
    with pytest.raises(TrailError, match="'seq'"):
        with TrailWriter(path, Plugins(extra=[Tamper()], load_entry_points=False)) as writer:
            writer.start_run(command="test", as_of=None, modules=[], calendar="cal", inputs=[])
    assert path.read_bytes() == b""


def test_record_trail_hook_receives_each_record_as_written(tmp_path, archive, calendar):
    sink = Collect()
    path = tmp_path / "t.jsonl"
    plugins = Plugins(extra=[sink, MaskComplaintIds()], load_entry_points=False)
    audit_to_trail(archive, path, plugins, calendar)
    assert [canonical_json(r) + "\n" for r in sink.records] == lines(path)
    assert [r["type"] for r in sink.records][0] == "run_started" and len(sink.records) == 5


def test_failing_record_trail_sink_neither_stops_the_run_nor_the_other_sinks(tmp_path, archive, calendar):
    class Broken:
        @hookimpl
        def cppolicy_record_trail(self, record):
            raise RuntimeError("sink down")

    sink = Collect()
    plugins = Plugins(extra=[Broken(), sink], load_entry_points=False)
    path = tmp_path / "t.jsonl"
    audit_to_trail(archive, path, plugins, calendar)
    assert len(sink.records) == 5 and verify_trail(path).ok
    assert len(plugins.sink_errors) == 5 and plugins.sink_errors[0].hook == "cppolicy_record_trail"


# --------------------------------------------------------------------------- tampering


def test_edited_finding_is_a_hash_mismatch(trail):
    content = lines(trail)
    k = next(i for i, line in enumerate(content) if '"severity":"violation"' in line)
    content[k] = content[k].replace('"severity":"violation"', '"severity":"warning"', 1)
    write(trail, content)
    bad = problem(trail)
    assert (bad.line, bad.seq, bad.problem) == (k + 1, k, "hash mismatch (record edited)")


def test_edited_record_with_recomputed_hash_breaks_the_next_prev(trail):
    content = lines(trail)
    record = json.loads(content[3])
    record["result"] = {"status": "compliant", "findings": []}
    content[3] = rehash(record)
    write(trail, content)
    bad = problem(trail)
    assert (bad.line, bad.seq) == (5, 4)
    assert bad.problem.startswith("prev does not match the hash of the previous record")


def test_deleted_record_is_a_seq_gap(trail):
    content = lines(trail)
    del content[2]
    write(trail, content)
    bad = problem(trail)
    assert (bad.line, bad.seq) == (3, 3)
    assert bad.problem == "seq gap: expected 2 (record deleted or reordered)"


def test_deleted_first_record_is_a_seq_gap(trail):
    write(trail, lines(trail)[1:])
    assert problem(trail).line == 1 and "seq gap: expected 0" in problem(trail).problem


def test_deleted_record_renumbered_is_a_prev_mismatch(trail):
    content = lines(trail)
    del content[2]
    for i in range(2, len(content)):  # renumber, keeping the original prev values
        record = json.loads(content[i])
        record["seq"] = i
        content[i] = rehash(record)
    write(trail, content)
    bad = problem(trail)
    assert bad.line == 3 and bad.problem.startswith("prev does not match")


def test_inserted_forged_record_with_recomputed_hash_is_detected(trail):
    content = lines(trail)
    forged = json.loads(content[2])
    forged["complaint_id"] = "C-FORGED"  # a correct seq, prev and hash for its position
    content.insert(2, rehash(forged))
    write(trail, content)
    bad = problem(trail)
    assert (bad.line, bad.seq) == (4, 2)
    assert bad.problem == "seq out of order: expected 3 (record inserted or reordered)"


def test_swapped_records_are_detected(trail):
    content = lines(trail)
    content[1], content[2] = content[2], content[1]
    write(trail, content)
    bad = problem(trail)
    assert (bad.line, bad.seq) == (2, 2) and bad.problem.startswith("seq gap")


def test_truncated_mid_line_is_invalid_json_on_the_last_line(trail):
    data = trail.read_bytes()
    trail.write_bytes(data[: len(data) - 40])
    bad = problem(trail)
    assert bad.line == 5 and bad.seq is None
    assert bad.problem.startswith("truncated: the last line is cut off (invalid JSON")


def test_truncated_final_run_finished_leaves_an_unfinished_run(trail):
    write(trail, lines(trail)[:-1])
    bad = problem(trail)
    assert (bad.line, bad.seq) == (4, 3)
    assert bad.problem == "truncated: run started at line 1 has no run_finished"


def test_truncated_newline_is_reported(trail):
    trail.write_bytes(trail.read_bytes()[:-1])
    bad = problem(trail)
    assert bad.line == 5 and bad.problem == "truncated: no newline at the end of the last record"


def test_duplicated_line_is_reported_as_duplicate(trail):
    content = lines(trail)
    content.insert(3, content[2])
    write(trail, content)
    bad = problem(trail)
    assert (bad.line, bad.seq, bad.problem) == (4, 2, "duplicate of line 3")


def test_non_json_line_is_reported(trail):
    content = lines(trail)
    content.insert(2, "not json\n")
    write(trail, content)
    bad = problem(trail)
    assert bad.line == 3 and bad.problem.startswith("invalid JSON")


def test_blank_line_is_reported(trail):
    content = lines(trail)
    content.insert(2, "\n")
    write(trail, content)
    assert problem(trail).problem == "blank line"


def test_reformatted_line_is_not_canonical(trail):
    content = lines(trail)
    content[1] = json.dumps(json.loads(content[1]), sort_keys=True, ensure_ascii=False) + "\n"
    write(trail, content)
    assert problem(trail).problem == "not in canonical JSON form (line rewritten)"


def test_duplicate_key_is_not_canonical(trail):
    content = lines(trail)
    content[1] = content[1][:-2] + ',"type":"evaluation"}\n'
    write(trail, content)
    assert problem(trail).line == 2


def test_forged_record_appended_outside_a_run_is_reported(trail):
    content = lines(trail)
    last = json.loads(content[-1])
    forged = {
        "seq": last["seq"] + 1,
        "prev": last["hash"],
        "type": "evaluation",
        "decision_time": "x",
        "complaint_id": "C",
        "module": {},
        "calendar": "",
        "engine": "",
        "event_time": None,
        "as_of": None,
        "input_digest": "",
        "result": {},
        "result_digest": "",
    }
    content.append(rehash(forged))
    write(trail, content)
    bad = problem(trail)
    assert bad.line == 6 and bad.problem.startswith("evaluation record outside a run")


def test_empty_file_is_a_valid_trail_with_zero_records(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    result = verify_trail(path)
    assert result.ok and result.records == 0 and result.runs == 0 and result.last_hash == GENESIS


def test_rewritten_trail_is_caught_by_an_anchor(trail, tmp_path, archive):
    anchor = list(iter_records(trail))[-1]["hash"]
    assert verify_trail(trail, anchors=[anchor]).ok
    trail.unlink()
    cli("audit", archive, "--as-of", AS_OF, "--policy", POLICY, "--trail", trail)  # a fresh, different trail
    assert verify_trail(trail).ok
    bad = verify_trail(trail, anchors=[anchor]).first_bad
    assert bad.line is None and bad.problem.startswith(f"anchor {anchor} is not the hash of any record")


# --------------------------------------------------------------------------- `cppolicy trail verify`


def test_cli_verify_ok_exits_0(trail):
    result = cli("trail", "verify", trail)
    assert result.exit_code == 0, result.output
    last = list(iter_records(trail))[-1]["hash"]
    assert result.stdout == f"ok: 5 records, 1 runs, last hash {last}\n"


def test_cli_verify_tampered_exits_1_with_one_line(trail):
    content = lines(trail)
    content[1] = content[1].replace('"C-', '"D-', 1)
    write(trail, content)
    result = cli("trail", "verify", trail)
    assert result.exit_code == 1
    assert result.stderr == f"cppolicy: error: {trail}:2: seq 1: hash mismatch (record edited)\n"
    assert result.stdout == ""


def test_cli_verify_anchor_option(trail):
    result = cli("trail", "verify", trail, "--anchor", "sha256:" + "1" * 64)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"cppolicy: error: {trail}: anchor sha256:111")


def test_cli_verify_missing_file_exits_2(tmp_path):
    result = cli("trail", "verify", tmp_path / "nope.jsonl")
    assert result.exit_code == 2
    assert result.stderr == f"cppolicy: error: {tmp_path / 'nope.jsonl'}: no such file\n"


def test_cli_verify_directory_exits_2(tmp_path):
    result = cli("trail", "verify", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "is a directory" in result.stderr


def test_cli_audit_trail_in_a_missing_directory_exits_2(tmp_path, archive):
    result = cli("audit", archive, "--as-of", AS_OF, "--trail", tmp_path / "no" / "t.jsonl")
    assert result.exit_code == 2
    assert result.stderr.startswith("cppolicy: error: ") and result.stderr.count("\n") == 1
