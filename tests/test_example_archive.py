"""The bundled example archive: reproducible from its script, and judged as its manifest says.

The manifest's expected codes come from the generator's own, independent reading of points
七–十 on python-holidays directly; the audit runs cppolicy's calendar, clocks and durable_rules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from cppolicy.cli import get_app

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "examples" / "archive-2024-2025.jsonl.gz"
MANIFEST = json.loads((ROOT / "examples" / "archive-2024-2025.scenarios.json").read_text())


def test_generator_reproduces_the_committed_archive_byte_for_byte(tmp_path):
    out = tmp_path / "archive.jsonl.gz"
    subprocess.run([sys.executable, str(ROOT / "examples" / "generate_archive.py"), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == ARCHIVE.read_bytes()
    assert json.loads(out.with_name("archive.scenarios.json").read_text())["complaints"] == MANIFEST["complaints"]


def test_audit_of_example_archive_matches_every_complaint_in_the_manifest():
    result = CliRunner().invoke(get_app(), ["audit", str(ARCHIVE), "--as-of", MANIFEST["as_of"], "--format", "json"])
    assert result.exit_code == 1  # the archive holds every kind of breach
    doc = json.loads(result.stdout)
    got: dict[str, list[str]] = {}
    for finding in doc["findings"]:
        assert finding["severity"] in ("violation", "warning"), finding
        got.setdefault(finding["complaint_id"], []).append(finding["code"])
    mismatches = {
        cid: (sorted(c["expected_codes"]), sorted(got.get(cid, [])))
        for cid, c in MANIFEST["complaints"].items()
        if sorted(c["expected_codes"]) != sorted(got.get(cid, []))
    }
    assert not mismatches
    counts = doc["counts"]
    assert counts["lines"] == counts["accepted"] == counts["complaint_events"] + counts["institution_events"]
    assert counts["complaints"] == len(MANIFEST["complaints"]) == 300
    # every code of the module that the archive is meant to show does appear
    shown = Counter(code for codes in got.values() for code in codes)
    assert len(shown) == 18
