"""The bundled example archive: reproducible from its script, and judged as its manifest says.

The manifest's expectations come from the generator's own, independent reading of the three
instruments on python-holidays directly — per complaint, the 2012 notice's points 七–十 (point 九
only for receipts up to 2020-02-29), Order 2020 No. 3 (receipts from 2020-03-01) and PBoC 2020
No. 5 (PBoC-forwarded receipts from 2020-11-01); over the archive, points 十五–十六, Order No. 3
Art. 8 and PBoC No. 5 Art. 56. The audit runs cppolicy's selection, calendar, clocks,
archive-scope generators and durable_rules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from cppolicy.audit import audit_archive, read_archive
from cppolicy.calendar import SHANGHAI
from cppolicy.rules import bundled_module_paths, load_module
from tests.helpers import cli

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "examples" / "archive-2024-2025.jsonl.gz"
MANIFEST_PATH = ROOT / "examples" / "archive-2024-2025.scenarios.json"
MANIFEST = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
M2012, MO3, MPBC = "cbrc-2012-13", "cbirc-2020-3", "pbc-2020-5"


@pytest.mark.slow  # generates the archive in a process of its own
def test_generator_reproduces_the_committed_archive_byte_for_byte(tmp_path):
    out = tmp_path / "archive.jsonl.gz"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "generate_archive.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == ARCHIVE.read_bytes()
    assert out.with_name("archive.scenarios.json").read_bytes() == MANIFEST_PATH.read_bytes()


def test_manifest_shape():
    complaints = MANIFEST["complaints"]
    assert 300 <= len(complaints) <= 600
    assert set(MANIFEST["modules"]) == {M2012, MO3, MPBC}
    for cid, c in complaints.items():
        received = datetime.fromisoformat(c["received"]).astimezone(SHANGHAI).date()
        assert list(c["expected"]) == c["modules"], cid
        assert all(c["expected"][m] == sorted(c["expected"][m]) for m in c["modules"]), cid
        # the modules judging a complaint follow from its receipt date (and who forwarded it)
        assert (MO3 in c["modules"]) == (received >= date(2020, 3, 1)), cid
        if MPBC in c["modules"]:
            assert received >= date(2020, 11, 1), cid
        # point 九 judges only receipts up to 2020-02-29
        if received >= date(2020, 3, 1):
            assert not any(".P9." in code for code in c["expected"][M2012]), cid
    years = {datetime.fromisoformat(c["received"]).year for c in complaints.values()}
    assert years == set(range(2019, 2026))


@pytest.fixture(scope="module")
def audit_doc() -> dict:
    result = cli("audit", str(ARCHIVE), "--as-of", MANIFEST["as_of"], "--format", "json")
    assert result.exit_code == 1  # the archive holds every kind of breach
    return json.loads(result.stdout)


def test_each_complaint_is_judged_by_the_modules_in_the_manifest(audit_doc):
    got = sorted((c["complaint_id"], c["module"].split("@")[0]) for c in audit_doc["complaints"])
    expected = sorted((cid, m) for cid, c in MANIFEST["complaints"].items() for m in c["modules"])
    assert got == expected
    versions = {m["id"]: m["version"] for m in audit_doc["modules"]}
    assert {m: versions[m] for m in MANIFEST["modules"]} == MANIFEST["modules"]


def test_audit_of_example_archive_matches_every_complaint_in_the_manifest(audit_doc):
    got: dict[tuple[str, str], list[str]] = {}
    for finding in audit_doc["findings"]:
        assert finding["severity"] in ("violation", "warning"), finding
        if finding["complaint_id"] is not None:
            got.setdefault((finding["complaint_id"], finding["module"]["id"]), []).append(finding["code"])
    mismatches = {
        (cid, module): (codes, sorted(got.get((cid, module), [])))
        for cid, c in MANIFEST["complaints"].items()
        for module, codes in c["expected"].items()
        if codes != sorted(got.get((cid, module), []))
    }
    assert not mismatches
    assert set(got) <= {(cid, m) for cid, c in MANIFEST["complaints"].items() for m in c["modules"]}
    counts = audit_doc["counts"]
    assert counts["lines"] == counts["accepted"] == counts["complaint_events"] + counts["institution_events"]
    assert counts["lines"] == MANIFEST["event_count"]
    assert counts["complaints"] == len(MANIFEST["complaints"])
    assert counts["undetermined"] == counts["errors"] == 0


def _cluster_number_dropped(evidence: list[str]) -> tuple[str, ...]:
    """Cluster ids ``large_scale:<kind>:<institution>:<first member>`` without the last part (an
    implementation detail); the members are compared through ``archive_clusters`` instead."""
    return tuple(e.rsplit(":", 1)[0] if e.startswith("large_scale:") else e for e in evidence)


def test_audit_of_example_archive_matches_the_archive_scope_expectations(audit_doc):
    got = sorted(
        (
            f["module"]["id"],
            f["code"],
            f["institution_id"],
            _cluster_number_dropped(f["evidence"]),
            f["due"],
            f["observed"],
        )
        for f in audit_doc["findings"]
        if f["complaint_id"] is None
    )
    expected = sorted(
        (
            f["module"],
            f["code"],
            f["institution_id"],
            _cluster_number_dropped(f["evidence"]),
            f["due"],
            f["observed"],
        )
        for f in MANIFEST["archive_expected"]
    )
    assert got == expected


def test_every_rule_of_every_module_is_exercised(audit_doc):
    """Every complaint- and archive-scope rule of the three modules fires somewhere in the archive."""
    codes = {
        rule.code
        for path in bundled_module_paths()
        for rule in load_module(path).rules
        if rule.scope in ("complaint", "archive")
    }
    assert {c.split(".")[0] for c in codes} == {"CBRC2012", "CBIRC2020", "PBC2020"}
    in_manifest = Counter(
        code for c in MANIFEST["complaints"].values() for codes_ in c["expected"].values() for code in codes_
    )
    in_manifest.update(f["code"] for f in MANIFEST["archive_expected"])
    assert set(in_manifest) == codes
    assert {f["code"] for f in audit_doc["findings"]} == codes


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, SHANGHAI).isoformat()


def test_clusters_of_example_archive_match_the_manifest(calendar):
    """Every large-scale cluster cppolicy detects (reported or not): kind, place, members, detection,
    due and report time, as the generator's own detection lists them in ``archive_clusters``."""
    modules = [load_module(p) for p in bundled_module_paths()]
    report = audit_archive(
        read_archive([str(ARCHIVE)]),
        modules,
        calendar,
        datetime.fromisoformat(MANIFEST["as_of"]),
        keep="full",
    )
    facts = [f for r in report.archive_results for f in r.facts if f.get("f") == "cluster"]

    def key(kind, institution, ids, detected, due, reported):
        return kind, institution, tuple(sorted(ids)), detected, due, reported

    got = sorted(
        key(
            f["kind"],
            f["institution"],
            f["complaint_ids"].split(","),
            _iso(f["detected_t"]),
            _iso(f["due"]),
            _iso(f.get("met_t")),
        )
        for f in facts
    )
    expected = sorted(
        key(c["kind"], c["institution_id"], c["complaint_ids"], c["detected"], c["due"], c["reported"])
        for c in MANIFEST["archive_clusters"]
    )
    assert got == expected
    # the cluster findings name the members the manifest gives them
    members = {f["id"]: set(f["complaint_ids"].split(",")) for f in facts}
    listed = {
        e["evidence"][0]: set(e["complaint_ids"])
        for e in MANIFEST["archive_expected"]
        if "complaint_ids" in e
    }
    for finding in (f for r in report.archive_results for f in r.findings):
        for evidence in finding.evidence:
            if evidence.startswith("large_scale:"):
                assert members[evidence] == listed[evidence]


def _run_impact() -> tuple[int, dict]:
    result = cli(
        "impact", "--from", M2012, "--to", MO3, str(ARCHIVE), "--as-of", MANIFEST["as_of"], "--format", "json"
    )
    return result.exit_code, json.loads(result.stdout)


def test_impact_lists_the_national_day_2021_complaint_as_a_new_breach():
    """Received Thursday 2021-09-30, before the National Day break: decided within the 2012
    notice's 15 working days (in time, had point 九 still applied) but after Order No. 3's 15
    calendar days (late)."""
    example = MANIFEST["impact_example"]
    cid = example["complaint_id"]
    entry = MANIFEST["complaints"][cid]
    assert entry["received"].startswith("2021-09-30") and entry["variant"] == "wd_ok_calendar_late"
    assert entry["expected"][M2012] == [] and "CBIRC2020.A18.DECISION_LATE" in entry["expected"][MO3]
    code, report = _run_impact()
    assert code == 1 and report["errors"] == []  # verdicts change
    # receipts before 2020-03-01 cannot be judged by Order No. 3 (no values in force): not comparable
    early = sum(
        1
        for e in MANIFEST["complaints"].values()
        if datetime.fromisoformat(e["received"]).date() < date(2020, 3, 1)
    )
    assert report["not_comparable"] == early
    changes = {c["complaint_id"]: c for c in report["changes"]}
    assert changes[cid]["kind"] == example["kind"] == "new_breach"
    assert changes[cid]["before"] == [] and changes[cid]["after"] == example["after"]
    # the deadline moves from the 15th working day to the 15th calendar day after receipt
    assert changes[cid]["moved_deadlines"]["decision"] == {"before": "2021-10-27", "after": "2021-10-15"}
    # the first receipt judged by Order No. 3 whose handling point 九 would have allowed, likewise
    boundary = next(
        c
        for c, e in MANIFEST["complaints"].items()
        if e["received"].startswith("2020-03-02") and e["variant"] == "wd_ok_calendar_late"
    )
    assert changes[boundary]["kind"] == "new_breach"


def test_policies_diff_of_the_2012_notice_and_order_no_3_exits_1():
    result = cli("modules", "diff", M2012, MO3)
    assert result.exit_code == 1, result.output
