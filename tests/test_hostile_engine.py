"""Hostile inputs against the engine (issue 17, problems 1 and 7): strings the engine would drop,
and acts dated before the receipt. Each test is named after the defect it keeps out."""

from __future__ import annotations

import json
from pathlib import Path

from cppolicy.evaluation.chronology import CHRONOLOGY
from tests.helpers import cli, compliant, event, write_jsonl

AS_OF = "2019-12-31"


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
