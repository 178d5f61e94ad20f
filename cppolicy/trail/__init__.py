"""The audit trail: an append-only, hash-chained JSON Lines file (docs/audit-trail.md).

* :mod:`~cppolicy.trail.records` — record types, the canonical form and hash, record contents;
* :mod:`~cppolicy.trail.inputs` — the digests of what a run read (files, stdin);
* :mod:`~cppolicy.trail.writer` — :class:`TrailWriter`, appending runs under an exclusive lock;
* :mod:`~cppolicy.trail.verify` — :func:`verify_trail`, the first record an honest writer would not have written.
"""

from __future__ import annotations

from cppolicy.errors import TrailError
from cppolicy.trail.inputs import StdinDigest, file_digest, hashing_stdin, input_digests
from cppolicy.trail.records import (
    ARCHIVE_EVALUATION,
    COMMON_FIELDS,
    EVALUATION,
    GENESIS,
    PROTECTED_FIELDS,
    RUN_FINISHED,
    RUN_STARTED,
    TYPE_FIELDS,
    ComplaintInput,
    archive_evaluation_fields,
    canonical_json,
    complaint_input,
    evaluation_fields,
    event_digest,
    input_digest,
    joined_digest,
    module_ref,
    record_hash,
    result_payload,
    sha256_text,
)
from cppolicy.trail.verify import Problem, VerifyResult, iter_records, verify_trail
from cppolicy.trail.writer import TrailWriter

__all__ = [
    "ARCHIVE_EVALUATION",
    "COMMON_FIELDS",
    "EVALUATION",
    "GENESIS",
    "PROTECTED_FIELDS",
    "RUN_FINISHED",
    "RUN_STARTED",
    "TYPE_FIELDS",
    "ComplaintInput",
    "Problem",
    "StdinDigest",
    "TrailError",
    "TrailWriter",
    "VerifyResult",
    "archive_evaluation_fields",
    "canonical_json",
    "complaint_input",
    "evaluation_fields",
    "event_digest",
    "file_digest",
    "hashing_stdin",
    "input_digest",
    "input_digests",
    "joined_digest",
    "iter_records",
    "module_ref",
    "record_hash",
    "result_payload",
    "sha256_text",
    "verify_trail",
]
