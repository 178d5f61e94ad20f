"""Audits of event archives: the one archive pipeline, reading, spilling and worker processes.

* :mod:`~cppolicy.audit.pipeline` — :func:`audit_archive`, read → validate → group → judge → observe;
* :mod:`~cppolicy.audit.observers` — what watches an audit (trail, finding hook, quarantine file, cross-check);
* :mod:`~cppolicy.audit.contents` — :class:`ArchiveContents` and :class:`AuditReport`;
* :mod:`~cppolicy.audit.reading` — the one reader of archives, :func:`read_archive`, the sortedness pre-scan;
* :mod:`~cppolicy.audit.spill`, :mod:`~cppolicy.audit.ids`, :mod:`~cppolicy.audit.scratch` — disk-backed state;
* :mod:`~cppolicy.audit.summaries` — what the archive-scope rules need of complaints that streamed past;
* :mod:`~cppolicy.audit.pool`, :mod:`~cppolicy.audit.workers` — ``--jobs N`` and crash isolation.
"""

from __future__ import annotations

from cppolicy.audit.contents import ArchiveContents, AuditReport, Keep, StreamedContents
from cppolicy.audit.observers import (
    AuditObserver,
    CrossCheck,
    FindingHook,
    JudgedComplaint,
    QuarantineWriter,
    TrailObserver,
)
from cppolicy.audit.pipeline import audit_archive
from cppolicy.audit.pool import Crashed, Pool
from cppolicy.audit.reading import ArchiveReader, read_archive, sorted_by_complaint
from cppolicy.audit.workers import WorkerContext, WorkerError, WorkerSetup, WorkerSpec

__all__ = [
    "ArchiveContents",
    "ArchiveReader",
    "AuditObserver",
    "AuditReport",
    "Crashed",
    "CrossCheck",
    "FindingHook",
    "JudgedComplaint",
    "Keep",
    "Pool",
    "QuarantineWriter",
    "StreamedContents",
    "TrailObserver",
    "WorkerContext",
    "WorkerError",
    "WorkerSetup",
    "WorkerSpec",
    "audit_archive",
    "read_archive",
    "sorted_by_complaint",
]
