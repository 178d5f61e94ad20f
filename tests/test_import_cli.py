"""`cppolicy import NAME FILE`: importers from plugins, every event validated, rows never lost silently."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import cppolicy.cli.importer as importer_cli
from cppolicy import hookimpl
from cppolicy.events import Event, RawLine, parse_and_validate
from cppolicy.plugin import Plugins
from tests.helpers import DATA, INSTITUTION, cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "plugins" / "cppolicy-csv-import" / "examples"
EXAMPLE_CSV = EXAMPLES / "complaints.csv"
EXAMPLE_MAPPING = EXAMPLES / "mapping.yaml"


@pytest.fixture(autouse=True)
def entry_points_on(monkeypatch):
    monkeypatch.delenv("CPPOLICY_DISABLE_PLUGINS", raising=False)


# -- the csv plugin, end to end --------------------------------------------------------------------


def test_import_example_csv_then_audit_it(tmp_path):
    out = tmp_path / "events.jsonl"
    result = cli("import", "csv", EXAMPLE_CSV, "--option", f"mapping={EXAMPLE_MAPPING}", "--output", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == "imported 14 events from 4 rows\n"
    assert result.stdout == ""
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 14
    assert all(
        isinstance(parse_and_validate(RawLine(str(out), n, line)), Event) for n, line in enumerate(lines, 1)
    )

    # Judged by the 2012 notice alone (pinned: by default every registered module in force on
    # the receipt date judges too). The example's complaints are received in 2025, after
    # 2020-03-01, so point 九 no longer judges them (Order 2020 No. 3 prevails, its Art. 45):
    # TS-2025-0003, decided 2025-10-24 after the 15th working day 2025-10-23, draws no point-九
    # finding, and TS-2025-0004 has no 2012 decision clock left running.
    audit = cli("audit", out, "--as-of", "2025-12-31", "--format", "json", "--policy", "cbrc-2012-13")
    assert audit.exit_code == 1, audit.output  # the example has violations, and nothing was quarantined
    report = json.loads(audit.stdout)
    assert report["counts"]["lines"] == report["counts"]["accepted"] == 14
    assert report["counts"]["quarantined"] == 0
    statuses = {c["complaint_id"]: c["status"] for c in report["complaints"]}
    assert statuses == {
        "TS-2025-0001": "compliant",
        "TS-2025-0002": "violation",
        "TS-2025-0003": "compliant",
        "TS-2025-0004": "compliant",
    }
    codes = sorted(f["code"] for f in report["findings"])
    assert codes == ["CBRC2012.P7.ACK_INCOMPLETE", "CBRC2012.P8.REMEDIATION_MISSING"]

    # The same rows six years earlier (313 weeks, so every weekday is kept), when point 九 still
    # applied: TS-2025-0003 is received Friday 2019-09-27 and decided 2019-10-25, after its 15th
    # working day 2019-10-23 (make-up Sunday 09-29 and Saturday 10-12 count, 10-01..10-07 do not);
    # TS-2025-0004, received 2019-12-30, is still within its limit on 2019-12-31.
    shifted_csv = tmp_path / "complaints-2019.csv"
    text = shift_dates(EXAMPLE_CSV.read_text(encoding="utf-8-sig"), weeks=-313)
    shifted_csv.write_text(text, encoding="utf-8-sig")
    shifted = tmp_path / "events-2019.jsonl"
    result = cli("import", "csv", shifted_csv, "--option", f"mapping={EXAMPLE_MAPPING}", "--output", shifted)
    assert result.exit_code == 0 and result.stderr == "imported 14 events from 4 rows\n", result.output
    audit = cli("audit", shifted, "--as-of", "2019-12-31", "--format", "json", "--policy", "cbrc-2012-13")
    assert audit.exit_code == 1, audit.output
    report = json.loads(audit.stdout)
    assert report["counts"]["lines"] == report["counts"]["accepted"] == 14
    assert report["counts"]["quarantined"] == 0
    statuses = {c["complaint_id"]: c["status"] for c in report["complaints"]}
    assert statuses == {
        "TS-2025-0001": "compliant",
        "TS-2025-0002": "violation",
        "TS-2025-0003": "violation",
        "TS-2025-0004": "open",
    }
    late = [f for f in report["findings"] if f["code"] == "CBRC2012.P9.DECISION_LATE"]
    assert [(f["complaint_id"], f["due"], f["observed"]) for f in late] == [
        ("TS-2025-0003", "2019-10-24T00:00:00+08:00", "2019-10-25T09:00:00+08:00")
    ]


def shift_dates(text: str, weeks: int) -> str:
    """Move every date in the example CSV (2025-03-03, 2025/3/5, 2025-09-26T…) by whole weeks."""
    from datetime import date, timedelta

    def move(match):
        y, m, d = (int(x) for x in match.group(1, 3, 4))
        moved = date(y, m, d) + timedelta(weeks=weeks)
        sep = match.group(2)
        if sep == "/":
            return f"{moved.year}/{moved.month}/{moved.day}"
        return moved.isoformat()

    return re.sub(r"(?<!\d)(20\d\d)([-/])(\d{1,2})[-/](\d{1,2})(?!\d)", move, text)


def test_import_to_stdout_is_jsonl_and_deterministic():
    first = cli("import", "csv", EXAMPLE_CSV, "--option", f"mapping={EXAMPLE_MAPPING}")
    second = cli("import", "csv", EXAMPLE_CSV, "--option", f"mapping={EXAMPLE_MAPPING}")
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    events = [json.loads(line) for line in first.stdout.splitlines()]
    assert [e["event_id"] for e in events][:2] == ["TS-2025-0001-received", "TS-2025-0001-acknowledged"]
    assert "上海分行" in first.stdout  # UTF-8, not \u escapes


def test_bad_rows_are_skipped_listed_and_counted(tmp_path):
    text = EXAMPLE_CSV.read_text(encoding="utf-8-sig").splitlines()
    text[2] = text[2].replace("2025/3/25 17:00", "2025/3/32 17:00")  # row 3: an impossible decision time
    text[4] = text[4].replace(",网上,", ",传真,")  # row 5: a channel the mapping does not know
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    out = tmp_path / "events.jsonl"
    result = cli("import", "csv", bad, "--option", f"mapping={EXAMPLE_MAPPING}", "-o", out)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        f"cppolicy: error: {bad}: row 3: column 办结时间: '2025/3/32 17:00' is not a date-time"
    )
    assert lines[1].startswith(
        f"cppolicy: error: {bad}: row 5: column 渠道: '传真' is not in value map 'channel'"
    )
    assert lines[-1] == "imported 8 events from 2 rows; skipped 2 of 4 rows (errors above)"
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {e["complaint_id"] for e in written} == {"TS-2025-0001", "TS-2025-0003"}  # whole rows or nothing


def test_unknown_importer_lists_the_known_ones(tmp_path):
    result = cli("import", "xlsx", EXAMPLE_CSV)
    assert result.exit_code == 2
    assert result.stderr == "cppolicy: error: unknown importer 'xlsx' (known: csv)\n"


def test_unknown_importer_with_plugins_disabled(monkeypatch):
    monkeypatch.setenv("CPPOLICY_DISABLE_PLUGINS", "1")
    result = cli("import", "csv", EXAMPLE_CSV)
    assert result.exit_code == 2
    assert result.stderr.startswith("cppolicy: error: unknown importer 'csv' (known: none: install")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--option", "mapping"], "--option: 'mapping' is not key=value"),
        (["--option", "=x"], "--option: '=x' is not key=value"),
        (["--option", "mapping=a", "--option", "mapping=b"], "--option: mapping given twice"),
        ([], "csv importer: needs --option mapping=FILE"),
        (
            ["--option", f"mapping={EXAMPLE_MAPPING}", "--option", "sheet=1"],
            "csv importer: unknown option(s) sheet",
        ),
    ],
)
def test_option_errors_are_one_line(args, message):
    result = cli("import", "csv", EXAMPLE_CSV, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"cppolicy: error: {message}") and result.stderr.count("\n") == 1


def test_missing_file_and_bad_mapping_leave_no_output(tmp_path):
    out = tmp_path / "events.jsonl"
    result = cli("import", "csv", tmp_path / "nope.csv", "--option", f"mapping={EXAMPLE_MAPPING}", "-o", out)
    assert result.exit_code == 2
    assert (
        result.stderr == f"cppolicy: error: {tmp_path / 'nope.csv'}: cannot read: No such file or directory\n"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "complaint_id: 投诉编号\ninstitution: {id: 受理机构, level: 机构层级}\n"
        "events: {received: {time: 接收时间}}\n",
        encoding="utf-8",
    )
    result = cli("import", "csv", EXAMPLE_CSV, "--option", f"mapping={mapping}", "-o", out)
    assert result.exit_code == 2
    assert result.stderr == (
        f"cppolicy: error: {mapping}: events.received.data: channel, product, issue "
        f"required for received events but not mapped\n"
    )
    assert list(tmp_path.iterdir()) == [mapping]  # no output, no temporary file


def test_output_directory_must_exist(tmp_path):
    result = cli(
        "import",
        "csv",
        EXAMPLE_CSV,
        "--option",
        f"mapping={EXAMPLE_MAPPING}",
        "-o",
        tmp_path / "missing" / "out.jsonl",
    )
    assert result.exit_code == 2
    assert result.stderr == f"cppolicy: error: --output: {tmp_path / 'missing'} is not a directory\n"


# -- the command's own checks, with importers registered in process ------------------------------------


def _event(complaint: str, type_: str, time: str, **data) -> dict:
    out = {
        "event_id": f"{complaint}-{type_}",
        "complaint_id": complaint,
        "type": type_,
        "time": time,
        "institution": INSTITUTION,
    }
    payload = {**DATA.get(type_, {}), **data}
    if payload:
        out["data"] = payload
    return out


class _Rows:
    """An importer run that reports rows, like the csv plugin does."""

    def __init__(self, rows: dict[int, list[dict]], skipped: dict[int, str]):
        self._items = [(number, doc) for number, docs in rows.items() for doc in docs]
        self._problems = dict(skipped)
        self.row = None
        self.rows = 0
        self.skipped: list[_Problem] = []

    def __iter__(self):
        return self

    def __next__(self):
        if not self._items:
            raise StopIteration
        number, doc = self._items.pop(0)
        for bad in [n for n in self._problems if n < number]:  # rows read (and skipped) on the way
            self.skipped.append(_Problem(bad, self._problems.pop(bad)))
            self.rows += 1
        if number != self.row:
            self.rows += 1
        self.row = number
        return doc


class _Problem:
    def __init__(self, row, reason):
        self.row, self.reason = row, reason


class _Fake:
    @hookimpl
    def cppolicy_register_importers(self, register):
        register(
            "rows",
            lambda path, options: _Rows(
                {
                    2: [
                        _event("C-1", "received", "2025-03-03T10:00:00+08:00"),
                        _event("C-1", "decided", "2025-03-04T10:00:00+08:00"),
                    ],
                    3: [
                        _event("C-2", "received", "2025-03-03T10:00:00+08:00"),
                        _event("C-2", "acknowledged", "2025-03-03T11:00:00+08:00", channel="fax"),
                    ],
                    4: [_event("C-1", "received", "2025-03-05T10:00:00+08:00")],  # C-1-received again
                    6: [_event("C-3", "received", "2025-03-03T10:00:00+08:00")],
                },
                skipped={5: "column X: unreadable"},
            ),
            "rows with row numbers",
        )
        register(
            "plain",
            lambda path, options: iter(
                [
                    _event("P-1", "received", "2025-03-03T10:00:00+08:00"),
                    {
                        "event_id": "P-1-decided",
                        "complaint_id": "P-1",
                        "type": "decided",
                        "time": "2025-03-04 10:00",
                        "institution": INSTITUTION,
                        "data": DATA["decided"],
                    },
                    ["not", "an", "event"],
                ]
            ),
            "a bare generator",
        )
        register("broken", _broken, "fails half way")


def _broken(path, options):
    yield _event("B-1", "received", "2025-03-03T10:00:00+08:00")
    raise ValueError("disk on fire")


@pytest.fixture
def fake_importers(monkeypatch):
    monkeypatch.setattr(importer_cli, "Plugins", lambda: Plugins(load_entry_points=False, extra=[_Fake()]))


def test_invalid_event_skips_its_whole_row(fake_importers, tmp_path):
    source = tmp_path / "in.dat"
    source.write_text("x")
    out = tmp_path / "out.jsonl"
    result = cli("import", "rows", source, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f'cppolicy: error: {source}: row 3: $.data.channel: "fax" is not one of: "phone", "sms", "email", '
        f'"letter", "in_person", "online", "app", "wechat", "other"',
        f"cppolicy: error: {source}: row 4: $.event_id: 'C-1-received' was already imported from row 2",
        f"cppolicy: error: {source}: row 5: column X: unreadable",
        "imported 3 events from 2 rows; skipped 3 of 5 rows (errors above)",
    ]
    written = [json.loads(line)["event_id"] for line in out.read_text().splitlines()]
    assert written == ["C-1-received", "C-1-decided", "C-3-received"]


def test_importer_without_rows_is_reported_per_event(fake_importers, tmp_path):
    source = tmp_path / "in.dat"
    source.write_text("x")
    result = cli("import", "plain", source)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f'cppolicy: error: {source}: event 2: $.time: "2025-03-04 10:00" is not an RFC 3339 '
        f"date-time with a mandatory offset (Z or ±hh:mm), e.g. 2025-09-26T10:15:00+08:00"
    )
    assert (
        lines[1] == f"cppolicy: error: {source}: event 3: $: the importer yielded list, not an event object"
    )
    assert lines[2] == "imported 1 event; skipped 2 events (errors above)"
    assert [json.loads(line)["event_id"] for line in result.stdout.splitlines()] == ["P-1-received"]


def test_importer_crash_is_one_line_and_leaves_no_output(fake_importers, tmp_path):
    source = tmp_path / "in.dat"
    source.write_text("x")
    out = tmp_path / "out.jsonl"
    result = cli("import", "broken", source, "-o", out)
    assert result.exit_code == 2
    # an importer registered in process is named by pluggy's id for it
    assert re.fullmatch(
        rf"cppolicy: error: {re.escape(str(source))}: importer broken \(\d+\) failed: "
        r"ValueError: disk on fire\n",
        result.stderr,
    ), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.dat"]
