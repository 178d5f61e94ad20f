"""The one judge of a complaint: the rule modules that judge it, each evaluated, any failure an error.

Every surface that judges complaints calls :meth:`Judge.judge` — the audit (in its own process
and in worker processes), the Python API (:class:`~cppolicy.host.Evaluator`), ``explain``,
``impact``, the live monitor and the cross-check — so that they cannot disagree on what a
complaint's judgement is, nor on what a failure becomes:

1. the modules that judge the complaint are chosen (by default
   :func:`~cppolicy.rules.selection.modules_for`: in force on its receipt date, applicable, the
   newest version of each); a complaint no module judges has a reason (``skipped``);
2. each chosen module's :class:`~cppolicy.evaluation.engine.Engine` evaluates it; the engine turns
   any failure of its own into an ``error`` finding, and a clock it cannot compute (an unknown
   calendar year) into ``undetermined`` findings for the rules that need it;
3. a failure outside the engines — the selection itself raising, a worker process dying on the
   complaint (:meth:`Judge.failed`) — is an ``error`` result for every module that would have
   judged it (every module when the selection failed): never an absence of results, never
   compliance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cppolicy.calendar import SHANGHAI, WorkingDayCalendar
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.facts import Prepared, evaluation_order
from cppolicy.evaluation.findings import (
    ComplaintResult,
    ModuleRef,
    error_finding,
    failure_detail,
    pickled_by_fields,
)
from cppolicy.evaluation.selection import modules_for
from cppolicy.events import Event
from cppolicy.rules import RuleModule

#: chooses the modules that judge a complaint from its events: ``(chosen, why none)``
Selector = Callable[[Sequence[RuleModule], Sequence[Event]], tuple[list[RuleModule], str | None]]


@pickled_by_fields
@dataclass(slots=True)
class Judgement:
    """A complaint's judgement: one result per module that judged it, or why none did."""

    complaint_id: str
    results: list[ComplaintResult] = field(default_factory=list)
    #: why no module judged the complaint (``no_module_in_force``, ``no_module_applies``…), else None
    skipped: str | None = None


def _every(modules: Sequence[RuleModule], events: Sequence[Event]) -> tuple[list[RuleModule], str | None]:
    return list(modules), None


class Judge:
    """Judges complaints by a set of rule modules on one calendar; one engine per module.

    ``select`` chooses the modules for a complaint (default: those in force on its receipt
    date, :func:`~cppolicy.rules.selection.modules_for`; ``every_module`` judges by all of
    them). ``supersede=False`` judges by every rule of a module, superseded ones included (what
    the instrument itself says: ``impact``). ``keep_facts`` records each engine run for the
    cross-check. Holds no global state; two judges with other modules can live in one process.
    """

    def __init__(
        self,
        modules: Iterable[RuleModule],
        calendar: WorkingDayCalendar,
        *,
        select: Selector = modules_for,
        supersede: bool = True,
        keep_facts: bool = False,
    ) -> None:
        self.modules = tuple(modules)
        self.calendar = calendar
        self.select = select
        self.engines = {
            m.ref: Engine(m, calendar, keep_facts=keep_facts, supersede=supersede) for m in self.modules
        }

    def engine(self, module: RuleModule | ModuleRef) -> Engine:
        """The engine of a module (or of a result's module reference)."""
        return self.engines[f"{module.id}@{module.version}"]

    def judge(self, complaint_id: str, events: Sequence[Event], as_of: datetime) -> Judgement:
        """Judge one complaint's events as of ``as_of`` (aware), by the modules that judge it."""
        try:
            chosen, skipped = self.select(self.modules, events)
        except Exception as exc:  # noqa: BLE001 — the complaint's result is unknown: an error, never compliant
            return self.failed(complaint_id, events, as_of, failure_detail(exc), self.modules)
        try:
            prepared = Prepared(events, as_of)  # shared by the modules that judge the complaint
            results = [
                self.engines[m.ref].evaluate(complaint_id, events, as_of, prepared=prepared) for m in chosen
            ]
        except Exception as exc:  # noqa: BLE001 — each engine catches its own; this is anything else
            return self.failed(complaint_id, events, as_of, failure_detail(exc), chosen)
        return Judgement(complaint_id, results, skipped)

    def failed(
        self,
        complaint_id: str,
        events: Sequence[Event],
        as_of: datetime,
        detail: str,
        modules: Sequence[RuleModule] | None = None,
    ) -> Judgement:
        """The judgement of a complaint whose evaluation failed outside the engines (``detail``
        says how): an ``error`` result for each of ``modules`` (default: those that would have
        judged it; all of them when that cannot be told)."""
        skipped = None
        if modules is None:
            try:
                modules, skipped = self.select(self.modules, events)
            except Exception:  # noqa: BLE001 — then every module would have judged it
                modules = self.modules
        visible = evaluation_order(events, as_of)
        institution = visible[0].institution.get("id") if visible else None
        as_of_text = as_of.astimezone(SHANGHAI).isoformat()
        results = []
        for module in modules:
            engine = self.engines[module.ref]
            finding = error_finding(
                engine.ref, engine.instrument, complaint_id, institution, as_of_text, detail
            )
            results.append(
                ComplaintResult(
                    complaint_id=complaint_id,
                    module=engine.ref,
                    institution_id=institution,
                    findings=[finding],
                    events=len(visible),
                )
            )
        return Judgement(complaint_id, results, skipped)


every_module: Selector = _every
