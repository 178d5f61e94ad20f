"""``cppolicy validate``: output format, summary, exit codes 0/1/2, gzip, stdin, BOM, bad bytes.

The command is mounted on a fresh Typer app so these tests do not depend on other commands.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cppolicy.cli.validate import register

FIXTURES = Path(__file__).parent / "fixtures" / "events"
VALID = sorted((FIXTURES / "valid").glob("*.json"))
ERROR_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>[0-9]+): (?P<path>\$\S*): (?P<message>.+) \[(?P<keyword>[A-Za-z0-9]+)\]$"
)


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """Test root so that `validate` stays a sub-command."""

    register(app)
    return app


def _invoke(*args: str, input: str | bytes | None = None):  # noqa: A002
    return CliRunner().invoke(_app(), ["validate", *args], input=input)


def _jsonl(*fixtures: Path) -> str:
    docs = (json.loads(p.read_text(encoding="utf-8")) for p in fixtures)
    return "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in docs)


def _write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


@pytest.fixture
def all_valid() -> str:
    return _jsonl(*VALID)


@pytest.fixture
def mixed() -> str:
    """line 1 valid, line 2 missing states_contact, line 3 blank, line 4 malformed, line 5 valid."""
    return (
        _jsonl(FIXTURES / "valid" / "received.json")
        + _jsonl(FIXTURES / "invalid" / "ack_missing_states_contact.json")
        + "\n"
        + '{"event_id": "e-9",\n'
        + _jsonl(FIXTURES / "valid" / "closed.json")
    )


def test_all_valid_exits_0_with_only_a_summary(tmp_path: Path, all_valid: str) -> None:
    path = _write(tmp_path, "good.jsonl", all_valid)
    result = _invoke(path)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"checked {len(VALID)} events in 1 file: {len(VALID)} valid, 0 invalid\n"
    assert result.stderr == ""


def test_invalid_events_exit_1_with_one_line_per_error(tmp_path: Path, mixed: str) -> None:
    path = _write(tmp_path, "mixed.jsonl", mixed)
    result = _invoke(path)
    assert result.exit_code == 1
    *errors, summary = result.stdout.splitlines()
    assert summary == "checked 4 events in 1 file: 2 valid, 2 invalid"
    parsed = [ERROR_LINE.match(line) for line in errors]
    assert all(parsed), errors
    assert [(m["file"], m["line"], m["path"], m["keyword"]) for m in parsed] == [  # type: ignore[index]
        (path, "2", "$.data.states_contact", "required"),
        (path, "4", "$", "json"),
    ]


def test_summary_counts_files_and_pluralises(tmp_path: Path, all_valid: str, mixed: str) -> None:
    one = _write(tmp_path, "one.jsonl", _jsonl(VALID[0]))
    assert _invoke(one).stdout == "checked 1 event in 1 file: 1 valid, 0 invalid\n"
    a = _write(tmp_path, "a.jsonl", all_valid)
    b = _write(tmp_path, "b.jsonl", mixed)
    result = _invoke(a, b)
    assert result.exit_code == 1
    total = len(VALID) + 4
    summary = result.stdout.splitlines()[-1]
    assert summary == f"checked {total} events in 2 files: {total - 2} valid, 2 invalid"


def test_gzip_file_is_accepted(tmp_path: Path, all_valid: str) -> None:
    path = _write(tmp_path, "good.jsonl.gz", gzip.compress(all_valid.encode()))
    result = _invoke(path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"checked {len(VALID)} events in 1 file")


def test_stdin_plain_and_gzip(mixed: str) -> None:
    result = _invoke("-", input=mixed)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("-:2: $.data.states_contact: ")
    result = _invoke("-", input=gzip.compress(_jsonl(*VALID).encode()))
    assert result.exit_code == 0, result.output


def test_bom_is_ignored(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.jsonl", b"\xef\xbb\xbf" + _jsonl(*VALID[:2]).encode())
    result = _invoke(path)
    assert result.exit_code == 0, result.output


def test_invalid_utf8_is_reported_not_a_crash(tmp_path: Path) -> None:
    path = _write(tmp_path, "bytes.jsonl", _jsonl(VALID[0]).encode() + b'{"event_id": "\xc3\x28"}\n')
    result = _invoke(path)
    assert result.exit_code == 1
    first, summary = result.stdout.splitlines()
    match = ERROR_LINE.match(first)
    assert match and (match["line"], match["path"], match["keyword"]) == ("2", "$", "utf8")
    assert "byte 15" in match["message"]
    assert summary == "checked 2 events in 1 file: 1 valid, 1 invalid"


def test_empty_file_is_zero_events_and_exit_0(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.jsonl", "")
    result = _invoke(path)
    assert result.exit_code == 0
    assert result.stdout == "checked 0 events in 1 file: 0 valid, 0 invalid\n"


def test_missing_file_exits_2_with_one_stderr_line(tmp_path: Path, all_valid: str) -> None:
    good = _write(tmp_path, "good.jsonl", all_valid)
    missing = str(tmp_path / "missing.jsonl")
    result = _invoke(good, missing)
    assert result.exit_code == 2
    assert result.stdout == ""  # checked before anything is read
    assert result.stderr == f"cppolicy: error: {missing}: cannot read: No such file or directory\n"
    assert isinstance(result.exception, SystemExit)  # no traceback


def test_corrupt_gzip_exits_2(tmp_path: Path, all_valid: str) -> None:
    path = _write(tmp_path, "cut.jsonl.gz", gzip.compress((all_valid * 20).encode())[:80])
    result = _invoke(path)
    assert result.exit_code == 2
    assert result.stderr.startswith("cppolicy: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _invoke().exit_code == 2
    path = _write(tmp_path, "good.jsonl", _jsonl(VALID[0]))
    assert _invoke("--format", "xml", path).exit_code == 2


def test_json_format(tmp_path: Path, mixed: str) -> None:
    path = _write(tmp_path, "mixed.jsonl", mixed)
    result = _invoke("--format", "json", path)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert {k: document[k] for k in ("files", "checked", "valid", "invalid")} == {
        "files": 1,
        "checked": 4,
        "valid": 2,
        "invalid": 2,
    }
    assert document["schema"] == "https://cppolicy.example/schemas/complaint-event/v1.json"
    assert [(e["source"], e["line"], e["path"], e["keyword"]) for e in document["errors"]] == [
        (path, 2, "$.data.states_contact", "required"),
        (path, 4, "$", "json"),
    ]
    assert all(e["message"] for e in document["errors"])


def test_json_format_all_valid_exits_0(tmp_path: Path, all_valid: str) -> None:
    result = _invoke("--format", "json", _write(tmp_path, "good.jsonl", all_valid))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["errors"] == []


def test_every_invalid_fixture_gives_well_formed_lines(tmp_path: Path) -> None:
    invalid = sorted((FIXTURES / "invalid").glob("*.json"))
    path = _write(tmp_path, "bad.jsonl", _jsonl(*invalid))
    result = _invoke(path)
    assert result.exit_code == 1
    *errors, summary = result.stdout.splitlines()
    assert summary == f"checked {len(invalid)} events in 1 file: 0 valid, {len(invalid)} invalid"
    assert all(ERROR_LINE.match(line) for line in errors), errors
    lines = {int(ERROR_LINE.match(line)["line"]) for line in errors}  # type: ignore[index]
    assert lines == set(range(1, len(invalid) + 1))


def test_real_entry_point(tmp_path: Path, mixed: str) -> None:
    path = _write(tmp_path, "mixed.jsonl", mixed)
    done = subprocess.run(
        [sys.executable, "-m", "cppolicy", "validate", path], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == "checked 4 events in 1 file: 2 valid, 2 invalid"
    missing = subprocess.run(
        [sys.executable, "-m", "cppolicy", "validate", str(tmp_path / "nope")], capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("cppolicy: error: ") and ": cannot read: " in missing.stderr
    assert "Traceback" not in missing.stderr
