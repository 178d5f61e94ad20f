"""Hostile processes and faults (issue 17, problems 10-11, Build 5 and 8): signals, workers that
die as they start, trails holding what no honest writer writes, a full temporary folder, and every
command's bad inputs — each one line on stderr and a documented exit code, never a traceback or a
hang. One test per defect class, named after it.

Classes that already held when the issue was filed are kept from regressing by tests elsewhere,
named here rather than repeated: malformed lines quarantined with counts reconciling
(``test_hostile_input.py::test_malformed_json_is_quarantined``, whose ``audit`` helper checks the
counts); YAML code tags in a rule module never run
(``test_modules_cli.py::test_a_python_tag_is_rejected_and_runs_no_code``); every kind of trail
tampering caught (``test_trail.py``: ``test_edited_finding_is_a_hash_mismatch``,
``test_deleted_record_is_a_seq_gap``, ``test_swapped_records_are_detected``,
``test_truncated_mid_line_is_invalid_json_on_the_last_line``,
``test_inserted_forged_record_with_recomputed_hash_is_detected``); a worker killed while
evaluating leaves the same report (``test_parallel.py::test_a_crash_that_does_not_recur_alone_costs_nothing``).
A cut-off gzip is ``test_hostile_input.py::test_a_truncated_gzip_file_is_an_input_error``; one
damaged inside, with its error in one line, is here.
"""

from __future__ import annotations

import gzip
import inspect
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer.main

import cppolicy.cli.audit as audit_cli
from cppolicy.audit import AuditObserver
from cppolicy.cli import get_app
from cppolicy.errors import ExitCode
from cppolicy.trail import iter_records, verify_trail
from tests.helpers import cli, compliant, write_jsonl

AS_OF = "2025-12-31T00:00:00+08:00"
#: The module whose rules helpers.compliant() complaints meet.
POLICY = ("--policy", "cbrc-2012-13")
ROOT = Path(__file__).resolve().parent.parent
#: Every exit code docs/exit-codes.md documents (130 and 143: stopped by ^C or SIGTERM).
DOCUMENTED = {int(code) for code in ExitCode} | {130, 143}


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _one_error_line(stderr: str) -> str:
    """The one line of an error on stderr (no traceback, nothing else)."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cppolicy: error: "), stderr
    return lines[0]


def _archive(path: Path, complaints: int) -> Path:
    events = []
    for i in range(complaints):
        events += compliant(f"C-{i:05d}")
    return write_jsonl(path, events)


# --------------------------------------------------------------------------- signals


@pytest.mark.slow
@pytest.mark.parametrize("target", ["process group", "audit process"])
def test_sigterm_during_audit_trail_finishes_the_run_and_workers_end_quietly(tmp_path, target):
    """SIGTERM (``kill``, ``timeout``, a service manager) is handled like ^C: the trail gets its
    ``run_finished`` (exit code 143) and stays appendable; workers print nothing."""
    archive = _archive(tmp_path / "big.jsonl", 6000)
    trail = tmp_path / "trail.jsonl"
    command = [sys.executable, "-m", "cppolicy", "audit", str(archive), "--as-of", AS_OF, "--jobs", "2",
               "--trail", str(trail), "-f", "json", "-o", str(tmp_path / "report.json")]  # fmt: skip
    process = subprocess.Popen(
        command, env=_env(), cwd=tmp_path, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while not (trail.exists() and trail.stat().st_size) and process.poll() is None:
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.02)
    time.sleep(0.3)  # the workers are evaluating
    assert process.poll() is None, "the audit finished before it could be stopped: make it longer"
    if target == "process group":
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)  # stderr is read to its end: the workers' too
    assert process.returncode == 143
    assert _one_error_line(stderr) == "cppolicy: error: terminated by SIGTERM; the run is incomplete"
    assert not (tmp_path / "report.json").exists()
    found = verify_trail(trail)
    assert found.ok, found.message()
    last = list(iter_records(trail))[-1]
    assert last["type"] == "run_finished" and last["exit_code"] == 143 and "SIGTERM" in last["error"]
    small = write_jsonl(tmp_path / "small.jsonl", compliant("C-1"))
    again = cli("audit", small, "--as-of", AS_OF, *POLICY, "--trail", trail)  # the trail takes the next run
    assert again.exit_code == 0, again.output
    assert verify_trail(trail).ok and verify_trail(trail).runs == 2


def test_sigterm_in_process_finishes_the_trail_run_with_exit_143(tmp_path, monkeypatch):
    """The same path without a subprocess: SIGTERM arrives while the audit judges its first
    complaint (``cppolicy audit`` called in this process, as a host's script would)."""

    class SendSigterm(AuditObserver):
        def complaint_judged(self, judged: object) -> None:
            os.kill(os.getpid(), signal.SIGTERM)

    def audit_archive(*args: Any, observers: Any = (), **kwargs: Any) -> Any:
        return real(*args, observers=[*observers, SendSigterm()], **kwargs)

    def not_handled(signum: int, frame: object) -> None:  # the test's, should the command's be missing
        raise RuntimeError("SIGTERM reached the test's handler")

    real = audit_cli.audit_archive
    monkeypatch.setattr(audit_cli, "audit_archive", audit_archive)
    before = signal.signal(signal.SIGTERM, not_handled)
    archive = write_jsonl(tmp_path / "a.jsonl", compliant("C-1") + compliant("C-2"))
    trail = tmp_path / "trail.jsonl"
    try:
        result = cli("audit", archive, "--as-of", AS_OF, *POLICY, "--trail", trail)
        assert signal.getsignal(signal.SIGTERM) is not_handled  # the command line's handler is gone
    finally:
        signal.signal(signal.SIGTERM, before)
    assert result.exit_code == 143, result.output
    assert _one_error_line(result.stderr) == "cppolicy: error: terminated by SIGTERM; the run is incomplete"
    assert verify_trail(trail).ok
    last = list(iter_records(trail))[-1]
    assert (last["type"], last["exit_code"], last["error"]) == (
        "run_finished",
        143,
        "aborted: Terminated: terminated by SIGTERM",
    )


_KILL_AT_START = """
import os, signal, sys
import multiprocessing.util as util

real = util.spawnv_passfds
left = [0]  # set below, in the audit process only (a worker runs this module too)


def spawn(path, args, passfds):  # the worker is killed before it has read a byte of its start-up pipe
    pid = real(path, args, passfds)
    if left[0] and any(b"spawn_main" in (a if isinstance(a, bytes) else a.encode()) for a in args):
        left[0] -= 1
        os.kill(pid, signal.SIGKILL)
    return pid


util.spawnv_passfds = spawn
if __name__ == "__main__":
    from cppolicy.cli import main

    left[0] = int(sys.argv[1])
    sys.argv = ["cppolicy", *sys.argv[2:]]
    main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("killed", [1, 2])
def test_a_worker_killed_as_it_starts_never_hangs_the_audit(tmp_path, killed):
    """Killed within milliseconds of its start, a worker used to leave ``audit --jobs 2`` blocked
    forever writing the spec to its start-up pipe; now it is restarted and the report is the same."""
    archive = _archive(tmp_path / "archive.jsonl", 300)
    script = tmp_path / "kill_at_start.py"
    script.write_text(_KILL_AT_START, encoding="utf-8")
    baseline = cli("audit", archive, "--as-of", AS_OF, "-f", "json")
    result = subprocess.run(
        [sys.executable, str(script), str(killed), "audit", str(archive), "--as-of", AS_OF, "-f", "json",
         "--jobs", "2"],
        env=_env(), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == baseline.exit_code, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout) == json.loads(baseline.stdout)


@pytest.mark.slow
def test_workers_killed_each_time_they_start_are_one_line_exit_3_not_a_hint_about_main(tmp_path):
    """Three start-up deaths in a row stop the audit (exit 3, the engine could not judge); killed
    by a signal, the line says so rather than blaming a script's missing ``__main__`` guard."""
    archive = _archive(tmp_path / "archive.jsonl", 50)
    script = tmp_path / "kill_at_start.py"
    script.write_text(_KILL_AT_START, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), "3", "audit", str(archive), "--as-of", AS_OF, "--jobs", "2"],
        env=_env(), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 3
    assert _one_error_line(result.stderr) == (
        "cppolicy: error: worker processes were killed as they started (SIGKILL three times in a row)"
    )


# --------------------------------------------------------------------------- trails


@pytest.fixture
def trail(tmp_path) -> Path:
    path = tmp_path / "trail.jsonl"
    archive = write_jsonl(tmp_path / "archive.jsonl", compliant("C-1") + compliant("C-2"))
    result = cli("audit", archive, "--as-of", AS_OF, *POLICY, "--trail", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize(
    "value, problem",
    [
        ("1e400", "invalid JSON: number 1e400 is out of range"),  # not parsed: no seq to name
        ('"\\ud800"', "seq 1: a string holds a lone surrogate ('\\ud800'): not UTF-8 text"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply to verify"),
        ('{"a":' * 5_000 + "0" + "}" * 5_000, "nested too deeply to verify"),
    ],
    ids=["1e400", "lone surrogate", "deep array", "deep object"],
)
def test_a_trail_line_no_writer_writes_is_named_by_verify_and_refused_by_audit_trail(
    trail, tmp_path, value, problem
):
    """A number out of a double's range, a lone surrogate or deep nesting in a trail line made
    ``trail verify`` and ``audit --trail`` end in a traceback (exit 1, "violations")."""
    lines = trail.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('{"', '{"x":' + value + ',"', 1)
    trail.write_text("".join(lines), encoding="utf-8")
    verified = cli("trail", "verify", trail)
    assert verified.exit_code == 1
    assert _one_error_line(verified.stderr) == f"cppolicy: error: {trail}:2: {problem}"
    archive = write_jsonl(tmp_path / "more.jsonl", compliant("C-3"))
    appended = cli("audit", archive, "--as-of", AS_OF, "--trail", trail)
    assert appended.exit_code == 2
    line = _one_error_line(appended.stderr)
    assert line.startswith(f"cppolicy: error: {trail}:2: ") and line.endswith(
        "refusing to append to a broken trail"
    )


# --------------------------------------------------------------------------- the temporary folder


def _unsorted_archive(tmp_path: Path) -> Path:
    """An archive out of complaint order (so it is spilled to TMPDIR) of about 2 MB."""
    events = []
    for i in range(400, 0, -1):
        for e in compliant(f"C-{i:04d}"):
            if e["type"] == "received":
                e["data"]["cause"] = "x" * 4000
            events.append(e)
    return write_jsonl(tmp_path / "unsorted.jsonl", events)


def _audit_in(
    tmp_path: Path, archive: Path, prefix: list[str], *extra: str, **popen: object
) -> subprocess.CompletedProcess[str]:
    options = extra or ("-f", "json")
    return subprocess.run(
        [*prefix, sys.executable, "-m", "cppolicy", "audit", str(archive), "--as-of", AS_OF, *options],
        env=_env(TMPDIR=str(tmp_path / "tmp")), cwd=tmp_path, capture_output=True, text=True,
        timeout=120, **popen,  # type: ignore[call-overload]
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1) for a private tmpfs")
@pytest.mark.parametrize(
    "what, problem",
    [
        ("spill", "no room for the temporary database (database or disk is full)"),
        (
            "streamed report",
            "cannot write the report there before it is copied to its file (No space left on device)",
        ),
    ],
)
def test_a_full_tmpdir_is_one_line_naming_it_exit_2(tmp_path, what, problem):
    """A real full file system: a 256 KiB tmpfs, mounted in a private user and mount namespace
    (no root needed where unprivileged user namespaces are allowed). The spill of an unsorted
    archive, or a CSV report written while the audit runs (kept in TMPDIR until it succeeds)."""
    (tmp_path / "tmp").mkdir()
    probe = subprocess.run(
        ["unshare", "-Urm", "mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(tmp_path / "tmp")],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip("no unprivileged user namespaces with tmpfs here")
    if what == "spill":
        archive, extra = _unsorted_archive(tmp_path), []
    else:
        archive, extra = _archive(tmp_path / "sorted.jsonl", 2000), ["-f", "csv", "-o", "report.csv"]
    mount = f'mount -t tmpfs -o size=256k tmpfs {tmp_path / "tmp"} && exec "$@"'
    result = _audit_in(tmp_path, archive, ["unshare", "-Urm", "sh", "-c", mount, "sh"], *extra)
    assert result.returncode == 2, result.stderr
    assert _one_error_line(result.stderr) == (
        f"cppolicy: error: {tmp_path / 'tmp'} (TMPDIR): {problem}; free space there or set TMPDIR "
        f"to a folder with room"
    )
    assert not (tmp_path / "report.csv").exists()


@pytest.mark.slow
def test_a_temporary_database_that_cannot_grow_is_one_line_naming_tmpdir_exit_2(tmp_path):
    """A file-size limit (``ulimit -f``): SQLite's write fails ("disk I/O error") past 200 KB."""
    archive = _unsorted_archive(tmp_path)
    (tmp_path / "tmp").mkdir()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_003, 200_003))

    result = _audit_in(tmp_path, archive, [], preexec_fn=limit)
    assert result.returncode == 2, result.stderr
    line = _one_error_line(result.stderr)
    assert line.startswith(f"cppolicy: error: {tmp_path / 'tmp'} (TMPDIR): the temporary database failed (")
    assert line.endswith("; free space there or set TMPDIR to a folder with room")


# --------------------------------------------------------------------------- every command


def _commands() -> list[tuple[list[str], Any]]:
    """Every command of the application, as ``(words, command)``, aliases (``policies …``) once:
    new ones are covered as they come. (Typer's own copy of click: told apart by what they have,
    not by class.)"""
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, words: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*words, name])
        elif all(inspect.unwrap(command.callback) is not inspect.unwrap(seen.callback) for _, seen in found):
            found.append((words, command))

    walk(typer.main.get_command(get_app()), [])
    return found


HOSTILE = {
    "missing file": None,
    "directory": "dir",
    "binary garbage": bytes(range(256)) * 8 + b"\x1f\x8b\x08\x00garbage",
    "empty file": b"",
    "gzip of garbage": gzip.compress(b"\xff\xfe" * 1000)[:-5],
    "deeply nested JSON": b"[" * 1_500 + b"]" * 1_500 + b"\n",  # past Python's recursion limit
}


def _hostile(tmp_path: Path, kind: str, n: int = 0) -> Path:
    path = tmp_path / f"hostile-{kind.replace(' ', '-')}-{n}"
    content = HOSTILE[kind]
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    return path


#: Valid values for the parameters that are not files (by parameter name), so that the hostile
#: files reach the commands' readers; any other parameter (a new command's too) gets a hostile file.
VALID = {
    "as_of": "2025-12-31",
    "period": "2025H1",
    "before": "cbrc-2012-13",
    "after": "cbrc-2012-13",
    "name": "csv",  # import NAME FILE
    "state": "monitor-state.sqlite",  # created: the monitor's input is the hostile file
}


def _invocation(words: list[str], command: Any, folder: Path, kind: str) -> list[str]:
    """The command with a hostile file of ``kind`` for every argument and required option that
    is not in :data:`VALID` (each its own file)."""
    args = list(words)
    for n, param in enumerate(command.params):
        value = VALID.get(param.name) or str(_hostile(folder, kind, n))
        if param.param_type_name == "argument":
            args.append(value)
        elif param.param_type_name == "option" and param.required:
            args += [param.opts[0], value]
    return args


def _check(result, args: list[str]) -> None:
    where = " ".join(args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (where, result.exception)
    assert result.exit_code in DOCUMENTED, (where, result.exit_code)
    assert "Traceback" not in result.output, where
    errors = [line for line in result.stderr.splitlines() if line.startswith("cppolicy: error:")]
    assert len(errors) <= 1, (where, result.stderr)
    if result.exit_code != ExitCode.OK:
        assert result.stderr.strip() or result.stdout.strip(), where  # a refusal is said


@pytest.mark.parametrize(
    "kind",
    # deep nesting: PyYAML takes seconds to reach the recursion limit in each module command
    [pytest.param(k, marks=pytest.mark.slow) if k.startswith("deeply") else k for k in sorted(HOSTILE)],
)
def test_every_command_ends_a_hostile_file_in_one_line_and_a_documented_code(tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    for n, (words, command) in enumerate(_commands()):
        folder = tmp_path / str(n)
        folder.mkdir()
        args = _invocation(words, command, folder, kind)
        _check(cli(*args, input=""), args)


@pytest.mark.slow  # about a hundred commands: half a minute
def test_every_option_of_every_command_ends_a_bad_value_in_one_line_and_a_documented_code(
    tmp_path, monkeypatch
):
    """Each option that takes a value, given a file of binary garbage or ``-1``, the command's
    arguments and required options a file of garbage too."""
    monkeypatch.chdir(tmp_path)
    n = 0
    for words, command in _commands():
        options = [p for p in command.params if p.param_type_name == "option" and not p.is_flag]
        for option in options:
            for bad in ("garbage", "-1"):
                n += 1
                folder = tmp_path / str(n)
                folder.mkdir()
                value = str(_hostile(folder, "binary garbage", -1)) if bad == "garbage" else bad
                args = _invocation(words, command, folder, "binary garbage")
                if not option.required:
                    args += [option.opts[0], value]
                _check(cli(*args, input=""), args)
    assert n > 40  # the walk found the commands


# --------------------------------------------------------------------------- classes that held


def test_a_damaged_gzip_archive_is_one_line_exit_2(tmp_path):
    """Bytes flipped inside the compressed stream (not only a cut-off end)."""
    data = bytearray(gzip.compress(b"".join(json.dumps(e).encode() + b"\n" for e in compliant("C-1")) * 50))
    for i in range(40, 60):
        data[i] ^= 0xFF
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(bytes(data))
    result = cli("audit", path, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert _one_error_line(result.stderr).startswith(f"cppolicy: error: {path}")


def test_jobs_above_four_per_cpu_is_refused_in_one_line_before_any_worker_starts(tmp_path, monkeypatch):
    """`--jobs 1000` spawned hundreds of workers and `--jobs 99999` hung: now one line, exit 2."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    started: list[int] = []
    monkeypatch.setattr(audit_cli, "audit_archive", lambda *a, **k: started.append(1))
    archive = write_jsonl(tmp_path / "a.jsonl", compliant("C-1"))
    for jobs in (9, 1000, 99999):
        result = cli("audit", archive, "--as-of", "2026-01-31", "--jobs", jobs)
        assert result.exit_code == 2, result.output
        (line,) = result.output.strip().splitlines()
        assert line == (
            f"cppolicy: error: --jobs: {jobs} is more than 8, 4 per CPU of this machine "
            "(more workers than CPUs only cost memory, docs/performance.md)"
        )
    assert not started
