"""Hostile outputs (issue 17, problems 3 and 12): an output path that is an input, control
characters and bidi overrides in values that reach a terminal, CSV cells a spreadsheet would
evaluate, and the CSV byte-order mark."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cppolicy.cli.outputs import OutputGuard
from cppolicy.errors import InputError
from tests.helpers import cli, compliant, event, module_2012_path, write_jsonl

AS_OF = "2025-12-31"
EXAMPLE_2027 = Path(__file__).resolve().parents[1] / "examples" / "calendar" / "cn-2027.example.json"


def _archive(tmp_path: Path) -> tuple[Path, bytes]:
    path = write_jsonl(tmp_path / "archive.jsonl", compliant("C-1"), extra_lines=["not json"])
    return path, path.read_bytes()


def _refused(result, place: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cppolicy: error: {place}"), result.stderr
    assert "the same file as" in lines[0]


# ---------------------------------------------------------------- an output that is an input


@pytest.mark.parametrize("option", ["--quarantine", "--output", "--trail"])
def test_audit_output_naming_the_archive_is_refused_and_the_archive_kept(tmp_path, option):
    archive, before = _archive(tmp_path)
    result = cli("audit", archive, "--as-of", AS_OF, option, archive)
    _refused(result, option)
    assert archive.read_bytes() == before


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_output_reaching_the_archive_through_a_link_is_refused(tmp_path, link):
    archive, before = _archive(tmp_path)
    other = tmp_path / "other.jsonl"
    (os.symlink if link == "symlink" else os.link)(archive, other)
    result = cli("audit", archive, "--as-of", AS_OF, "--quarantine", other)
    _refused(result, "--quarantine")
    result = cli("audit", archive, "--as-of", AS_OF, "-f", "csv", "-o", other)
    _refused(result, "--output")
    assert archive.read_bytes() == before


def test_two_outputs_naming_one_file_are_refused_before_either_is_written(tmp_path):
    archive, _ = _archive(tmp_path)
    report = tmp_path / "report.json"
    result = cli("audit", archive, "--as-of", AS_OF, "-o", report, "--quarantine", report)
    _refused(result, "--quarantine")
    assert not report.exists()
    result = cli("audit", archive, "--as-of", AS_OF, "-o", report, "--trail", tmp_path / "." / "report.json")
    _refused(result, "--trail")
    assert not report.exists()


def test_output_naming_calendar_data_or_module_is_refused(tmp_path):
    archive, _ = _archive(tmp_path)
    module = tmp_path / "mod"
    module.mkdir()
    (module / "module.yaml").write_bytes((module_2012_path() / "module.yaml").read_bytes())
    result = cli("audit", archive, "--as-of", AS_OF, "-m", module, "-o", module / "module.yaml")
    _refused(result, "--output")
    assert (module / "module.yaml").read_bytes() == (module_2012_path() / "module.yaml").read_bytes()
    calendar = tmp_path / "2027.json"
    calendar.write_bytes(EXAMPLE_2027.read_bytes())
    result = cli("audit", archive, "--as-of", AS_OF, "--calendar-data", calendar, "--quarantine", calendar)
    _refused(result, "--quarantine")
    assert calendar.read_bytes() == EXAMPLE_2027.read_bytes()


def test_every_command_with_an_output_refuses_an_input(tmp_path):
    archive, before = _archive(tmp_path)
    _refused(cli("report", "semiannual", archive, "--period", "2025H1", "-o", archive), "--output")
    _refused(cli("monitor", archive, "--state", archive), "--state")
    _refused(cli("monitor", archive, "--state", tmp_path / "s.db", "--trail", archive), "--trail")
    rows = tmp_path / "rows.csv"
    rows.write_text("complaint_id\n")
    _refused(cli("import", "csv", rows, "-o", rows), "--output")
    assert rows.read_text() == "complaint_id\n"
    assert archive.read_bytes() == before
    assert not (tmp_path / "s.db").exists()


def test_output_swapped_for_an_input_after_the_check_is_not_truncated(tmp_path):
    """The race: the output's name is made a link to the archive after the first check; the file
    actually opened is checked again before it is truncated."""
    archive, before = _archive(tmp_path)
    target = tmp_path / "report.json"
    guard = OutputGuard().read("the archive", [archive]).claim("--output", target)
    target.symlink_to(archive)
    with pytest.raises(InputError, match="--output .*the same file as the archive"):
        guard.open("--output", target)
    assert archive.read_bytes() == before


def test_output_through_a_symbolic_link_loop_is_one_line(tmp_path):
    archive, _ = _archive(tmp_path)
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    result = cli("audit", archive, "--as-of", AS_OF, "--quarantine", tmp_path / "loop1")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "symbolic links" in result.stderr


@pytest.mark.slow
def test_standard_output_appended_to_the_archive_is_refused(tmp_path):
    archive, before = _archive(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for command in (
        ["audit", str(archive), "--as-of", AS_OF],
        ["explain", "C-1", str(archive), "--as-of", AS_OF],
        ["validate", str(archive)],
    ):
        with archive.open("ab") as out:
            proc = subprocess.run(
                [sys.executable, "-m", "cppolicy", *command], stdout=out, stderr=subprocess.PIPE, env=env
            )
        assert proc.returncode == 2
        assert proc.stderr.decode().startswith("cppolicy: error: standard output: the same file as")
        assert archive.read_bytes() == before


# ---------------------------------------------------------------- control characters and bidi

#: ESC[8m hides what follows; OSC 0 retitles the terminal; U+202E reverses the text after it
HOSTILE_ID = "C-\x1b[8mhidden\x1b]0;pwned\x07\u202eevil\x7f\x9b\u2066"
ESCAPED_ID = "C-\\x1b[8mhidden\\x1b]0;pwned\\x07\\u202eevil\\x7f\\x9b\\u2066"
#: rich markup in a value: drawn as is, never a style, never an error
MARKUP_ID = "[/]x[bold]"
_RAW = ("\x1b", "\x07", "\u202e", "\x7f", "\x9b", "\u2066")


def _hostile_archive(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "hostile.jsonl",
        [
            event(HOSTILE_ID, "received", "2024-03-04T10:00:00+08:00"),
            event(MARKUP_ID, "received", "2024-03-04T10:00:00+08:00"),
        ],
    )


def _no_raw_controls(text: str) -> None:
    for char in _RAW:
        assert char not in text, repr(char)


def test_control_and_bidi_characters_in_ids_are_escaped_in_the_table(tmp_path):
    archive = _hostile_archive(tmp_path)
    result = cli("audit", archive, "--as-of", AS_OF)
    assert result.exit_code == 1, result.output
    _no_raw_controls(result.stdout)
    assert ESCAPED_ID in result.stdout
    assert MARKUP_ID in result.stdout


def test_control_and_bidi_characters_are_escaped_in_explain(tmp_path):
    archive = _hostile_archive(tmp_path)
    result = cli("explain", HOSTILE_ID, archive, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    _no_raw_controls(result.stdout)
    assert f"Complaint {ESCAPED_ID}" in result.stdout
    missing = cli("explain", "Z\x1b]0;pwned\x07\u202e", archive, "--as-of", AS_OF)
    assert missing.exit_code == 2
    _no_raw_controls(missing.stderr)


def test_control_and_bidi_characters_are_json_escapes_in_json_and_jsonl(tmp_path):
    archive = _hostile_archive(tmp_path)
    for fmt in ("json", "jsonl"):
        result = cli("audit", archive, "--as-of", AS_OF, "-f", fmt)
        _no_raw_controls(result.stdout)
        assert "\\u202e" in result.stdout and "\\u009b" in result.stdout
        ids = {
            finding["complaint_id"]
            for finding in (
                json.loads(result.stdout)["findings"]
                if fmt == "json"
                else [json.loads(line) for line in result.stdout.splitlines()]
            )
        }
        assert ids == {HOSTILE_ID, MARKUP_ID}  # the same values once decoded


def test_control_and_bidi_characters_are_escaped_in_csv(tmp_path):
    archive = _hostile_archive(tmp_path)
    streamed = tmp_path / "findings.csv"
    result = cli("audit", archive, "--as-of", AS_OF, "-f", "csv")
    assert cli("audit", archive, "--as-of", AS_OF, "-f", "csv", "-o", streamed).exit_code == 1
    assert streamed.read_text(encoding="utf-8") == result.stdout  # streamed = written at the end
    _no_raw_controls(result.stdout)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["complaint_id"] for row in rows} == {ESCAPED_ID, MARKUP_ID}


def test_control_characters_in_error_lines_are_escaped(tmp_path):
    """A file name or an option holding an OSC sequence would retitle the terminal from stderr."""
    result = cli("audit", tmp_path / "\x1b]0;pwned\x07.jsonl", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "\\x1b]0;pwned\\x07.jsonl" in result.stderr
    _no_raw_controls(result.stderr)
    usage = cli("audit", "--\x1b[8m", "--as-of", AS_OF)
    assert usage.exit_code == 2
    _no_raw_controls(usage.stderr)


# ---------------------------------------------------------------- CSV formula injection


def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(tmp_path):
    ids = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB"]
    archive = write_jsonl(
        tmp_path / "formula.jsonl", [event(i, "received", "2024-03-04T10:00:00+08:00") for i in ids]
    )
    result = cli("audit", archive, "--as-of", AS_OF, "-f", "csv")
    got = {row["complaint_id"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert got == {"'" + i for i in ids}
    branch = {"id": "=1+1", "level": "branch", "parent": "HO-001"}
    events = [{**e, "institution": branch} for e in compliant("C-1", "2024-03-04")]
    archive = write_jsonl(tmp_path / "branch.jsonl", events)
    half_year = cli("report", "semiannual", archive, "--period", "2024H1", "-f", "csv")
    assert half_year.exit_code == 0, half_year.output
    cells = [cell for row in csv.reader(io.StringIO(half_year.stdout)) for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "@", "+"))]
    assert any(cell.startswith("'=1+1") for cell in cells)


def test_negative_numbers_in_csv_stay_numbers():
    from cppolicy.reports.escape import csv_cell

    assert [csv_cell(v) for v in (-3, -0.25, "-12", "-0.1234", "+5", "-1e3", None)] == [
        -3,
        -0.25,
        "-12",
        "-0.1234",
        "+5",
        "-1e3",
        None,
    ]
    assert csv_cell("-1+1") == "'-1+1"


# ---------------------------------------------------------------- byte-order mark


def test_csv_has_no_byte_order_mark_unless_excel_asks_for_it(tmp_path):
    archive, _ = _archive(tmp_path)
    plain = tmp_path / "plain.csv"
    excel = tmp_path / "excel.csv"
    cli("audit", archive, "--as-of", AS_OF, "-f", "csv", "-o", plain)
    cli("audit", archive, "--as-of", AS_OF, "-f", "csv", "-o", excel, "--excel")
    assert plain.read_bytes().startswith(b"complaint_id,")
    assert excel.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()
    stdout = cli("audit", archive, "--as-of", AS_OF, "-f", "csv", "--excel")
    assert stdout.stdout.startswith("\ufeffcomplaint_id,")
    report = cli("report", "semiannual", archive, "--period", "2025H1", "-f", "csv", "--excel")
    assert report.stdout.startswith("\ufeffsection,")
    refused = cli("audit", archive, "--as-of", AS_OF, "-f", "json", "--excel")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("cppolicy: error: --excel: only with --format csv")


def test_semiannual_markdown_escapes_raw_html_from_the_data(tmp_path):
    """Markdown passes raw HTML through: a product or an extension reason from the archive must
    not become a tag in the page a Markdown viewer renders."""
    product = "<img src=x onerror=alert(1)>"
    reason = "<script>alert('x')</script> & more"
    events = [dict(e) for e in compliant("C-1", "2025-03-03")]
    events[0] = event("C-1", "received", events[0]["time"], product=product)
    extension = {"reason": reason, "new_limit": {"value": 30, "unit": "working_day"}}
    events.insert(2, event("C-1", "extended", "2025-03-05T10:00:00+08:00", **extension))
    archive = write_jsonl(tmp_path / "html.jsonl", events)
    result = cli("report", "semiannual", archive, "--period", "2025H1", "-f", "markdown")
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert "<img" not in page and "<script" not in page and "</" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; more" in page
