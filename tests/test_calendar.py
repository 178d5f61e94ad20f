"""The mainland-China working-day calendar (cppolicy.calendar)."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cppolicy.calendar.years as calendar_years
from cppolicy.calendar import (
    BUNDLED_YEARS,
    HOLIDAYS_CHECKED_VERSION,
    SHANGHAI,
    CalendarYearData,
    DayInfo,
    WorkingDayCalendar,
    end_of_day,
    load_calendar,
    local_date,
    read_calendar_data,
)
from cppolicy.errors import CalendarError, CalendarYearUnknown, CppolicyError, ExitCode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "calendar"
EXAMPLE_2027 = ROOT / "examples" / "calendar" / "cn-2027.example.json"


@pytest.fixture(scope="module")
def cal() -> WorkingDayCalendar:
    return load_calendar()


# --------------------------------------------------------------------------------------------
# The required legal facts
# --------------------------------------------------------------------------------------------


def test_receipt_on_friday_before_national_day_2025_fifteenth_working_day_is_thursday_2025_10_23(cal):
    # Received Fri 2025-09-26; the receipt day is not counted (民法典 Art. 201).
    # Sat 09-27 rest; Sun 09-28 is a make-up working day (调休) -> day 1; Mon 09-29 day 2;
    # Tue 09-30 day 3; Oct 1-8 rest (National Day 1-3, Mid-Autumn 10-06, bridged 10-07 and
    # 10-08, plus the weekend 10-04/05); Thu 10-09 day 4; Fri 10-10 day 5; Sat 10-11 is a
    # make-up working day -> day 6; Sun 10-12 rest; Mon-Fri 10-13..17 days 7-11;
    # 10-18/19 weekend; Mon 10-20 day 12, Tue 10-21 day 13, Wed 10-22 day 14, Thu 10-23 day 15.
    receipt = date(2025, 9, 26)
    due = cal.add_working_days(receipt, 15)
    assert due == date(2025, 10, 23)
    assert cal.working_days_between(receipt, due) == 15
    for make_up in (date(2025, 9, 28), date(2025, 10, 11)):
        assert cal.is_working_day(make_up)
    for rest in (date(2025, 10, 1) + timedelta(days=i) for i in range(8)):
        assert not cal.is_working_day(rest)
    assert end_of_day(due).isoformat() == "2025-10-24T00:00:00+08:00"


@pytest.mark.parametrize("sunday", [date(2025, 9, 28), date(2025, 1, 26)])
def test_a_make_up_working_sunday_counts_as_a_working_day(cal, sunday):
    assert sunday.weekday() == 6
    assert cal.is_working_day(sunday)
    info = cal.day_kind(sunday)
    assert info.working and info.kind == "make_up_working_day"
    assert info.reason == "make-up working day (调休)"


def test_2020_spring_festival_extension_made_jan_31_feb_1_and_feb_2_rest_days(cal):
    # 国务院办公厅关于延长2020年春节假期的通知: the holiday ran to 2 February; 2020-02-01 (Sat)
    # was originally a make-up working day and became a rest day.
    for d in (date(2020, 1, 31), date(2020, 2, 1), date(2020, 2, 2)):
        assert not cal.is_working_day(d), d
        assert cal.day_kind(d).kind == "holiday"
        assert "春节延长假期" in (cal.day_kind(d).name or "")
    assert cal.is_working_day(date(2020, 2, 3))
    assert cal.add_working_days(date(2020, 1, 23), 1) == date(2020, 2, 3)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2012, 1, 21), True),  # Saturday make-up day before the 2012 Spring Festival
        (date(2012, 1, 3), False),  # bridged New Year rest day, made up on 2011-12-31
        (date(2012, 6, 22), False),  # Dragon Boat Festival break
        (date(2026, 2, 14), True),  # Saturday make-up day before the 2026 Spring Festival
        (date(2026, 2, 23), False),  # last day of the nine-day 2026 Spring Festival break
        (date(2026, 9, 20), True),  # Sunday make-up day for National Day 2026
        (date(2026, 10, 7), False),
        (date(2026, 12, 31), True),
    ],
)
def test_2012_and_2026_are_covered(cal, day, working):
    assert {2012, 2026} <= cal.covered_years
    assert cal.is_working_day(day) is working


@pytest.mark.parametrize("year", [2011, 2027])
def test_2011_and_2027_raise_calendar_year_unknown_naming_the_year(cal, year):
    with pytest.raises(CalendarYearUnknown) as caught:
        cal.is_working_day(date(year, 3, 2))
    assert caught.value.year == year
    assert f"no working-day arrangement is known for {year}" in caught.value.message
    assert "2012-2026" in caught.value.message
    assert caught.value.exit_code == ExitCode.USAGE
    with pytest.raises(CalendarYearUnknown):
        cal.day_kind(date(year, 7, 1))


def test_python_holidays_answers_for_2027_without_make_up_days_which_is_why_cppolicy_refuses(cal):
    # The trap: holidays returns plausible statutory days for 2027 but no 调休 arrangement.
    h = holidays.China(years=[2027, 2028])
    assert date(2027, 1, 1) in h and date(2027, 10, 1) in h
    assert not any(d.year == 2027 for d in h.weekend_workdays)
    assert 2027 not in BUNDLED_YEARS
    with pytest.raises(CalendarYearUnknown):
        cal.is_working_day(date(2027, 1, 1))


def test_deadline_from_late_december_2026_into_2027_fails_closed_without_2027_data(cal):
    # 2026-12-24 (Thu) + 15 working days: 12-25, 28, 29, 30, 31 are days 1-5, then 2027.
    with pytest.raises(CalendarYearUnknown) as caught:
        cal.add_working_days(date(2026, 12, 24), 15)
    assert caught.value.year == 2027
    assert cal.add_working_days(date(2026, 12, 24), 5) == date(2026, 12, 31)
    with pytest.raises(CalendarYearUnknown):
        cal.working_days_between(date(2026, 12, 24), date(2027, 1, 15))


def test_deadline_from_late_december_2026_into_2027_succeeds_with_a_2027_data_file():
    cal = load_calendar(data_files=[EXAMPLE_2027])
    # With 2027-01-01 (Fri) a rest day: 01-04..08 are days 6-10, 01-11..15 days 11-15.
    assert cal.add_working_days(date(2026, 12, 24), 15) == date(2027, 1, 15)
    assert cal.working_days_between(date(2026, 12, 24), date(2027, 1, 15)) == 15
    assert 2027 in cal.covered_years
    assert cal.day_kind(date(2027, 1, 1)).name == "元旦"
    assert "+user:" in cal.version and "(2027)" in cal.version


# --------------------------------------------------------------------------------------------
# Calendar-day periods, counting, day kinds
# --------------------------------------------------------------------------------------------


def test_calendar_days_over_national_day_without_roll_forward_end_on_the_holiday(cal):
    # 15 calendar days after 2025-09-16: the last day is Wed 2025-10-01 (National Day); the
    # complaint rules default to no roll-forward (Encoding note 3).
    assert cal.add_calendar_days(date(2025, 9, 16), 15) == date(2025, 10, 1)
    assert cal.add_calendar_days(date(2025, 9, 17), 15, start_counted=True) == date(2025, 10, 1)


def test_calendar_days_over_national_day_with_roll_forward_move_to_the_first_working_day_after_the_break(cal):
    # 民法典 Art. 203: a last day in the rest period moves to the day after it ends: 2025-10-09.
    assert cal.add_calendar_days(date(2025, 9, 16), 15, roll_forward=True) == date(2025, 10, 9)
    # a last day that is a make-up working Saturday does not move
    assert cal.add_calendar_days(date(2025, 9, 26), 15, roll_forward=True) == date(2025, 10, 11)
    # an ordinary weekend does move (statutory weekly rest days)
    assert cal.add_calendar_days(date(2025, 10, 13), 5, roll_forward=True) == date(2025, 10, 20)


def test_calendar_days_without_roll_forward_need_no_arrangement(cal):
    assert cal.add_calendar_days(date(2026, 12, 20), 30) == date(2027, 1, 19)
    with pytest.raises(CalendarYearUnknown):
        cal.add_calendar_days(date(2026, 12, 20), 30, roll_forward=True)


def test_working_days_between_counts_the_half_open_interval(cal):
    assert cal.working_days_between(date(2025, 9, 26), date(2025, 10, 23)) == 15
    assert cal.working_days_between(date(2025, 9, 26), date(2025, 9, 26)) == 0
    assert cal.working_days_between(date(2025, 10, 23), date(2025, 9, 26)) == 0
    # (Fri, Mon]: Sat and Sun are rest, Mon counts
    assert cal.working_days_between(date(2025, 10, 17), date(2025, 10, 20)) == 1
    # across a year end: 2026-01-01 and 01-02 rest, Sat 01-03 rest, Sun 01-04 make-up, Mon 01-05
    assert cal.working_days_between(date(2025, 12, 31), date(2026, 1, 5)) == 2
    # the interval excludes a: a day in an uncovered year that is not inside it is not needed
    assert cal.working_days_between(date(2011, 12, 31), date(2012, 1, 10)) == 5
    assert cal.working_days_in(2025) == 248


def test_rest_days_between_names_each_skipped_day(cal):
    rest = cal.rest_days_between(date(2025, 9, 26), date(2025, 10, 12))
    assert [i.date.day for i in rest] == [27, 1, 2, 3, 4, 5, 6, 7, 8, 12]
    by_day = {i.date: i for i in rest}
    assert by_day[date(2025, 9, 27)].reason == "weekend"
    assert by_day[date(2025, 10, 1)].reason == "National Day (国庆节)"
    assert by_day[date(2025, 10, 6)].name == "中秋节"
    assert "2025-09-28" in by_day[date(2025, 10, 7)].reason  # the bridged day names its make-up day
    assert all(not i.working for i in rest)
    assert cal.rest_days_between(date(2025, 10, 12), date(2025, 10, 1)) == []


def test_start_day_counted_only_when_it_is_a_working_day(cal):
    monday = date(2025, 10, 13)
    assert cal.add_working_days(monday, 1, start_counted=True) == monday
    assert cal.add_working_days(monday, 5, start_counted=True) == date(2025, 10, 17)
    assert cal.add_working_days(monday, 5) == date(2025, 10, 20)
    holiday = date(2025, 10, 1)
    assert cal.add_working_days(holiday, 1, start_counted=True) == date(2025, 10, 9)
    assert cal.add_working_days(holiday, 1) == date(2025, 10, 9)


def test_add_working_days_rejects_n_below_one(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(date(2025, 1, 6), 0)
    with pytest.raises(ValueError):
        cal.add_calendar_days(date(2025, 1, 6), -1)
    with pytest.raises(TypeError):
        cal.add_working_days(date(2025, 1, 6), True)


def test_datetimes_are_refused_where_a_local_date_is_meant(cal):
    with pytest.raises(TypeError):
        cal.is_working_day(datetime(2025, 10, 1, 12, tzinfo=SHANGHAI))
    with pytest.raises(TypeError):
        cal.add_working_days(datetime(2025, 10, 1, 12, tzinfo=SHANGHAI), 1)


def test_holiday_set_changed_in_2025_new_years_eve_and_second_labour_day_are_statutory(cal):
    # 全国年节及纪念日放假办法 (2024 revision): 春节 includes 除夕, 劳动节 is 2 days, from 2025.
    assert cal.day_kind(date(2025, 1, 28)).name == "农历除夕"
    assert cal.day_kind(date(2025, 5, 2)).name == "劳动节"


def test_day_kind_reasons(cal):
    assert cal.day_kind(date(2025, 10, 15)) == DayInfo(date(2025, 10, 15), True, "working_day")
    assert cal.day_kind(date(2025, 10, 15)).reason == "weekday"
    assert cal.day_kind(date(2025, 10, 18)).reason == "weekend"
    sat_holiday = cal.day_kind(date(2025, 5, 31))  # Dragon Boat Festival on a Saturday
    assert (sat_holiday.kind, sat_holiday.name) == ("holiday", "端午节")
    make_up = cal.day_kind(date(2025, 10, 11))
    assert "2025-10-08" in (make_up.name_en or "")
    assert make_up.as_dict()["weekday"] == "Sat"


def test_notable_days_lists_weekday_rest_days_and_make_up_days(cal):
    days = cal.notable_days(2025)
    make_up = [i.date for i in days if i.working]
    assert make_up == [
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
    ]
    weekday_rest = [i.date for i in days if not i.working and i.date.weekday() < 5]
    assert len(weekday_rest) == 18


# --------------------------------------------------------------------------------------------
# Cross-checks of the bundled data
# --------------------------------------------------------------------------------------------


def _official() -> dict[int, tuple[set[date], set[date]]]:
    doc = json.loads((FIXTURES / "official-arrangements-2012-2026.json").read_text(encoding="utf-8"))
    return {
        int(y): (
            {date.fromisoformat(d) for d in v["rest_days"]},
            {date.fromisoformat(d) for d in v["working_days"]},
        )
        for y, v in doc["years"].items()
    }


def test_every_day_2012_to_2026_matches_the_committed_independent_arrangement_list(cal):
    official = _official()
    assert sorted(official) == list(range(2012, 2027)) == sorted(BUNDLED_YEARS)
    for year, (rest, work) in official.items():
        d = date(year, 1, 1)
        while d.year == year:
            expected = (d.weekday() < 5 and d not in rest) or d in work
            assert cal.is_working_day(d) is expected, d
            d += timedelta(days=1)


def test_every_day_2012_to_2026_matches_the_chinesecalendar_package(cal):
    import chinese_calendar  # a test dependency (pyproject's test extra): missing, this fails

    for year in range(2012, 2027):
        d = date(year, 1, 1)
        while d.year == year:
            assert cal.is_working_day(d) is chinese_calendar.is_workday(d), d
            d += timedelta(days=1)


def test_bundled_table_matches_the_installed_holidays_release():
    assert holidays.__version__ == HOLIDAYS_CHECKED_VERSION
    assert sorted(BUNDLED_YEARS) == list(range(2012, 2027))
    assert load_calendar().version == f"cn/holidays-{HOLIDAYS_CHECKED_VERSION}/2012-2026"


def test_a_different_holidays_release_still_only_trusts_the_table_years(monkeypatch):
    monkeypatch.setattr(calendar_years, "installed_holidays_version", lambda: "0.999")
    # pretend 0.999 changed 2013: its fingerprint no longer matches, so 2013 is not trusted
    table = dict(BUNDLED_YEARS)
    table[2013] = calendar_years.BundledYear("0" * 16, table[2013].notice)
    monkeypatch.setattr(calendar_years, "BUNDLED_YEARS", table)
    with pytest.warns(RuntimeWarning, match="checked against holidays 0.109"):
        cal = WorkingDayCalendar()
    assert cal.covered_years == frozenset(range(2012, 2027)) - {2013}
    assert cal.version == "cn/holidays-0.999-unchecked/2012,2014-2026"
    with pytest.raises(CalendarYearUnknown):
        cal.is_working_day(date(2013, 5, 2))
    with pytest.raises(CalendarYearUnknown):
        cal.is_working_day(date(2027, 5, 3))
    assert cal.is_working_day(date(2025, 9, 28))


def test_a_changed_arrangement_under_the_checked_release_is_refused(monkeypatch):
    table = dict(BUNDLED_YEARS)
    table[2024] = calendar_years.BundledYear("0" * 16, table[2024].notice)
    monkeypatch.setattr(calendar_years, "BUNDLED_YEARS", table)
    cal = WorkingDayCalendar()
    with pytest.raises(CalendarError, match="differs from the one cppolicy checked"):
        cal.is_working_day(date(2024, 2, 10))


# --------------------------------------------------------------------------------------------
# The calendar object
# --------------------------------------------------------------------------------------------


def test_calendar_is_immutable_and_calendars_are_independent():
    plain = load_calendar()
    with_2027 = load_calendar(data_files=[EXAMPLE_2027])
    with pytest.raises(AttributeError):
        plain.version = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        plain.covered_years = frozenset()  # type: ignore[misc]
    assert with_2027.is_working_day(date(2027, 1, 4))
    with pytest.raises(CalendarYearUnknown):
        plain.is_working_day(date(2027, 1, 4))
    assert plain.name == with_2027.name == "cn"


def test_unknown_calendar_name_is_a_calendar_error():
    with pytest.raises(CalendarError, match="unknown calendar 'hk'"):
        load_calendar("hk")


_CAL = load_calendar()


@settings(max_examples=300, deadline=None, database=None)
@given(
    start=st.dates(min_value=date(2012, 1, 1), max_value=date(2026, 8, 31)),
    n=st.integers(min_value=1, max_value=60),
    counted=st.booleans(),
)
def test_add_working_days_agrees_with_a_day_by_day_count(start, n, counted):
    cal = _CAL
    due = cal.add_working_days(start, n, start_counted=counted)
    assert cal.is_working_day(due)
    expected = n - 1 if counted and cal.is_working_day(start) else n
    if counted and cal.is_working_day(start) and n == 1:
        assert due == start
    else:
        assert cal.working_days_between(start, due) == expected
        assert cal.working_days_between(start, due - timedelta(days=1)) == expected - 1
    # naive reference
    d, left = start, n
    if counted and cal.is_working_day(start):
        left -= 1
    while left:
        d += timedelta(days=1)
        left -= cal.is_working_day(d)
    assert d == due


# --------------------------------------------------------------------------------------------
# Asia/Shanghai
# --------------------------------------------------------------------------------------------


def test_end_of_day_is_24_00_asia_shanghai_which_is_next_day_00_00_plus_08_00():
    eod = end_of_day(date(2025, 10, 20))
    assert eod.isoformat() == "2025-10-21T00:00:00+08:00"
    assert eod.utcoffset() == timedelta(hours=8)
    assert eod.astimezone(UTC) == datetime(2025, 10, 20, 16, 0, tzinfo=UTC)


def test_local_date_is_the_shanghai_date_of_an_aware_time_and_refuses_naive_times():
    assert local_date(datetime(2025, 10, 20, 16, 30, tzinfo=UTC)) == date(2025, 10, 21)
    assert local_date(datetime(2025, 10, 20, 15, 59, tzinfo=UTC)) == date(2025, 10, 20)
    with pytest.raises(ValueError):
        local_date(datetime(2025, 10, 20, 12, 0))
    assert str(SHANGHAI) == "Asia/Shanghai"


def test_local_date_of_a_plus_eight_time_is_its_own_date_exactly_when_shanghai_agrees():
    """The +08:00 shortcut against the zone database, every 7 hours 13 minutes from 1985 (China's
    daylight-saving years 1986-1991 included, where +08:00 is not Shanghai's summer offset) to 2045,
    and at the far end of the range."""
    from datetime import timezone as tz

    plus8 = tz(timedelta(hours=8))
    moment = datetime(1985, 1, 1, tzinfo=plus8)
    checked = differs = 0
    while moment.year < 2046:
        assert local_date(moment) == moment.astimezone(SHANGHAI).date(), moment
        differs += moment.date() != moment.astimezone(SHANGHAI).date()
        checked += 1
        moment += timedelta(hours=7, minutes=13)
    assert checked > 70_000 and differs > 0  # the daylight-saving summers were really crossed
    for far in (datetime(9999, 12, 31, 23, 59, tzinfo=plus8), datetime(2200, 7, 1, 0, 30, tzinfo=plus8)):
        assert local_date(far) == far.astimezone(SHANGHAI).date() == far.date()


# --------------------------------------------------------------------------------------------
# User data files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "where", "problem"),
    [
        ("bad-date.json", "$.rest_days[1]", "'2027-02-30' is not a valid date"),
        ("bad-date-format.json", "$.rest_days[0]", "not a date in YYYY-MM-DD form"),
        ("date-not-a-string.json", "$.rest_days[0]", "got a number"),
        ("date-outside-year.json", "$.working_days[0]", "2026-12-26 is outside the year 2027"),
        ("date-in-both-lists.json", "$.working_days[1]", "2027-02-09 is in both rest_days and working_days"),
        ("duplicate-date.json", "$.rest_days[2]", "listed twice"),
        ("weekend-rest-day-not-holiday.json", "$.rest_days[1]", "2027-02-13 is a Saturday and not a"),
        ("working-day-on-weekday.json", "$.working_days[0]", "2027-01-04 is a Monday"),
        ("unknown-key.json", "$.notes", "unknown key"),
        ("missing-key.json", "$.working_days", "required key is missing"),
        ("duplicate-key.json", "$", "duplicate key 'year'"),
        ("wrong-calendar.json", "$.calendar", "is 'hk'"),
        ("year-not-integer.json", "$.year", "expected an integer year"),
        ("rest-days-not-a-list.json", "$.rest_days", "expected a list"),
        ("empty-source.json", "$.source", "non-empty string"),
        ("not-an-object.json", "$", "expected an object"),
        ("invalid-json.json", "line 2", "invalid JSON"),
        ("invalid-yaml.yaml", "line 4, column 13", "invalid YAML"),
        ("unknown-file-type.toml", "", "unknown file type '.toml'"),
    ],
)
def test_user_data_file_defects_are_one_line_calendar_errors_naming_file_and_field(fixture, where, problem):
    path = FIXTURES / fixture
    with pytest.raises(CalendarError) as caught:
        load_calendar(data_files=[path])
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith(f"calendar data {path}: ")
    assert f": {where}: " in message if where else True
    assert problem in message
    assert isinstance(caught.value, CppolicyError) and caught.value.exit_code == ExitCode.USAGE


def test_missing_user_data_file_is_a_calendar_error(tmp_path):
    with pytest.raises(CalendarError, match="file not found"):
        load_calendar(data_files=[tmp_path / "nope.json"])


def test_two_files_for_the_same_year_are_refused():
    with pytest.raises(CalendarError, match="2027 is also given by"):
        load_calendar(data_files=[EXAMPLE_2027, FIXTURES / "valid-2027.yaml"])


def test_yaml_user_data_with_a_make_up_saturday_and_a_redundant_weekend_holiday():
    cal = load_calendar(data_files=[FIXTURES / "valid-2027.yaml"])
    assert cal.is_working_day(date(2027, 2, 20))  # listed make-up Saturday
    assert cal.day_kind(date(2027, 2, 20)).kind == "make_up_working_day"
    assert not cal.is_working_day(date(2027, 2, 9))  # listed weekday rest day
    assert not cal.is_working_day(date(2027, 2, 6))  # weekend holiday, listed redundantly
    assert cal.is_working_day(date(2027, 2, 10))  # not listed: a working day per the file
    assert "valid-2027.yaml" in cal.source(2027)


def test_a_user_file_for_a_covered_year_overrides_it_and_the_version_says_so():
    bundled = load_calendar()
    cal = load_calendar(data_files=[FIXTURES / "valid-2026-override.json"])
    assert not bundled.is_working_day(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 2))  # the override lists no bridged day
    assert cal.version.startswith("cn/holidays-0.109/2012-2026+user:")
    assert cal.version.endswith("(2026;overrides:2026)")
    assert cal.covered_years == bundled.covered_years


def test_user_data_version_identifies_the_data_not_the_file_format(tmp_path):
    as_yaml = tmp_path / "a.yaml"
    as_yaml.write_text(
        "calendar: cn\nyear: 2027\nsource: ILLUSTRATIVE test data\n"
        "rest_days: [2027-01-01]\nworking_days: []\n",
        encoding="utf-8",
    )
    as_json = tmp_path / "b.json"
    as_json.write_text(
        json.dumps(
            {
                "calendar": "cn",
                "year": 2027,
                "source": "ILLUSTRATIVE test data",
                "rest_days": ["2027-01-01"],
                "working_days": [],
            }
        ),
        encoding="utf-8",
    )
    one, two = load_calendar(data_files=[as_yaml]), load_calendar(data_files=[as_json])
    assert one.version == two.version
    assert len(one.version.split("+user:")[1].split("(")[0]) == 12


def test_the_example_2027_file_is_valid_and_labelled_illustrative():
    data = read_calendar_data(EXAMPLE_2027)
    assert isinstance(data, CalendarYearData)
    assert data.year == 2027 and data.rest_days == {date(2027, 1, 1)} and not data.working_days
    assert "ILLUSTRATIVE" in data.source


def test_no_warning_with_the_checked_holidays_release():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_calendar()
