"""The audit trail's records: their types, their canonical form and hash, and their contents.

Each line of a trail is one record in canonical JSON (sorted keys, no spaces, UTF-8). Every
record carries its ``seq`` (0-based, consecutive over the whole file), the ``prev`` hash of the
record before it (:data:`GENESIS` for the first), its ``type``, its ``decision_time`` and its own
``hash`` — ``"sha256:"`` + the SHA-256 of the canonical JSON of the record without ``hash``.

A run is ``run_started``, its records, ``run_finished``. The record types cppolicy writes, and
the fields each adds (docs/audit-trail.md):

``run_started``
    ``tool``, ``command``, ``as_of``, ``modules``, ``calendar``, ``engine``, ``inputs``
``evaluation``
    one complaint under one rule module: ``complaint_id``, ``module``, ``calendar``, ``engine``,
    ``event_time``, ``as_of``, ``input_digest``, ``result``, ``result_digest``
``archive_evaluation``
    the archive-scope rules of one module over the whole archive (reports to the regulator,
    large-scale complaints): ``module``, ``as_of``, ``calendar``, ``result``
``run_finished``
    ``counts``, ``exit_code``, ``records`` (and ``error`` when the run was aborted)

A host may append records of its own types inside a run (:meth:`~cppolicy.trail.TrailWriter.record`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cppolicy.calendar import SHANGHAI, parse_moment
from cppolicy.evaluation import ArchiveResult, ComplaintResult, ModuleRef, evaluation_order
from cppolicy.evaluation.findings import pickled_by_fields
from cppolicy.events import Event
from cppolicy.rules import RuleModule

#: ``prev`` of the first record of a trail.
GENESIS = "sha256:" + "0" * 64

RUN_STARTED = "run_started"
EVALUATION = "evaluation"
ARCHIVE_EVALUATION = "archive_evaluation"
RUN_FINISHED = "run_finished"

#: Fields every record has, and those each record type adds. A masking plugin may change the
#: values of the type's fields but not remove them; it may not touch the chain fields at all.
COMMON_FIELDS = ("seq", "prev", "hash", "type", "decision_time")
PROTECTED_FIELDS = ("seq", "prev", "type", "decision_time")
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    RUN_STARTED: ("tool", "command", "as_of", "modules", "calendar", "engine", "inputs"),
    EVALUATION: (
        "complaint_id",
        "module",
        "calendar",
        "engine",
        "event_time",
        "as_of",
        "input_digest",
        "result",
        "result_digest",
    ),
    ARCHIVE_EVALUATION: ("module", "as_of", "calendar", "result"),
    RUN_FINISHED: ("counts", "exit_code", "records"),
}

HASH_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


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


def utc_now() -> str:
    """A record's ``decision_time``: now, in UTC, to the microsecond."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_moment(moment: datetime | str | None) -> str | None:
    """A moment as the trail writes it: ISO 8601 in Asia/Shanghai (text is kept as given)."""
    if moment is None or isinstance(moment, str):
        return moment
    return moment.astimezone(SHANGHAI).isoformat()


# --------------------------------------------------------------------------- record contents


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ComplaintInput:
    """What an ``evaluation`` record says of a complaint's input: the time of the latest event
    considered and the digest of the events considered. The same for every module that judges
    the complaint; computed where the events are (in a worker process, with ``--jobs``)."""

    event_time: str | None
    digest: str


def complaint_input(
    events: Iterable[Event], as_of: datetime | None, digests: Mapping[str, str] | None = None
) -> ComplaintInput:
    """The input of an evaluation as of ``as_of``: the events at or before it, in the engine's
    order (all of them, as given, when ``as_of`` is None). ``digests``: each event's
    :func:`event_digest` by event id, taken before the events were masked (the monitor stores
    its events masked and their digests beside them); None: computed from the events."""
    considered = evaluation_order(events, as_of) if as_of is not None else list(events)
    latest = max(considered, key=lambda e: e.epoch) if considered else None
    if digests is None:
        digest = input_digest(considered)
    else:
        digest = joined_digest(digests[e.event_id] for e in considered)
    return ComplaintInput(iso_moment(latest.time) if latest else None, digest)


def event_digest(raw: Mapping[str, Any]) -> str:
    """The digest of one event: ``"sha256:"`` + the SHA-256 of its raw dict in canonical JSON."""
    return sha256_text(canonical_json(raw))


def joined_digest(digests: Iterable[str]) -> str:
    """The digest of a complaint's input from its events' :func:`event_digest`, in order: the
    SHA-256 of the digests joined by ``\\n``."""
    return sha256_text("\n".join(digests))


def input_digest(events: Sequence[Event]) -> str:
    """The digest of a complaint's input: the :func:`joined_digest` of each event's
    :func:`event_digest` (so a store that keeps only each event's digest, such as the monitor's
    state of masked events, gives the same value)."""
    return joined_digest(event_digest(e.raw) for e in events)


def result_payload(result: ComplaintResult) -> dict[str, Any]:
    """The ``result`` of an evaluation record: the status and each finding's code, severity,
    due and observed times and evidence."""
    return {
        "status": result.status,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "due": f.due,
                "observed": f.observed,
                "evidence": list(f.evidence),
            }
            for f in result.findings
        ],
    }


def module_ref(module: RuleModule | ModuleRef | Mapping[str, str]) -> dict[str, str]:
    """``{id, version, digest}`` of a RuleModule, a ModuleRef or such a mapping."""
    if isinstance(module, Mapping):
        return {"id": module["id"], "version": module["version"], "digest": module["digest"]}
    return {"id": module.id, "version": module.version, "digest": module.digest}


def evaluation_fields(
    result: ComplaintResult,
    complaint: ComplaintInput,
    as_of: datetime | str | None,
    calendar: str | None,
    engine: str | None,
) -> dict[str, Any]:
    """The fields of the ``evaluation`` record of one complaint under one rule module."""
    payload = result_payload(result)
    return {
        "complaint_id": result.complaint_id,
        "module": module_ref(result.module),
        "calendar": calendar,
        "engine": engine,
        "event_time": complaint.event_time,
        "as_of": iso_moment(parse_moment(as_of) if isinstance(as_of, str) else as_of),
        "input_digest": complaint.digest,
        "result": payload,
        "result_digest": sha256_text(canonical_json(payload)),
    }


def archive_evaluation_fields(result: ArchiveResult, as_of: datetime, calendar: str) -> dict[str, Any]:
    """The fields of the ``archive_evaluation`` record of one module's archive-scope rules."""
    return {
        "module": module_ref(result.module),
        "as_of": iso_moment(as_of),
        "calendar": calendar,
        "result": {
            "status": result.status,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity,
                    "institution_id": f.institution_id,
                    "due": f.due,
                    "observed": f.observed,
                    "evidence": list(f.evidence),
                }
                for f in result.findings
            ],
        },
    }
