"""For host systems: the Python API (:class:`Evaluator`) and the live monitor (:class:`Monitor`).

Nothing here prints or keeps global state; several evaluators with other module versions can
live in one process.
"""

from __future__ import annotations

from cppolicy.host.api import Evaluator, to_event
from cppolicy.host.monitor import DEFAULT_LATENESS, IngestResult, Monitor, alert_from_dict, ingest_all
from cppolicy.host.relay import Backoff, Relay
from cppolicy.host.store import SQLiteStore, StateError, StateStore

__all__ = [
    "DEFAULT_LATENESS",
    "Backoff",
    "Evaluator",
    "IngestResult",
    "Monitor",
    "Relay",
    "SQLiteStore",
    "StateError",
    "StateStore",
    "alert_from_dict",
    "ingest_all",
    "to_event",
]
