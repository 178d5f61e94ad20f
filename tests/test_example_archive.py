"""The bundled example archive: reproducible from its script, and judged as its manifest says.

The manifest's expected codes come from the generator's own, independent reading of points
七–十 (per complaint) and 十五–十六 (archive scope) on python-holidays directly; the audit runs
cppolicy's calendar, clocks, archive-scope generators and durable_rules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cppolicy.audit import evaluate_archive, read_archive
from cppolicy.calendar import SHANGHAI
from cppolicy.cli import get_app
from cppolicy.rule_module import bundled_module_paths, load_module

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "examples" / "archive-2024-2025.jsonl.gz"
MANIFEST = json.loads((ROOT / "examples" / "archive-2024-2025.scenarios.json").read_text())
ARCHIVE_CODES = {
    "CBRC2012.P15.LARGE_SCALE_NOT_REPORTED", "CBRC2012.P15.LARGE_SCALE_REPORTED_LATE",
    "CBRC2012.P16.REPORT_MISSING", "CBRC2012.P16.REPORT_LATE",
    "CBRC2012.P16.RULE_CHANGES_NOT_REFLECTED", "CBRC2012.P16.CHANNEL_CHANGES_NOT_REFLECTED",
    "CBRC2012.P16.CONTACT_CHANGE_NOT_REPORTED", "CBRC2012.P16.CONTACT_CHANGE_REPORTED_LATE",
}


def test_generator_reproduces_the_committed_archive_byte_for_byte(tmp_path):
    out = tmp_path / "archive.jsonl.gz"
    subprocess.run([sys.executable, str(ROOT / "examples" / "generate_archive.py"), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == ARCHIVE.read_bytes()
    regenerated = json.loads(out.with_name("archive.scenarios.json").read_text())
    for key in ("complaints", "archive_expected", "archive_clusters"):
        assert regenerated[key] == MANIFEST[key], key


@pytest.fixture(scope="module")
def audit_doc() -> dict:
    result = CliRunner().invoke(get_app(), ["audit", str(ARCHIVE), "--as-of", MANIFEST["as_of"],
                                            "--format", "json"])
    assert result.exit_code == 1  # the archive holds every kind of breach
    return json.loads(result.stdout)


def test_audit_of_example_archive_matches_every_complaint_in_the_manifest(audit_doc):
    got: dict[str, list[str]] = {}
    for finding in audit_doc["findings"]:
        assert finding["severity"] in ("violation", "warning"), finding
        if finding["complaint_id"] is not None:
            got.setdefault(finding["complaint_id"], []).append(finding["code"])
    mismatches = {
        cid: (sorted(c["expected_codes"]), sorted(got.get(cid, [])))
        for cid, c in MANIFEST["complaints"].items()
        if sorted(c["expected_codes"]) != sorted(got.get(cid, []))
    }
    assert not mismatches
    assert set(got) <= set(MANIFEST["complaints"])
    counts = audit_doc["counts"]
    assert counts["lines"] == counts["accepted"] == counts["complaint_events"] + counts["institution_events"]
    assert counts["complaints"] == len(MANIFEST["complaints"]) == 310
    # every per-complaint code of the module that the archive is meant to show does appear
    shown = Counter(code for codes in got.values() for code in codes)
    assert len(shown) == 18


def _cluster_number_dropped(evidence: list[str]) -> tuple[str, ...]:
    """Cluster ids ``large_scale:<kind>:<institution>:<n>`` without ``:<n>`` (the module's running
    number); the members are compared through ``archive_clusters`` instead."""
    return tuple(e.rsplit(":", 1)[0] if e.startswith("large_scale:") else e for e in evidence)


def test_audit_of_example_archive_matches_the_archive_scope_expectations(audit_doc):
    got = sorted(
        (f["code"], f["institution_id"], _cluster_number_dropped(f["evidence"]), f["due"], f["observed"])
        for f in audit_doc["findings"] if f["complaint_id"] is None
    )
    expected = sorted(
        (f["code"], f["institution_id"], _cluster_number_dropped(f["evidence"]), f["due"], f["observed"])
        for f in MANIFEST["archive_expected"]
    )
    assert got == expected
    # every archive-scope rule of the module is exercised, each exactly once
    assert Counter(f["code"] for f in MANIFEST["archive_expected"]) == Counter(ARCHIVE_CODES)


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, SHANGHAI).isoformat()


def test_clusters_of_example_archive_match_the_manifest(calendar):
    """Every large-scale cluster cppolicy detects (reported or not): kind, place, members, detection,
    due and report time, as the generator's own detection lists them in ``archive_clusters``."""
    modules = [load_module(p) for p in bundled_module_paths()]
    report = evaluate_archive(read_archive([str(ARCHIVE)]), modules, calendar,
                              datetime.fromisoformat(MANIFEST["as_of"]))
    facts = [f for r in report.archive_results for f in r.facts if f.get("f") == "cluster"]

    def key(kind, institution, ids, detected, due, reported):
        return kind, institution, tuple(sorted(ids)), detected, due, reported

    got = sorted(key(f["kind"], f["institution"], f["complaint_ids"].split(","), _iso(f["detected_t"]),
                     _iso(f["due"]), _iso(f.get("met_t"))) for f in facts)
    expected = sorted(key(c["kind"], c["institution_id"], c["complaint_ids"], c["detected"], c["due"],
                          c["reported"]) for c in MANIFEST["archive_clusters"])
    assert got == expected
    # the cluster findings name the members the manifest gives them
    members = {f["id"]: set(f["complaint_ids"].split(",")) for f in facts}
    for finding in (f for r in report.archive_results for f in r.findings):
        for evidence in finding.evidence:
            if evidence.startswith("large_scale:"):
                listed = next(e for e in MANIFEST["archive_expected"]
                              if e["code"] == finding.code and e["institution_id"] == finding.institution_id)
                assert members[evidence] == set(listed["complaint_ids"])
