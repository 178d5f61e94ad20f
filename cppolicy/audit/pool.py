"""The parent side of ``cppolicy audit --jobs N``: a pool of worker processes, and crash isolation.

* Work is partitioned by complaint: the parent sends chunks of whole complaints (each event as its
  validated input line) and receives each complaint's judgement (see :mod:`cppolicy.audit.workers`).
  Outcomes are yielded in the order the complaints were given, so the output does not depend on N.
* Workers run :data:`~cppolicy.audit.workers.WORKER_NICE` steps nicer than the parent, so that it
  stays ahead of them.
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
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from typing import TYPE_CHECKING, Any

from cppolicy.audit.spill import Row
from cppolicy.audit.workers import Outcome, WorkerError, WorkerSpec, worker_main

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

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

#: The signals that stop an audit (the audit process handles them; its workers ignore them).
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@dataclass(frozen=True, slots=True)
class Crashed:
    """The outcome of a complaint that killed its worker, and then its single-use retry."""

    first: str
    again: str

    def detail(self) -> str:
        return (
            f"the worker process evaluating this complaint died ({self.first}); retried alone in a "
            f"fresh process, it died again ({self.again}): the result is unknown, not compliance"
        )


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


#: A complaint as :meth:`Pool.run` yields it: ``(complaint id, rows, outcome)``.
_Done = tuple[str, list[Row], Outcome | Crashed]
#: What the parent sends a worker (after its :class:`WorkerSpec`): ``(task id, [(complaint id,
#: rows), ...])``, or None to stop.
_Chunk = tuple[int, list[tuple[str, list[Row]]]] | None
#: What a worker sends: ``(kind, task id, payload)``, unpickled from the pipe: ``("ready", None,
#: None)``, ``("done", task id, [Outcome, ...])`` or ``("error", task id or None, text)``.
_Message = tuple[str, int | None, Any]


@dataclass
class _Task:
    id: int
    items: list[tuple[int, str, list[Row]]]  # (sequence number, complaint id, rows)
    single: bool = False
    cause: str = ""  # for a retry: how the first worker died


@dataclass(eq=False)
class _Runner:
    process: BaseProcess
    conn: Connection[_Chunk | WorkerSpec, _Message]
    single: bool
    outstanding: deque[_Task] = field(default_factory=deque)
    ready: bool = False
    #: messages for the sender thread (so that the parent never blocks on a full pipe): the spec,
    #: then chunks
    outbox: queue.SimpleQueue[_Chunk | WorkerSpec] = field(default_factory=queue.SimpleQueue)
    #: the thread that receives its messages and, once the process is gone, reaps it: the only
    #: thread that waits for the process (two waiting threads race, and one can see a dead
    #: process as alive)
    receiver: threading.Thread | None = None


#: at most this many worker processes per CPU (docs/performance.md, "How many jobs")
JOBS_PER_CPU = 4


def max_jobs() -> int:
    """The most worker processes ``--jobs`` may ask for: 4 per CPU of this machine. Judging is
    CPU-bound, so more workers than CPUs buy nothing, and each costs about 90 MiB and a start-up."""
    return JOBS_PER_CPU * (os.cpu_count() or 1)


class Pool:
    """``jobs`` worker processes evaluating complaints; see the module docstring."""

    def __init__(
        self,
        spec: WorkerSpec,
        jobs: int,
        *,
        chunk_complaints: int | None = None,
        chunk_events: int | None = None,
    ) -> None:
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.spec = spec
        self.jobs = jobs
        self.chunk_complaints = chunk_complaints or CHUNK_COMPLAINTS
        self.chunk_events = chunk_events or CHUNK_EVENTS
        self._ctx = multiprocessing.get_context("spawn")
        self._inbox: queue.Queue[tuple[_Runner, _Message | None]] = queue.Queue()
        self._runners: list[_Runner] = []
        self._task_ids = 0
        self._failed_starts = 0
        #: exit codes of workers that died, in order (for tests and reports)
        self.deaths: list[str] = []

    # -- processes ------------------------------------------------------------------------------

    def _start(self, single: bool) -> _Runner:
        parent_end, child_end = self._ctx.Pipe()
        # The spec (the modules' documents: over 100 KB) goes through the worker's own pipe, by its
        # sender thread, not as an argument: ``spawn`` writes the arguments to the child's start-up
        # pipe from this thread while it still holds that pipe's reading end, so a child that died
        # before reading more than the pipe's buffer (64 KiB) left the audit blocked forever.
        process = self._ctx.Process(
            target=worker_main,
            args=(child_end, None, single),
            name="cppolicy-worker" + ("-retry" if single else ""),
            daemon=True,
        )
        # ^C and SIGTERM to the process group are the audit's to handle: blocked while the worker
        # is spawned, it starts with them blocked (the mask survives exec), so that one arriving
        # while it imports is not a KeyboardInterrupt traceback; it ignores them, then unblocks
        # them (worker_main). Here they are only held back: delivered once unblocked.
        masked = hasattr(signal, "pthread_sigmask")  # POSIX
        if masked:
            # started first: starting it unblocks these signals (multiprocessing's own mask dance)
            resource_tracker.ensure_running()
            before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            process.start()
        finally:
            if masked:
                signal.pthread_sigmask(signal.SIG_SETMASK, before)
        child_end.close()
        runner = _Runner(process, parent_end, single)
        runner.outbox.put(self.spec)
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

    def run(
        self, groups: Iterable[tuple[str, list[Row]]], on_exhausted: Callable[[], None] | None = None
    ) -> Iterator[_Done]:
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
        ready: deque[_Task] = deque()  # built, not yet sent
        retries: deque[_Task] = deque()  # single-complaint tasks for single-use processes
        done: dict[int, _Done] = {}
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
                    if (
                        len(items) >= self.chunk_complaints
                        or events >= self.chunk_events
                        or size_of_chunk >= CHUNK_BYTES
                    ):
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
                runner = min(
                    alive, key=lambda r: sum(len(rows) for t in r.outstanding for _, _, rows in t.items)
                )
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

    def _drain(self, ready: deque[_Task], retries: deque[_Task], done: dict[int, _Done]) -> None:
        while True:
            try:
                runner, message = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._handle(runner, message, ready, retries, done)

    def _handle(
        self,
        runner: _Runner,
        message: _Message | None,
        ready: deque[_Task],
        retries: deque[_Task],
        done: dict[int, _Done],
    ) -> None:
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
            for (seq, cid, rows), outcome in zip(task.items, payload, strict=True):
                done[seq] = (cid, rows, outcome)
        else:
            raise WorkerError(f"a worker process failed: {payload}")

    def _failed_start(self, runner: _Runner) -> None:
        self._failed_starts += 1
        if self._failed_starts >= 3:
            how = exit_description(runner.process.exitcode)
            if runner.process.exitcode is not None and runner.process.exitcode < 0:
                # killed as they started (by the out-of-memory killer, a supervisor, an operator)
                raise WorkerError(
                    f"worker processes were killed as they started ({how} three times in a row)"
                )
            # The usual cause from the Python API: a script calling audit_archive(jobs > 1) at its
            # top level, which each spawned worker runs again when it imports the main module.
            raise WorkerError(
                f"worker processes cannot start ({how} three times in a row); a script that starts "
                f'them must call the audit under `if __name__ == "__main__":`'
            )
