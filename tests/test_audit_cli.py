"""`cppolicy audit` end to end: exit codes, formats, quarantine, reconciliation."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.helpers import MODULE_2012, cli, compliant, event, write_jsonl

AS_OF = "2025-12-31T00:00:00+08:00"
#: Tests about the 2012 notice pin it: by default the audit judges every complaint by every
#: registered module in force on its receipt date (Order 2020 No. 3 from 2020-03-01, ...).
PIN = ("--module", MODULE_2012)


@pytest.fixture
def breached(tmp_path):
    """C-LATE: received Friday 2019-09-27 (point 九 judges complaints received up to
    2020-02-29), decided on 2019-10-24; its 15th working day was 2019-10-23 (the make-up Sunday
    09-29 and Saturday 10-12 count, National Day 10-01 to 10-07 does not)."""
    events = compliant("C-OK", "2019-03-04") + [
        event("C-LATE", "received", "2019-09-27T16:30:00+08:00"),
        event("C-LATE", "acknowledged", "2019-09-29T10:00:00+08:00"),
        event("C-LATE", "decided", "2019-10-24T09:00:00+08:00"),
        event("C-LATE", "result_notified", "2019-10-24T10:00:00+08:00"),
    ]
    return write_jsonl(tmp_path / "archive.jsonl", events)


def test_audit_reports_violation_with_article_and_exit_1(breached):
    result = cli("audit", str(breached), "--as-of", AS_OF, "--format", "json", *PIN)
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    [finding] = doc["findings"]
    assert finding["code"] == "CBRC2012.P9.DECISION_LATE"
    assert finding["complaint_id"] == "C-LATE"
    assert finding["citation"]["instrument"] == "银监发〔2012〕13号"
    assert finding["citation"]["point"] == "九"
    assert finding["due"] == "2019-10-24T00:00:00+08:00"
    assert finding["observed"] == "2019-10-24T09:00:00+08:00"
    assert finding["module"]["digest"].startswith("sha256:")
    assert finding["message"]["zh"] and finding["message"]["en"]
    statuses = {c["complaint_id"]: c["status"] for c in doc["complaints"]}
    assert statuses == {"C-OK": "compliant", "C-LATE": "violation"}
    counts = doc["counts"]
    assert counts["lines"] == counts["accepted"] + counts["quarantined"] == 8


def test_audit_clean_archive_exits_0_and_prints_table(tmp_path):
    path = write_jsonl(tmp_path / "ok.jsonl", compliant("C-1") + compliant("C-2", "2025-03-10"))
    result = cli("audit", str(path), "--as-of", AS_OF, *PIN)
    assert result.exit_code == 0, result.output
    assert "Summary by code" in result.stdout
    assert "2 complaints" in result.stdout
    assert "compliant 2" in result.stdout


def test_audit_quarantines_bad_lines_reconciles_and_exits_2(tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        compliant("C-1"),
        extra_lines=['{"event_id": "x"', '{"event_id":"y","type":"received"}'],
    )
    quarantine = tmp_path / "q.jsonl"
    result = cli("audit", str(path), "--as-of", AS_OF, "--format", "json", "--quarantine", str(quarantine))
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["counts"]["lines"] == 6
    assert doc["counts"]["accepted"] == 4 and doc["counts"]["quarantined"] == 2
    records = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in records] == [(5, "json"), (6, "schema")]
    assert records[0]["errors"][0]["keyword"] == "json"
    assert "2 line(s) quarantined" in result.stderr


def test_duplicate_and_conflicting_event_ids_are_quarantined(tmp_path):
    events = compliant("C-1")
    dup = dict(events[1])
    conflict = {**events[2], "time": "2025-03-04T12:00:00+08:00"}
    path = write_jsonl(tmp_path / "dup.jsonl", events + [dup, conflict])
    result = cli("audit", str(path), "--as-of", AS_OF, "--format", "json")
    doc = json.loads(result.stdout)
    reasons = [q["reason"] for q in doc["quarantined"]]
    assert reasons == ["duplicate", "conflict"]
    assert doc["counts"]["lines"] == doc["counts"]["accepted"] + doc["counts"]["quarantined"] == 6
    assert result.exit_code == 2


def test_audit_reads_gzip_and_stdin(tmp_path, breached):
    gz = write_jsonl(tmp_path / "a.jsonl.gz", compliant("C-GZ"))
    assert cli("audit", str(gz), "--as-of", AS_OF, *PIN).exit_code == 0
    result = cli("audit", "-", "--as-of", AS_OF, "--format", "jsonl", *PIN, input=breached.read_text())
    assert result.exit_code == 1
    codes = [json.loads(line)["code"] for line in result.stdout.splitlines()]
    assert codes == ["CBRC2012.P9.DECISION_LATE"]


def test_csv_format_has_one_row_per_finding(breached):
    result = cli("audit", str(breached), "--as-of", AS_OF, "--format", "csv", *PIN)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["complaint_id"], r["code"], r["citation"]) for r in rows] == [
        ("C-LATE", "CBRC2012.P9.DECISION_LATE", "银监发〔2012〕13号 九")
    ]


def unknown_year_archive(tmp_path):
    """Received Wednesday 2026-12-30 and never acknowledged: point 七's acceptance notice is due
    on the 2nd working day after receipt; the 1st is 2026-12-31, the 2nd falls in 2027, whose
    State Council arrangement is not bundled. (Point 九 no longer applies to a 2026 receipt:
    from 2020-03-01 Order 2020 No. 3 prevails, so the 2012 decision clock is not computed.)"""
    return write_jsonl(tmp_path / "late2026.jsonl", [event("C-27", "received", "2026-12-30T10:00:00+08:00")])


def test_deadline_in_unknown_year_is_undetermined_exit_4(tmp_path):
    """As of 2027-01-05, between the earliest (2027-01-01) and the latest (2027-01-11) day on
    which the notice could be due, whatever 2027's arrangement: only the missing notice is
    undetermined (no notice was sent, so none is late; docs/calendar.md)."""
    archive = unknown_year_archive(tmp_path)
    result = cli("audit", str(archive), "--as-of", "2027-01-05", "--format", "json", *PIN)
    assert result.exit_code == 4, result.output
    doc = json.loads(result.stdout)
    undetermined = {f["code"] for f in doc["findings"] if f["severity"] == "undetermined"}
    assert undetermined == {"CBRC2012.P7.ACK_MISSING"}
    assert {f["severity"] for f in doc["findings"]} == {"undetermined"}  # never compliant, no guess
    assert not any(f["code"].startswith("CBRC2012.P9.") for f in doc["findings"])
    assert all("2027" in f["detail"] for f in doc["findings"] if f["severity"] == "undetermined")
    assert doc["complaints"][0]["status"] == "undetermined"


def test_deadline_in_unknown_year_past_its_latest_possible_end_is_a_violation_exit_1(tmp_path):
    """As of 2027-03-01 the notice is missing under any arrangement of 2027: its latest possible
    due day is 2027-01-11 (docs/calendar.md, "Periods that run into an unknown year")."""
    archive = unknown_year_archive(tmp_path)
    result = cli("audit", str(archive), "--as-of", "2027-03-01", "--format", "json", *PIN)
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("CBRC2012.P7.ACK_MISSING", "violation")]
    assert "2027-01-01" in doc["findings"][0]["detail"] and "2027-01-11" in doc["findings"][0]["detail"]


def test_deadline_in_2027_is_judged_once_the_year_is_supplied(tmp_path):
    data = tmp_path / "cn-2027.json"
    data.write_text(
        json.dumps(
            {
                "calendar": "cn",
                "year": 2027,
                "source": "test arrangement",
                "rest_days": ["2027-01-01"],
                "working_days": [],
            }
        )
    )
    result = cli(
        "audit",
        str(unknown_year_archive(tmp_path)),
        "--as-of",
        "2027-03-01",
        "--format",
        "json",
        "--calendar-data",
        str(data),
        *PIN,
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    [finding] = doc["findings"]
    # 2026-12-31 is the 1st working day after receipt; 2027-01-01 is a rest day and 01-02 / 01-03
    # a weekend, so the 2nd is Monday 2027-01-04.
    assert finding["code"] == "CBRC2012.P7.ACK_MISSING"
    assert finding["due"] == "2027-01-05T00:00:00+08:00"


def test_engine_failure_is_an_error_finding_and_exit_3(breached, monkeypatch):
    from cppolicy.evaluation.engine import Engine

    def broken(self, *args, **kwargs):
        raise RuntimeError("simulated engine crash")

    monkeypatch.setattr(Engine, "_run_rules", broken)  # in this process: a worker would not see it
    result = cli("audit", str(breached), "--as-of", AS_OF, "--format", "json", "--in-process")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert {c["status"] for c in doc["complaints"]} == {"error"}
    assert all(f["code"] == "CPPOLICY.EVALUATION_ERROR" for f in doc["findings"])
    assert "simulated engine crash" in doc["findings"][0]["detail"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl", "--as-of", AS_OF], "missing.jsonl"),
        (["{archive}", "--as-of", "2025-12-31T00:00:00"], "--as-of"),
        (["{archive}", "--as-of", "yesterday"], "--as-of"),
        (
            ["{archive}", "--as-of", AS_OF, "--policy", "no-such-module"],
            "no rule module 'no-such-module' (known: ",
        ),
        (["{archive}", "--as-of", AS_OF, "--format", "xml"], "--format"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args, message, breached):
    args = [a.replace("{archive}", str(breached)) for a in args]
    result = cli("audit", *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cppolicy: error:") and message in lines[0]
    assert "Traceback" not in result.output
    if "no-such-module" in args:  # the known modules are listed, the 2012 notice among them
        assert "cbrc-2012-13@1.0.0" in lines[0].partition("(known: ")[2]


def test_archive_rules_need_institution_level_events(tmp_path):
    complaints = compliant("C-1")
    plain = write_jsonl(tmp_path / "complaints-only.jsonl", complaints)
    result = cli("audit", str(plain), "--as-of", AS_OF, *PIN)
    assert result.exit_code == 0
    assert "were not judged: the input has no institution-level events" in result.stdout
    disclosure = {
        "event_id": "I-1",
        "type": "channel_disclosure",
        "time": "2025-01-02T10:00:00+08:00",
        "institution": {"id": "BR-SH", "level": "branch", "parent": "HO-001"},
        "data": {"place": "outlet", "channels": ["phone", "online", "letter"]},
    }
    full = write_jsonl(tmp_path / "with-institution.jsonl", complaints + [disclosure])
    result = cli("audit", str(full), "--as-of", AS_OF, "--format", "json", *PIN)
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["code"], finding["complaint_id"], finding["institution_id"], finding["evidence"]) == (
        "CBRC2012.P16.REPORT_MISSING",
        None,
        "BR-SH",
        ["semiannual_report:BR-SH:2025H1"],
    )
    assert finding["due"] == "2025-07-31T00:00:00+08:00"


def test_the_writers_serialise_a_finding_exactly_as_to_dict_reads():
    """render.py hands Finding objects to orjson directly (its dataclass support) for speed."""
    import dataclasses

    import orjson

    from cppolicy.evaluation.findings import Finding, ModuleRef

    finding = Finding(
        code="X.Y",
        rule_id="r",
        module=ModuleRef("m", "1.0.0", "sha256:ab"),
        severity="violation",
        complaint_id="C-1",
        institution_id=None,
        due="2025-01-02T00:00:00+08:00",
        observed=None,
        evidence=("e1", "e2"),
        citation={"instrument": "银监发〔2012〕13号", "point": "九", "n": [1, {"a": 2}]},
        message={"zh": "中", "en": "en"},
        as_of="2026-01-31T00:00:00+08:00",
        detail="d",
    )
    assert orjson.dumps(finding) == orjson.dumps(finding.to_dict())
    assert orjson.loads(orjson.dumps(finding)) == {**dataclasses.asdict(finding), "evidence": ["e1", "e2"]}


def test_old_option_and_command_names_still_work_and_are_hidden(breached):
    """Issue 16 renamed policy to rule module: --module/-m and `cppolicy modules`; the old
    --policy/-p and `cppolicy policies` keep working, the same; --help lists the command under
    its new name only and names --policy as the option's former name."""
    outputs = {
        flag: cli("audit", str(breached), "--as-of", AS_OF, "--format", "json", flag, MODULE_2012)
        for flag in ("--module", "-m", "--policy", "-p")
    }
    assert {r.exit_code for r in outputs.values()} == {1}
    assert len({r.stdout for r in outputs.values()}) == 1
    assert cli("policies", "list").stdout == cli("modules", "list").stdout != ""

    top, audit = cli("--help").stdout, cli("audit", "--help").stdout
    assert " modules " in top and " policies " not in top
    assert "--policy is its former name" in " ".join(audit.replace("│", " ").split())
