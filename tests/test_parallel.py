"""`cppolicy audit --jobs N`, streaming and spilling: the same report for any N and any input
order, crash isolation, bounded-memory building blocks (spill, event-id index)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cppolicy.audit import AuditObserver, audit_archive, read_archive, sorted_by_complaint
from cppolicy.audit import pool as pool_module
from cppolicy.audit import workers as worker_module
from cppolicy.audit.ids import EventIds
from cppolicy.audit.spill import Spill
from cppolicy.calendar import parse_moment
from cppolicy.cli.options import calendar_from, modules_from
from cppolicy.errors import InputError
from cppolicy.evaluation import slim_result
from cppolicy.evaluation.findings import ModuleRef
from cppolicy.plugin import Plugins
from cppolicy.trail import iter_records
from tests.crashing import inject_crashes
from tests.helpers import ResultCollector, cli, compliant, event, render_all, write_jsonl

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "archive-2024-2025.jsonl.gz"
EXAMPLE_AS_OF = "2026-01-31T00:00:00+08:00"
AS_OF = "2025-12-31T00:00:00+08:00"


@pytest.fixture(scope="module")
def setup():
    plugins = Plugins()
    return modules_from(None, plugins), calendar_from(None, plugins)


@pytest.fixture(scope="module")
def example_lines() -> list[bytes]:
    """A slice of the example archive (every institution-level event, so that the archive-scope
    rules run, and the complaints of about 600 lines), with a few bad lines mixed in."""
    lines = gzip.decompress(EXAMPLE.read_bytes()).splitlines()
    institution = [line for line in lines if b'"complaint_id"' not in line]
    complaints = [line for line in lines if b'"complaint_id"' in line][:600]
    bad = [b'{"event_id": "broken"', complaints[3]]  # malformed JSON, and a duplicate
    return institution[:10] + complaints[:300] + bad + complaints[300:] + institution[10:]


@pytest.fixture(scope="module")
def archives(tmp_path_factory, example_lines) -> dict[str, Path]:
    """The same events by time (as exported) and sorted by complaint id (institution events first)."""
    folder = tmp_path_factory.mktemp("archives")
    by_time = folder / "by-time.jsonl"
    by_time.write_bytes(b"\n".join(example_lines) + b"\n")

    def key(line: bytes):
        try:
            return json.loads(line).get("complaint_id") or ""
        except ValueError:
            return ""

    by_complaint = folder / "by-complaint.jsonl"
    by_complaint.write_bytes(b"\n".join(sorted(example_lines, key=key)) + b"\n")
    return {"time": by_time, "complaint": by_complaint}


@pytest.fixture(scope="module")
def reference(setup, archives):
    """The pipeline's report on contents read whole into memory (read_archive), rendered."""
    modules, calendar = setup
    as_of = parse_moment(EXAMPLE_AS_OF)
    return {
        order: render_all(audit_archive(read_archive([str(path)]), modules, calendar, as_of, keep="full"))
        for order, path in archives.items()
    }


@pytest.mark.parametrize(
    ("order", "mode", "jobs"),
    [
        ("time", "auto", 1),
        ("time", "auto", 2),
        ("complaint", "auto", 1),
        ("complaint", "sorted", 2),
        ("complaint", "unsorted", 3),
    ],
)
def test_every_format_is_identical_for_any_jobs_and_input_order(
    setup, archives, reference, order, mode, jobs
):
    modules, calendar = setup
    report = audit_archive(
        [str(archives[order])], modules, calendar, parse_moment(EXAMPLE_AS_OF), jobs=jobs, order=mode
    )
    assert report.contents.mode == ("spilled" if order == "time" or mode == "unsorted" else "sorted")
    assert report.archive_results, "the archive-scope rules ran (institution events are in the input)"
    assert render_all(report) == reference[order]
    counts = report.counts()
    assert counts["lines"] == counts["accepted"] + counts["quarantined"]
    assert counts["quarantined"] == 2 and counts["complaints"] > 50


@pytest.mark.parametrize(("fmt", "jobs"), [("jsonl", 1), ("csv", 1), ("jsonl", 2), ("csv", 3)])
def test_a_report_file_written_while_the_audit_runs_is_the_same_report(
    tmp_path, archives, reference, fmt, jobs
):
    """jsonl and csv with -o are written complaint by complaint (the results are not kept):
    the same bytes as the whole-report renderer's, the same exit code, nothing left beside it."""
    out = tmp_path / "out" / f"report.{fmt}"
    out.parent.mkdir()
    result = cli("audit", archives["time"], "--as-of", EXAMPLE_AS_OF, "-f", fmt, "-o", out, "--jobs", jobs)
    assert result.exit_code == 2, result.output  # the archive has two bad lines
    assert out.read_text(encoding="utf-8") == reference["time"][fmt]
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    # an existing file is written in place, as before: its mode and its other links kept
    out.chmod(0o600)
    other = out.parent / "link"
    os.link(out, other)
    out.write_text("old")
    again = cli("audit", archives["time"], "--as-of", EXAMPLE_AS_OF, "-f", fmt, "-o", out, "--jobs", jobs)
    assert again.exit_code == 2
    assert other.read_text(encoding="utf-8") == reference["time"][fmt]
    assert out.stat().st_mode & 0o777 == 0o600
    to_null = cli("audit", archives["time"], "--as-of", EXAMPLE_AS_OF, "-f", fmt, "-o", "/dev/null")
    assert to_null.exit_code == 2 and "2 line(s) quarantined" in to_null.stderr


def test_a_failed_audit_leaves_no_partial_report_and_the_old_one_intact(tmp_path):
    path = write_jsonl(tmp_path / "unsorted.jsonl", compliant("C-2") + compliant("C-1"))
    out = tmp_path / "report.jsonl"
    out.write_text("the previous report\n")
    result = cli("audit", path, "--as-of", AS_OF, "--sorted", "-f", "jsonl", "-o", out)
    assert result.exit_code == 2 and "not sorted by complaint id" in result.stderr
    assert out.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.jsonl", "unsorted.jsonl"]
    # a report named by a link to the input is refused before anything is read or written (issue 17)
    before = Path(path).read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(path)
    read = cli("audit", path, "--as-of", AS_OF, "-f", "jsonl", "-o", link)
    assert read.exit_code == 2 and "the same file as the archive" in read.stderr
    assert Path(path).read_bytes() == before
    missing = cli("audit", path, "--as-of", AS_OF, "-f", "csv", "-o", tmp_path / "no-such-folder" / "r.csv")
    assert missing.exit_code == 2
    assert f"{tmp_path / 'no-such-folder' / 'r.csv'}: No such file or directory" in missing.stderr


def test_results_not_kept_are_counted_and_cannot_be_read_as_none(setup, archives):
    modules, calendar = setup
    collector = ResultCollector()
    report = audit_archive(
        [str(archives["complaint"])],
        modules,
        calendar,
        parse_moment(EXAMPLE_AS_OF),
        observers=[collector],
        keep="none",
    )
    seen = collector.results
    kept = audit_archive([str(archives["complaint"])], modules, calendar, parse_moment(EXAMPLE_AS_OF))
    assert len(report.results) == len(seen) == len(kept.results) > 50
    assert [(r.complaint_id, r.status) for r in seen] == [(r.complaint_id, r.status) for r in kept.results]
    assert report.counts() == kept.counts() and report.exit_code() == kept.exit_code()
    with pytest.raises(LookupError, match="not kept"):
        list(report.results)
    with pytest.raises(LookupError, match="not kept"):
        list(report.findings)


def test_reports_for_both_input_orders_agree_on_everything_but_line_numbers(reference):
    by_time = json.loads(reference["time"]["json"])
    by_complaint = json.loads(reference["complaint"]["json"])
    assert by_time["findings"] == by_complaint["findings"]
    assert by_time["complaints"] == by_complaint["complaints"]


@pytest.mark.slow
def test_trail_records_come_in_the_same_order_for_any_jobs(tmp_path, archives):
    records = {}
    for jobs in (1, 2):
        trail = tmp_path / f"trail-{jobs}.jsonl"
        result = cli(
            "audit",
            archives["time"],
            "--as-of",
            EXAMPLE_AS_OF,
            "--jobs",
            jobs,
            "--trail",
            trail,
            "-f",
            "jsonl",
        )
        assert result.exit_code == 2, result.output  # two quarantined lines
        assert cli("trail", "verify", trail).exit_code == 0
        records[jobs] = [
            {k: v for k, v in r.items() if k not in ("decision_time", "prev", "hash")}
            for r in iter_records(trail)
        ]
    assert records[1] == records[2]
    assert sum(r["type"] == "evaluation" for r in records[1]) > 50


def test_sorted_flag_fails_at_the_first_line_out_of_order(tmp_path):
    path = write_jsonl(tmp_path / "unsorted.jsonl", compliant("C-2") + compliant("C-1"))
    result = cli("audit", path, "--as-of", AS_OF, "--sorted")
    assert result.exit_code == 2
    assert f"{path}:5: the input is not sorted by complaint id ('C-1' after 'C-2')" in result.stderr
    assert cli("audit", path, "--as-of", AS_OF).exit_code == 1  # auto: spilled


def test_pre_scan_reads_escaped_and_repeated_keys(tmp_path):
    sorted_path = write_jsonl(tmp_path / "s.jsonl", compliant("C-1") + compliant("C-2"))
    assert sorted_by_complaint([str(sorted_path)])
    # the same id written with an escape, and a nested "complaint_id" key: parsed, not pattern-matched
    escaped = tmp_path / "e.jsonl"
    escaped.write_text(
        '{"complaint_id": "C-\\u0032"}\n{"ext": {"complaint_id": "A"}, "complaint_id": "C-1"}\n'
    )
    assert not sorted_by_complaint([str(escaped)])


@pytest.mark.slow
def test_stdin_is_spilled_and_audited_like_a_file(tmp_path):
    events = compliant("C-2") + compliant("C-1")
    path = write_jsonl(tmp_path / "a.jsonl", events)
    from_file = cli("audit", path, "--as-of", AS_OF, "-f", "json")
    from_stdin = cli("audit", "-", "--as-of", AS_OF, "-f", "json", "--jobs", "2", input=path.read_text())
    assert from_stdin.exit_code == from_file.exit_code
    strip = lambda doc: {k: v for k, v in json.loads(doc).items() if k != "quarantined"}  # noqa: E731
    assert strip(from_stdin.stdout) == strip(from_file.stdout)


# --------------------------------------------------------------------------- crash isolation


@pytest.fixture
def six(tmp_path) -> Path:
    events = [e for n in range(1, 6) for e in compliant(f"C-{n}")] + [
        event("C-6", "received", "2025-09-26T16:30:00+08:00"),
        event("C-6", "acknowledged", "2025-09-28T10:00:00+08:00"),
    ]
    return write_jsonl(tmp_path / "six.jsonl", events)


def _by_complaint(doc: dict) -> tuple[dict, dict]:
    statuses: dict = {}
    findings: dict = {}
    for c in doc["complaints"]:
        statuses.setdefault(c["complaint_id"], []).append(c["status"])
    for f in doc["findings"]:
        findings.setdefault(f["complaint_id"], []).append(f)
    return statuses, findings


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGSEGV", "SIGABRT"])
def test_a_complaint_that_crashes_its_worker_is_an_error_and_the_rest_are_judged(
    six, monkeypatch, signal_name
):
    baseline = cli("audit", six, "--as-of", AS_OF, "-f", "json")
    assert baseline.exit_code in (0, 1, 4), baseline.output
    expected_statuses, expected_findings = _by_complaint(json.loads(baseline.stdout))

    inject_crashes(monkeypatch, {"C-3": signal_name})
    monkeypatch.setattr(pool_module, "CHUNK_COMPLAINTS", 4)
    result = cli("audit", six, "--as-of", AS_OF, "-f", "json", "--jobs", "2")
    assert result.exit_code == 3, result.output
    doc = json.loads(result.stdout)
    statuses, findings = _by_complaint(doc)
    assert [f for f in doc["findings"] if f["severity"] == "error"] == findings["C-3"]
    assert statuses["C-3"] and set(statuses["C-3"]) == {"error"}
    assert len(statuses["C-3"]) == len(expected_statuses["C-3"])  # one per module that judges it
    for finding in findings["C-3"]:
        assert finding["code"] == "CPPOLICY.EVALUATION_ERROR" and finding["severity"] == "error"
        assert signal_name in finding["detail"] and "not compliance" in finding["detail"]
    del statuses["C-3"], expected_statuses["C-3"], findings["C-3"]
    expected_findings.pop("C-3", None)
    assert statuses == expected_statuses
    assert findings == expected_findings
    counts = doc["counts"]
    assert counts["lines"] == counts["accepted"] + counts["quarantined"] == 22
    assert counts["complaints"] == 6 and counts["errors"] == len(doc["complaints"]) - sum(
        map(len, statuses.values())
    )


@pytest.mark.slow
def test_a_crash_that_does_not_recur_alone_costs_nothing(six, monkeypatch):
    baseline = cli("audit", six, "--as-of", AS_OF, "-f", "json")
    inject_crashes(monkeypatch, {"C-2": "SIGKILL:pool"})  # e.g. killed for memory once
    monkeypatch.setattr(pool_module, "CHUNK_COMPLAINTS", 3)
    result = cli("audit", six, "--as-of", AS_OF, "-f", "json", "--isolate")
    assert result.exit_code == baseline.exit_code
    assert result.stdout == baseline.stdout


@pytest.mark.slow
def test_a_crashed_chunk_is_retried_in_halves_down_to_the_complaint_that_crashes(six, monkeypatch):
    """Six complaints in one chunk, C-3 crashing every time: the chunk dies, then its first half
    (C-1..C-3), then C-3 alone; C-1, C-2 and C-4..C-6 are judged in single-use processes too.
    Four retry processes, where retrying each complaint alone took six."""
    baseline = json.loads(cli("audit", six, "--as-of", AS_OF, "-f", "json").stdout)
    started, deaths = [], []
    real_start, real_run = pool_module.Pool._start, pool_module.Pool.run

    def start(self, single):
        started.append(single)
        return real_start(self, single)

    def run_pool(self, groups, **kwargs):
        yield from real_run(self, groups, **kwargs)
        deaths.extend(self.deaths)

    monkeypatch.setattr(pool_module.Pool, "_start", start)
    monkeypatch.setattr(pool_module.Pool, "run", run_pool)
    inject_crashes(monkeypatch, {"C-3": "SIGSEGV"})
    monkeypatch.setattr(pool_module, "CHUNK_COMPLAINTS", 6)
    result = cli("audit", six, "--as-of", AS_OF, "-f", "json", "--isolate")
    assert result.exit_code == 3, result.output
    assert started == [False, True, True, True, True]
    assert deaths == ["SIGSEGV"] * 3
    doc = json.loads(result.stdout)
    statuses, findings = _by_complaint(doc)
    expected_statuses, expected_findings = _by_complaint(baseline)
    assert set(statuses.pop("C-3")) == {"error"}
    del expected_statuses["C-3"]
    assert statuses == expected_statuses
    assert {k: v for k, v in findings.items() if k != "C-3"} == {
        k: v for k, v in expected_findings.items() if k != "C-3"
    }


@pytest.mark.slow
def test_crashed_complaint_is_recorded_in_the_trail_as_an_error(six, tmp_path, monkeypatch):
    inject_crashes(monkeypatch, {"C-5": "SIGSEGV"})
    trail = tmp_path / "trail.jsonl"
    result = cli("audit", six, "--as-of", AS_OF, "--jobs", "2", "--trail", trail)
    assert result.exit_code == 3
    records = [r for r in iter_records(trail) if r["type"] == "evaluation"]
    assert [r["complaint_id"] for r in records] == sorted(r["complaint_id"] for r in records)
    crashed = [r for r in records if r["complaint_id"] == "C-5"]
    assert crashed and all(r["result"]["status"] == "error" for r in crashed)
    assert list(iter_records(trail))[-1]["exit_code"] == 3


# --------------------------------------------------------------------------- building blocks


def test_spill_returns_complaints_in_sorted_order_and_events_in_input_order(tmp_path):
    spill = Spill(tmp_path)
    assert not any(tmp_path.iterdir()), "the open database has no name: a killed audit leaves nothing behind"
    ids = ["b", "a\x00b", "a", "é", "😀", "A", "", "a\x00"]
    for line, complaint_id in enumerate(ids * 2, start=1):
        spill.add(complaint_id, 0, line, f"第 {line} 行".encode())
    try:
        groups = list(spill.groups())
        assert [cid for cid, _ in groups] == sorted(set(ids))
        for cid, rows in groups:
            assert [line for _, line, _ in rows] == [n for n, c in enumerate(ids * 2, start=1) if c == cid]
            assert all(data == f"第 {line} 行".encode() for _, line, data in rows), "the bytes, as given"
        assert spill.complaint_count() == len(set(ids))
    finally:
        spill.close()
    assert not any(tmp_path.iterdir()), "the temporary database is removed"


def test_event_ids_move_to_disk_and_still_find_first_occurrences(tmp_path):
    index = EventIds(table_limit=10, directory=tmp_path, batch=7)
    for n in range(100):
        assert index.first(f"E-{n}") is None
        index.add(f"E-{n}", bytes([n]) * 16, n % 3, n + 1)
    assert index.on_disk
    for n in (0, 9, 10, 50, 99):
        assert index.first(f"E-{n}") == (bytes([n]) * 16, n % 3, n + 1)
    assert index.first("E-100") is None
    index.close()
    assert not any(tmp_path.iterdir())


def test_duplicates_and_conflicts_are_found_once_ids_are_on_disk(tmp_path, monkeypatch, setup):
    original = EventIds.__init__

    def small(self, table_limit=3, directory=None, batch=2):
        original(self, table_limit=3, directory=directory, batch=2)

    monkeypatch.setattr(EventIds, "__init__", small)
    events = compliant("C-1") + compliant("C-2", "2025-03-10")
    duplicate = dict(events[0])
    conflict = {**events[1], "time": "2025-03-03T12:00:00+08:00"}
    path = write_jsonl(tmp_path / "a.jsonl", events + [duplicate, conflict])
    modules, calendar = setup
    report = audit_archive([str(path)], modules, calendar, parse_moment(AS_OF))
    assert [(q.line, q.reason) for q in report.contents.quarantined] == [(9, "duplicate"), (10, "conflict")]
    assert "already seen at" in report.contents.quarantined[0].errors[0].message


def test_results_move_to_disk_and_the_report_is_unchanged(setup, archives, reference, monkeypatch):
    from cppolicy.audit.spill import ResultSpill

    original = ResultSpill.__init__

    def small(self, memory_limit=50_000, directory=None, batch=512):
        original(self, memory_limit=7, directory=directory, batch=5)

    monkeypatch.setattr(ResultSpill, "__init__", small)
    modules, calendar = setup
    report = audit_archive([str(archives["time"])], modules, calendar, parse_moment(EXAMPLE_AS_OF))
    assert report.results.on_disk
    assert render_all(report) == reference["time"]
    assert report.results[3] == list(report.results)[3] and len(report.results[2:9]) == 7


def test_pre_scan_counts_every_line_naming_a_complaint_bom_gzip_and_bad_utf8_included(tmp_path):
    lines = [json.dumps(e) for e in compliant("C-1") + compliant("C-2")]
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n")
    assert sorted_by_complaint([str(bom)])
    packed = tmp_path / "s.jsonl.gz"
    packed.write_bytes(gzip.compress("\n".join(reversed(lines)).encode()))
    assert not sorted_by_complaint([str(packed)])
    # a line that is not UTF-8 still names a complaint out of order: no stream for it
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes("\n".join(lines).encode() + b'\n{"complaint_id": "C-0", "x": "\xff"}\n')
    assert not sorted_by_complaint([str(bad)])
    # non-ASCII ids compare by code point, as the streaming pass compares them
    ids = tmp_path / "ids.jsonl"
    ids.write_text(
        '{"complaint_id": "C-z"}\n{"complaint_id": "C-é"}\n{"complaint_id": "C-中"}\n', encoding="utf-8"
    )
    assert sorted_by_complaint([str(ids)])
    ids.write_text('{"complaint_id": "C-中"}\n{"complaint_id": "C-é"}\n', encoding="utf-8")
    assert not sorted_by_complaint([str(ids)])


def test_pre_scan_reads_a_key_written_with_an_escape(tmp_path):
    path = tmp_path / "k.jsonl"
    path.write_text('{"complaint\\u005fid": "C-2"}\n{"complaint_id": "C-1"}\n')
    assert not sorted_by_complaint([str(path)])


@pytest.mark.slow
def test_workers_started_before_a_failing_pre_scan_are_stopped(tmp_path, setup):
    import multiprocessing

    modules, calendar = setup
    broken = tmp_path / "broken.jsonl.gz"
    whole = gzip.compress(b"".join(b'{"complaint_id": "C-%d"}\n' % (n * 7919 % 10007) for n in range(5000)))
    broken.write_bytes(whole[: len(whole) // 2])  # truncated: fails while pre-scanned
    with pytest.raises(InputError, match="not a valid gzip file"):
        audit_archive([str(broken)], modules, calendar, parse_moment(AS_OF), jobs=2)
    assert multiprocessing.active_children() == []


def test_an_audit_collects_garbage_less_often_and_gives_the_host_its_thresholds_back(archives, setup):
    import gc

    modules, calendar = setup
    host = (900, 11, 12)
    before = gc.get_threshold()
    seen = []

    class Thresholds(AuditObserver):
        def complaint_judged(self, judged):
            seen.append(gc.get_threshold())

    class Stop(AuditObserver):
        def started(self, contents):
            raise InputError("stop")

    try:
        gc.set_threshold(*host)
        report = audit_archive(
            [str(archives["complaint"])],
            modules,
            calendar,
            parse_moment(EXAMPLE_AS_OF),
            observers=[Thresholds()],
        )
        assert gc.get_threshold() == host
        with pytest.raises(InputError):
            audit_archive(
                [str(archives["complaint"])],
                modules,
                calendar,
                parse_moment(EXAMPLE_AS_OF),
                order="unsorted",
                observers=[Stop()],
            )
        assert gc.get_threshold() == host
    finally:
        gc.set_threshold(*before)
    assert report.contents.streamed_complaints == len(seen) > 0
    assert set(seen) == {worker_module.GC_THRESHOLD}


@pytest.mark.slow
def test_archive_scope_rules_are_judged_while_the_workers_finish_and_reported_last(
    setup, archives, reference, monkeypatch
):
    """With workers, the archive-scope rules run as soon as the input is all read (the backlog
    read ahead keeps the workers busy meanwhile), not after the last complaint; the report, the
    archive results last, is the same."""
    import cppolicy.audit.pipeline as pipeline_module

    modules, calendar = setup
    monkeypatch.setattr(pool_module, "CHUNK_COMPLAINTS", 2)
    monkeypatch.setattr(pool_module, "READ_AHEAD_BYTES", 10**9)  # read it all ahead: judged before any result
    results_before: list[int] = []
    kept: list = []
    real = pipeline_module.evaluate_archive_scope

    def judged(*args, **kwargs):
        results_before.append(len(kept))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, "evaluate_archive_scope", judged)
    archive_results: list = []

    class Order(AuditObserver):
        def complaint_judged(self, judged):
            kept.extend(judged.results)

        def archive_judged(self, result):
            archive_results.append(len(kept))

    report = audit_archive(
        [str(archives["complaint"])],
        modules,
        calendar,
        parse_moment(EXAMPLE_AS_OF),
        jobs=2,
        observers=[Order()],
    )
    assert len(results_before) == len(report.archive_results) == 3
    assert results_before == [0, 0, 0] and kept, "judged before the complaint results came back"
    assert archive_results == [len(kept)] * 3, "reported after every complaint result"
    assert render_all(report) == reference["complaint"]


@dataclasses.dataclass(frozen=True, slots=True)
class _Tagged(ModuleRef):
    tag: str = "x"


def test_results_cross_processes_as_equal_objects(setup, archives):
    """Results, findings and module references are pickled as constructor calls (cheaper than a
    slotted dataclass's own way): what arrives equals what was sent, field by field."""
    import pickle

    modules, calendar = setup
    report = audit_archive(
        read_archive([str(archives["complaint"])]),
        modules,
        calendar,
        parse_moment(EXAMPLE_AS_OF),
        keep="full",
    )
    results = [slim_result(r) for r in report.results]
    assert any(r.findings for r in results)
    again = pickle.loads(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == results
    assert [type(f) for r in again for f in r.findings] == [type(f) for r in results for f in r.findings]
    assert all(r.status == s.status for r, s in zip(again, results, strict=True))
    tagged = _Tagged("m", "1", "d", "y")  # a subclass keeps its class and its own fields
    assert (
        pickle.loads(pickle.dumps(tagged)) == tagged and type(pickle.loads(pickle.dumps(tagged))) is _Tagged
    )


@pytest.mark.parametrize("as_of", [EXAMPLE_AS_OF, "2025-06-30T12:00:00+08:00"])
def test_complaint_summaries_give_archive_scope_what_the_events_give(setup, as_of):
    """The archive-scope rules read the same from the summaries kept while the complaints
    stream past (with their receipts, or through the stand-ins) as from the events themselves."""
    from cppolicy.audit.summaries import ComplaintSummaries
    from cppolicy.evaluation.archive_scope import evaluate_archive_scope
    from cppolicy.evaluation.engine import Engine

    modules, calendar = setup
    moment = parse_moment(as_of)
    contents = read_archive([str(EXAMPLE)])  # the whole example: its large-scale complaints too
    summaries = ComplaintSummaries(moment)
    for events in contents.complaints.values():
        for e in events:
            summaries.add(e)

    class StandIns(ComplaintSummaries):
        def receipts(self, as_of):
            return None

    stand_ins = StandIns(moment)
    stand_ins.__dict__.update(summaries.__dict__)
    assert (
        summaries.receipts(moment) and summaries.receipts(parse_moment("2020-01-01T00:00:00+08:00")) is None
    )
    from cppolicy.evaluation.clusters import receipts_of

    fields = ("product", "issue", "complainants", "major")
    read = [
        (*r[:4], {k: r[4][k] for k in fields if k in r[4]}) for r in receipts_of(contents.complaints, moment)
    ]
    assert receipts_of(summaries, moment) == read and len(read) > 100
    clusters = 0
    for module in modules:
        if not module.rules_in("archive"):
            continue
        engine = Engine(module, calendar)
        runs = [
            evaluate_archive_scope(engine, source, contents.institution_events, moment)
            for source in (contents.complaints, summaries, stand_ins)
        ]
        assert runs[0].facts == runs[1].facts == runs[2].facts
        assert runs[0].findings == runs[1].findings == runs[2].findings
        clusters += sum(f["f"] == "cluster" for f in runs[0].facts)
    assert clusters, "the example's large-scale complaints are among the facts"


@pytest.mark.slow
def test_workers_judge_with_the_modules_the_audit_loaded_not_the_files_on_disk(
    tmp_path, setup, archives, reference
):
    """Workers build their modules from the audit's parsed documents: a module folder removed or
    rewritten after the audit loaded it changes nothing (and costs no second YAML parse)."""
    from cppolicy.rules import load_module

    modules, calendar = setup
    copies = []
    for module in modules:
        folder = tmp_path / module.id / module.version
        folder.mkdir(parents=True)
        (folder / "module.yaml").write_bytes(module.path.read_bytes())
        copies.append(load_module(folder))
    copies[0].path.write_text("not: [a rule module\n")
    copies[1].path.unlink()
    report = audit_archive([str(archives["time"])], copies, calendar, parse_moment(EXAMPLE_AS_OF), jobs=2)
    assert render_all(report) == reference["time"]


def test_complaint_summaries_walk_once_and_again_after_an_event_is_added():
    """institutions_and_earliest is walked once for all the archive modules, and again once a
    later event changes what it gives (a new complaint, an earlier time, another institution)."""
    from cppolicy.audit.summaries import ComplaintSummaries
    from cppolicy.events import RawLine, parse_and_validate

    def parsed(doc):
        result = parse_and_validate(RawLine("t", 1, json.dumps(doc)))
        assert not hasattr(result, "errors"), result
        return result

    first, second = compliant("C-1")[:2]
    summaries = ComplaintSummaries(parse_moment(AS_OF))
    summaries.add(parsed(second))
    walked = summaries.institutions_and_earliest()
    assert summaries.institutions_and_earliest() is walked
    summaries.add(parsed(first))  # earlier
    earliest = summaries.institutions_and_earliest()[1]
    assert earliest == [parsed(first).time] != walked[1]
    other = dict(
        compliant("C-2")[0], institution={"id": "OT-9", "level": "outlet", "parent": "HO-1", "name": "x"}
    )
    summaries.add(parsed(other))
    institutions, earliest = summaries.institutions_and_earliest()
    assert [i["id"] for i in institutions][-1] == "OT-9" and len(earliest) == 2
    walked = summaries.institutions_and_earliest()
    summaries.forget_walk()
    assert summaries.institutions_and_earliest() is not walked
    assert summaries.institutions_and_earliest() == walked


def test_pre_scan_by_blocks_says_yes_only_when_line_by_line_does(tmp_path, monkeypatch):
    """The block pre-scan against the line-by-line reading it replaced (reading.line_ids over
    every line), on seeded random files with blocks from a few bytes to whole files: the same
    answer when no line names a complaint twice; otherwise never a yes the lines would refuse."""
    import random

    from cppolicy.audit import reading
    from cppolicy.events import reading as event_reading

    rng = random.Random(20261127)
    pieces = [
        lambda c: f'{{"complaint_id": "{c}", "type": "received"}}',
        lambda c: f'{{"type":"acknowledged","complaint_id" :\t"{c}"}}',
        lambda c: f'{{"complaint_id": "{c}", "x": "中文 \\u4e2d"}}',  # a backslash in the block
        lambda c: f'{{"complaint\\u005fid": "{c}"}}',  # the key escaped
        lambda c: '{"type": "channel_disclosure"}',  # no complaint
        lambda c: f'{{"complaint_id": "{c}"',  # not JSON
        lambda c: f'{{"complaint_id": "{c}", "bad": "\xff"}}',  # not UTF-8 (made so below)
        lambda c: '{"n": 1, "complaint_id": "',  # cut short: no id
    ]
    twice = [
        lambda c: f'{{"data": {{"complaint_id": "{c}0"}}, "complaint_id": "{c}"}}',
        lambda c: f'{{"complaint_id": "{c}", "complaint_id": "{c}"}}',
    ]
    seen = {True: 0, False: 0}
    for trial in range(300):
        ids = sorted(f"C-{rng.randrange(30):02d}" for _ in range(rng.randrange(1, 25)))
        if rng.random() < 0.4:
            i, j = rng.randrange(len(ids)), rng.randrange(len(ids))
            ids[i], ids[j] = ids[j], ids[i]
        repeated = rng.random() < 0.2
        kinds = pieces + (twice if repeated else [])
        lines = [rng.choice(kinds if rng.random() < 0.3 else kinds[:2])(c) for c in ids]
        ending = rng.choice(["\n", "\r\n"])
        text = ending.join(lines) + rng.choice(["", ending])
        data = text.encode("utf-8").replace("\xff".encode(), b"\xff")
        if rng.random() < 0.2:
            data = b"\xef\xbb\xbf" + data
        path = tmp_path / f"t{trial}.jsonl{'.gz' if trial % 7 == 0 else ''}"
        path.write_bytes(gzip.compress(data) if trial % 7 == 0 else data)
        expected_ids = reading.line_ids(data.split(b"\n"))
        expected = expected_ids == sorted(expected_ids)
        for size in (1, 3, 17, 64, 1 << 20):
            monkeypatch.setattr(event_reading, "RAW_BLOCK_SIZE", size)
            got = sorted_by_complaint([str(path)])
            if repeated:
                assert not got or expected, (trial, size, data)
            else:
                assert got == expected, (trial, size, data)
        seen[expected] += 1
    assert seen[True] > 50 and seen[False] > 50


@pytest.mark.slow
def test_the_audit_reads_ahead_of_the_workers_as_far_as_the_bytes_allow(
    setup, archives, reference, monkeypatch
):
    """The groups read but not yet yielded stay within the read-ahead (READ_AHEAD_BYTES a worker,
    and always one chunk), evaluated or not; a chunk ends at CHUNK_BYTES bytes even with
    room for more complaints. The report is the same whatever the bounds."""
    modules, calendar = setup
    monkeypatch.setattr(pool_module, "CHUNK_COMPLAINTS", 2)
    real_run, real_send = pool_module.Pool.run, pool_module.Pool._send
    ahead: list[int] = []
    sizes: list[int] = []

    def run(self, groups, on_exhausted=None):
        pulled = [0]

        def counted():
            for group in groups:
                pulled[0] += 1
                yield group

        for emitted, item in enumerate(real_run(self, counted(), on_exhausted=on_exhausted), start=1):
            ahead.append(pulled[0] - emitted)
            yield item

    def send(self, runner, task):
        sizes.append(len(task.items))
        return real_send(self, runner, task)

    monkeypatch.setattr(pool_module.Pool, "run", run)
    monkeypatch.setattr(pool_module.Pool, "_send", send)

    def audit():
        ahead.clear()
        sizes.clear()
        report = audit_archive(
            [str(archives["complaint"])], modules, calendar, parse_moment(EXAMPLE_AS_OF), jobs=2
        )
        assert render_all(report) == reference["complaint"]
        return report.counts()["complaints"]

    audit()
    assert max(sizes) == 2, "chunks of CHUNK_COMPLAINTS"
    monkeypatch.setattr(pool_module, "READ_AHEAD_BYTES", 1)  # one chunk at a time
    complaints = audit()
    assert max(ahead) <= 2 < complaints
    monkeypatch.setattr(pool_module, "READ_AHEAD_BYTES", 10**9)
    monkeypatch.setattr(pool_module, "CHUNK_BYTES", 1)
    audit()
    assert set(sizes) == {1}


@pytest.mark.slow
def test_workers_run_nicer_and_leave_with_status_0_once_told_to_stop(setup, archives, monkeypatch):
    modules, calendar = setup
    processes = []
    real_close = pool_module.Pool.close

    def close(self):
        processes.extend(r.process for r in self._runners)
        niceness.extend(os.getpriority(os.PRIO_PROCESS, r.process.pid) for r in self._runners)
        real_close(self)

    niceness: list[int] = []
    monkeypatch.setattr(pool_module.Pool, "close", close)
    audit_archive([str(archives["complaint"])], modules, calendar, parse_moment(EXAMPLE_AS_OF), jobs=2)
    assert len(processes) == 2 and [p.exitcode for p in processes] == [0, 0]
    # nicer than the audit process, which must keep ahead of them (worker_module.WORKER_NICE)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness == [min(19, own + worker_module.WORKER_NICE)] * 2


@pytest.mark.slow
def test_a_script_without_a_main_guard_gets_an_error_naming_it_not_a_hang(tmp_path):
    """Spawned workers import the script that started them: one calling audit_archive(jobs=2) at
    its top level makes every worker fail at start. The audit says so and stops."""
    script = tmp_path / "audit_script.py"
    script.write_text(
        "from cppolicy import audit_archive, load_calendar\n"
        "from cppolicy.calendar import parse_moment\n"
        "from cppolicy.rules import resolve_module\n"
        f"audit_archive([{str(EXAMPLE)!r}], [resolve_module('cbrc-2012-13')], load_calendar(),\n"
        f"              parse_moment({EXAMPLE_AS_OF!r}), jobs=2)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("cppolicy.audit.workers.WorkerError: worker processes cannot start"), last
    assert 'if __name__ == "__main__":' in last
