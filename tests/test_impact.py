"""`cppolicy impact`: what a new module version does to past cases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cppolicy.rules import bundled_module_paths
from tests.helpers import cli

BR = {"id": "BR-SH", "level": "branch", "parent": "HO-001"}


def ev(cid, n, type_, time, **data):
    return {
        "event_id": f"{cid}-{n}",
        "complaint_id": cid,
        "type": type_,
        "time": time,
        "institution": BR,
        "data": data,
    }


def complaint(cid, received, decided):
    return [
        ev(cid, 1, "received", received, channel="phone", product="deposit", issue="fees"),
        ev(
            cid,
            2,
            "acknowledged",
            received,
            channel="sms",
            states_acceptance=True,
            states_time_limit=True,
            states_contact=True,
        ),
        ev(cid, 3, "decided", decided, outcome="upheld", product_problem_found=False),
        ev(cid, 4, "result_notified", decided, channel="sms"),
    ]


@pytest.fixture
def stricter(tmp_path) -> Path:
    """The 2012 module with point 九 read as 10 working days instead of 15: version 1.1.0."""
    folder = tmp_path / "cbrc-2012-13" / "1.1.0"
    shutil.copytree(next(p for p in bundled_module_paths() if p.parent.name == "cbrc-2012-13"), folder)
    text = (folder / "module.yaml").read_text(encoding="utf-8")
    text = text.replace("version: 1.0.0", "version: 1.1.0").replace(
        "value: {value: 15, unit: working_day}", "value: {value: 10, unit: working_day}"
    )
    (folder / "module.yaml").write_text(text, encoding="utf-8")
    return folder


def test_impact_lists_new_breaches_and_moved_deadlines(tmp_path, stricter):
    # Received Monday 2019-03-04: 10th working day 2019-03-18, 15th 2019-03-25.
    events = (
        complaint("C-EARLY", "2019-03-04T10:00:00+08:00", "2019-03-15T10:00:00+08:00")  # fine for both
        + complaint("C-MID", "2019-03-04T10:00:00+08:00", "2019-03-20T10:00:00+08:00")  # late only at 10
        + complaint("C-2021", "2021-03-01T10:00:00+08:00", "2021-03-12T10:00:00+08:00")
    )  # 9th working day
    archive = tmp_path / "a.jsonl"
    archive.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n", encoding="utf-8")
    result = cli(
        "impact",
        "--from",
        "cbrc-2012-13@1.0.0",
        "--to",
        str(stricter),
        str(archive),
        "--as-of",
        "2021-12-31",
        "--format",
        "json",
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    changes = {c["complaint_id"]: c for c in doc["changes"]}
    # Each module is applied as written, point 九 included after 2020 (impact compares texts, not
    # which one governed): C-2021, decided on the 9th working day, is fine under both — only its
    # deadline moves, from 2021-03-22 to 2021-03-15.
    assert set(changes) == {"C-EARLY", "C-MID", "C-2021"}
    assert changes["C-2021"]["kind"] == "moved_deadline"
    assert changes["C-2021"]["moved_deadlines"]["decision"] == {"before": "2021-03-22", "after": "2021-03-15"}
    assert changes["C-MID"]["kind"] == "new_breach"
    assert changes["C-MID"]["after"] == ["CBRC2012.P9.DECISION_LATE"]
    assert changes["C-EARLY"]["kind"] == "moved_deadline"
    assert changes["C-EARLY"]["moved_deadlines"]["decision"] == {
        "before": "2019-03-25",
        "after": "2019-03-18",
    }
    assert doc["summary"]["by_kind"] == {"moved_deadline": 2, "new_breach": 1}
    assert doc["summary"]["by_branch"] == {"BR-SH": 3}
    assert doc["summary"]["by_period"] == {"2019H1": 2, "2021H1": 1}
    assert {"obligation": "CBRC2012.P9.DECISION_LATE", "kind": "new_breach", "complaints": 1} in doc[
        "summary"
    ]["by_rule"]


def test_impact_of_a_module_on_itself_is_nothing(tmp_path):
    events = complaint("C-1", "2019-03-04T10:00:00+08:00", "2019-03-20T10:00:00+08:00")
    archive = tmp_path / "a.jsonl"
    archive.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n", encoding="utf-8")
    result = cli(
        "impact", "--from", "cbrc-2012-13", "--to", "cbrc-2012-13", str(archive), "--as-of", "2021-12-31"
    )
    assert result.exit_code == 0
    assert "0 of 1 complaints change" in result.stdout


def test_impact_unknown_module_is_one_line_exit_2(tmp_path):
    archive = tmp_path / "a.jsonl"
    archive.write_text("")
    result = cli("impact", "--from", "nope", "--to", "cbrc-2012-13", str(archive), "--as-of", "2021-12-31")
    assert result.exit_code == 2 and result.stderr.startswith("cppolicy: error: no rule module 'nope'")


ARCHIVE = Path(__file__).resolve().parents[1] / "examples" / "archive-2024-2025.jsonl.gz"


def _impact(module: str) -> dict:
    result = cli(
        "impact", str(ARCHIVE), "--from", f"{module}@1.0.0", "--to", f"{module}@1.1.0",
        "--as-of", "2026-01-31", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 1, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_impact_of_the_issue_19_versions_on_the_example_archive_lists_exactly_what_changed():
    """Order No. 3 1.1.0: a tier-2 request without approval stands as tier 1 (deadlines move to
    30 days), a notice before its decision is a warning; the 2012 notice and PBoC No. 5: the
    records out of order of the fixed complaints C-2025-OO001…OO004."""
    o3 = {c["complaint_id"]: (c["kind"], c["after"]) for c in _impact("cbirc-2020-3")["changes"]}
    assert o3 == {
        "C-2024-00018": ("moved_deadline", o3["C-2024-00018"][1]),
        "C-2024-00023": ("moved_deadline", o3["C-2024-00023"][1]),
        "C-2025-00001": ("moved_deadline", o3["C-2025-00001"][1]),
        "C-2025-00034": ("moved_deadline", o3["C-2025-00034"][1]),
        "C-2025-OO001": ("changed_warning", ["CBIRC2020.A18.NOTICE_BEFORE_DECISION"]),
        "C-2025-OO003": ("changed_warning", ["CBIRC2020.A18.NOTICE_BEFORE_DECISION"]),
    }
    moved = {c["complaint_id"]: c["moved_deadlines"] for c in _impact("cbirc-2020-3")["changes"]}
    assert moved["C-2024-00018"]["decision"] == {"before": "2024-05-07", "after": "2024-05-22"}
    n2012 = {c["complaint_id"]: c["after"] for c in _impact("cbrc-2012-13")["changes"]}
    assert n2012 == {
        "C-2025-OO001": ["CBRC2012.P8.NOTICE_BEFORE_DECISION"],
        "C-2025-OO002": ["CBRC2012.P10.REPORT_BEFORE_DECISION"],
        "C-2025-OO003": ["CBRC2012.P8.NOTICE_BEFORE_DECISION"],
    }
    pbc = {c["complaint_id"]: c["after"] for c in _impact("pbc-2020-5")["changes"]}
    assert pbc == {
        "C-2025-OO003": ["PBC2020.A43.REPLY_BEFORE_DECISION"],
        "C-2025-OO004": ["PBC2020.A44.FEEDBACK_BEFORE_DECISION"],
    }
