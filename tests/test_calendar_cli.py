"""``cppolicy calendar`` (show, count, add), run on a fresh Typer app with only this group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cppolicy.cli.calendar import register

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "calendar"
EXAMPLE_2027 = str(ROOT / "examples" / "calendar" / "cn-2027.example.json")


@pytest.fixture(scope="module")
def run():
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["calendar", *args])

    return invoke


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cppolicy: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# --------------------------------------------------------------------------------------------
# show
# --------------------------------------------------------------------------------------------


def test_show_2025_lists_make_up_days_and_weekday_rest_days_with_names(run):
    result = run("show", "2025")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for text in (
        "2025-09-28",
        "2025-10-11",
        "2025-01-26",
        "make-up working day",
        "国庆节",
        "2025-10-07",
        "248 working days",
        "cn/holidays-0.109/2012-2026",
    ):
        assert text in out, text


def test_show_json_gives_rest_days_and_make_up_days(run):
    result = run("show", "2020", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["year"] == 2020 and doc["calendar"] == "cn"
    assert "2020-01-31" in doc["rest_days"]
    assert "2020-02-01" not in doc["working_days"]  # the 2020 extension made it a rest day
    assert doc["working_days"] == [
        "2020-01-19",
        "2020-04-26",
        "2020-05-09",
        "2020-06-28",
        "2020-09-27",
        "2020-10-10",
    ]
    kinds = {d["date"]: d["kind"] for d in doc["days"]}
    assert kinds["2020-02-01"] == "holiday"


def test_show_an_unknown_year_is_one_line_on_stderr_and_exit_2(run):
    result = run("show", "2027")
    assert_one_line_error(
        result, "cppolicy: error: no working-day arrangement is known for 2027", "--calendar-data"
    )


def test_show_an_unknown_year_works_with_a_data_file(run):
    result = run("show", "2027", "--calendar-data", EXAMPLE_2027, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["rest_days"] == ["2027-01-01"]
    assert "ILLUSTRATIVE" in doc["source"]
    assert "+user:" in doc["version"]


def test_show_with_a_bad_year_argument(run):
    assert_one_line_error(run("show", "20x5"), "invalid YEAR '20x5'")


# --------------------------------------------------------------------------------------------
# count
# --------------------------------------------------------------------------------------------


def test_count_prints_the_number_and_the_rest_days_skipped(run):
    result = run("count", "2025-09-26", "2025-10-23")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "15 working days in (2025-09-26, 2025-10-23]"
    assert lines[1] == "rest days skipped: 12"
    assert any(line.strip().startswith("2025-10-01 Wed") and "国庆节" in line for line in lines)
    assert any(line.strip().startswith("2025-10-07 Tue") and "2025-09-28" in line for line in lines)
    assert not any(line.strip().startswith("2025-09-28") for line in lines)  # a make-up working day


def test_count_json(run):
    result = run("count", "2025-12-31", "2026-01-05", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["working_days"] == 2
    assert [d["date"] for d in doc["rest_days_skipped"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]


@pytest.mark.parametrize("bad", ["2025-02-30", "2025/10/01", "yesterday", "20251001"])
def test_count_with_a_bad_date_is_one_line_exit_2(run, bad):
    assert_one_line_error(run("count", bad, "2025-10-23"), f"invalid START {bad!r}")


def test_count_with_end_before_start_is_refused(run):
    assert_one_line_error(run("count", "2025-10-23", "2025-09-26"), "is before START")


def test_count_into_an_unknown_year_fails_closed(run):
    assert_one_line_error(run("count", "2026-12-01", "2027-01-10"), "known for 2027")


# --------------------------------------------------------------------------------------------
# add
# --------------------------------------------------------------------------------------------


def test_add_15_working_days_to_friday_before_national_day_2025(run):
    result = run("add", "2025-09-26", "15")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2025-10-23 (Thu): the 15th working day after 2025-09-26")
    assert lines[1] == "deadline: 24:00 Asia/Shanghai on 2025-10-23 = 2025-10-24T00:00:00+08:00"
    assert "rest days skipped: 12" in lines


def test_add_with_start_counted(run):
    result = run("add", "2025-09-26", "3", "--start-counted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["date"] == "2025-09-29"  # 09-26 day 1, Sun 09-28 (make-up) day 2, Mon 09-29 day 3
    assert doc["start_counted"] is True


def test_add_calendar_days_over_national_day_notes_the_civil_code_roll_forward_date(run):
    result = run("add", "2025-09-16", "15", "--calendar-days")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("2025-10-01 (Wed): the 15th calendar day after 2025-09-16")
    assert "2025-10-02T00:00:00+08:00" in result.stdout
    assert "with --roll-forward (民法典 Art. 203) it would be 2025-10-09 (Thu)" in result.stdout


def test_add_calendar_days_with_roll_forward(run):
    result = run("add", "2025-09-16", "15", "--calendar-days", "--roll-forward", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["date"], doc["rolled_from"]) == ("2025-10-09", "2025-10-01")
    assert doc["deadline"] == "2025-10-10T00:00:00+08:00"


def test_add_roll_forward_needs_calendar_days(run):
    result = run("add", "2025-09-16", "15", "--roll-forward")
    assert_one_line_error(result, "--roll-forward needs --calendar-days")


@pytest.mark.parametrize("bad", ["0", "x", "1.5", "+3"])
def test_add_with_a_bad_count_is_one_line_exit_2(run, bad):
    assert_one_line_error(run("add", "2025-09-16", bad), "invalid N")


def test_add_with_a_negative_count_is_a_usage_error(run):
    # "-3" reads as an option to the argument parser: still exit 2, in its own words
    assert run("add", "2025-09-16", "-3").exit_code == 2
    assert_one_line_error(run("add", "--", "2025-09-16", "-3"), "invalid N '-3'")


def test_add_with_a_bad_date_is_one_line_exit_2(run):
    assert_one_line_error(run("add", "2025-13-01", "3"), "invalid DATE '2025-13-01'")


def test_add_from_late_december_2026_fails_closed_then_succeeds_with_2027_data(run):
    assert_one_line_error(run("add", "2026-12-24", "15"), "no working-day arrangement is known for 2027")
    result = run("add", "2026-12-24", "15", "--calendar-data", EXAMPLE_2027)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("2027-01-15 (Fri)")
    assert "2027-01-16T00:00:00+08:00" in result.stdout
    assert "+user:" in result.stdout


def test_a_bad_calendar_data_file_is_one_line_naming_the_file_and_field(run):
    bad = str(FIXTURES / "date-in-both-lists.json")
    assert_one_line_error(
        run("add", "2025-09-26", "15", "--calendar-data", bad), f"calendar data {bad}: $.working_days[1]"
    )


def test_calendar_data_is_repeatable(run):
    result = run(
        "count",
        "2025-12-31",
        "2027-02-21",
        "--calendar-data",
        str(FIXTURES / "valid-2027.yaml"),
        "--calendar-data",
        str(FIXTURES / "valid-2026-override.json"),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    assert "overrides:2026" in json.loads(result.stdout)["calendar_version"]
