"""Findings: what an evaluation says about a complaint, with its article and evidence.

A finding is one of four kinds, by ``severity``:

- ``violation`` — a rule fired: the obligation was breached;
- ``warning`` — a rule fired on a point the text leaves open (e.g. a channel outside an open list);
- ``undetermined`` — a rule could not be evaluated (missing data, unknown calendar year);
- ``error`` — the engine failed on the complaint. Never to be read as compliance.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from cppolicy.evaluation.clocks import ClockResult

#: what a finding says: a rule fired (``violation``, ``warning``), could not be evaluated
#: (``undetermined``), or the engine failed (``error``)
Severity = Literal["error", "violation", "undetermined", "warning"]
#: a result's status: its worst finding's severity, else ``open`` while a clock runs, else ``compliant``
Status = Literal["error", "violation", "undetermined", "warning", "open", "compliant"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "violation": 1, "undetermined": 2, "warning": 3}
#: the code of a finding that says the evaluation failed
EVALUATION_ERROR = "CPPOLICY.EVALUATION_ERROR"

_T = TypeVar("_T", bound="DataclassInstance")


def pickled_by_fields(cls: type[_T]) -> type[_T]:
    """Pickle instances as ``cls(*field values)``. Results cross from the worker processes to
    the audit process by the hundred thousand; a slotted dataclass's own pickling calls
    ``__setstate__``, which walks ``dataclasses.fields()`` in Python for every object (measured:
    two to three times the cost, both ways, and a quarter more bytes)."""
    values = operator.attrgetter(*(f.name for f in fields(cls)))

    def __reduce__(self: Any) -> tuple[Any, tuple[Any, ...]]:
        kind = type(self)
        if kind is not cls:  # a dataclass subclass: its own fields, by name
            return kind, tuple(getattr(self, f.name) for f in fields(kind))
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ModuleRef:
    id: str
    version: str
    digest: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    """One finding. Times are ISO 8601 strings with offset (Asia/Shanghai) or None."""

    code: str
    rule_id: str
    module: ModuleRef
    severity: Severity
    complaint_id: str | None
    institution_id: str | None
    due: str | None
    observed: str | None
    evidence: tuple[str, ...]
    citation: dict[str, Any]
    message: dict[str, str]
    as_of: str
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields in declaration order, as ``dataclasses.asdict`` gives them (evidence as a
        list), built by hand: the writers call this for every finding of an archive."""
        m = self.module
        return {
            "code": self.code,
            "rule_id": self.rule_id,
            "module": {"id": m.id, "version": m.version, "digest": m.digest},
            "severity": self.severity,
            "complaint_id": self.complaint_id,
            "institution_id": self.institution_id,
            "due": self.due,
            "observed": self.observed,
            "evidence": list(self.evidence),
            "citation": _copied(self.citation),
            "message": _copied(self.message),
            "as_of": self.as_of,
            "detail": self.detail,
        }

    @property
    def sort_key(self) -> tuple[str, int, str, tuple[str, ...]]:
        return (self.complaint_id or "", SEVERITY_ORDER.get(self.severity, 9), self.code, self.evidence)


def _copied(value: Any) -> Any:
    """A copy of nested dicts and lists (what ``asdict`` would deep-copy); scalars shared."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    return value


def worst_status(findings: Iterable[Finding], *, running: bool = False) -> Status:
    """A result's status from its findings: error > violation > undetermined > warning, else
    ``open`` while a clock still runs, else ``compliant``."""
    severities = {f.severity for f in findings}
    for severity in _WORST_FIRST:
        if severity in severities:
            return severity
    return "open" if running else "compliant"


_WORST_FIRST: tuple[Severity, ...] = ("error", "violation", "undetermined", "warning")


@pickled_by_fields
@dataclass(slots=True)
class ComplaintResult:
    """The outcome of evaluating one complaint under one rule module."""

    complaint_id: str
    module: ModuleRef
    institution_id: str | None = None
    findings: list[Finding] = field(default_factory=list)
    #: the clocks computed (:class:`~cppolicy.evaluation.clocks.ClockResult`); a slim result keeps
    #: only what its status reads (:func:`slim_result`)
    clocks: Sequence[ClockResult | ClockState] = field(default_factory=list)
    fired: dict[str, int] = field(default_factory=dict)
    events: int = 0

    @property
    def status(self) -> Status:
        """error > violation > undetermined > warning > open / compliant."""
        return worst_status(self.findings, running=any(c.state in ("running", "paused") for c in self.clocks))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (schemas/complaint-result/v1.json); findings as :meth:`Finding.to_dict`."""
        m = self.module
        return {
            "complaint_id": self.complaint_id,
            "module": {"id": m.id, "version": m.version, "digest": m.digest},
            "institution_id": self.institution_id,
            "status": self.status,
            "findings": [f.to_dict() for f in self.findings],
            "clocks": [_clock_dict(c) for c in self.clocks],
            "events": self.events,
        }


def _moment_text(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _clock_dict(clock: Any) -> dict[str, Any]:
    """A clock's name, state and moments; a slim result's :class:`ClockState` has its state only."""
    deadline = getattr(clock, "deadline", None)
    return {
        "name": getattr(clock, "name", None),
        "state": clock.state,
        "start": _moment_text(getattr(clock, "start", None)),
        "due": _moment_text(deadline.due if deadline is not None else None),
        "met_at": _moment_text(getattr(clock, "met_at", None)),
        "met_id": getattr(clock, "met_id", None),
    }


@dataclass(frozen=True, slots=True)
class ClockState:
    """What a slim result keeps of a clock: its state (a result's status reads ``running``)."""

    state: str


_RUNNING = ClockState("running")


def slim_result(result: ComplaintResult) -> ComplaintResult:
    """The result without its clock computations (heavy; only ``explain`` and reports need them):
    the status is unchanged because a running clock is kept as a :class:`ClockState`."""
    running = any(c.state == "running" for c in result.clocks)
    return ComplaintResult(
        complaint_id=result.complaint_id,
        module=result.module,
        institution_id=result.institution_id,
        findings=result.findings,
        clocks=[_RUNNING] if running else [],
        fired=result.fired,
        events=result.events,
    )


def error_finding(
    module: ModuleRef,
    instrument: str,
    complaint_id: str | None,
    institution_id: str | None,
    as_of_text: str,
    detail: str,
) -> Finding:
    """The ``error`` finding of an evaluation that failed: its result is unknown, never compliance."""
    return Finding(
        code=EVALUATION_ERROR,
        rule_id="",
        module=module,
        severity="error",
        complaint_id=complaint_id,
        institution_id=institution_id,
        due=None,
        observed=None,
        evidence=(),
        citation={"instrument": instrument, "text": ""},
        message={
            "zh": "评估失败，结果未知（不视为合规）。",
            "en": "Evaluation failed; the result is unknown (not compliance).",
        },
        as_of=as_of_text,
        detail=detail,
    )


def failure_detail(exc: BaseException) -> str:
    """How an exception is named in an ``error`` finding's detail."""
    return f"{type(exc).__name__}: {exc}"
