"""`cppolicy explain`: timeline, clocks with skipped rest days, rule outcomes, zh / en."""

from __future__ import annotations

import json

import pytest

from tests.helpers import MODULE_2012, cli, compliant, event, write_jsonl

P9_CODES = {
    "CBRC2012.P9.DECISION_LATE",
    "CBRC2012.P9.DECISION_OVERDUE",
    "CBRC2012.P9.EXTENSION_NOTICE_LATE",
    "CBRC2012.P9.EXTENSION_NO_REASON",
    "CBRC2012.P9.EXTENSION_NOT_NOTIFIED",
    "CBRC2012.P9.EXTENSION_BEYOND_CAP",
    "CBRC2012.P9.EXTENSION_CHANNEL",
}


def archive(tmp_path):
    """Point 九 judges complaints received up to 2020-02-29, so both are 2019 complaints:
    C-OK received Monday 2019-03-04 (decision due 2019-03-25); C-ND received Friday 2019-09-27
    before National Day (decision due 2019-10-23: the make-up Sunday 09-29 and Saturday 10-12
    count, 10-01 to 10-07 do not), decided on 10-24."""
    return write_jsonl(
        tmp_path / "a.jsonl",
        compliant("C-OK", "2019-03-04")
        + [
            event("C-ND", "received", "2019-09-27T16:30:00+08:00"),
            event("C-ND", "acknowledged", "2019-09-29T10:00:00+08:00"),
            event("C-ND", "decided", "2019-10-24T09:00:00+08:00"),
            event("C-ND", "result_notified", "2020-02-01T10:00:00+08:00"),  # after the as-of time
        ],
    )


def superseded_archive(tmp_path):
    """Two complaints decided on the same day, 2020-03-24: C-FEB received Friday 2020-02-28
    (point 九 applies; its 15th working day is 2020-03-20) and C-MAR received Monday 2020-03-02
    (point 九 superseded by Order 2020 No. 3; it would have been 2020-03-23)."""
    events = []
    for cid, day in (("C-FEB", "2020-02-28"), ("C-MAR", "2020-03-02")):
        events += [
            event(cid, "received", f"{day}T10:00:00+08:00"),
            event(cid, "acknowledged", f"{day}T11:00:00+08:00"),
            event(cid, "decided", "2020-03-24T10:00:00+08:00"),
            event(cid, "result_notified", "2020-03-24T11:00:00+08:00"),
        ]
    return write_jsonl(tmp_path / "s.jsonl", events)


def test_explain_shows_timeline_clock_rest_days_and_fired_rule(tmp_path):
    result = cli("explain", "C-ND", str(archive(tmp_path)), "--as-of", "2019-12-31")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Complaint C-ND — Status: violation" in out
    assert "after the as-of time: not considered" in out
    assert "2019-10-01 (National Day (国庆节))" in out
    assert "deadline: 2019-10-23 24:00 Asia/Shanghai" in out
    assert "[FIRED] CBRC2012.P9.DECISION_LATE" in out
    assert "[not triggered] CBRC2012.P7.ACK_MISSING" in out
    assert "处理时限原则上不得超过十五个工作日" in out
    # The result notice after the as-of time is ignored, so by 2019-12-31 it is overdue.
    assert "[FIRED] CBRC2012.P8.RESULT_NOT_NOTIFIED" in out


def test_explain_in_chinese(tmp_path):
    result = cli("explain", "C-ND", str(archive(tmp_path)), "--as-of", "2019-12-31", "--lang", "zh")
    assert result.exit_code == 0
    assert "投诉 C-ND — 结论: violation" in result.stdout
    assert "跳过的休息日" in result.stdout
    assert "处理决定晚于处理时限作出。" in result.stdout


def test_explain_json_lists_every_rule_once(tmp_path):
    result = cli("explain", "C-OK", str(archive(tmp_path)), "--as-of", "2019-12-31", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["status"] == "compliant"
    assert {r["outcome"] for r in doc["rules"]} == {"not_fired"}
    assert len(doc["rules"]) == len({r["rule_id"] for r in doc["rules"]}) == 20  # 1.1.0: two new warnings
    decision = next(c for c in doc["clocks"] if c["clock"] == "decision")
    assert decision["state"] == "met" and decision["due_date"] == "2019-03-25"


def test_explain_unknown_complaint_is_exit_2(tmp_path):
    result = cli("explain", "C-NOPE", str(archive(tmp_path)), "--as-of", "2019-12-31")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"cppolicy: error: complaint 'C-NOPE' has no valid event in {tmp_path / 'a.jsonl'}"
    )


def test_explain_shows_point_nine_superseded_for_a_complaint_received_from_2020_03_01(tmp_path):
    """A complaint received on 2020-03-02 is not judged by point 九 of the 2012 notice: Order 2020
    No. 3 prevails (its Art. 45). explain lists the point-九 rules as superseded, naming what
    supersedes them, and shows no 2012 decision clock; points 七, 八 and 十 are judged as before."""
    result = cli(
        "explain",
        "C-MAR",
        str(superseded_archive(tmp_path)),
        "--as-of",
        "2020-06-30",
        "--policy",
        MODULE_2012,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["module"]["id"] == MODULE_2012 and doc["status"] == "compliant"
    assert len(doc["rules"]) == len({r["rule_id"] for r in doc["rules"]}) == 20  # 1.1.0: two new warnings
    outcomes = {r["code"]: r["outcome"] for r in doc["rules"]}
    assert {code for code, outcome in outcomes.items() if outcome == "superseded"} == P9_CODES
    assert {outcome for code, outcome in outcomes.items() if code not in P9_CODES} == {"not_fired"}
    for rule in doc["rules"]:
        if rule["code"] in P9_CODES:
            assert rule["findings"] == [] and rule["citation"]["point"] == "九"
            assert "银保监会令2020年第3号" in rule["superseded_by"] and "第四十五条" in rule["superseded_by"]
        else:
            assert "superseded_by" not in rule
    clocks = {c["clock"]: c for c in doc["clocks"]}
    assert "decision" not in clocks
    assert (clocks["acknowledgement"]["state"], clocks["acknowledgement"]["due_date"]) == (
        "met",
        "2020-03-04",
    )
    assert clocks["result_notice"]["state"] == "met" and clocks["result_notice"]["due_date"] == "2020-03-26"

    text = cli(
        "explain",
        "C-MAR",
        str(superseded_archive(tmp_path)),
        "--as-of",
        "2020-06-30",
        "--policy",
        MODULE_2012,
    )
    assert text.exit_code == 0, text.output
    assert "[superseded] CBRC2012.P9.DECISION_LATE" in text.stdout
    assert "→ 银保监会令2020年第3号 第十八条" in text.stdout
    assert "[not triggered] CBRC2012.P7.ACK_MISSING" in text.stdout
    assert "[FIRED]" not in text.stdout
    zh = cli(
        "explain",
        "C-MAR",
        str(superseded_archive(tmp_path)),
        "--as-of",
        "2020-06-30",
        "--policy",
        MODULE_2012,
        "--lang",
        "zh",
    )
    assert zh.exit_code == 0 and "[已被取代] CBRC2012.P9.DECISION_LATE" in zh.stdout


def test_explain_still_judges_point_nine_for_a_complaint_received_on_2020_02_28(tmp_path):
    """A complaint received on 2020-02-28 is still judged by point 九 (15 working days): decided
    on 2020-03-24, after its 15th working day 2020-03-20, it is late."""
    result = cli(
        "explain",
        "C-FEB",
        str(superseded_archive(tmp_path)),
        "--as-of",
        "2020-06-30",
        "--policy",
        MODULE_2012,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["status"] == "violation"
    outcomes = {r["code"]: r["outcome"] for r in doc["rules"]}
    assert "superseded" not in outcomes.values()
    assert outcomes["CBRC2012.P9.DECISION_LATE"] == "fired"
    [finding] = next(r for r in doc["rules"] if r["code"] == "CBRC2012.P9.DECISION_LATE")["findings"]
    assert (finding["due"], finding["observed"]) == ("2020-03-21T00:00:00+08:00", "2020-03-24T10:00:00+08:00")
    decision = next(c for c in doc["clocks"] if c["clock"] == "decision")
    assert decision["state"] == "met_late" and decision["due_date"] == "2020-03-20"


def _into_2027(tmp_path, acknowledged: str):
    return write_jsonl(
        tmp_path / "y.jsonl",
        [event("C-27", "received", "2026-12-30T10:00:00+08:00"), event("C-27", "acknowledged", acknowledged)],
    )


@pytest.mark.parametrize(
    ("acknowledged", "outcome", "why"),
    [
        (
            "2026-12-30T16:00:00+08:00",
            "[not triggered] CBRC2012.P7.ACK_LATE",
            "before the earliest possible end",
        ),
        ("2027-01-05T09:00:00+08:00", "[UNDETERMINED] CBRC2012.P7.ACK_LATE", "between the two"),
        ("2027-01-12T09:00:00+08:00", "[FIRED] CBRC2012.P7.ACK_LATE", "at or after the latest possible end"),
    ],
)
def test_explain_shows_the_earliest_and_latest_end_of_a_limit_into_an_unknown_year(
    tmp_path, acknowledged, outcome, why
):
    """2 working days after 2026-12-30: 2026-12-31 and a day of 2027 (arrangement unpublished)."""
    path = _into_2027(tmp_path, acknowledged)
    result = cli("explain", "C-27", str(path), "--as-of", "2027-03-01", "-m", MODULE_2012)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "earliest possible end: 2027-01-01 24:00" in out
    assert "latest possible end: 2027-01-11 24:00" in out
    assert why in out
    assert outcome in out


def test_explain_json_gives_the_bounds_and_the_verdict_they_support(tmp_path):
    path = _into_2027(tmp_path, "2026-12-30T16:00:00+08:00")
    result = cli("explain", "C-27", str(path), "--as-of", "2027-03-01", "-m", MODULE_2012, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    clock = next(c for c in doc["clocks"] if c["clock"] == "acknowledgement")
    assert (clock["earliest_due_date"], clock["latest_due_date"]) == ("2027-01-01", "2027-01-11")
    assert clock["bounds_verdict"] == "before_earliest" and clock["state"] == "met"
    assert doc["status"] == "compliant"
