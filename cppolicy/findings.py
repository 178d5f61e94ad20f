"""Findings: what an evaluation says about a complaint, with its article and evidence.

A finding is one of four kinds, by ``severity``:

- ``violation`` — a rule fired: the obligation was breached;
- ``warning`` — a rule fired on a point the text leaves open (e.g. a channel outside an open list);
- ``undetermined`` — a rule could not be evaluated (missing data, unknown calendar year);
- ``error`` — the engine failed on the complaint. Never to be read as compliance.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, fields
from typing import Any

SEVERITY_ORDER = {"error": 0, "violation": 1, "undetermined": 2, "warning": 3}


def _pickled_by_fields(cls: type) -> type:
    """Pickle instances as ``cls(*field values)``. Results cross from the worker processes to
    the audit process by the hundred thousand; a slotted dataclass's own pickling calls
    ``__setstate__``, which walks ``dataclasses.fields()`` in Python for every object (measured:
    two to three times the cost, both ways, and a quarter more bytes)."""
    values = operator.attrgetter(*(f.name for f in fields(cls)))

    def __reduce__(self):
        kind = type(self)
        if kind is not cls:  # a dataclass subclass: its own fields, by name
            return kind, tuple(getattr(self, f.name) for f in fields(kind))
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class ModuleRef:
    id: str
    version: str
    digest: str


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    """One finding. Times are ISO 8601 strings with offset (Asia/Shanghai) or None."""

    code: str
    rule_id: str
    module: ModuleRef
    severity: str
    complaint_id: str | None
    institution_id: str | None
    due: str | None
    observed: str | None
    evidence: tuple[str, ...]
    citation: dict
    message: dict
    as_of: str
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields in declaration order, as ``dataclasses.asdict`` gives them (evidence as a
        list), built by hand: the writers call this for every finding of an archive."""
        m = self.module
        return {
            "code": self.code, "rule_id": self.rule_id,
            "module": {"id": m.id, "version": m.version, "digest": m.digest},
            "severity": self.severity, "complaint_id": self.complaint_id,
            "institution_id": self.institution_id, "due": self.due, "observed": self.observed,
            "evidence": list(self.evidence), "citation": _copied(self.citation),
            "message": _copied(self.message), "as_of": self.as_of, "detail": self.detail,
        }

    @property
    def sort_key(self) -> tuple:
        return (self.complaint_id or "", SEVERITY_ORDER.get(self.severity, 9), self.code, self.evidence)


def _copied(value: Any) -> Any:
    """A copy of nested dicts and lists (what ``asdict`` would deep-copy); scalars shared."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    return value


def worst_status(findings, *, running: bool = False) -> str:
    """A result's status from its findings: error > violation > undetermined > warning, else
    ``open`` while a clock still runs, else ``compliant``."""
    severities = {f.severity for f in findings}
    for severity in ("error", "violation", "undetermined", "warning"):
        if severity in severities:
            return severity
    return "open" if running else "compliant"


@_pickled_by_fields
@dataclass(slots=True)
class ComplaintResult:
    """The outcome of evaluating one complaint under one rule module."""

    complaint_id: str
    module: ModuleRef
    institution_id: str | None = None
    findings: list[Finding] = field(default_factory=list)
    clocks: list = field(default_factory=list)  # cppolicy.clocks.ClockResult
    fired: dict[str, int] = field(default_factory=dict)
    events: int = 0

    @property
    def status(self) -> str:
        """error > violation > undetermined > warning > open / compliant."""
        return worst_status(self.findings, running=any(c.state in ("running", "paused") for c in self.clocks))
