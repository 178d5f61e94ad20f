"""Verifying a trail: the first line that is not what an honest writer would have produced.

An edited, deleted, inserted, reordered or duplicated record, a cut-off last line or an
unfinished last run is named with its line and ``seq``; anchors (hashes kept elsewhere) catch a
trail rewritten from scratch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cppolicy.trail.records import (
    COMMON_FIELDS,
    GENESIS,
    HASH_RE,
    RUN_FINISHED,
    RUN_STARTED,
    TYPE_FIELDS,
    TYPE_RE,
    canonical_json,
    record_hash,
)


@dataclass(frozen=True)
class Problem:
    """The first defect found: 1-based ``line`` (None for the file as a whole), the record's
    ``seq`` when it could be read, and what is wrong."""

    line: int | None
    seq: int | None
    problem: str

    def format(self, source: str) -> str:
        """``FILE:LINE: seq S: problem``."""
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: " + (f"seq {self.seq}: " if self.seq is not None else "") + self.problem


@dataclass
class VerifyResult:
    """What :func:`verify_trail` found. On failure, ``records`` / ``runs`` / ``last_hash``
    describe the intact prefix before ``first_bad``."""

    path: str
    ok: bool
    records: int = 0
    runs: int = 0
    last_hash: str = GENESIS
    first_bad: Problem | None = None
    #: 1-based line of the last record (0 for an empty trail)
    lines: int = 0

    def message(self) -> str:
        if self.ok:
            return f"ok: {self.records} records, {self.runs} runs, last hash {self.last_hash}"
        assert self.first_bad is not None
        return self.first_bad.format(self.path)


def _field_problem(record: dict[str, Any]) -> str | None:
    for name in COMMON_FIELDS:
        if name not in record:
            return f"missing field {name!r}"
    if type(record["seq"]) is not int or record["seq"] < 0:
        return "field 'seq' is not a whole number"
    for name in ("prev", "hash"):
        if not isinstance(record[name], str) or not HASH_RE.match(record[name]):
            return f"field {name!r} is not a sha256:<64 hex> hash"
    if not isinstance(record["type"], str) or not TYPE_RE.match(record["type"]):
        return "field 'type' is not a record type"
    if not isinstance(record["decision_time"], str):
        return "field 'decision_time' is not a string"
    for name in TYPE_FIELDS.get(record["type"], ()):
        if name not in record:
            return f"{record['type']} record without field {name!r}"
    if record["type"] == RUN_FINISHED:
        if type(record["records"]) is not int:
            return "field 'records' is not a whole number"
        if record["exit_code"] is not None and type(record["exit_code"]) is not int:
            return "field 'exit_code' is not a whole number"
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    """A JSON number as a float, refusing one out of a double's range (``1e400``): no honest
    writer produces it (canonical JSON has no infinity), and it could not be hashed."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _find_duplicate(path: Path, text: bytes, before: int) -> int | None:
    with path.open("rb") as handle:
        for number, data in enumerate(handle, start=1):
            if number >= before:
                return None
            if data.rstrip(b"\n") == text:
                return number
    return None


class _Defect(Exception):
    """The first defect, found: where, and what is wrong."""

    def __init__(self, line: int | None, seq: int | None, problem: str) -> None:
        super().__init__(problem)
        self.problem = Problem(line, seq, problem)


class _Verifier:
    """Reads a trail record by record, keeping what the next record must agree with."""

    def __init__(self, path: Path, result: VerifyResult) -> None:
        self.path, self.result = path, result
        self.run_line: int | None = None  # the line of the open run's run_started
        self.run_records = 0
        self.last_seq: int | None = None

    def line(self, number: int, data: bytes) -> str:
        """One line: a record in canonical form, in its place in the chain and in its run; its hash."""
        complete = data.endswith(b"\n")
        text = data[:-1] if complete else data
        record, decoded = self._parse(number, text, complete)
        seq = record.get("seq") if type(record.get("seq")) is int else None
        problem = _field_problem(record)
        if problem:
            raise _Defect(number, seq, problem)
        try:
            hashed = record_hash(record)
            canonical = canonical_json(record)
        except UnicodeEncodeError as exc:  # a lone surrogate (\ud800): not text, not hashable
            bad = repr(exc.object[exc.start : exc.end])
            raise _Defect(number, seq, f"a string holds a lone surrogate ({bad}): not UTF-8 text") from None
        except RecursionError:
            raise _Defect(number, seq, "nested too deeply to verify") from None
        if hashed != record["hash"]:
            raise _Defect(number, seq, "hash mismatch (record edited)")
        if canonical != decoded:
            raise _Defect(number, seq, "not in canonical JSON form (line rewritten)")
        self._in_chain(number, seq, record, text)
        self._in_run(number, seq, record["type"], record)
        if not complete:
            raise _Defect(number, seq, "truncated: no newline at the end of the last record")
        result = self.result
        result.records += 1
        result.last_hash = record["hash"]
        result.lines = number
        self.last_seq = seq
        return hashed  # equal to record["hash"], checked above

    @staticmethod
    def _parse(number: int, text: bytes, complete: bool) -> tuple[dict[str, Any], str]:
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Defect(number, None, f"not valid UTF-8 (byte {exc.start + 1})") from None
        if not decoded.strip():
            raise _Defect(number, None, "blank line")
        try:
            record = json.loads(decoded, parse_constant=_reject_constant, parse_float=_finite_float)
        except RecursionError:
            raise _Defect(number, None, "nested too deeply to verify") from None
        except ValueError as exc:
            if not complete:
                raise _Defect(
                    number, None, f"truncated: the last line is cut off (invalid JSON: {exc})"
                ) from None
            raise _Defect(number, None, f"invalid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise _Defect(number, None, "not a JSON object")
        return record, decoded

    def _in_chain(self, number: int, seq: int | None, record: dict[str, Any], text: bytes) -> None:
        expected = self.result.records
        if seq != expected:
            assert seq is not None  # _field_problem checked it
            if seq < expected:
                duplicate = _find_duplicate(self.path, text, number)
                if duplicate is not None:
                    raise _Defect(number, seq, f"duplicate of line {duplicate}")
                raise _Defect(
                    number, seq, f"seq out of order: expected {expected} (record inserted or reordered)"
                )
            raise _Defect(number, seq, f"seq gap: expected {expected} (record deleted or reordered)")
        if record["prev"] != self.result.last_hash:
            raise _Defect(
                number,
                seq,
                "prev does not match the hash of the previous record (record deleted, inserted or reordered)",
            )

    def _in_run(self, number: int, seq: int | None, kind: str, record: dict[str, Any]) -> None:
        if kind == RUN_STARTED:
            if self.run_line is not None:
                raise _Defect(
                    number,
                    seq,
                    f"run_started, but the run started at line {self.run_line} has no run_finished",
                )
            self.run_line, self.run_records = number, 0
            self.result.runs += 1
        elif self.run_line is None:
            raise _Defect(number, seq, f"{kind} record outside a run (no run_started before it)")
        self.run_records += 1
        if kind == RUN_FINISHED:
            if record["records"] != self.run_records:
                raise _Defect(
                    number,
                    seq,
                    f"run_finished counts {record['records']} records, "
                    f"the run started at line {self.run_line} has {self.run_records}",
                )
            self.run_line = None


def verify_trail(path: str | os.PathLike[str], anchors: Iterable[str] = ()) -> VerifyResult:
    """Verify a trail file line by line; stop at the first defect.

    An empty file is a valid trail with 0 records. Each ``anchor`` (a hash recorded elsewhere
    earlier, e.g. the last hash printed after a run) must be the hash of some record: without
    one, a trail rewritten from scratch with fresh hashes cannot be told from the original.
    Raises OSError when the file cannot be read.
    """
    path = Path(path)
    result = VerifyResult(path=str(path), ok=False)
    wanted = set(anchors)
    verifier = _Verifier(path, result)
    try:
        with path.open("rb") as handle:
            for number, data in enumerate(handle, start=1):
                wanted.discard(verifier.line(number, data))
        if verifier.run_line is not None:
            raise _Defect(
                result.lines,
                verifier.last_seq,
                f"truncated: run started at line {verifier.run_line} has no run_finished",
            )
        if wanted:
            raise _Defect(
                None,
                None,
                f"anchor {sorted(wanted)[0]} is not the hash of any record (trail rewritten or cut short)",
            )
    except _Defect as defect:
        result.first_bad = defect.problem
        return result
    result.ok = True
    return result


def iter_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The records of a trail, parsed (no verification: call :func:`verify_trail` first)."""
    with Path(path).open("rb") as handle:
        for data in handle:
            if data.strip():
                yield json.loads(data)
