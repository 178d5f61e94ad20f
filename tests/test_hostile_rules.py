"""Hostile rule modules, calendar data and module names (issue 17, problems 4, 5, 9, 10): each is
refused when loaded, in one line naming the file and line:column, with exit 2 — never a rule
that silently never fires, a module swapped in from the working directory, a traceback, or a
run that exhausts time and memory."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from cppolicy.errors import CalendarError, RuleModuleError
from cppolicy.rules import load_module, resolve_module
from tests.helpers import cli, compliant, event, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "policies" / "cbrc-2012-13" / "1.0.0"
NEWEST = ROOT / "policies" / "cbrc-2012-13" / "1.1.0"  # what a bare id names: the highest version


@pytest.fixture
def module(tmp_path: Path) -> Path:
    """An editable copy of the 2012 notice's module folder, named like the registered one."""
    folder = tmp_path / "mods" / "cbrc-2012-13" / "1.0.0"
    shutil.copytree(BUNDLED, folder)
    return folder


def _edit(folder: Path, old: str, new: str, count: int = 1) -> None:
    path = folder / "module.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _error_lines(result) -> list[str]:
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("cppolicy: error: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines


def _line_of(folder: Path, needle: str) -> int:
    lines = (folder / "module.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def _overdue_archive(tmp_path: Path) -> Path:
    """One complaint received 2019-09-02 and never decided: overdue under point 九 by 2019-12-31."""
    events = [event("C1", "received", "2019-09-02T10:00:00+08:00")]
    return write_jsonl(tmp_path / "a.jsonl", events)


# -- problem 4: a misspelt field, an $or the engine refuses, every problem reported ---------------


def test_misspelt_condition_field_is_refused_with_line_column_and_did_you_mean(module):
    _edit(module, "{$gte: {t: {$m: decision_due}}}", "{$gte: {t: {$m: decison_due}}}")
    line = _line_of(module, "decison_due")
    result = cli("policies", "validate", module)
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    assert f"module.yaml:{line}:" in error
    assert "unknown field 'decison_due'" in error and "did you mean 'decision_due'?" in error
    with pytest.raises(RuleModuleError, match="decison_due"):  # and every other command refuses it
        load_module(module)


def test_misspelt_event_type_value_is_refused_with_line_column_and_did_you_mean(module):
    """`{type: decidd}` names a known field with an unknown event type: the rule would never fire."""
    _edit(
        module,
        "{f: event}, {type: decided}, {first: true}, {$gte",
        "{f: event}, {type: decidd}, {first: true}, {$gte",
    )
    _edit(
        module,
        "- a: {f: asof}",
        "- a: {$and: [{f: asof}]}\n        - x: {$and: [{f: event}, {$in: {type: [closed, withdrawm]}}]}",
    )
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    errors = _error_lines(result)
    line = _line_of(module, "decidd")
    assert any(
        f"module.yaml:{line}:" in e and "unknown event type 'decidd'" in e and "did you mean 'decided'?" in e
        for e in errors
    ), errors
    assert any("unknown event type 'withdrawm'" in e and "did you mean 'withdrawn'?" in e for e in errors)
    assert not any("'closed'" in e for e in errors)
    with pytest.raises(RuleModuleError, match="unknown event type"):
        load_module(module)


def test_misspelt_field_in_due_or_an_unknown_operator_is_refused(module):
    _edit(module, "due: e.decision_due", "due: e.decision_deu")
    _edit(module, "{$gte: {t: {$m: decision_due}}}", "{$gtee: {t: {$m: decision_due}}}")
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    errors = _error_lines(result)
    assert any("unknown field 'decision_deu'" in e and "did you mean 'decision_due'" in e for e in errors)
    assert any("unknown operator '$gtee'" in e and "did you mean '$gte'" in e for e in errors)


def test_misspelt_event_data_field_outside_the_rules_is_refused(module):
    """A clock's applies_if or an obligation's met_at_field naming no data field would start no
    clock or meet no obligation, silently."""
    _edit(module, "applies_if: {field: forwarded_by.regulator", "applies_if: {field: forwarded_by.regulatr")
    _edit(module, "met_at_field: reported_to_regulator_at", "met_at_field: reported_at")
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    errors = _error_lines(result)
    assert any(
        "'forwarded_by.regulatr'" in e and "did you mean 'forwarded_by.regulator'" in e for e in errors
    )
    assert any("'reported_at'" in e and "did you mean 'reported_to_regulator_at'" in e for e in errors)


def test_or_nested_20_deep_fails_validate_as_the_engine_refuses_it(module):
    condition = "{f: event}"
    for _ in range(20):
        condition = "{$or: [" + condition + ", {type: closed}]}"
    _edit(module, "- a: {f: asof}", "- a: {$and: [{f: asof}, " + condition + "]}")
    load_module(module)  # valid YAML, valid schema, known fields: only the engine refuses it
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    errors = _error_lines(result)
    assert any("durable_rules cannot build it" in e and "error code: 113" in e for e in errors), errors
    assert result.stdout == ""


def test_validate_reports_every_problem_of_every_module_and_case_file(module, tmp_path):
    _edit(module, "{$gte: {t: {$m: decision_due}}}", "{$gte: {t: {$m: decison_due}}}")
    _edit(module, "product_problem_found", "product_problem_fund")
    other = tmp_path / "other" / "cbrc-2012-13" / "1.0.0"
    shutil.copytree(BUNDLED, other)
    cases = sorted((other / "cases").glob("*.yaml"))
    for path in cases[:2]:  # a bad expected code in two case files
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("codes: [", "codes: [NOT.A_CODE, ", 1), encoding="utf-8")
    result = cli("modules", "validate", module, other)
    assert result.exit_code == 2
    errors = _error_lines(result)
    assert sum("decison_due" in e or "product_problem_fund" in e for e in errors) == 2
    named = {p.name for p in cases[:2] for e in errors if "NOT.A_CODE" in e and f"/{p.name}:" in e}
    assert named == {p.name for p in cases[:2]}


def test_every_load_check_names_the_line_and_column(module):
    _edit(module, "clocks: [decision]", "clocks: [decisoin]")
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    rule_line = _line_of(module, "clocks: [decisoin]") - 1
    while "  - id: " not in (module / "module.yaml").read_text(encoding="utf-8").splitlines()[rule_line - 1]:
        rule_line -= 1
    assert f"module.yaml:{rule_line}:5: $.rules[" in error and "unknown clock 'decisoin'" in error


def test_bundled_modules_validate_clean():
    result = cli("modules", "validate", "cbrc-2012-13", "cbirc-2020-3", "pbc-2020-5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("ok: ") == 3


# -- problem 5: --policy ID never resolves to a folder in the working directory ----------------


def test_bare_policy_name_is_the_registered_module_never_a_folder_in_cwd(module, tmp_path, monkeypatch):
    # The edited copy gives 1000 working days to decide: the overdue complaint would be "open".
    _edit(module, "value: {value: 15, unit: working_day}", "value: {value: 1000, unit: working_day}")
    archive = _overdue_archive(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the working directory holds folders named like the registered module
    shutil.copytree(module, "cbrc-2012-13")
    shutil.copytree(module, "cbrc-2012-13@1.0.0")
    for spec in ("cbrc-2012-13", "cbrc-2012-13@1.0.0"):
        result = cli("audit", archive, "--as-of", "2019-12-31", "--policy", spec, "-f", "json")
        assert result.exit_code == 1, result.stderr
        report = json.loads(result.stdout)
        registered = NEWEST if spec == "cbrc-2012-13" else BUNDLED
        assert report["modules"][0]["digest"] == load_module(registered).digest
        assert "CBRC2012.P9.DECISION_OVERDUE" in {f["code"] for f in report["findings"]}, spec
    # named by a path, the folder is loaded (and its header says so by its own digest)
    result = cli("audit", archive, "--as-of", "2019-12-31", "--policy", "./cbrc-2012-13", "-f", "json")
    report = json.loads(result.stdout)
    assert report["modules"][0]["digest"] == load_module(module).digest != load_module(BUNDLED).digest
    assert "CBRC2012.P9.DECISION_OVERDUE" not in {f["code"] for f in report["findings"]}
    assert resolve_module("cbrc-2012-13").path.parent == NEWEST
    assert resolve_module("cbrc-2012-13@1.0.0").path.parent == BUNDLED


def test_a_folder_is_named_by_a_path_and_an_unknown_id_lists_the_known_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(BUNDLED, tmp_path / "mine")
    result = cli("modules", "show", "mine")
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    assert "no rule module 'mine' (known: " in error and "cbrc-2012-13@1.0.0" in error
    assert "name it by a path: ./mine" in error
    assert cli("modules", "show", "./mine").exit_code == 0
    missing = cli("audit", tmp_path / "x.jsonl", "--as-of", "2019-12-31", "--policy", "./nope")
    assert missing.exit_code == 2 and "./nope: no such rule module folder" in _error_lines(missing)[0]


# -- problems 9 and 10: limits on YAML and JSON data -----------------------------------------------


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _flow_alias_bomb(levels: int = 9) -> str:
    """A flow sequence of 9 lists, each of 9 aliases of the one before: 9**9 values expanded."""
    items = ["&a0 [" + ", ".join(["x"] * 9) + "]"]
    items += [f"&a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "[" + ", ".join(items) + "]"


def test_module_of_nested_aliases_is_refused_quickly_not_expanded(module):
    # inside a condition, where the digest, the compiler and the checks walk every value
    _edit(
        module,
        "- a: {f: asof}",
        "- a: {$and: [{f: asof}, {$nex: {received_id: " + _flow_alias_bomb() + "}}]}",
    )
    assert (module / "module.yaml").stat().st_size < 50_000
    started = time.perf_counter()
    result = cli("policies", "validate", module)
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    assert f"module.yaml:{_line_of(module, '&a0')}:" in error and "once aliases are expanded" in error


def test_recursive_alias_in_a_module_is_one_line_not_a_traceback(module):
    _edit(module, "- a: {f: asof}", "- a: {$and: [{f: asof}, {$nex: {received_id: &r [*r]}}]}")
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    assert (
        f"module.yaml:{_line_of(module, '&r')}:" in error
        and "alias *r refers to a value that contains it" in error
    )


def test_module_value_nested_800_deep_is_one_line_not_a_traceback(module):
    _edit(module, "notes:", "deep: " + "[" * 800 + "]" * 800 + "\nnotes:")
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    assert "nested deeper than 64 levels" in error
    line = _line_of(module, "deep: ")
    assert f"module.yaml:{line}:" in error


def test_oversized_module_file_is_refused(module):
    _edit(module, "notes:", "# " + "x" * (1024 * 1024) + "\nnotes:")
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    assert "larger than 1024 KiB" in error


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "deep.json",
            '{"calendar": "cn", "year": 2031, "x": ' + "[" * 5000 + "]" * 5000 + "}",
            "line 1, column",
        ),
        ("deep.yaml", "calendar: cn\nyear: 2031\nx: " + "[" * 800 + "]" * 800 + "\n", "line 3, column"),
        ("bomb.yaml", _alias_bomb(), "once aliases are expanded"),
        ("recursive.yaml", "calendar: cn\nyear: 2031\nsource: x\nrest_days: &c [*c]\n", "line 4, column 16"),
        ("big.json", " " * (1024 * 1024 + 1), "larger than 1024 KiB"),
    ],
)
def test_deep_or_huge_calendar_data_is_one_line_not_a_traceback(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = cli("calendar", "show", "2031", "--calendar-data", path)
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    assert error.startswith(f"cppolicy: error: calendar data {path}: ") and expected in error
    from cppolicy.calendar import load_calendar

    with pytest.raises(CalendarError):
        load_calendar(data_files=[path])


def test_deep_institution_profile_json_is_one_line_not_a_traceback(tmp_path):
    path = tmp_path / "profile.json"
    path.write_text('{"institution": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    result = cli("check-institution", path)
    assert result.exit_code == 2
    (error,) = _error_lines(result)
    assert f"{path}:1:" in error and "nested deeper than 64 levels" in error


def test_calendar_yaml_python_tag_never_runs(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):  # pragma: no cover - reached only if the tag were constructed
        raise AssertionError("os.system was called while reading calendar data")

    monkeypatch.setattr(os, "system", forbidden)
    path = tmp_path / "tag.yaml"
    path.write_text("calendar: !!python/object/apply:os.system ['true']\nyear: 2031\n", encoding="utf-8")
    result = cli("calendar", "show", "2031", "--calendar-data", path)
    assert result.exit_code == 2 and "python/object/apply:os.system" in _error_lines(result)[0]


def test_module_yaml_symlink_leading_out_of_the_folder_is_refused(module, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    shutil.move(module / "module.yaml", outside)
    (module / "module.yaml").symlink_to(outside)
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    assert "symbolic link leading out of the module folder" in _error_lines(result)[0]
    case = sorted((module / "cases").glob("*.yaml"))[0]
    (module / "module.yaml").unlink()
    shutil.move(outside, module / "module.yaml")
    shutil.move(case, tmp_path / case.name)
    case.symlink_to(tmp_path / case.name)
    result = cli("modules", "test", module)
    assert result.exit_code == 2
    assert "symbolic link leading out of the module folder" in _error_lines(result)[0]
    case.unlink()
    shutil.move(tmp_path / case.name, case)
    shutil.move(module / "cases", tmp_path / "cases")  # the cases folder itself a link out
    (module / "cases").symlink_to(tmp_path / "cases")
    result = cli("modules", "validate", module)
    assert result.exit_code == 2
    assert "symbolic link leading out of the module folder" in _error_lines(result)[0]


# -- modules test: -k, FILE::CASE, --coverage --------------------------------------------------------


def test_modules_test_selects_cases_by_keyword_and_by_file_case(module):
    result = cli("modules", "test", module, "-k", "p9 and not (superseded or calendar)")
    assert result.exit_code == 0, result.stderr
    ran = [line for line in result.stdout.splitlines() if line.startswith("PASS ")]
    assert ran and all("p9" in line.lower() for line in ran)
    assert not any("superseded" in line.lower() or "calendar" in line.lower() for line in ran)
    case_file = sorted((module / "cases").glob("p9*.yaml"))[0]
    one = cli("modules", "test", f"{case_file}::1", "-f", "json")
    assert one.exit_code == 0, one.stderr
    (chosen,) = json.loads(one.stdout)["modules"][0]["cases"]
    assert chosen["id"] == f"{case_file.stem}[1]"
    by_id = cli("modules", "test", f"cbrc-2012-13::{case_file.stem}[1]", "-f", "json")
    assert [c["id"] for c in json.loads(by_id.stdout)["modules"][0]["cases"]] == [chosen["id"]]
    for bad, message in ((["-k", "zzz-no-such"], "no case selected"), (["-k", "(p9 or"], "ends too early")):
        result = cli("modules", "test", module, *bad)
        assert result.exit_code == 2 and message in _error_lines(result)[0]
    unknown = cli("modules", "test", f"{case_file}::99")
    assert unknown.exit_code == 2 and "no case '99' (cases: " in _error_lines(unknown)[0]


def test_modules_test_coverage_lists_the_rules_no_case_fires(module):
    case_files = sorted((module / "cases").glob("*.yaml"))
    for path in case_files:
        if not path.name.startswith("p7"):
            path.unlink()
    result = cli("modules", "test", module, "--coverage", "-f", "json")
    assert result.exit_code == 0, result.stderr
    unfired = {rule["id"] for rule in json.loads(result.stdout)["modules"][0]["unfired_rules"]}
    assert "p9-decision-overdue" in unfired and "p7-ack-missing" not in unfired
    text = cli("modules", "test", module, "--coverage").stdout
    assert "rules fired by a case; not fired:" in text and "p9-decision-overdue (" in text


def test_audit_of_a_module_with_a_condition_typo_is_refused_not_silently_clean(module, tmp_path):
    _edit(module, "{$gte: {t: {$m: decision_due}}}", "{$gte: {t: {$m: decison_due}}}")
    archive = write_jsonl(tmp_path / "a.jsonl", compliant("C1"))
    result = cli("audit", archive, "--as-of", "2026-01-31", "--policy", module)
    assert result.exit_code == 2
    assert "unknown field 'decison_due'" in _error_lines(result)[0]


def test_docs_show_the_line_column_validate_really_prints_for_decison_due(module):
    """docs/rule-modules.md and docs/policy-owners.md quote the `decison_due` example's place."""
    _edit(module, "{$gte: {t: {$m: decision_due}}}", "{$gte: {t: {$m: decison_due}}}")
    (error,) = _error_lines(cli("modules", "validate", module))
    place = error.split("module.yaml:", 1)[1].split(":", 2)
    shown = f"module.yaml:{place[0]}:{place[1]}:"
    for doc in ("rule-modules.md", "policy-owners.md"):
        text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
        quoted = [line for line in text.splitlines() if "decison_due" in line and "module.yaml:" in line]
        assert quoted and all(shown in line for line in quoted), (doc, shown, quoted)
