"""Worker processes for ``cppolicy audit --jobs N``: scale, and crash isolation.

durable_rules' C core holds the GIL (threads do not help) and is not memory-safe (a crash in it
must never read as "no breach"). So complaints are evaluated in worker processes:

* Workers are started with the ``spawn`` method and build their own engines from the rule
  modules' parsed documents and the calendar's data files (:class:`WorkerSpec` carries plain data,
  paths and digests, never live objects). A worker validates and compiles each module as
  :func:`~cppolicy.rule_module.load_module` does, but from the audit's parsed document rather than
  by parsing its YAML again (which took most of a worker's start: about 0.2 s of 0.3), and
  checks that the module it built has the audit's digest; a worker whose calendar (loaded from
  the same data files) is not the audit's version refuses to start.
* Work is partitioned by complaint: the parent sends chunks of whole complaints (each event as
  its validated input line, see :func:`cppolicy.spill.revive`) and receives plain data — slim
  :class:`~cppolicy.findings.ComplaintResult` objects (see :func:`slim_result`) and, when an audit
  trail is written, each evaluation record's fields, computed in the worker by the trail's own code.
  Results are yielded in the order the complaints were given, so the output does not depend on N.
* Workers run :data:`WORKER_NICE` steps nicer than the parent, so that it stays ahead of them.
* Each worker has up to :data:`OUTSTANDING` chunks outstanding (once the input is all read, every
  chunk waiting is handed out, see :meth:`Pool.run`); a thread per worker receives its
  results, so a worker never waits for the parent to read. A worker that has finished its work
  leaves with ``os._exit(0)``: everything it sent is in the pipe by then, and tearing down its
  interpreter (engines, modules) cost about 0.1 s the audit waited for.
* **A worker that dies** (segfault, abort, killed by the out-of-memory killer) costs only its
  chunk: the chunks it had not started go to other workers; the chunk it was evaluating is
  retried in two halves, each in a **fresh single-use process**, a half that dies again in two
  halves again, and so on down to **a complaint alone in a fresh process**. A complaint that kills
  that process too is reported by the caller as an ``error`` finding naming the signal
  (``CPPOLICY.EVALUATION_ERROR``, exit code 3) — never as compliant. Halving finds the complaint
  with about two processes per halving (a chunk of 64: about a dozen) rather than one per
  complaint of the chunk, and a crash that does not recur costs two.

Test hook (honoured only in tests): :data:`_TEST_CRASH` maps a complaint id to a signal name
(``"SIGSEGV"``, ``"SIGABRT"``, ``"SIGKILL"``), optionally suffixed ``":pool"`` to crash only in
pooled workers (so the single-use retry succeeds). The parent copies it into the spec; a worker
about to evaluate that complaint kills itself with the signal (``os.abort()`` for SIGABRT). It is
empty unless a test sets it (``monkeypatch.setattr(cppolicy.parallel, "_TEST_CRASH", {...})``);
nothing else in cppolicy sets it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cppolicy.errors import CppolicyError, EvaluationError
from cppolicy.findings import ComplaintResult
from cppolicy.spill import Row, revive

#: Test-only crash hook; see the module docstring. Never set outside tests.
_TEST_CRASH: dict[str, str] = {}

#: Chunk limits: a chunk ends once it holds this many complaints, events or bytes of lines
#: (a complaint is never split). Larger chunks cost less to send and receive (from 16 complaints /
#: 400 events to 64 / 1,600: about a tenth less wall time with two workers on 200,000 events); a
#: crashed chunk is retried by halving, so its size costs a crash only a few more processes. The
#: bytes bound the memory of chunks of very long lines.
CHUNK_COMPLAINTS = 64
CHUNK_EVENTS = 1600
CHUNK_BYTES = 1 << 20

#: How far the audit process reads ahead of the complaints it has reported, in bytes of lines
#: a worker: what is read is held until reported, whether waiting to be sent, sent, or
#: evaluated and waiting for an earlier complaint (a slow one holds up the report, never the
#: memory bound); at least one chunk is always read. When the input is all read, this backlog
#: keeps the workers busy while the audit process judges the archive-scope rules, which would
#: otherwise run alone at the end with the workers idle. On the benchmark's million events those
#: rules take about 0.7 s; 7,000,000 bytes for two workers are about 16,000 of its events (433
#: bytes a line), a second of one worker's time. (Counted in chunks, as before, the backlog was
#: eleven chunks of 64 complaints: about 4,200 of these events, and the workers sat idle through
#: most of the archive-scope rules; and a chunk evaluated but waiting for an earlier one was not
#: counted.)
READ_AHEAD_BYTES = 3_500_000

#: Chunks sent to a worker ahead of its results. A chunk of the benchmark's archive is about
#: 25 ms of a worker's time; with two outstanding, the audit process's round trip (receive the
#: results, send the next chunk: threads sharing one interpreter, a process sharing two cores)
#: was often longer, and each worker waited for work about 220 times in a million events
#: (2-3 s); with four, about 25 times, at the start and at the end.
OUTSTANDING = 4

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


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to build its engines: plain data (the modules' parsed documents),
    paths and digests."""

    #: ``(module.yaml path, parsed document, digest)`` of each rule module, as the audit loaded it
    modules: tuple[tuple[str, dict, str], ...]
    calendar_files: tuple[str, ...]
    calendar_version: str
    as_of: datetime
    sources: tuple[str, ...]
    #: (calendar version, engine) of the open trail run, when evaluation records are wanted
    trail: tuple[str, str] | None = None
    crash: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ClockState:
    """What the parent keeps of a clock: its state (a result's status reads ``running``)."""

    state: str


_RUNNING = ClockState("running")


def slim_result(result: ComplaintResult) -> ComplaintResult:
    """The result without its clock computations (heavy; only ``explain`` needs them): the
    status is unchanged because a running clock is kept as a :class:`ClockState`."""
    running = any(c.state == "running" for c in result.clocks)
    return ComplaintResult(complaint_id=result.complaint_id, module=result.module,
                           institution_id=result.institution_id, findings=result.findings,
                           clocks=[_RUNNING] if running else [], fired=result.fired, events=result.events)


def trail_fields(result: ComplaintResult, events: Sequence, as_of: datetime, calendar: str,
                 engine: str) -> dict[str, Any]:
    """The fields of the ``evaluation`` trail record that ``TrailWriter.evaluation`` would append."""
    from cppolicy.trail import evaluation_fields

    return evaluation_fields(result, events, as_of, calendar, engine)


def evaluate_complaint(modules: Sequence, engines: dict, complaint_id: str, events: Sequence,
                       as_of: datetime) -> tuple[str | None, list[ComplaintResult]]:
    """Evaluate one complaint under the modules that judge it; ``(why none does, results)``."""
    from cppolicy.calendar import SHANGHAI
    from cppolicy.selection import modules_for

    try:
        chosen, skipped = modules_for(modules, events)
    except Exception as exc:  # noqa: BLE001 — the complaint's result is unknown: an error, never compliant
        as_of_text = as_of.astimezone(SHANGHAI).isoformat()
        institution = events[0].institution.get("id") if events else None
        results = []
        for module in modules:
            engine = engines[module.ref]
            results.append(ComplaintResult(
                complaint_id=complaint_id, module=engine.ref, institution_id=institution,
                findings=[engine.error_finding(complaint_id, institution, as_of_text, exc)],
                events=sum(1 for e in events if e.time <= as_of)))
        return None, results
    from cppolicy.engine import Prepared

    prepared = Prepared(events, as_of)  # shared by the modules that judge the complaint
    return skipped, [engines[module.ref].evaluate(complaint_id, events, as_of, prepared=prepared)
                     for module in chosen]


# --------------------------------------------------------------------------- worker side


class _Worker:
    def __init__(self, spec: WorkerSpec) -> None:
        from cppolicy.engine import Engine, engine_version
        from cppolicy.plugins import Plugins
        from cppolicy.rule_module import module_from_data

        self.spec = spec
        self.modules = [module_from_data(Path(path), data) for path, data, _ in spec.modules]
        digests = tuple(m.digest for m in self.modules)
        expected = tuple(digest for _, _, digest in spec.modules)
        if digests != expected:
            raise WorkerError(f"the worker's rule modules are {digests}, the audit's {expected}")
        self.calendar = Plugins().calendar("cn", [Path(f) for f in spec.calendar_files])
        if self.calendar.version != spec.calendar_version:
            raise WorkerError(f"the worker's calendar is {self.calendar.version!r}, "
                              f"the audit's {spec.calendar_version!r}")
        self.engines = {m.ref: Engine(m, self.calendar) for m in self.modules}
        self.engine = engine_version()
        self.crash = dict(spec.crash)

    def evaluate(self, complaint_id: str, rows: list[Row], single: bool) -> tuple:
        how = self.crash.get(complaint_id)
        if how is not None:
            name, _, where = how.partition(":")
            if not (where == "pool" and single):
                _die(name)
        sources = self.spec.sources
        events = [revive(data, sources[src], line) for src, line, data in rows]
        skipped, results = evaluate_complaint(self.modules, self.engines, complaint_id, events, self.spec.as_of)
        fields = None
        if self.spec.trail is not None:
            calendar, engine = self.spec.trail
            fields = [trail_fields(r, events, self.spec.as_of, calendar, engine) for r in results]
        slim = [slim_result(r) for r in results]
        _share_citations(slim)
        return skipped, slim, fields


def _share_citations(results: list[ComplaintResult]) -> None:
    """Equal citation dicts become one object, so a chunk's pickle carries each once."""
    seen: dict[Any, dict] = {}
    for result in results:
        for finding in result.findings:
            key = (finding.module, finding.rule_id, finding.code)
            shared = seen.setdefault(key, finding.citation)
            if shared is not finding.citation and shared == finding.citation:
                object.__setattr__(finding, "citation", shared)


def _die(name: str) -> None:
    if name == "SIGABRT":
        os.abort()
    os.kill(os.getpid(), getattr(signal, name))
    signal.pause()  # a signal that is blocked or ignored: wait for the kill to land


def _worker_main(conn, spec: WorkerSpec, single: bool) -> None:
    """A worker process: build engines, then evaluate chunks until told to stop (``None``), then
    leave without tearing the interpreter down (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and stops its workers
    if hasattr(os, "nice"):  # not on Windows
        try:
            os.nice(WORKER_NICE)
        except OSError:  # refused (a sandbox): the same results, only scheduled differently
            pass
    if _serve(conn, spec, single):
        conn.close()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


@fewer_collections()
def _serve(conn, spec: WorkerSpec, single: bool) -> bool:
    """Evaluate chunks until told to stop: True then, or once a single-use worker has sent its
    results; False if the pipe broke or an error was reported."""
    try:
        worker = _Worker(spec)
    except BaseException as exc:  # noqa: BLE001 — reported to the parent, which stops the audit
        conn.send(("error", None, _describe(exc)))
        return False
    conn.send(("ready", None, None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return False
        if message is None:
            return True
        task_id, complaints = message
        try:
            out = [worker.evaluate(cid, rows, single) for cid, rows in complaints]
        except BaseException as exc:  # noqa: BLE001
            conn.send(("error", task_id, _describe(exc)))
            return False
        conn.send(("done", task_id, out))
        if single:
            return True


def _describe(exc: BaseException) -> str:
    if isinstance(exc, CppolicyError):
        return exc.message
    return "".join(traceback.format_exception(exc)).rstrip()


# --------------------------------------------------------------------------- parent side


@dataclass(frozen=True, slots=True)
class Crashed:
    """The outcome of a complaint that killed its worker, and then its single-use retry."""

    first: str
    again: str

    def detail(self) -> str:
        return (f"the worker process evaluating this complaint died ({self.first}); retried alone in a "
                f"fresh process, it died again ({self.again}): the result is unknown, not compliance")


def exit_description(exitcode: int | None) -> str:
    """``SIGSEGV`` for a process killed by a signal, else ``exit status N``."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


@dataclass
class _Task:
    id: int
    items: list[tuple[int, str, list[Row]]]  # (sequence number, complaint id, rows)
    single: bool = False
    cause: str = ""  # for a retry: how the first worker died


@dataclass(eq=False)
class _Runner:
    process: Any
    conn: Any
    single: bool
    outstanding: deque = field(default_factory=deque)
    ready: bool = False
    #: messages for the sender thread (so that the parent never blocks on a full pipe)
    outbox: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    #: the thread that receives its messages and, once the process is gone, reaps it: the only
    #: thread that waits for the process (two waiting threads race, and one can see a dead
    #: process as alive)
    receiver: threading.Thread | None = None


class Pool:
    """``jobs`` worker processes evaluating complaints; see the module docstring."""

    def __init__(self, spec: WorkerSpec, jobs: int, *, chunk_complaints: int | None = None,
                 chunk_events: int | None = None) -> None:
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.spec = spec
        self.jobs = jobs
        self.chunk_complaints = chunk_complaints or CHUNK_COMPLAINTS
        self.chunk_events = chunk_events or CHUNK_EVENTS
        self._ctx = multiprocessing.get_context("spawn")
        self._inbox: queue.Queue = queue.Queue()
        self._runners: list[_Runner] = []
        self._task_ids = 0
        self._failed_starts = 0
        #: exit codes of workers that died, in order (for tests and reports)
        self.deaths: list[str] = []

    # -- processes ------------------------------------------------------------------------------

    def _start(self, single: bool) -> _Runner:
        parent_end, child_end = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child_end, self.spec, single),
                                    name="cppolicy-worker" + ("-retry" if single else ""), daemon=True)
        process.start()
        child_end.close()
        runner = _Runner(process, parent_end, single)
        runner.receiver = threading.Thread(target=self._receive, args=(runner,), daemon=True)
        runner.receiver.start()
        threading.Thread(target=self._sender, args=(runner,), daemon=True).start()
        self._runners.append(runner)
        return runner

    def start(self) -> None:
        """Start the ``jobs`` worker processes now rather than when the first chunk is ready
        (they build their engines while the caller reads). Idempotent."""
        pooled = [r for r in self._runners if not r.single]
        while len(pooled) < self.jobs:
            pooled.append(self._start(single=False))

    @staticmethod
    def _sender(runner: _Runner) -> None:
        while True:
            message = runner.outbox.get()
            try:
                runner.conn.send(message)
            except (BrokenPipeError, EOFError, OSError, ValueError):
                return  # it died (or was closed): its receiver thread reports the exit
            if message is None:
                return

    def _receive(self, runner: _Runner) -> None:
        try:
            while True:
                self._inbox.put((runner, runner.conn.recv()))
        except (EOFError, OSError):
            pass
        except Exception as exc:  # noqa: BLE001 — an unreadable message: treat as a failed worker
            self._inbox.put((runner, ("error", None, f"unreadable message from a worker: {exc!r}")))
        runner.process.join()
        self._inbox.put((runner, None))

    def _send(self, runner: _Runner, task: _Task) -> None:
        runner.outstanding.append(task)
        runner.outbox.put((task.id, [(cid, rows) for _, cid, rows in task.items]))

    def close(self) -> None:
        for runner in self._runners:
            runner.outbox.put(None)
        for runner in self._runners:
            assert runner.receiver is not None
            runner.receiver.join(timeout=5)  # it returns once the process has exited and been reaped
            if runner.receiver.is_alive():  # the worker did not stop when asked
                runner.process.kill()
                runner.receiver.join()
            runner.conn.close()
        self._runners = []

    # -- evaluation -------------------------------------------------------------------------------

    def run(self, groups: Iterable[tuple[str, list[Row]]],
            on_exhausted: Callable[[], None] | None = None) -> Iterator[tuple[str, list[Row], Any]]:
        """Evaluate ``(complaint_id, rows)`` groups; yield ``(complaint_id, rows, outcome)`` in
        the order given, where outcome is ``(skipped, slim results, trail fields or None)`` or
        a :class:`Crashed`.

        ``groups`` are read ahead of what was yielded up to :data:`READ_AHEAD_BYTES` bytes of
        lines a worker (built, sent, evaluated and waiting for an earlier one: all of it is
        held), and always a chunk. Once they are all read, every chunk built is handed to the
        workers and ``on_exhausted()`` is called: work for this process (the archive-scope rules)
        while the workers finish theirs.
        """
        source = iter(groups)
        exhausted = False
        ready: deque[_Task] = deque()   # built, not yet sent
        retries: deque[_Task] = deque()  # single-complaint tasks for single-use processes
        done: dict[int, tuple[str, list[Row], Any]] = {}
        sequence = 0
        emitted = 0
        held = 0  # bytes of the lines read and not yet yielded
        sizes: deque[int] = deque()  # the bytes of each complaint read, in order, until yielded
        budget = READ_AHEAD_BYTES * self.jobs

        def room() -> bool:  # for another chunk
            return held < budget or emitted == sequence

        while True:
            # 1. build chunks while there is room
            while not exhausted and room():
                items: list[tuple[int, str, list[Row]]] = []
                events = size_of_chunk = 0
                for complaint_id, rows in source:
                    items.append((sequence, complaint_id, rows))
                    sequence += 1
                    events += len(rows)
                    size = sum(len(data) for _, _, data in rows)
                    sizes.append(size)
                    size_of_chunk += size
                    if (len(items) >= self.chunk_complaints or events >= self.chunk_events
                            or size_of_chunk >= CHUNK_BYTES):
                        break
                else:
                    exhausted = True
                if items:
                    self._task_ids += 1
                    ready.append(_Task(self._task_ids, items))
                    held += size_of_chunk
                self._drain(ready, retries, done)
                self._dispatch(ready, retries)  # a worker that finished is never kept waiting
                if exhausted and on_exhausted is not None:
                    self._dispatch(ready, retries, everything=True)  # this process is busy now
                    on_exhausted()
            # 2. hand chunks to workers: up to OUTSTANDING each
            self._dispatch(ready, retries)
            # 3. results in order
            while emitted in done:
                held -= sizes.popleft()
                yield done.pop(emitted)
                emitted += 1
            if exhausted and emitted == sequence:
                return
            # 4. wait for something to happen (unless there is room to read on)
            if exhausted or not room():
                self._handle(*self._inbox.get(), ready, retries, done)
            self._drain(ready, retries, done)

    def _dispatch(self, ready: deque[_Task], retries: deque[_Task], everything: bool = False) -> None:
        """Send ready chunks to the workers, up to :data:`OUTSTANDING` each (``everything``: every
        chunk, each to the worker with the fewest events outstanding)."""
        pooled = [r for r in self._runners if not r.single]
        while len(pooled) < self.jobs and ready:
            pooled.append(self._start(single=False))
        if everything:
            alive = [r for r in pooled if r.process.is_alive()]
            while ready and alive:
                runner = min(alive, key=lambda r: sum(len(rows) for t in r.outstanding for _, _, rows in t.items))
                self._send(runner, ready.popleft())
        else:
            for runner in sorted(pooled, key=lambda r: len(r.outstanding)):
                while ready and len(runner.outstanding) < OUTSTANDING and runner.process.is_alive():
                    self._send(runner, ready.popleft())
        singles = [r for r in self._runners if r.single]
        while retries and len(singles) < self.jobs:
            runner = self._start(single=True)
            singles.append(runner)
            self._send(runner, retries.popleft())

    def _drain(self, ready, retries, done) -> None:
        while True:
            try:
                runner, message = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._handle(runner, message, ready, retries, done)

    def _handle(self, runner: _Runner, message, ready: deque[_Task], retries: deque[_Task], done: dict) -> None:
        if message is None:  # the process is gone
            self._runners.remove(runner)
            runner.conn.close()
            if not runner.ready:
                # it died before it could evaluate anything: not a complaint's fault
                if runner.process.exitcode != 0:
                    self._failed_start(runner)
                (retries if runner.single else ready).extendleft(reversed(runner.outstanding))
                runner.outstanding.clear()
                return
            if not runner.outstanding:
                return
            how = exit_description(runner.process.exitcode)
            self.deaths.append(how)
            crashed = runner.outstanding.popleft()
            items = crashed.items
            if runner.single and len(items) == 1:
                ((seq, cid, rows),) = items
                done[seq] = (cid, rows, Crashed(crashed.cause, how))
            else:  # halves (or the one complaint alone), each in a fresh single-use process
                half = (len(items) + 1) // 2
                for part in (items[:half], items[half:]):
                    if part:
                        self._task_ids += 1
                        retries.append(_Task(self._task_ids, part, single=True, cause=crashed.cause or how))
            # chunks it had not started go back to the front of the queue, in order
            ready.extendleft(reversed(runner.outstanding))
            runner.outstanding.clear()
            return
        kind, task_id, payload = message
        if kind == "ready":
            runner.ready = True
            self._failed_starts = 0
        elif kind == "done":
            task = runner.outstanding.popleft()
            assert task.id == task_id, (task.id, task_id)
            for (seq, cid, rows), outcome in zip(task.items, payload):
                done[seq] = (cid, rows, outcome)
        else:
            raise WorkerError(f"a worker process failed: {payload}")

    def _failed_start(self, runner: _Runner) -> None:
        self._failed_starts += 1
        if self._failed_starts >= 3:
            raise WorkerError(f"worker processes cannot start ({exit_description(runner.process.exitcode)} "
                              f"three times in a row)")
