"""Writing a trail: :class:`TrailWriter` appends runs, one writer per file at a time.

Before the first write it takes an exclusive lock on the file, verifies it and chains from its
last hash; it refuses to append to a broken trail. Each record is masked with the
``cppolicy_mask_payload`` hook (``kind="trail"``) *before* it is hashed and written, then handed to
the ``cppolicy_record_trail`` sinks.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from cppolicy.calendar import WorkingDayCalendar, parse_moment
from cppolicy.errors import CppolicyError, TrailError, interruption_code
from cppolicy.evaluation import ArchiveResult, ComplaintResult, ModuleRef, engine_version
from cppolicy.events import Event
from cppolicy.plugin import Plugins
from cppolicy.resources import VERSION
from cppolicy.rules import RuleModule
from cppolicy.trail.records import (
    ARCHIVE_EVALUATION,
    EVALUATION,
    GENESIS,
    PROTECTED_FIELDS,
    RUN_FINISHED,
    RUN_STARTED,
    TYPE_FIELDS,
    TYPE_RE,
    ComplaintInput,
    archive_evaluation_fields,
    canonical_json,
    complaint_input,
    evaluation_fields,
    iso_moment,
    module_ref,
    sha256_text,
    utc_now,
)
from cppolicy.trail.verify import verify_trail

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


def _lock(handle: IO[bytes], path: Path) -> None:
    if fcntl is None:  # not POSIX: no advisory lock; one writer per trail is then the caller's job
        return  # type: ignore[unreachable]  # mypy checks for POSIX, where fcntl is never None
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

    def __init__(
        self,
        path: str | os.PathLike[str],
        plugins: Plugins | None = None,
        *,
        clock: Callable[[], str] | None = None,
        tool: str | None = None,
    ) -> None:
        if plugins is None:
            plugins = Plugins()
        if tool is None:
            tool = f"cppolicy {VERSION}"
        self.path = Path(path)
        self.plugins = plugins
        self.tool = tool
        self._clock = clock or utc_now
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

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc is not None and self._run is not None and not self._broken and self._handle is not None:
                code: int | None = None
                if isinstance(exc, CppolicyError):
                    code = int(exc.exit_code)
                elif isinstance(exc, KeyboardInterrupt):  # ^C, or SIGTERM (Terminated)
                    code = interruption_code(exc)
                message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                self.finish_run(None, code, error=f"aborted: {message}")
        finally:
            self.close()

    # -- records ------------------------------------------------------------------------------

    def start_run(
        self,
        *,
        command: str,
        as_of: datetime | str | None,
        modules: Iterable[RuleModule | ModuleRef],
        calendar: WorkingDayCalendar | str | None,
        inputs: Sequence[Mapping[str, Any]] = (),
        engine: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Append ``run_started``. ``modules`` are RuleModules (or ModuleRefs); ``calendar`` a
        WorkingDayCalendar or its version string; ``inputs`` from :func:`input_digests`;
        ``engine`` defaults to :func:`cppolicy.evaluation.engine_version`. Extra keyword
        arguments become extra fields. Returns the record as written."""
        if self._run is not None:
            raise TrailError(f"{self.path}: a run is already open (finish_run first)")
        self.open()
        if engine is None:
            engine = engine_version()
        calendar_version = calendar if isinstance(calendar, str) or calendar is None else calendar.version
        if isinstance(as_of, str):
            as_of = parse_moment(as_of)  # a bare date is 24:00 Asia/Shanghai, as everywhere else
        fields = {
            "tool": self.tool,
            "command": command,
            "as_of": iso_moment(as_of),
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

    def evaluation(
        self,
        result: ComplaintResult,
        events: Iterable[Event] | ComplaintInput,
        as_of: datetime | None = None,
        *,
        calendar: str | None = None,
        engine: str | None = None,
    ) -> dict[str, Any]:
        """Append the ``evaluation`` record of one complaint under one rule module. ``events``
        are the complaint's events (those after ``as_of`` are left out, the rest taken in the
        engine's order), or their :class:`~cppolicy.trail.records.ComplaintInput` computed where
        they were; ``as_of``, ``calendar`` and ``engine`` default to the run's."""
        run = self._require_run(EVALUATION)
        moment = as_of if as_of is not None else run["as_of"]
        complaint = events if isinstance(events, ComplaintInput) else complaint_input(events, moment)
        fields = evaluation_fields(
            result,
            complaint,
            moment,
            calendar if calendar is not None else run["calendar"],
            engine if engine is not None else run["engine"],
        )
        return self._append(EVALUATION, fields)

    def archive_evaluation(
        self, result: ArchiveResult, as_of: datetime | None = None, *, calendar: str | None = None
    ) -> dict[str, Any]:
        """Append the ``archive_evaluation`` record of one module's archive-scope rules;
        ``as_of`` and ``calendar`` default to the run's."""
        run = self._require_run(ARCHIVE_EVALUATION)
        fields = archive_evaluation_fields(
            result,
            as_of if as_of is not None else run["as_of"],
            calendar if calendar is not None else run["calendar"],
        )
        return self._append(ARCHIVE_EVALUATION, fields)

    def record(self, type: str, **fields: Any) -> dict[str, Any]:
        """Append a record of another ``type`` (e.g. a host's own) inside the open run."""
        if type in TYPE_FIELDS or not TYPE_RE.match(type):
            raise TrailError(f"record type {type!r} is reserved or not lower_snake_case")
        self._require_run(type)
        return self._append(type, fields)

    def finish_run(
        self,
        counts: Mapping[str, Any] | None,
        exit_code: int | None,
        *,
        error: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
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
                raise TrailError(
                    f"a cppolicy_mask_payload plugin changed or removed the trail field "
                    f"{name!r}; masks may change record contents, not the chain"
                )
        if "hash" in masked:
            raise TrailError("a cppolicy_mask_payload plugin added a 'hash' field to a trail record")
        for name in TYPE_FIELDS.get(kind, ()):
            if name not in masked:
                raise TrailError(
                    f"a cppolicy_mask_payload plugin removed the field {name!r} of a "
                    f"{kind} trail record (mask the value instead)"
                )
        try:
            masked["hash"] = sha256_text(canonical_json(masked))
            line = (canonical_json(masked) + "\n").encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise TrailError(f"a {kind} trail record is not JSON: {exc}") from None
        except RecursionError:  # trail verify could not read it back either
            raise TrailError(f"a {kind} trail record is nested too deeply to be written") from None
        try:
            self._handle.write(line)
            self._handle.flush()
        except OSError as exc:
            self._broken = exc.strerror or str(exc)
            raise TrailError(
                f"{self.path}: writing the trail failed: {self._broken}; its last line may be cut off"
            ) from None
        self._seq += 1
        self._prev = masked["hash"]
        self._run_records += 1
        self.plugins.record_trail(copy.deepcopy(masked))
        return masked
