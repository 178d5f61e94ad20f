"""`cppolicy audit --cross-check`: the independent evaluator beside durable_rules, any --jobs."""

from __future__ import annotations

import json

import pytest

import cppolicy.cli.audit as audit_cli
from cppolicy.audit import AuditObserver
from tests.helpers import cli, event, write_jsonl

LATE = [  # 2012 notice, point 九: received 2019-09-27, decided after the 15th working day (10-23)
    event("C-1", "received", "2019-09-27T16:30:00+08:00"),
    event("C-1", "acknowledged", "2019-09-29T10:00:00+08:00"),
    event("C-1", "decided", "2019-10-24T09:00:00+08:00"),
    event("C-1", "result_notified", "2019-10-24T10:00:00+08:00"),
]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cross_check_agrees_and_keeps_the_audit_exit_code(tmp_path, jobs):
    archive = write_jsonl(tmp_path / "a.jsonl", LATE)
    result = cli(
        "audit", str(archive), "--as-of", "2019-12-31", "--format", "json", "--cross-check", "--jobs", jobs
    )
    assert result.exit_code == 1, result.output
    assert "cppolicy: cross-check: 1 evaluations checked, 1 agree, 0 disagree" in result.stderr
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["CBRC2012.P9.DECISION_LATE"]


def test_a_report_the_cross_check_contradicts_exits_3(tmp_path, monkeypatch):
    original = audit_cli.audit_archive

    class LoseAFinding(AuditObserver):  # the engine "loses" a finding, before anyone else sees it
        def complaint_judged(self, judged):
            judged.results[0].findings.clear()

    def tampered(*args, observers=(), **kwargs):
        return original(*args, observers=[LoseAFinding(), *observers], **kwargs)

    monkeypatch.setattr(audit_cli, "audit_archive", tampered)
    archive = write_jsonl(tmp_path / "a.jsonl", LATE)
    result = cli("audit", str(archive), "--as-of", "2019-12-31", "--cross-check")
    assert result.exit_code == 3
    assert "1 disagree" in result.stderr and "CBRC2012.P9.DECISION_LATE" in result.stderr


def test_cross_check_sample_must_be_a_fraction(tmp_path):
    archive = write_jsonl(tmp_path / "a.jsonl", LATE)
    result = cli("audit", str(archive), "--as-of", "2019-12-31", "--cross-check-sample", "1.5")
    assert result.exit_code == 2 and "--cross-check-sample" in result.stderr
