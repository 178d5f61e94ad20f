"""Issue 17, build 7: honest counts and labels.

Summaries count complaints and, separately, evaluations (complaint × rule module); the
half-yearly report's notes count what they say and its figures name the instrument and article
that judged them.
"""

from __future__ import annotations

import json

from tests.helpers import cli, compliant, event, write_jsonl

AS_OF = "2025-12-31T00:00:00+08:00"
#: what Order 2020 No. 3 Art. 19 asks a decision notice to say
DECISION = {
    "findings": "已核实",
    "basis_and_reasons": "合同约定",
    "remedies_offered": ["review", "mediation", "arbitration", "litigation"],
}


def _handled(complaint_id: str, received: str, decided: str) -> list[dict]:
    return [
        event(complaint_id, "received", f"{received}T10:00:00+08:00"),
        event(complaint_id, "acknowledged", f"{received}T11:00:00+08:00"),
        event(complaint_id, "decided", f"{decided}T10:00:00+08:00", **DECISION),
        event(complaint_id, "result_notified", f"{decided}T11:00:00+08:00"),
    ]


def _two_module_archive(tmp_path):
    """C-OK and C-LATE received in 2025, each judged by the 2012 notice and by Order 2020 No. 3
    (two evaluations each); C-LATE decided on the 22nd calendar day (Art. 18: 15 days), a breach
    of the Order only; C-OLD received in 2011, before any bundled module was in force."""
    events = (
        _handled("C-OK", "2025-03-03", "2025-03-04")
        + _handled("C-LATE", "2025-03-03", "2025-03-25")
        + compliant("C-OLD", "2011-03-07")
    )
    return write_jsonl(tmp_path / "archive.jsonl", events)


def test_summary_counts_complaints_not_module_evaluations_as_complaints(tmp_path):
    path = _two_module_archive(tmp_path)
    result = cli("audit", path, "--as-of", AS_OF, "-f", "json", "-m", "cbrc-2012-13", "-m", "cbirc-2020-3")
    assert result.exit_code == 1, result.output
    counts = json.loads(result.stdout)["counts"]
    complaints = {k: v for k, v in counts.items() if k.startswith("complaints_")}
    evaluations = {k: v for k, v in counts.items() if k.startswith("evaluations_")}
    # each complaint once, by its worst evaluation; the one no module judged is said so
    assert complaints == {"complaints_compliant": 1, "complaints_violation": 1, "complaints_not_judged": 1}
    assert sum(complaints.values()) == counts["complaints"] == 3
    assert evaluations == {"evaluations_compliant": 3, "evaluations_violation": 1}
    assert sum(evaluations.values()) == counts["evaluations"] == 4
    assert counts["skipped_no_module_in_force"] == 1

    table = cli("audit", path, "--as-of", AS_OF, "-m", "cbrc-2012-13", "-m", "cbirc-2020-3").stdout
    assert (
        "3 complaints by status (each by its worst evaluation): compliant 1, not_judged 1, violation 1"
        in table
    )
    assert "4 evaluations (complaint × rule module) by status: compliant 3, violation 1" in table

