"""Crash injection for the worker-pool tests: a worker that kills itself before judging a complaint.

:func:`crash_on` is a :data:`~cppolicy.audit.workers.WorkerSetup` function run in each worker
process; :func:`inject_crashes` makes ``cppolicy audit`` (through its module's ``audit_archive``)
pass it to the pool. Nothing in cppolicy itself knows about it.
"""

from __future__ import annotations

import functools
import os
import signal
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest

import cppolicy.cli.audit as audit_cli
from cppolicy.audit import WorkerContext
from cppolicy.evaluation import Judgement
from cppolicy.events import Event


def _die(name: str) -> None:
    if name == "SIGABRT":
        os.abort()
    os.kill(os.getpid(), getattr(signal, name))
    signal.pause()  # a signal that is blocked or ignored: wait for the kill to land


def crash_on(context: WorkerContext, crashes: Sequence[tuple[str, str]]) -> None:
    """Make this worker die with a signal (``SIGSEGV``, ``SIGABRT``, ``SIGKILL``) before judging
    the named complaints; a name suffixed ``:pool`` dies only in pooled workers (a single-use retry
    then succeeds)."""
    table = dict(crashes)
    real = context.judge.judge

    def judge(complaint_id: str, events: Sequence[Event], as_of: datetime) -> Judgement:
        how = table.get(complaint_id)
        if how is not None:
            name, _, where = how.partition(":")
            if not (where == "pool" and context.single_use):
                _die(name)
        return real(complaint_id, events, as_of)

    context.judge.judge = judge  # type: ignore[method-assign]


def inject_crashes(monkeypatch: pytest.MonkeyPatch, crashes: Mapping[str, str]) -> None:
    """Make ``cppolicy audit`` run its workers with :func:`crash_on` for ``crashes``."""
    setup: Any = ("tests.crashing:crash_on", (tuple(sorted(crashes.items())),))
    monkeypatch.setattr(
        audit_cli, "audit_archive", functools.partial(audit_cli.audit_archive, worker_setup=setup)
    )
