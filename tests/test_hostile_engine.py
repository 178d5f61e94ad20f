"""Hostile inputs against the engine (issue 17, problems 1 and 7): strings the engine would drop,
and acts dated before the receipt. Each test is named after the defect it keeps out."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from cppolicy.calendar import SHANGHAI
from cppolicy.cli.options import calendar_from, modules_from
from cppolicy.evaluation import Engine
from cppolicy.evaluation.bounds import FACT_FIELD_LIMIT, FACT_STRING_LIMIT
from cppolicy.evaluation.chronology import CHRONOLOGY
from cppolicy.events import revive
from cppolicy.plugin import Plugins
from tests.crashing import inject_crashes
from tests.helpers import MODULE_2012, cli, compliant, event, write_jsonl

AS_OF = "2019-12-31"
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "archive-2024-2025.jsonl.gz"


def _engine_2012() -> Engine:
    plugins = Plugins()
    modules = [m for m in modules_from(None, plugins) if m.id == MODULE_2012]
    return Engine(modules[0], calendar_from(None, plugins))


@pytest.mark.slow
def test_16mib_string_is_never_compliant(tmp_path):
    """Complaint B's only event holds a 17 MiB ``cause``: durable_rules dropped its facts and the
    audit said "compliant 2, 0 violations", exit 0 (B alone: a segfault). Now the reader's line
    limit (16 MiB) quarantines the line, and with that limit raised the schema's bound on free text
    does (exit 2 either way): B is judged by no one as compliant; alone, it is one line on stderr,
    never a crash."""
    big = [event("B", "received", "2019-03-04T10:00:00+08:00", cause="x" * (17 << 20))]
    both = write_jsonl(tmp_path / "ab.jsonl", compliant("A", "2019-03-04") + big)
    alone = write_jsonl(tmp_path / "b.jsonl", big)
    raised = {**os.environ, "CPPOLICY_MAX_LINE_BYTES": str(64 << 20)}
    for path, env, where in (
        (both, None, '"too_long"'),
        (alone, None, '"too_long"'),
        (both, raised, "$.data.cause"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "cppolicy", "audit", str(path), "--as-of", AS_OF, "-f", "json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
        )
        assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
        assert "Traceback" not in run.stderr
        doc = json.loads(run.stdout)
        assert not [c for c in doc["complaints"] if c["complaint_id"] == "B" and c["status"] == "compliant"]
        assert doc["counts"]["quarantined"] == 1 and where in json.dumps(doc["quarantined"])[:4000]


def test_fact_string_beyond_the_engine_bound_is_an_error_not_compliant():
    """An event that reaches the engine without the schema (built in Python) and holds a string
    longer than FACT_STRING_LIMIT is never asserted: an ``error`` finding, not a judgement on
    whatever facts the engine kept."""
    engine = _engine_2012()
    as_of = datetime(2019, 12, 31, tzinfo=SHANGHAI)
    data = {"channel": "phone", "product": "card", "issue": "fees", "cause": "x" * (FACT_STRING_LIMIT + 1)}
    doc = {"event_id": "B-1", "complaint_id": "B", "type": "received", "time": "2019-03-04T10:00:00+08:00",
           "institution": {"id": "BR", "level": "head_office"}, "data": data}  # fmt: skip
    received = revive(json.dumps(doc), "built-in-python", 1)  # no schema on this path
    result = engine.evaluate("B", [received], as_of)
    assert [f.severity for f in result.findings] == ["error"], result.findings
    assert "1,048,577 characters" in (result.findings[0].detail or "")
    short = revive(json.dumps({**doc, "data": {**data, "cause": "short"}}), "built-in-python", 1)
    assert {f.severity for f in engine.evaluate("B", [short], as_of).findings} == {"violation"}


def _early_acts(path: Path) -> Path:
    """Complaint C acknowledged, decided and notified three days before its receipt; D by the book."""
    acts = [
        event("C", "received", "2019-03-07T10:00:00+08:00"),
        event("C", "acknowledged", "2019-03-04T11:00:00+08:00"),
        event("C", "decided", "2019-03-04T12:00:00+08:00"),
        event("C", "result_notified", "2019-03-04T13:00:00+08:00"),
    ]
    return write_jsonl(path, acts + compliant("D", "2019-03-04"))


def test_acts_before_the_receipt_are_a_data_quality_finding_never_compliant(tmp_path):
    archive = _early_acts(tmp_path / "early.jsonl")
    result = cli("audit", archive, "--as-of", AS_OF, "-f", "json", "--cross-check")
    assert result.exit_code == 4, result.output  # undetermined, not 0 (it was: "compliant 2")
    doc = json.loads(result.stdout)
    findings = [f for f in doc["findings"] if f["complaint_id"] == "C"]
    quality = [f for f in findings if f["code"] == CHRONOLOGY]
    received_id = next(json.loads(line)["event_id"] for line in archive.read_text().splitlines())
    assert len(quality) == 3 and {f["severity"] for f in quality} == {"warning"}
    for finding in quality:
        assert finding["evidence"][1] == received_id and "before the complaint's receipt" in finding["detail"]
    undetermined = {f["code"] for f in findings if f["severity"] == "undetermined"}
    assert {
        "CBRC2012.P7.ACK_LATE",
        "CBRC2012.P9.DECISION_LATE",
        "CBRC2012.P8.RESULT_NOTICE_LATE",
    } <= undetermined
    assert all("impossible chronology" in f["detail"] for f in findings if f["severity"] == "undetermined")
    assert not [f for f in doc["findings"] if f["complaint_id"] == "D"]
    assert "0 disagree" in result.stderr
    explained = cli("explain", "C", archive, "--as-of", AS_OF)
    assert explained.exit_code == 0, explained.output
    data_quality = explained.stdout.split("Data quality:")[1]
    assert all(f["detail"] in data_quality for f in quality)


def test_an_act_at_the_receipt_time_is_not_a_chronology_finding(tmp_path):
    same = [
        event("E", "received", "2019-03-04T10:00:00+08:00"),
        event("E", "acknowledged", "2019-03-04T10:00:00+08:00"),
        event("E", "decided", "2019-03-05T10:00:00+08:00"),
        event("E", "result_notified", "2019-03-05T11:00:00+08:00"),
    ]
    result = cli("audit", write_jsonl(tmp_path / "same.jsonl", same), "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []


@pytest.mark.slow
def test_a_complaint_that_crashes_the_engine_with_one_job_is_an_error_not_the_end_of_the_audit(
    tmp_path, monkeypatch
):
    """With --jobs 1 the audit evaluated in its own process: a segfault in durable_rules' C core
    ended it with no report and no message (rc -11). Now one worker evaluates by default, and the
    complaint that kills it (again alone in a fresh process) is an error finding, exit 3."""
    archive = write_jsonl(
        tmp_path / "three.jsonl",
        compliant("A", "2019-03-04") + compliant("B", "2019-03-04") + compliant("C", "2019-03-04"),
    )
    inject_crashes(monkeypatch, {"B": "SIGSEGV"})
    result = cli("audit", archive, "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 3, result.output
    doc = json.loads(result.stdout)
    assert {c["complaint_id"]: c["status"] for c in doc["complaints"]} == {
        "A": "compliant",
        "B": "error",
        "C": "compliant",
    }
    (finding,) = doc["findings"]
    assert finding["code"] == "CPPOLICY.EVALUATION_ERROR" and "SIGSEGV" in finding["detail"]


def test_one_job_in_process_gives_the_report_of_one_worker(tmp_path):
    archive = _early_acts(tmp_path / "early.jsonl")
    isolated = cli("audit", archive, "--as-of", AS_OF, "-f", "json")
    in_process = cli("audit", archive, "--as-of", AS_OF, "-f", "json", "--in-process")
    assert (isolated.exit_code, isolated.stdout) == (in_process.exit_code, in_process.stdout)


def _forwarded_and_reported(items: int) -> list[dict]:
    """Forwarded by the CBRC's office a, reported back to office b (a breach of point 十), the
    report listing ``items`` contents, each a field of its fact."""
    events = compliant("F", "2019-03-04")
    events[0]["data"]["forwarded_by"] = {"regulator": "CBRC", "office": "a"}
    contents = [f"item {i}" for i in range(items)]
    report = event("F", "reported_to_regulator", "2019-03-06T10:00:00+08:00", regulator="CBRC", office="b")
    report["data"]["contents"] = contents
    return [*events, report]


def test_fact_with_255_fields_is_an_error_not_compliant(tmp_path):
    """durable_rules silently drops a fact of 255 fields or more: a report listing 240 contents
    lost its breach (exit 0, no finding). The schema now caps ``contents`` (quarantined, exit 2),
    and a fact beyond FACT_FIELD_LIMIT that reaches the engine anyway is an error finding."""
    result = cli("audit", write_jsonl(tmp_path / "f.jsonl", _forwarded_and_reported(240)), "--as-of", AS_OF,
                 "-f", "json", "--in-process")  # fmt: skip
    assert result.exit_code == 2, result.output
    (quarantined,) = json.loads(result.stdout)["quarantined"]
    assert quarantined["errors"][0]["path"] == "$.data.contents"
    engine = _engine_2012()
    as_of = datetime(2019, 12, 31, tzinfo=SHANGHAI)
    # Built in Python, past the schema: 300 contents no condition of the 2012 notice reads are
    # left out of the fact (its breach is found); 250 fields of data are refused (an error).
    for items, extra, severities in ((300, 0, {"violation"}), (2, FACT_FIELD_LIMIT + 50, {"error"})):
        events = _forwarded_and_reported(items)
        events[0]["data"].update({f"x{i}": i for i in range(extra)})
        revived = [revive(json.dumps(e), "built-in-python", i) for i, e in enumerate(events)]
        findings = engine.evaluate("F", revived, as_of).findings
        assert {f.severity for f in findings} == severities, findings
    assert "fields" in (findings[0].detail or "")


def test_a_report_listing_300_complaints_keeps_the_archive_findings(tmp_path):
    """A large-scale complaint report listing 301 complaint ids (each a field of its fact) made
    durable_rules drop the archive-scope facts: 11 archive findings of the example archive (reports
    missing, late, changes not reflected) vanished, silently. Now the list-item fields no
    condition reads are left out of that fact, and the findings are the example's."""
    lines = gzip.decompress(EXAMPLE.read_bytes()).decode().splitlines()
    docs = [json.loads(line) for line in lines]
    for doc in docs:
        if doc["type"] == "large_scale_complaint_reported":
            doc["data"]["complaint_ids"] += [f"C-LISTED-{i}" for i in range(300)]
            break
    listed = write_jsonl(tmp_path / "listed.jsonl", docs)
    archive_findings = []
    for path in (EXAMPLE, listed):
        result = cli("audit", path, "--as-of", "2026-01-31", "-f", "json", "--in-process")
        assert result.exit_code == 1, result.output
        doc = json.loads(result.stdout)
        archive_findings.append(sorted(f["code"] for f in doc["findings"] if f["complaint_id"] is None))
    assert len(archive_findings[0]) >= 11 and archive_findings[1] == archive_findings[0]


@pytest.mark.parametrize("receipt_first", [True, False])
def test_monitor_raises_no_met_alert_for_acts_dated_before_the_receipt(tmp_path, receipt_first):
    """The audit says undetermined (impossible chronology); the monitor said "met in time"
    while the receipt was not yet past its watermark."""
    events = [json.loads(line) for line in _early_acts(tmp_path / "early.jsonl").read_text().splitlines()]
    acts = [e for e in events if e["complaint_id"] == "C"]
    if not receipt_first:
        acts = acts[1:] + acts[:1]
    archive = write_jsonl(tmp_path / "c.jsonl", acts)
    result = cli("monitor", archive, "--state", tmp_path / "state.db", "--init", "--module", MODULE_2012)
    assert result.exit_code == 0, result.output
    alerts = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert not [a for a in alerts if a["kind"] in ("met", "met_late")], alerts
