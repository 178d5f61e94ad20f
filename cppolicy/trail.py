"""The audit trail: an append-only, hash-chained JSON Lines file (see docs/audit-trail.md).

Each line is one record in canonical JSON (sorted keys, no spaces, UTF-8). Every record carries
its ``seq`` (0-based, consecutive over the whole file), the ``prev`` hash of the record before it
(:data:`GENESIS` for the first) and its own ``hash`` — ``"sha256:"`` + the SHA-256 of the
canonical JSON of the record without ``hash``. A run is ``run_started``, its records
(``evaluation``…), ``run_finished``.

* :class:`TrailWriter` appends runs. Before the first write it takes an exclusive lock on the
  file, verifies it and chains from its last hash; it refuses to append to a broken trail. Each
  record is masked with the ``cppolicy_mask_payload`` hook (``kind="trail"``) *before* it is
  hashed and written, then handed to the ``cppolicy_record_trail`` sinks.
* :func:`verify_trail` re-reads a trail and reports the first line that is not what an honest
  writer would have produced: an edited, deleted, inserted, reordered or duplicated record, a
  cut-off last line or an unfinished last run.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cppolicy.errors import CppolicyError

if TYPE_CHECKING:
    from cppolicy.events import Event
    from cppolicy.findings import ComplaintResult
    from cppolicy.plugins import Plugins

#: ``prev`` of the first record of a trail.
GENESIS = "sha256:" + "0" * 64

RUN_STARTED = "run_started"
EVALUATION = "evaluation"
RUN_FINISHED = "run_finished"

#: Fields every record has, and those each record type adds. A masking plugin may change the
#: values of the type's fields but not remove them; it may not touch the chain fields at all.
COMMON_FIELDS = ("seq", "prev", "hash", "type", "decision_time")
PROTECTED_FIELDS = ("seq", "prev", "type", "decision_time")
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    RUN_STARTED: ("tool", "command", "as_of", "modules", "calendar", "engine", "inputs"),
    EVALUATION: ("complaint_id", "module", "calendar", "engine", "event_time", "as_of",
                 "input_digest", "result", "result_digest"),
    RUN_FINISHED: ("counts", "exit_code", "records"),
}

_HASH_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class TrailError(CppolicyError):
    """A trail that cannot be written (broken, locked, unwritable) or a record that cannot be made."""


# --------------------------------------------------------------------------- canonical form


def canonical_json(value: Any) -> str:
    """The one serialisation that is hashed and written: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    """``"sha256:"`` + the hex SHA-256 of ``text`` encoded as UTF-8."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_hash(record: Mapping[str, Any]) -> str:
    """The hash of a record: the digest of its canonical JSON without the ``hash`` field."""
    return sha256_text(canonical_json({k: v for k, v in record.items() if k != "hash"}))


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iso(moment: datetime | str | None) -> str | None:
    if moment is None or isinstance(moment, str):
        return moment
    from cppolicy.calendar import SHANGHAI

    return moment.astimezone(SHANGHAI).isoformat()


# --------------------------------------------------------------------------- record contents


def evaluation_fields(result: ComplaintResult, events: Iterable[Event], as_of: datetime | str | None,
                      calendar: str | None, engine: str | None) -> dict[str, Any]:
    """The fields of an ``evaluation`` record (see :meth:`TrailWriter.evaluation`)."""
    moment = as_of
    if isinstance(moment, str):
        from cppolicy.cli.options import parse_as_of

        moment = parse_as_of(moment)
    considered = evaluation_order(events, moment) if moment is not None else list(events)
    latest = max(considered, key=lambda e: e.epoch) if considered else None
    payload = result_payload(result)
    return {
        "complaint_id": result.complaint_id,
        "module": module_ref(result.module),
        "calendar": calendar,
        "engine": engine,
        "event_time": _iso(latest.time) if latest else None,
        "as_of": _iso(moment),
        "input_digest": input_digest(considered),
        "result": payload,
        "result_digest": sha256_text(canonical_json(payload)),
    }


def evaluation_order(events: Iterable[Event], as_of: datetime) -> list[Event]:
    """The events the engine considers, in the order it asserts them: those at or before
    ``as_of``, by time, then source and line (input order breaks ties) — as in ``Engine.evaluate``."""
    visible = (e for e in events if e.time <= as_of)
    return sorted(visible, key=lambda e: (e.epoch, e.source or "", e.line or 0))


def input_digest(events: Sequence[Event]) -> str:
    """The digest of a complaint's input: each event's raw dict in canonical JSON, joined by ``\\n``."""
    return sha256_text("\n".join(canonical_json(e.raw) for e in events))


def result_payload(result: ComplaintResult) -> dict[str, Any]:
    """The ``result`` of an evaluation record: the status and each finding's code, severity,
    due and observed times and evidence."""
    return {
        "status": result.status,
        "findings": [
            {"code": f.code, "severity": f.severity, "due": f.due, "observed": f.observed,
             "evidence": list(f.evidence)}
            for f in result.findings
        ],
    }


def module_ref(module: Any) -> dict[str, str]:
    """``{id, version, digest}`` of a RuleModule, a ModuleRef or such a mapping."""
    if isinstance(module, Mapping):
        return {"id": module["id"], "version": module["version"], "digest": module["digest"]}
    return {"id": module.id, "version": module.version, "digest": module.digest}


def file_digest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``{source, sha256, bytes}`` of a file's bytes as they are on disk."""
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise TrailError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return {"source": str(path), "sha256": digest.hexdigest(), "bytes": size}


class StdinDigest:
    """The running SHA-256 of the bytes read from stdin while :func:`hashing_stdin` is active."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.bytes = 0

    def update(self, data: bytes) -> None:
        self._digest.update(data)
        self.bytes += len(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()

    def as_input(self, source: str = "-") -> dict[str, Any]:
        return {"source": source, "sha256": self.hexdigest(), "bytes": self.bytes}


class _HashingReader(io.RawIOBase):
    def __init__(self, inner: IO[bytes], digest: StdinDigest) -> None:
        self._inner = inner
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        read = getattr(self._inner, "read1", self._inner.read)
        data = read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._digest.update(data)
        return size


@contextmanager
def hashing_stdin() -> Iterator[StdinDigest]:
    """Within the block, ``sys.stdin`` reads the same bytes while hashing them, so the trail
    can record the digest of exactly what an audit read from ``-`` without holding it in memory."""
    original = sys.stdin
    digest = StdinDigest()
    source = original.buffer if hasattr(original, "buffer") else original
    sys.stdin = io.TextIOWrapper(io.BufferedReader(_HashingReader(source, digest)), encoding="utf-8")
    try:
        yield digest
    finally:
        sys.stdin = original


def input_digests(paths: Sequence[str], stdin: StdinDigest | None = None) -> list[dict[str, Any]]:
    """The ``inputs`` of a ``run_started`` record: each file's digest, and stdin's (``-``)
    from the :class:`StdinDigest` that watched it being read."""
    out = []
    for path in paths:
        if path == "-":
            unknown = {"source": "-", "sha256": None, "bytes": None}
            out.append(stdin.as_input() if stdin is not None else unknown)
        else:
            out.append(file_digest(path))
    return out


# --------------------------------------------------------------------------- verifying


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
        if not isinstance(record[name], str) or not _HASH_RE.match(record[name]):
            return f"field {name!r} is not a sha256:<64 hex> hash"
    if not isinstance(record["type"], str) or not _TYPE_RE.match(record["type"]):
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


def _find_duplicate(path: Path, text: bytes, before: int) -> int | None:
    with path.open("rb") as handle:
        for number, data in enumerate(handle, start=1):
            if number >= before:
                return None
            if data.rstrip(b"\n") == text:
                return number
    return None


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
    run_line: int | None = None
    run_records = 0
    last_seq: int | None = None

    def bad(line: int | None, seq: int | None, problem: str) -> VerifyResult:
        result.first_bad = Problem(line, seq, problem)
        return result

    with path.open("rb") as handle:
        for number, data in enumerate(handle, start=1):
            complete = data.endswith(b"\n")
            text = data[:-1] if complete else data
            try:
                decoded = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                return bad(number, None, f"not valid UTF-8 (byte {exc.start + 1})")
            if not decoded.strip():
                return bad(number, None, "blank line")
            try:
                record = json.loads(decoded, parse_constant=_reject_constant)
            except ValueError as exc:
                if not complete:
                    return bad(number, None, f"truncated: the last line is cut off (invalid JSON: {exc})")
                return bad(number, None, f"invalid JSON: {exc}")
            if not isinstance(record, dict):
                return bad(number, None, "not a JSON object")
            seq = record.get("seq") if type(record.get("seq")) is int else None
            problem = _field_problem(record)
            if problem:
                return bad(number, seq, problem)
            if record_hash(record) != record["hash"]:
                return bad(number, seq, "hash mismatch (record edited)")
            if canonical_json(record) != decoded:
                return bad(number, seq, "not in canonical JSON form (line rewritten)")
            expected = result.records
            if seq != expected:
                if seq < expected:
                    duplicate = _find_duplicate(path, text, number)
                    if duplicate is not None:
                        return bad(number, seq, f"duplicate of line {duplicate}")
                    return bad(number, seq, f"seq out of order: expected {expected} "
                                            f"(record inserted or reordered)")
                return bad(number, seq, f"seq gap: expected {expected} (record deleted or reordered)")
            if record["prev"] != result.last_hash:
                return bad(number, seq, "prev does not match the hash of the previous record "
                                        "(record deleted, inserted or reordered)")
            kind = record["type"]
            if kind == RUN_STARTED:
                if run_line is not None:
                    return bad(number, seq, f"run_started, but the run started at line {run_line} "
                                            f"has no run_finished")
                run_line, run_records = number, 0
                result.runs += 1
            elif run_line is None:
                return bad(number, seq, f"{kind} record outside a run (no run_started before it)")
            run_records += 1
            if kind == RUN_FINISHED:
                if record["records"] != run_records:
                    return bad(number, seq, f"run_finished counts {record['records']} records, "
                                            f"the run started at line {run_line} has {run_records}")
                run_line = None
            if not complete:
                return bad(number, seq, "truncated: no newline at the end of the last record")
            wanted.discard(record["hash"])
            result.records += 1
            result.last_hash = record["hash"]
            result.lines = number
            last_seq = seq
    if run_line is not None:
        return bad(result.lines, last_seq, f"truncated: run started at line {run_line} has no run_finished")
    if wanted:
        return bad(None, None, f"anchor {sorted(wanted)[0]} is not the hash of any record "
                               f"(trail rewritten or cut short)")
    result.ok = True
    return result


def iter_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The records of a trail, parsed (no verification: call :func:`verify_trail` first)."""
    with Path(path).open("rb") as handle:
        for data in handle:
            if data.strip():
                yield json.loads(data)


# --------------------------------------------------------------------------- writing


def _lock(handle: IO[bytes], path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory lock; one writer per trail is then the caller's job
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise TrailError(f"{path}: the trail is locked by another writer") from None
    except OSError:  # a file system without flock (some network mounts): carry on unlocked
        return


class TrailWriter:
    """Appends runs to a trail file. One writer per file at a time (an exclusive lock is held
    from :meth:`open` to :meth:`close`).

    ::

        with TrailWriter("trail.jsonl", plugins) as trail:
            trail.start_run(command="audit", as_of=as_of, modules=modules,
                            calendar=calendar.version, inputs=input_digests(paths))
            for result, events in ...:
                trail.evaluation(result, events)
            trail.finish_run(report.counts(), exit_code)

    Without ``with``, :meth:`start_run` opens the file and :meth:`close` releases it. Leaving
    the ``with`` block (or calling :meth:`close`) while a run is open finishes it with an
    ``error`` so that the trail stays appendable; only a hard crash leaves a run unfinished.
    """

    def __init__(self, path: str | os.PathLike[str], plugins: Plugins | None = None, *,
                 clock: Callable[[], str] | None = None, tool: str | None = None) -> None:
        if plugins is None:
            from cppolicy.plugins import Plugins

            plugins = Plugins()
        if tool is None:
            from cppolicy import __version__

            tool = f"cppolicy {__version__}"
        self.path = Path(path)
        self.plugins = plugins
        self.tool = tool
        self._clock = clock or _utc_now
        self._handle: IO[bytes] | None = None
        self._broken: str | None = None
        self._seq = 0
        self._prev = GENESIS
        self._run: dict[str, Any] | None = None
        self._run_records = 0

    # -- state --------------------------------------------------------------------------------

    @property
    def last_hash(self) -> str:
        """The hash of the last record in the file (GENESIS for an empty trail)."""
        return self._prev

    @property
    def next_seq(self) -> int:
        return self._seq

    @property
    def run_open(self) -> bool:
        return self._run is not None

    # -- file -----------------------------------------------------------------------------------

    def open(self) -> TrailWriter:
        """Open (creating it if need be), lock and verify the trail; chain from its last hash.
        Raises :class:`TrailError` (exit 2) for a broken, locked or unwritable trail."""
        if self._handle is not None:
            return self
        if self.path.is_dir():
            raise TrailError(f"{self.path}: is a directory, not a trail file")
        try:
            handle = self.path.open("ab")
        except OSError as exc:
            raise TrailError(f"{self.path}: cannot open the trail: {exc.strerror or exc}") from None
        try:
            _lock(handle, self.path)
            found = verify_trail(self.path)
        except OSError as exc:
            handle.close()
            raise TrailError(f"{self.path}: cannot read the trail: {exc.strerror or exc}") from None
        except BaseException:
            handle.close()
            raise
        if not found.ok:
            handle.close()
            raise TrailError(f"{found.message()}; refusing to append to a broken trail")
        self._handle = handle
        self._seq, self._prev = found.records, found.last_hash
        return self

    def sync(self) -> None:
        """Flush and fsync what was written (done by :meth:`finish_run`)."""
        if self._handle is not None and not self._broken:
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Finish an open run with an error, sync and release the file."""
        if self._handle is None:
            return
        try:
            if self._run is not None and not self._broken:
                self.finish_run(None, None, error="the run was not finished (writer closed)")
        finally:
            handle, self._handle = self._handle, None
            handle.close()

    def __enter__(self) -> TrailWriter:
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc is not None and self._run is not None and not self._broken and self._handle is not None:
                code: int | None = None
                if isinstance(exc, CppolicyError):
                    code = int(exc.exit_code)
                elif isinstance(exc, KeyboardInterrupt):
                    code = 130
                message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                self.finish_run(None, code, error=f"aborted: {message}")
        finally:
            self.close()

    # -- records ------------------------------------------------------------------------------

    def start_run(self, *, command: str, as_of: datetime | str | None, modules: Iterable[Any],
                  calendar: Any, inputs: Sequence[Mapping[str, Any]] = (), engine: str | None = None,
                  **extra: Any) -> dict[str, Any]:
        """Append ``run_started``. ``modules`` are RuleModules (or ModuleRefs); ``calendar`` a
        WorkingDayCalendar or its version string; ``inputs`` from :func:`input_digests`;
        ``engine`` defaults to :func:`cppolicy.engine.engine_version`. Extra keyword
        arguments become extra fields. Returns the record as written."""
        if self._run is not None:
            raise TrailError(f"{self.path}: a run is already open (finish_run first)")
        self.open()
        if engine is None:
            from cppolicy.engine import engine_version

            engine = engine_version()
        calendar_version = calendar if isinstance(calendar, str) or calendar is None else calendar.version
        if isinstance(as_of, str):
            from cppolicy.cli.options import parse_as_of

            as_of = parse_as_of(as_of)  # a bare date is 24:00 Asia/Shanghai, as everywhere else
        fields = {
            "tool": self.tool,
            "command": command,
            "as_of": _iso(as_of),
            "modules": [module_ref(m) for m in modules],
            "calendar": calendar_version,
            "engine": engine,
            "inputs": [dict(i) for i in inputs],
            **extra,
        }
        self._run = {"as_of": as_of, "calendar": calendar_version, "engine": engine}
        self._run_records = 0
        try:
            return self._append(RUN_STARTED, fields)
        except BaseException:
            self._run = None
            raise

    def evaluation(self, result: ComplaintResult, events: Iterable[Event], as_of: datetime | None = None, *,
                   calendar: str | None = None, engine: str | None = None) -> dict[str, Any]:
        """Append the ``evaluation`` record of one complaint under one rule module. ``events``
        are the complaint's events (those after ``as_of`` are left out, the rest taken in the
        engine's order); ``as_of``, ``calendar`` and ``engine`` default to the run's."""
        run = self._require_run(EVALUATION)
        fields = evaluation_fields(result, events, as_of if as_of is not None else run["as_of"],
                                   calendar if calendar is not None else run["calendar"],
                                   engine if engine is not None else run["engine"])
        return self._append(EVALUATION, fields)

    def append_evaluation(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Append an ``evaluation`` record whose fields :func:`evaluation_fields` computed
        (e.g. in the worker process that held the complaint's events)."""
        self._require_run(EVALUATION)
        return self._append(EVALUATION, fields)

    def record(self, type: str, **fields: Any) -> dict[str, Any]:
        """Append a record of another ``type`` (e.g. a host's own) inside the open run."""
        if type in TYPE_FIELDS or not _TYPE_RE.match(type):
            raise TrailError(f"record type {type!r} is reserved or not lower_snake_case")
        self._require_run(type)
        return self._append(type, fields)

    def finish_run(self, counts: Mapping[str, Any] | None, exit_code: int | None, *,
                   error: str | None = None, **extra: Any) -> dict[str, Any]:
        """Append ``run_finished`` (``records`` counts the run's records including this one),
        then flush and fsync."""
        self._require_run(RUN_FINISHED)
        fields: dict[str, Any] = {
            "counts": dict(counts) if counts is not None else None,
            "exit_code": int(exit_code) if exit_code is not None else None,
            "records": self._run_records + 1,
            **extra,
        }
        if error is not None:
            fields["error"] = error
        try:
            written = self._append(RUN_FINISHED, fields)
        finally:
            self._run = None
        try:
            self.sync()
        except OSError as exc:
            self._broken = str(exc)
            raise TrailError(f"{self.path}: cannot sync the trail: {exc.strerror or exc}") from None
        return written

    def _require_run(self, kind: str) -> dict[str, Any]:
        if self._run is None:
            raise TrailError(f"{self.path}: {kind} outside a run (call start_run first)")
        return self._run

    def _append(self, kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        if self._broken:
            raise TrailError(f"{self.path}: an earlier write failed ({self._broken}); not writing more")
        assert self._handle is not None
        body = {"seq": self._seq, "prev": self._prev, "type": kind, "decision_time": self._clock(), **fields}
        masked = self.plugins.mask(body, "trail")
        if not isinstance(masked, dict):
            raise TrailError(f"a cppolicy_mask_payload plugin replaced a {kind} trail record")
        for name in PROTECTED_FIELDS:
            if masked.get(name, object()) != body[name]:
                raise TrailError(f"a cppolicy_mask_payload plugin changed or removed the trail field "
                                 f"{name!r}; masks may change record contents, not the chain")
        if "hash" in masked:
            raise TrailError("a cppolicy_mask_payload plugin added a 'hash' field to a trail record")
        for name in TYPE_FIELDS.get(kind, ()):
            if name not in masked:
                raise TrailError(f"a cppolicy_mask_payload plugin removed the field {name!r} of a "
                                 f"{kind} trail record (mask the value instead)")
        try:
            masked["hash"] = sha256_text(canonical_json(masked))
            line = (canonical_json(masked) + "\n").encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise TrailError(f"a {kind} trail record is not JSON: {exc}") from None
        try:
            self._handle.write(line)
            self._handle.flush()
        except OSError as exc:
            self._broken = exc.strerror or str(exc)
            raise TrailError(f"{self.path}: writing the trail failed: {self._broken}; "
                             f"its last line may be cut off") from None
        self._seq += 1
        self._prev = masked["hash"]
        self._run_records += 1
        self.plugins.record_trail(copy.deepcopy(masked))
        return masked


__all__ = [
    "GENESIS", "TrailError", "TrailWriter", "VerifyResult", "Problem", "verify_trail", "iter_records",
    "canonical_json", "record_hash", "input_digest", "input_digests", "file_digest", "hashing_stdin",
    "evaluation_order", "result_payload",
]
