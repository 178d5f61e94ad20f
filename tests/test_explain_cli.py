"""`cppolicy explain`: timeline, clocks with skipped rest days, rule outcomes, zh / en."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cppolicy.cli import get_app
from tests.helpers import compliant, event, write_jsonl


def archive(tmp_path):
    return write_jsonl(tmp_path / "a.jsonl", compliant("C-OK") + [
        event("C-ND", "received", "2025-09-26T16:30:00+08:00"),
        event("C-ND", "acknowledged", "2025-09-28T10:00:00+08:00"),
        event("C-ND", "decided", "2025-10-24T09:00:00+08:00"),
        event("C-ND", "result_notified", "2026-02-01T10:00:00+08:00"),  # after the as-of time
    ])


def run(*args):
    return CliRunner().invoke(get_app(), list(args))


def test_explain_shows_timeline_clock_rest_days_and_fired_rule(tmp_path):
    result = run("explain", "C-ND", str(archive(tmp_path)), "--as-of", "2025-12-31")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Complaint C-ND — Status: violation" in out
    assert "after the as-of time: not considered" in out
    assert "2025-10-01 (National Day (国庆节))" in out
    assert "deadline: 2025-10-23 24:00 Asia/Shanghai" in out
    assert "[FIRED] CBRC2012.P9.DECISION_LATE" in out
    assert "[not triggered] CBRC2012.P7.ACK_MISSING" in out
    assert "處理時限原則上不得超過十五個工作日" in out
    # The result notice after the as-of time is ignored, so by 2025-12-31 it is overdue.
    assert "[FIRED] CBRC2012.P8.RESULT_NOT_NOTIFIED" in out


def test_explain_in_chinese(tmp_path):
    result = run("explain", "C-ND", str(archive(tmp_path)), "--as-of", "2025-12-31", "--lang", "zh")
    assert result.exit_code == 0
    assert "投诉 C-ND — 结论: violation" in result.stdout
    assert "跳过的休息日" in result.stdout
    assert "处理决定晚于处理时限作出。" in result.stdout


def test_explain_json_lists_every_rule_once(tmp_path):
    result = run("explain", "C-OK", str(archive(tmp_path)), "--as-of", "2025-12-31", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["status"] == "compliant"
    assert {r["outcome"] for r in doc["rules"]} == {"not_fired"}
    assert len(doc["rules"]) == len({r["rule_id"] for r in doc["rules"]}) == 18
    decision = next(c for c in doc["clocks"] if c["clock"] == "decision")
    assert decision["state"] == "met" and decision["due_date"] == "2025-03-24"


def test_explain_unknown_complaint_is_exit_2(tmp_path):
    result = run("explain", "C-NOPE", str(archive(tmp_path)), "--as-of", "2025-12-31")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"cppolicy: error: complaint 'C-NOPE' has no valid event in {tmp_path / 'a.jsonl'}"
    )
