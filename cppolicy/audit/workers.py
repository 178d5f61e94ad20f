"""Worker processes for ``cppolicy audit --jobs N``: what runs inside one.

durable_rules' C core holds the GIL (threads do not help) and is not memory-safe (a crash in it
must never read as "no breach"), so complaints are judged in worker processes. A worker is
started with the ``spawn`` method and builds its own :class:`~cppolicy.evaluation.judge.Judge`
from the rule modules' parsed documents and the calendar's data files (:class:`WorkerSpec` carries
plain data, paths and digests, never live objects). It validates and compiles each module as
:func:`~cppolicy.rules.load_module` does, but from the audit's parsed document rather than by
parsing its YAML again (which took most of a worker's start: about 0.2 s of 0.3), and checks that
the module it built has the audit's digest; a worker whose calendar (loaded from the same data
files) is not the audit's version refuses to start.

It receives chunks of whole complaints (each event as its validated input line, see
:func:`~cppolicy.events.revive`) and sends back, per complaint, its
:class:`~cppolicy.evaluation.judge.Judgement` (slim results, without clock computations, unless the
audit keeps full results) and, when an audit trail is written, its
:class:`~cppolicy.trail.ComplaintInput`, computed where the events are. The parent side is
:mod:`cppolicy.audit.pool`.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cppolicy.audit.spill import Row
from cppolicy.errors import CppolicyError, EvaluationError
from cppolicy.evaluation import (
    ComplaintResult,
    Judge,
    Judgement,
    ModuleRef,
    Selector,
    modules_for,
    slim_result,
)
from cppolicy.events import revive
from cppolicy.plugin import Plugins
from cppolicy.rules import module_from_data
from cppolicy.trail import ComplaintInput, complaint_input

#: How much nicer than the audit process its workers run (``os.nice``). With two jobs on two
#: cores, three busy processes share two cores, and the audit process (reading, validating,
#: reporting: about a third of the work) would get only its equal share: it then fell behind, the
#: workers waited for chunks, and the backlog was empty when the archive-scope rules began
#: (measured on a million events: 3 chunks a worker left, against about 17 at this niceness;
#: cores busy 95.5-96.4 % against 96.3-97.1 %, three runs each). Ahead of its workers, it keeps
#: both cores busy. Within one session's scheduling group (Linux autogroups) this only shares
#: the audit's own CPU differently.
WORKER_NICE = 3


#: The cyclic garbage collector's first threshold while an audit runs (Python's default: 700).
#: An audit allocates millions of short-lived containers (events, facts, findings) and keeps its
#: results; at the default the collector ran about 3,400 times and took a tenth of a 200,000-event
#: audit's time (measured with gc.callbacks), at this threshold 70 times and under 3 %. Cyclic
#: garbage is still collected, just in larger batches.
GC_THRESHOLD = (20_000, 50, 50)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the body (or, as a decorator, the function) with :data:`GC_THRESHOLD`, then put the
    caller's thresholds back: the host's process is the host's."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


class WorkerError(EvaluationError):
    """A worker could not start or raised an unexpected exception (not a crash: a bug or a
    mismatch between the parent's and the worker's modules or calendar). Exit code 3."""


#: A function run once in each worker process once its judge is built, named ``"module:function"``
#: with its extra arguments: ``function(context, *args)``. For hosts that set resource limits or
#: logging in workers; the tests use it to make a worker crash on a given complaint.
WorkerSetup = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class WorkerContext:
    """What a :data:`WorkerSetup` function is given: the worker's judge, and whether the worker is a
    single-use one (a retry of a complaint whose first worker died)."""

    judge: Judge
    single_use: bool


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to build its judge: plain data (the modules' parsed documents), paths
    and digests, and how it is to judge and answer."""

    #: ``(module.yaml path, parsed document, digest)`` of each rule module, as the audit loaded it
    modules: tuple[tuple[str, dict[str, Any], str], ...]
    calendar_files: tuple[str, ...]
    calendar_version: str
    as_of: datetime
    sources: tuple[str, ...]
    #: the judge's selection of modules (a module-level function: it is pickled by reference)
    select: Selector = modules_for
    supersede: bool = True
    #: send results without their clock computations (:func:`~cppolicy.evaluation.slim_result`)
    slim: bool = True
    #: send each complaint's :class:`~cppolicy.trail.ComplaintInput` (for the audit trail)
    inputs: bool = False
    setup: WorkerSetup | None = None
    #: how much nicer than the audit process the worker runs: :data:`WORKER_NICE` beside other
    #: workers; 0 for the one worker of ``--jobs 1`` (it competes with no other worker of the audit,
    #: and niced on a busy machine it was starved by other users' processes)
    nice: int = WORKER_NICE


#: What a worker sends back for a complaint.
Outcome = tuple[Judgement, ComplaintInput | None]


class Worker:
    """The judge of one worker process, built from a :class:`WorkerSpec`."""

    def __init__(self, spec: WorkerSpec, single: bool) -> None:
        self.spec = spec
        modules = [module_from_data(Path(path), data) for path, data, _ in spec.modules]
        digests = tuple(m.digest for m in modules)
        expected = tuple(digest for _, _, digest in spec.modules)
        if digests != expected:
            raise WorkerError(f"the worker's rule modules are {digests}, the audit's {expected}")
        calendar = Plugins().calendar("cn", [Path(f) for f in spec.calendar_files])
        if calendar.version != spec.calendar_version:
            raise WorkerError(
                f"the worker's calendar is {calendar.version!r}, the audit's {spec.calendar_version!r}"
            )
        self.judge = Judge(modules, calendar, select=spec.select, supersede=spec.supersede)
        if spec.setup is not None:
            name, args = spec.setup
            module_name, _, function = name.partition(":")
            getattr(import_module(module_name), function)(WorkerContext(self.judge, single), *args)

    def evaluate(self, complaint_id: str, rows: list[Row]) -> Outcome:
        sources, as_of = self.spec.sources, self.spec.as_of
        events = [revive(data, sources[src], line) for src, line, data in rows]
        judgement = self.judge.judge(complaint_id, events, as_of)
        complaint = complaint_input(events, as_of) if self.spec.inputs else None
        if self.spec.slim:
            judgement.results = [slim_result(r) for r in judgement.results]
        _share_citations(judgement.results)
        return judgement, complaint


def _share_citations(results: list[ComplaintResult]) -> None:
    """Equal citation dicts become one object, so a chunk's pickle carries each once."""
    seen: dict[tuple[ModuleRef, str, str], dict[str, Any]] = {}
    for result in results:
        for finding in result.findings:
            key = (finding.module, finding.rule_id, finding.code)
            shared = seen.setdefault(key, finding.citation)
            if shared is not finding.citation and shared == finding.citation:
                object.__setattr__(finding, "citation", shared)


def worker_main(conn: Connection, spec: WorkerSpec | None, single: bool) -> None:
    """A worker process: build the judge, then evaluate chunks until told to stop (``None``), then
    leave without tearing the interpreter down (see :mod:`cppolicy.audit.pool`). ``spec`` None:
    the first message on ``conn`` is the spec.

    ^C and SIGTERM, sent to the whole process group (a terminal, ``timeout``, a service manager),
    are the parent's to handle: it stops its workers and closes the audit trail. A worker whose
    parent is gone (its pipe broken) leaves quietly, without a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked by the pool while this process started
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if _serve(conn, spec, single):
        conn.close()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


@fewer_collections()
def _serve(conn: Connection, spec: WorkerSpec | None, single: bool) -> bool:
    """Evaluate chunks until told to stop: True then, or once a single-use worker has sent its
    results; False if the pipe broke (the parent is gone: nobody to tell) or an error was reported."""
    try:
        if spec is None:
            spec = conn.recv()
            assert isinstance(spec, WorkerSpec), type(spec)
        if hasattr(os, "nice"):  # not on Windows
            try:
                os.nice(spec.nice)
            except OSError:  # refused (a sandbox): the same results, only scheduled differently
                pass
        try:
            worker = Worker(spec, single)
        except BaseException as exc:  # noqa: BLE001 — reported to the parent, which stops the audit
            conn.send(("error", None, _describe(exc)))
            return False
        conn.send(("ready", None, None))
        while True:
            message = conn.recv()
            if message is None:
                return True
            task_id, complaints = message
            try:
                out = [worker.evaluate(cid, rows) for cid, rows in complaints]
            except BaseException as exc:  # noqa: BLE001
                conn.send(("error", task_id, _describe(exc)))
                return False
            conn.send(("done", task_id, out))
            if single:
                return True
    except (EOFError, OSError):  # BrokenPipeError included
        return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, CppolicyError):
        return exc.message
    return "".join(traceback.format_exception(exc)).rstrip()
