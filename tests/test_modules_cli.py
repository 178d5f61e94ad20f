"""`cppolicy modules` (formerly `cppolicy policies`): list, show, coverage, diff, test and validate rule modules.

Commands run in-process through CliRunner, except the runs of `policies test` that evaluate
cases: durable_rules 2.0.28 can segfault while evaluating (tests/test_engine_stability.py), so
those run the real entry point in a process of their own, where a crash fails one test with
its signal instead of killing the whole test run.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from cppolicy import authoring as tools
from cppolicy.authoring.cases import module_cases
from cppolicy.authoring.text import short_digest
from cppolicy.documents import load_yaml
from cppolicy.errors import RuleModuleError
from cppolicy.plugin import RegisteredModule
from cppolicy.reports import FORMATS
from cppolicy.rules import bundled_module_paths, load_module, resolve_folder, resolve_module
from tests.helpers import cli

FIXTURES = Path(__file__).parent / "fixtures" / "modules"
BASE = FIXTURES / "base" / "demo" / "1.0.0"
VARIANT = FIXTURES / "variant" / "demo" / "1.1.0"
BUNDLED = next(p for p in bundled_module_paths() if p.parent.name == "cbrc-2012-13" and p.name == "1.0.0")
MODULE = load_module(BUNDLED)
POINTS = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九".split()


def run(*args: str):
    return cli("modules", *args)


def run_own_process(*args: str):
    """``python -m cppolicy modules ARGS`` in a child process (see the module docstring)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "cppolicy", "modules", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
    )
    assert proc.returncode >= 0, (
        f"cppolicy modules {' '.join(args)} was killed by signal {-proc.returncode} "
        f"(SIGSEGV = the durable_rules crash of tests/test_engine_stability.py)\n{proc.stderr[-2000:]}"
    )
    return SimpleNamespace(exit_code=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cppolicy: error: "), lines[0]
    return lines[0]


def markdown_cells(line: str) -> list[str]:
    """Cells of a Markdown table row; an escaped pipe stays inside its cell."""
    assert line.startswith("|") and line.endswith("|"), line
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])]


def markdown_tables(text: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(markdown_cells(line))
        elif current:
            tables.append(current)
            current = []
    return tables


def assert_well_formed(table: list[list[str]]) -> None:
    header, separator, *rows = table
    assert all(cell == "---" for cell in separator) and len(separator) == len(header)
    assert rows, "a table with no rows"
    for row in rows:
        assert len(row) == len(header), row


def write_module(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (folder / "module.yaml").write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- numerals


@pytest.mark.parametrize(
    ("label", "number"),
    [
        ("一", 1),
        ("九", 9),
        ("十", 10),
        ("十一", 11),
        ("十九", 19),
        ("二十", 20),
        ("二十一", 21),
        ("一百", 100),
        ("一百零五", 105),
        ("一百一十", 110),
        ("两百", 200),
        ("第四十五条", 45),
        ("第十九點", 19),
        ("45", 45),
        ("第3条", 3),
        ("七", 7),
    ],
)
def test_parse_numeral(label, number):
    assert tools.parse_numeral(label) == number


@pytest.mark.parametrize("label", ["", "abc", "十百", "二三", "九A", "preamble"])
def test_parse_numeral_rejects_what_is_not_a_number(label):
    assert tools.parse_numeral(label) is None


def test_labels_sort_in_the_instruments_order():
    assert sorted(["十", "二", "十九", "一", "十一", "九", "二十"], key=tools.coverage_sort_key) == [
        "一",
        "二",
        "九",
        "十",
        "十一",
        "十九",
        "二十",
    ]
    assert sorted(["10", "9", "2", "45"], key=tools.coverage_sort_key) == ["2", "9", "10", "45"]
    assert sorted(["附则", "三", "一"], key=tools.coverage_sort_key) == ["一", "三", "附则"]


# --------------------------------------------------------------------------- list


def test_list_shows_the_bundled_module():
    result = run("list")
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("cbrc-2012-13 "))
    for text in (
        "1.0.0",
        "银监发〔2012〕13号",
        "2012-04-03",
        "open",
        short_digest(MODULE.digest),
        "cppolicy.builtin.policies",
        str(len(MODULE.rules)),
        str(len(module_cases(MODULE))),
    ):
        assert text in row, text


def test_list_json():
    result = run("list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    row = next(r for r in json.loads(result.stdout) if r["id"] == "cbrc-2012-13")
    assert row["version"] == "1.0.0" and row["instrument"] == "银监发〔2012〕13号"
    assert row["effective_from"] == "2012-04-03" and row["effective_to"] is None
    assert row["digest"] == MODULE.digest and row["plugin"] == "cppolicy.builtin.policies"
    assert row["rules"] == len(MODULE.rules) and row["cases"] == len(module_cases(MODULE))
    assert row["error"] is None


def test_list_keeps_a_module_that_does_not_load_as_a_row_with_its_error():
    rows = tools.list_modules(
        [
            RegisteredModule(BASE, "demo-plugin"),
            RegisteredModule(FIXTURES / "duplicate_rule_id", "bad-plugin"),
        ]
    )
    assert [r["error"] is None for r in rows] == [True, False]
    assert rows[0]["cases"] == 2 and rows[1]["plugin"] == "bad-plugin"
    assert "duplicate rule id" in rows[1]["error"]
    assert "(does not load)" in render("modules.list", "table", rows)


def render(subject: str, fmt: str, result) -> str:
    out = io.StringIO()
    FORMATS.render(subject, fmt, result, out)
    return out.getvalue()


def test_an_unknown_format_is_a_usage_error():
    result = run("list", "--format", "xml")
    assert result.exit_code == 2


# --------------------------------------------------------------------------- show


def test_show_text():
    result = run("show", "cbrc-2012-13@1.0.0")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("cbrc-2012-13@1.0.0 — 银监发〔2012〕13号\n")
    assert f"digest: {MODULE.digest}" in out
    assert "effective: 2012-04-03 – open (by receipt date)" in out
    assert "  decision_limit — Time limit for handling a complaint" in out
    assert (
        "    from 2012-04-03: 15 working days\n      reference: point 九: 处理时限原则上不得超过十五个工作日"
        in out
    )
    assert "  decision — 处理时限 / handling time limit (point 九)" in out
    assert "    period: decision_limit = 15 working days" in out
    assert (
        "    extension: by extended: up to extension_cap = 60 working days if notified, reason, before_expiry"
    ) in out
    assert "    applies if: forwarded_by.regulator in forwarding_regulators = [CBRC, CBIRC, NFRA]" in out
    assert "  CBRC2012.P9.DECISION_LATE  [violation]  p9-decision-late" in out
    assert "    point 九: 处理时限原则上不得超过十五个工作日。" in out
    assert "    zh: 处理决定晚于处理时限作出。" in out
    assert "    en: The complaint was decided after its handling time limit." in out
    assert "    clocks: decision" in out
    assert f"Rules ({len(MODULE.rules)})" in out


def test_show_json():
    result = run("show", "cbrc-2012-13@1.0.0", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["ref"] == "cbrc-2012-13@1.0.0" and doc["digest"] == MODULE.digest
    assert doc["instrument"]["number"] == "银监发〔2012〕13号"
    limit = next(p for p in doc["parameters"] if p["name"] == "decision_limit")
    assert limit["values"] == [
        {
            "from": "2012-04-03",
            "value": {"value": 15, "unit": "working_day"},
            "reference": "point 九: 处理时限原则上不得超过十五个工作日",
        }
    ]
    decision = next(c for c in doc["clocks"] if c["name"] == "decision")
    assert decision["start_event"] == "received" and decision["met_by"] == "decided"
    fifteen = {"value": 15, "unit": "working_day"}
    assert decision["period"] == {
        "param": "decision_limit",
        "values": [{"from": "2012-04-03", "value": fifteen}],
    }
    [tier] = decision["extension"]["tiers"]
    assert tier["up_to"]["values"][0]["value"] == {"value": 60, "unit": "working_day"}
    assert tier["requires"] == ["notified", "reason", "before_expiry"]
    report_back = next(c for c in doc["clocks"] if c["name"] == "report_back")
    assert report_back["applies_if"]["field"] == "forwarded_by.regulator"
    assert [r["id"] for r in doc["rules"]] == [r.id for r in MODULE.rules]
    late = next(r for r in doc["rules"] if r["id"] == "p9-decision-late")
    assert late["citation"]["point"] == "九" and late["message"]["zh"] == "处理决定晚于处理时限作出。"
    assert late["clocks"] == ["decision"]


def test_show_markdown():
    result = run("show", str(BUNDLED), "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("# 银监发〔2012〕13号 — `cbrc-2012-13@1.0.0`")
    for heading in ("## Parameters", "## Clocks", "## Rules", "## Coverage"):
        assert f"\n{heading}\n" in out
    tables = markdown_tables(out)
    for table in tables:
        assert_well_formed(table)
    rules = next(t for t in tables if t[0][0] == "Code")
    assert len(rules) - 2 == len(MODULE.rules)
    late = next(row for row in rules[2:] if row[0] == "`CBRC2012.P9.DECISION_LATE`")
    assert late[1:4] == ["violation", "complaint", "point 九"]
    assert late[4] == next(r.citation["text"] for r in MODULE.rules if r.id == "p9-decision-late")


def test_show_an_unknown_module_is_one_line_and_exit_2():
    result = run("show", "no-such-module")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "no rule module 'no-such-module' (known: " in line
    assert "cbrc-2012-13@1.0.0" in line.partition("(known: ")[2]  # among every bundled module
    assert result.stdout == ""


# --------------------------------------------------------------------------- coverage


def test_coverage_lists_the_19_points_in_order_with_their_status():
    result = run("coverage", "cbrc-2012-13@1.0.0", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [e["label"] for e in report["entries"]] == POINTS
    assert [e["number"] for e in report["entries"]] == list(range(1, 20))
    status = {e["label"]: e["status"] for e in report["entries"]}
    assert [status[p] for p in ("七", "八", "九", "十")] == ["encoded"] * 4
    assert [status[p] for p in ("十七", "十八", "十九")] == ["not_machine_checkable"] * 3
    nine = next(e for e in report["entries"] if e["label"] == "九")
    assert {"id": "p9-decision-late", "code": "CBRC2012.P9.DECISION_LATE"} in nine["rules"]
    assert report["total"] == 19 and sum(report["counts"].values()) == 19
    assert list(report["counts"]) == ["encoded", "institution_data", "planned", "not_machine_checkable"]
    assert report["unit"] == "point"


def test_coverage_table_is_in_order_with_a_summary():
    result = run("coverage", "cbrc-2012-13@1.0.0")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "cbrc-2012-13@1.0.0 — 银监发〔2012〕13号"
    assert lines[1].split() == ["POINT", "STATUS", "RULES", "NOTE"]
    labels = [line.split()[0] for line in lines[3:-1] if line[:1].strip()]
    assert labels == POINTS
    row = next(line for line in lines if line.startswith("九 "))
    assert "encoded" in row and "p9-decision-late  CBRC2012.P9.DECISION_LATE" in row
    assert next(line for line in lines if line.startswith("十七 ")).split()[1] == "not_machine_checkable"
    counts = tools.coverage_report(MODULE)["counts"]
    assert lines[-1] == "19 points: " + ", ".join(f"{n} {s}" for s, n in counts.items())


def test_coverage_markdown_is_a_well_formed_table():
    result = run("coverage", "cbrc-2012-13@1.0.0", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    (table,) = markdown_tables(result.stdout)
    assert_well_formed(table)
    assert table[0] == ["Point", "Status", "Rules", "Note"]
    assert [row[0] for row in table[2:]] == POINTS
    row = {r[0]: r for r in table[2:]}
    assert row["九"][1] == "`encoded`" and "`p9-decision-late` (CBRC2012.P9.DECISION_LATE)" in row["九"][2]
    assert row["十八"][1] == "`not_machine_checkable`"
    assert row["十八"][3] == "Binds the regulator, not the institution."
    assert "**Summary:** 19 points: " in result.stdout


def test_coverage_of_articles_with_arabic_numbers(tmp_path):
    data = load_yaml(BASE / "module.yaml")
    data["coverage"] = {
        "10": {"status": "planned"},
        "2": {"status": "planned"},
        "3": {"status": "encoded", "rules": ["decision-late", "decision-overdue"]},
    }
    for rule in data["rules"]:
        rule["citation"]["article"] = "3"
    report = tools.coverage_report(resolve_module(write_module(tmp_path / "demo" / "1.0.0", data)))
    assert [e["label"] for e in report["entries"]] == ["2", "3", "10"]
    assert report["unit"] == "article"
    assert (
        tools.coverage_summary(report)
        == "3 articles: 1 encoded, 0 institution_data, 2 planned, 0 not_machine_checkable"
    )


# --------------------------------------------------------------------------- diff


def test_diff_of_identical_modules_is_exit_0():
    result = run("diff", "cbrc-2012-13@1.0.0", str(BUNDLED))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("identical: cbrc-2012-13@1.0.0")
    result = run("diff", "cbrc-2012-13@1.0.0", str(BUNDLED), "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["identical"] is True


def _changed_2012_module(tmp_path: Path) -> Path:
    """A temp copy of the 2012 module with a 10-working-day limit, p10-report-wrong-office
    removed, a rule added and a citation text changed."""
    data = copy.deepcopy(MODULE.data)
    data["version"] = "1.0.1"
    limit = data["parameters"]["decision_limit"]["values"]["2012-04-03"]
    limit["value"] = {"value": 10, "unit": "working_day"}
    data["rules"] = [r for r in data["rules"] if r["id"] != "p10-report-wrong-office"]
    data["coverage"]["十"]["rules"].remove("p10-report-wrong-office")
    added = copy.deepcopy(next(r for r in data["rules"] if r["id"] == "p9-decision-late"))
    added.update(id="p9-decision-very-late", code="CBRC2012.P9.DECISION_VERY_LATE", severity="warning")
    data["rules"].append(added)
    overdue = next(r for r in data["rules"] if r["id"] == "p9-decision-overdue")
    overdue["citation"]["text"] = "处理时限原则上不得超过十个工作日。"
    return write_module(tmp_path / "cbrc-2012-13" / "1.0.1", data)


def test_diff_detects_parameter_rule_and_citation_changes(tmp_path):
    changed = _changed_2012_module(tmp_path)
    result = run("diff", "cbrc-2012-13@1.0.0", str(changed))
    assert result.exit_code == 1, result.stdout + result.stderr
    out = result.stdout
    assert '  ~ version: "1.0.0" → "1.0.1"' in out
    assert "  ~ decision_limit from 2012-04-03: 15 working days → 10 working days" in out
    assert "      reference: point 九: 处理时限原则上不得超过十五个工作日" in out
    assert "  - p10-report-wrong-office (CBRC2012.P10.REPORT_WRONG_OFFICE)" in out
    assert "  + p9-decision-very-late (CBRC2012.P9.DECISION_VERY_LATE, warning) point 九: " in out
    assert (
        "  ~ p9-decision-overdue (CBRC2012.P9.DECISION_OVERDUE)\n"
        '      ~ citation.text: "处理时限原则上不得超过十五个工作日。" → "处理时限原则上不得超过十个工作日。"'
        in out
    )
    assert "  ~ 十\n      ~ rules: " in out
    assert out.splitlines()[-1].startswith("differ: ")

    doc = json.loads(run("diff", "cbrc-2012-13@1.0.0", str(changed), "--format", "json").stdout)
    assert doc["identical"] is False
    (param,) = doc["parameters"]["changed"]
    assert param["name"] == "decision_limit"
    assert param["values"] == [
        {
            "from": "2012-04-03",
            "change": "changed",
            "a": {
                "value": {"value": 15, "unit": "working_day"},
                "reference": "point 九: 处理时限原则上不得超过十五个工作日",
            },
            "b": {
                "value": {"value": 10, "unit": "working_day"},
                "reference": "point 九: 处理时限原则上不得超过十五个工作日",
            },
        }
    ]
    assert doc["rules"]["removed"] == [
        {"id": "p10-report-wrong-office", "code": "CBRC2012.P10.REPORT_WRONG_OFFICE"}
    ]
    assert [r["id"] for r in doc["rules"]["added"]] == ["p9-decision-very-late"]
    (overdue,) = doc["rules"]["changed"]
    assert overdue["id"] == "p9-decision-overdue"
    assert overdue["changes"] == [
        {
            "field": "citation.text",
            "a": "处理时限原则上不得超过十五个工作日。",
            "b": "处理时限原则上不得超过十个工作日。",
            "change": "changed",
        }
    ]
    assert [c["name"] for c in doc["coverage"]["changed"]] == ["十"]
    assert doc["clocks"] == {"added": [], "removed": [], "changed": []}


def test_diff_of_small_variant_modules():
    result = run("diff", str(BASE), str(VARIANT), "--format", "json")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    assert {c["field"]: (c["a"], c["b"]) for c in doc["metadata"]} == {
        "version": ("1.0.0", "1.1.0"),
        "effective_to": (None, "2026-12-31"),
    }
    params = doc["parameters"]
    assert [p["name"] for p in params["added"]] == ["ack_limit"]
    (limit,) = params["changed"]
    assert limit["values"] == [
        {
            "from": "2025-01-01",
            "change": "added",
            "a": None,
            "b": {
                "value": {"value": 10, "unit": "working_day"},
                "reference": "第三条 (2024 revision): 處理時限不得超過十個工作日",
            },
        }
    ]
    assert [c["name"] for c in doc["clocks"]["added"]] == ["acknowledgement"]
    assert doc["clocks"]["changed"] == [
        {
            "name": "decision",
            "changes": [
                {
                    "field": "description.en",
                    "a": "handling time limit",
                    "b": "time limit for deciding the complaint",
                    "change": "changed",
                }
            ],
        }
    ]
    assert [r["id"] for r in doc["rules"]["added"]] == ["ack-late"]
    assert [r["id"] for r in doc["rules"]["removed"]] == ["decision-overdue"]
    assert [(r["id"], [c["field"] for c in r["changes"]]) for r in doc["rules"]["changed"]] == [
        ("decision-late", ["citation.text"])
    ]
    assert [c["name"] for c in doc["coverage"]["added"]] == ["四"]
    assert [c["name"] for c in doc["coverage"]["changed"]] == ["二", "三"]

    text = run("diff", str(BASE), str(VARIANT)).stdout
    assert "  + decision_limit from 2025-01-01: 10 working days  (reference: 第三条 (2024 revision)" in text
    assert "  + acknowledgement: start received, period ack_limit, met by acknowledged" in text
    assert "  + 四: not_machine_checkable — Binds the regulator." in text
    assert '      ~ status: "planned" → "encoded"' in text
    assert '  ~ effective_to: null → "2026-12-31"' in text


def test_diff_reports_a_changed_condition_and_a_reordering(tmp_path):
    data = load_yaml(BASE / "module.yaml")
    data["rules"].reverse()
    reordered = write_module(tmp_path / "a" / "demo" / "1.0.0", data)
    result = run("diff", str(BASE), str(reordered))
    assert result.exit_code == 1
    assert "  ~ order of the rules changed" in result.stdout

    data = load_yaml(BASE / "module.yaml")
    data["rules"][0]["when"]["all"][0]["e"]["$and"][3] = {"$gt": {"t": {"$m": "decision_due"}}}
    condition = write_module(tmp_path / "b" / "demo" / "1.0.0", data)
    doc = json.loads(run("diff", str(BASE), str(condition), "--format", "json").stdout)
    (change,) = doc["rules"]["changed"][0]["changes"]
    assert change["field"] == "when.e" and change["b"]["$and"][3] == {"$gt": {"t": {"$m": "decision_due"}}}


def test_diff_with_a_bad_module_is_exit_2():
    result = run("diff", str(BASE), str(FIXTURES / "duplicate_rule_id"))
    assert result.exit_code == 2
    assert str(FIXTURES / "duplicate_rule_id" / "module.yaml") in one_error_line(result)


# --------------------------------------------------------------------------- test


def test_test_runs_the_bundled_cases(tmp_path):
    junit = tmp_path / "junit.xml"
    result = run_own_process("test", "cbrc-2012-13@1.0.0", "--junit", str(junit))
    assert result.exit_code == 0, result.stdout + result.stderr
    cases = module_cases(MODULE)
    lines = result.stdout.splitlines()
    assert sum(line.startswith("PASS ") for line in lines) == len(cases)
    assert not any(line.startswith("FAIL ") for line in lines)
    assert f"PASS {cases[0].id}: {cases[0].name}" in lines
    assert lines[-1] == f"{len(cases)} cases in 1 module: {len(cases)} passed, 0 failed"
    root = ET.parse(junit).getroot()
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "cbrc-2012-13@1.0.0"
    assert (suite.get("tests"), suite.get("failures")) == (str(len(cases)), "0")
    assert [tc.get("name") for tc in suite.findall("testcase")] == [c.name for c in cases]
    assert not root.findall(".//failure")


# Receipt Monday 2019-03-04: point 九 judges complaints received up to 2020-02-29 (from
# 2020-03-01 Order 2020 No. 3 prevails); the 15th working day after it is Monday 2019-03-25.
FAILING_CASES = """\
institution: {id: BR-SH, level: branch, parent: HO-001}
cases:
  - name: A complaint decided on the 15th working day meets point 九
    as_of: "2019-06-30"
    events:
      - {type: received, time: "2019-03-04T10:00:00+08:00", data: {channel: phone, product: credit_card, issue: fees}}
      - {type: acknowledged, time: "2019-03-04T11:00:00+08:00",
         data: {channel: sms, states_acceptance: true, states_time_limit: true, states_contact: true}}
      - {type: decided, time: "2019-03-25T18:00:00+08:00", data: {outcome: upheld, product_problem_found: false}}
      - {type: result_notified, time: "2019-03-25T19:00:00+08:00", data: {channel: sms}}
    expect: {codes: [], status: compliant}
  - name: A wrong expectation - a late decision is expected to be compliant
    as_of: "2019-06-30"
    events:
      - {type: received, time: "2019-03-04T10:00:00+08:00", data: {channel: phone, product: credit_card, issue: fees}}
      - {type: acknowledged, time: "2019-03-04T11:00:00+08:00",
         data: {channel: sms, states_acceptance: true, states_time_limit: true, states_contact: true}}
      - {type: decided, time: "2019-03-26T09:00:00+08:00", data: {outcome: upheld, product_problem_found: false}}
      - {type: result_notified, time: "2019-03-26T10:00:00+08:00", data: {channel: sms}}
    expect: {codes: [], status: compliant}
  - name: A wrong expectation - the decision clock is expected to end on 2019-03-22
    as_of: "2019-06-30"
    events:
      - {type: received, time: "2019-03-04T10:00:00+08:00", data: {channel: phone, product: credit_card, issue: fees}}
    expect:
      clocks: {decision: {due_date: "2019-03-22"}}
"""


def test_a_failing_case_file_is_exit_1_with_a_junit_report(tmp_path):
    folder = tmp_path / "cbrc-2012-13" / "1.0.0"
    (folder / "cases").mkdir(parents=True)
    shutil.copy(BUNDLED / "module.yaml", folder / "module.yaml")
    (folder / "cases" / "failing.yaml").write_text(FAILING_CASES, encoding="utf-8")
    junit = tmp_path / "report.xml"
    result = run_own_process("test", str(folder), "--junit", str(junit))
    assert result.exit_code == 1, result.stdout + result.stderr
    out = result.stdout
    assert "PASS failing[0]: A complaint decided on the 15th working day meets point 九" in out
    assert (
        "FAIL failing[1]: A wrong expectation - a late decision is expected to be compliant\n"
        "    codes: expected [], got ['CBRC2012.P9.DECISION_LATE']" in out
    )
    assert (
        "FAIL failing[2]: A wrong expectation - the decision clock is expected to end on 2019-03-22\n"
        "    clock decision.due_date: expected 2019-03-22, got 2019-03-25" in out
    )
    assert out.splitlines()[-1] == "3 cases in 1 module: 1 passed, 2 failed"

    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    failures = {tc.get("name"): tc.find("failure") for tc in suite.findall("testcase")}
    assert failures["A complaint decided on the 15th working day meets point 九"] is None
    late = failures["A wrong expectation - a late decision is expected to be compliant"]
    assert "codes: expected [], got ['CBRC2012.P9.DECISION_LATE']" in late.get("message")
    assert "status: expected compliant, got violation" in late.get("message")
    assert len(root.findall(".//failure")) == 2

    doc = json.loads(run_own_process("test", str(folder), "--format", "json").stdout)
    assert (doc["total"], doc["failed"]) == (3, 2)


def test_test_of_a_module_without_cases_passes_with_a_warning(tmp_path):
    folder = tmp_path / "demo" / "1.0.0"
    folder.mkdir(parents=True)
    shutil.copy(BASE / "module.yaml", folder / "module.yaml")
    result = run("test", str(folder))
    assert result.exit_code == 0
    assert "demo@1.0.0 has no golden cases" in result.stderr


def test_test_cannot_write_the_junit_report_is_exit_2(tmp_path):
    folder = tmp_path / "demo" / "1.0.0"
    folder.mkdir(parents=True)
    shutil.copy(BASE / "module.yaml", folder / "module.yaml")  # no cases: nothing to evaluate
    result = run("test", str(folder), "--junit", str(tmp_path / "missing" / "dir" / "r.xml"))
    assert result.exit_code == 2
    assert "--junit" in one_error_line(result)


# --------------------------------------------------------------------------- validate


def test_validate_the_bundled_module():
    result = run("validate", str(BUNDLED))
    assert result.exit_code == 0, result.stderr
    cases = module_cases(MODULE)
    counts = f"{len(MODULE.rules)} rules, {len(cases)} cases"
    assert result.stdout == f"ok: cbrc-2012-13@1.0.0 ({counts}, {MODULE.digest})\n"
    assert result.stderr == ""


def test_validate_the_fixture_module_and_warn_about_its_folder_name(tmp_path):
    result = run("validate", str(BASE))
    assert result.exit_code == 0 and result.stdout.startswith("ok: demo@1.0.0 (2 rules, 2 cases, sha256:")
    copy_ = tmp_path / "elsewhere"
    shutil.copytree(BASE, copy_)
    result = run("validate", str(copy_))
    assert result.exit_code == 0
    assert "folder is not named demo/1.0.0" in result.stderr


BAD = [
    ("duplicate_rule_id", "module.yaml", "$.rules[1] (decision-late): duplicate rule id"),
    ("unknown_param_in_clock", "module.yaml", "$.clocks.decision.period: unknown parameter 'decision_limt'"),
    ("unknown_param_in_applies_if", "module.yaml", "$.clocks.decision.applies_if.in: unknown parameter"),
    ("bad_date", "module.yaml", "$.parameters.decision_limit.values: '2024-02-30' is not a calendar date"),
    ("missing_citation_text", "module.yaml", "$.rules[1].citation: 'text' is a required property"),
    ("duplicate_yaml_key", "module.yaml", "invalid YAML: duplicate key 'severity'"),
    ("python_tag", "module.yaml", "could not determine a constructor for the tag 'tag:yaml.org,2002:python/"),
    ("unknown_macro_param", "module.yaml", "$param names unknown parameter 'no_such_parameter'"),
    ("bad_case_event", "cases/broken.yaml", "$.cases[0].events[1].time: "),
]


@pytest.mark.parametrize("command", ["validate", "test"])
@pytest.mark.parametrize(("name", "file", "problem"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_module_is_one_error_line_naming_the_file_and_exit_2(command, name, file, problem):
    result = run(command, str(FIXTURES / name))
    assert result.exit_code == 2, result.stdout + result.stderr
    if command == "validate":  # validate reports every problem, one line each; the first is this one
        lines = result.stderr.strip().splitlines()
        assert all(line.startswith(f"cppolicy: error: {FIXTURES / name / file}") for line in lines), lines
        line = lines[0]
    else:
        line = one_error_line(result)
    assert line.startswith(f"cppolicy: error: {FIXTURES / name / file}"), line
    assert problem in line
    assert result.stdout == ""


def test_a_python_tag_is_rejected_and_runs_no_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def forbidden(*args, **kwargs):  # pragma: no cover - reached only if the tag were constructed
        raise AssertionError("os.system was called while loading a rule module")

    monkeypatch.setattr(os, "system", forbidden)
    result = run("validate", str(FIXTURES / "python_tag"))
    assert result.exit_code == 2
    assert "python/object/apply:os.system" in one_error_line(result)
    assert not (tmp_path / "python_tag_ran.txt").exists()


def test_validate_checks_every_path_and_reports_each(tmp_path):
    result = run("validate", str(BASE), str(FIXTURES / "bad_date"), str(VARIANT))
    assert result.exit_code == 2
    assert [line.split(" ")[1] for line in result.stdout.splitlines()] == ["demo@1.0.0", "demo@1.1.0"]
    assert "bad_date" in one_error_line(result)


def test_a_case_that_expects_an_unknown_code_is_a_case_file_error(tmp_path):
    folder = tmp_path / "demo" / "1.0.0"
    shutil.copytree(BASE, folder)
    path = folder / "cases" / "decision.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[DEMO.A3.DECISION_LATE]", "[DEMO.A3.DECISION_LAT]"), encoding="utf-8")
    result = run("validate", str(folder))
    assert result.exit_code == 2
    expected = f"{path}:17:15: $.cases[1].expect.codes[0]: 'DEMO.A3.DECISION_LAT' is not a code of demo@1.0.0"
    assert expected in one_error_line(result)


def test_a_case_without_expect_names_its_json_path(tmp_path):
    folder = tmp_path / "demo" / "1.0.0"
    shutil.copytree(BASE, folder)
    (folder / "cases" / "more.yaml").write_text(
        "cases:\n  - {name: x, as_of: '2025-01-01', events: []}\n", encoding="utf-8"
    )
    result = run("test", str(folder))
    assert result.exit_code == 2
    assert f"{folder / 'cases' / 'more.yaml'}:2:5: $.cases[0]: missing 'expect'" in one_error_line(result)


# --------------------------------------------------------------------------- resolution


def test_module_folder_resolves_id_and_version_among_known_folders():
    known = [BASE, VARIANT]
    assert resolve_folder("demo", known) == VARIANT
    assert resolve_folder("demo@1.0.0", known) == BASE
    assert resolve_folder(str(BASE), []) == BASE
    with pytest.raises(RuleModuleError, match=r"no rule module 'demo@9.9.9' \(known: demo@1.0.0, demo@1"):
        resolve_folder("demo@9.9.9", known)


def test_a_misspelt_expected_status_and_reversed_validity_are_errors(tmp_path):
    folder = tmp_path / "demo" / "1.0.0"
    shutil.copytree(BASE, folder)
    path = folder / "cases" / "decision.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "    expect:\n      codes: []\n", "    expect:\n      status: compliantt\n"
        ),
        encoding="utf-8",
    )
    result = run("validate", str(folder))
    assert f"{path}:9:7: $.cases[0].expect.status: 'compliantt' is not one of compliant, " in one_error_line(
        result
    )

    data = load_yaml(BASE / "module.yaml")
    data["effective_to"] = "2023-12-31"
    result = run("validate", str(write_module(tmp_path / "x" / "demo" / "1.0.0", data)))
    assert result.exit_code == 2
    assert "$.effective_to: 2023-12-31 is before effective_from 2024-01-01" in one_error_line(result)
