"""Issue 17, build 7: honest counts and labels.

Summaries count complaints and, separately, evaluations (complaint × rule module); the
half-yearly report's notes count what they say and its figures name the instrument and article
that judged them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from cppolicy.rules import load_module
from tests.helpers import cli, compliant, event, write_jsonl

ROOT = Path(__file__).resolve().parent.parent

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


def _report_csv(path, period: str, *modules: str) -> dict[tuple[str, str], str]:
    """``report semiannual`` as CSV, by (section, key) of its value column."""
    args = [a for m in modules for a in ("-m", m)]
    result = cli("report", "semiannual", path, "--period", period, "-f", "csv", *args)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    return {
        (section, key): value for section, dimension, key, value in rows[1:] if dimension in ("value", "")
    }


def test_semiannual_note_counts_complaints_not_skipped_module_rules(tmp_path):
    """The note "3 complaint(s) not evaluated" counted the modules whose archive-scope rules were
    skipped; each note now counts what it names."""
    path = write_jsonl(tmp_path / "a.jsonl", _handled("C-1", "2025-03-03", "2025-03-04"))
    report = cli("report", "semiannual", path, "--period", "2025H1").stdout
    assert "complaint(s) not evaluated" not in report
    assert "of 3 rule module(s) were not judged" in report
    values = _report_csv(path, "2025H1")
    assert values[("handling", "not_evaluated")] == "0"

    old = write_jsonl(tmp_path / "old.jsonl", compliant("C-OLD", "2011-03-07"))
    report = cli("report", "semiannual", old, "--period", "2011H1").stdout
    assert "| 1 complaint(s) not evaluated: no selected rule module was in force" in report
    assert _report_csv(old, "2011H1")[("handling", "not_evaluated")] == "1"


def test_semiannual_figures_name_the_provision_and_unit_that_judged_them(tmp_path):
    """Handling figures were all "point 九 … working days", also for complaints judged by Order
    2020 No. 3 Art. 18 (calendar days). Each is now labelled by the provision whose limit judged
    it and counted in its unit; the 2012 notice's clock no longer judges complaints received
    from 2020-03-01 even when its module is listed first."""
    events = _handled("C-FEB", "2020-02-21", "2020-02-25") + _handled("C-MAR", "2020-03-06", "2020-03-10")
    path = write_jsonl(tmp_path / "a.jsonl", events)  # Friday to Tuesday: 2 working days, 4 calendar days
    values = _report_csv(path, "2020H1", "cbrc-2012-13", "cbirc-2020-3")
    assert values[("handling", "judged_by|cbrc-2012-13|working_day")] == "1"
    assert values[("handling", "average_days|cbrc-2012-13|working_day")] == "2.0000"
    assert values[("handling", "judged_by|cbirc-2020-3|calendar_day")] == "1"
    assert values[("handling", "average_days|cbirc-2020-3|calendar_day")] == "4.0000"
    markdown = cli("report", "semiannual", path, "--period", "2020H1").stdout
    title = "Handling (银监发〔2012〕13号 point 九; 中国银行保险监督管理委员会令2020年第3号 第十八条)"
    assert f"## 办理情况 — {title}\n" in markdown
    assert "judged under 银监发〔2012〕13号 point 九 (working days) | 1 |" in markdown
    assert "judged under 中国银行保险监督管理委员会令2020年第3号 第十八条 (calendar days) | 1 |" in markdown
    assert "(point 九)" not in markdown and "60-working-day" not in markdown


#: every traditional character of the 2012 notice's quotations before they were converted (OpenCC
#: t2s changed each of them): none may come back
TRADITIONAL = (
    "並個備價償內別則動務協參員問單嚴執報場實將對導層崗強後從復應戶採揮損據數於時會業極構樹機檢權決況"
    "為熱營獨現環產當發監眾確積節簡糾約納級結給統經維網線總績聯聲職與處補規觀計訊訓記訪設訴評詢話認調識"
    "議護譽變負責費賠較轄轉辦進運過違適郵銀長門開關險隱雜難電項預頭題顯風體點"
)
NOTICE_2012 = ROOT / "docs" / "reference" / "cbrc-2012-13-notice.md"


def test_2012_notice_is_cited_in_simplified_characters_as_a_recorded_conversion():
    """The notice was cited in traditional characters with Taiwan phrasing (簡訊, 網路), as the
    seed page gave it; mainland auditors cite it in simplified characters."""
    module_dir = ROOT / "policies" / "cbrc-2012-13" / "1.0.0"
    texts = {
        path: path.read_text(encoding="utf-8")
        for path in [NOTICE_2012, module_dir / "module.yaml", *sorted((module_dir / "cases").glob("*.yaml"))]
    }
    for path, text in texts.items():
        left = sorted({c for c in text if c in TRADITIONAL})
        assert not left, f"{path}: traditional characters {''.join(left)}"
    # the 19 points, without the header that tells how they were converted
    reference = "\n".join(line for line in texts[NOTICE_2012].splitlines() if re.match(r"\| \d+ \|", line))
    assert len(reference.splitlines()) == 19
    for path, text in {**texts, NOTICE_2012: reference}.items():
        assert "简讯" not in text and "网路" not in text, path  # t2s keeps Taiwan phrases: fixed by hand
    assert "严格执行首问负责制" in reference and "建立健全金融消费者保护机制" in reference  # not tw2sp's
    module = load_module(module_dir)
    for rule in module.rules:
        quoted = re.sub(r" \(上述方式: [^)]*\)$", "", rule.citation["text"])  # the module's own gloss
        for part in filter(None, quoted.split("…")):
            assert part in reference, f"{rule.id}: {part!r} is not verbatim in {NOTICE_2012.name}"
    source, notes = module.data["instrument"]["source"], module.data["notes"]
    assert "secondary source" in source and "OpenCC" in source and "t2s" in source
    assert "converted from a secondary source in" in " ".join(notes.split())
