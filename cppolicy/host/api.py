"""The Python API for host systems: evaluate complaints in-process, print nothing, keep no globals.

    from cppolicy import Evaluator

    evaluator = Evaluator(modules=["cbrc-2012-13@1.0.0"])
    results = evaluator.evaluate(events, as_of="2025-12-31T18:00:00+08:00")
    for finding in results[0].findings: ...

Events may be dicts (validated against the event schema; an invalid one raises InputError
naming the event and JSON path) or :class:`cppolicy.events.Event` objects. Each complaint is
judged by the selected modules in force on its receipt date. Two evaluators holding different
module versions can live in one process.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import orjson

from cppolicy.calendar import WorkingDayCalendar, aware_moment
from cppolicy.errors import InputError
from cppolicy.evaluation import Alert, ComplaintResult, Judge, derive_alerts, relevant_cleared
from cppolicy.events import Event, Invalid, RawLine, parse_and_validate
from cppolicy.plugin import Plugins
from cppolicy.rules import RuleModule, load_module, resolve_module


def to_event(item: dict[str, object] | Event, where: str = "event") -> Event:
    """Validate a dict as a complaint event (or pass an Event through)."""
    if isinstance(item, Event):
        return item
    parsed = parse_and_validate(RawLine(where, 1, orjson.dumps(item).decode()))
    if isinstance(parsed, Invalid):
        first = parsed.errors[0]
        raise InputError(f"{where}: {first.path}: {first.message} [{first.keyword}]")
    return parsed


class Evaluator:
    """Holds rule modules, a calendar and the judge of complaints (one engine per module)."""

    def __init__(
        self,
        modules: Sequence[str | Path | RuleModule] | None = None,
        *,
        calendar: WorkingDayCalendar | None = None,
        calendar_data: Sequence[Path] = (),
        plugins: Plugins | None = None,
        policies: Sequence[str | Path | RuleModule] | None = None,
    ) -> None:
        """``modules``: ``ID``, ``ID@VERSION``, a folder or a loaded :class:`~cppolicy.rules.RuleModule`
        each (default: every module the plugins register). ``policies`` is its former name."""
        if policies is not None:
            warnings.warn(
                "Evaluator(policies=...) is now Evaluator(modules=...)", DeprecationWarning, stacklevel=2
            )
            modules = policies if modules is None else modules
        self.plugins = plugins if plugins is not None else Plugins()
        registered = self.plugins.rule_module_paths()
        if modules is None:
            self.modules = [load_module(path) for path in registered]
        else:
            self.modules = [
                m if isinstance(m, RuleModule) else resolve_module(m, registered) for m in modules
            ]
        self.calendar = calendar if calendar is not None else self.plugins.calendar("cn", calendar_data)
        self.judge = Judge(self.modules, self.calendar)

    def module(self, ref: str) -> RuleModule:
        """A module of this evaluator by ``ID@VERSION``."""
        return self.judge.engines[ref].module

    def evaluate_complaint(
        self,
        complaint_id: str,
        events: Iterable[dict[str, object] | Event],
        as_of: datetime | str,
        *,
        notify: bool = True,
    ) -> list[ComplaintResult]:
        """Evaluate one complaint's events; one result per module that judges it (in force on its
        receipt date). An evaluation that fails is an ``error`` finding, never an exception.

        With ``notify`` (the default) each finding goes to the ``cppolicy_handle_finding`` hook."""
        moment = aware_moment(as_of, "as_of")
        parsed = [to_event(e, f"{complaint_id} event {n}") for n, e in enumerate(events, 1)]
        results = self.judge.judge(complaint_id, parsed, moment).results
        if notify:
            for result in results:
                for finding in result.findings:
                    self.plugins.handle_finding(finding)
        return results

    def evaluate(
        self, events: Iterable[dict[str, object] | Event], as_of: datetime | str
    ) -> list[ComplaintResult]:
        """Group events by complaint (institution-level events are ignored) and evaluate each."""
        grouped: dict[str, list[Event]] = defaultdict(list)
        for n, item in enumerate(events, 1):
            event = to_event(item, f"event {n}")
            if event.complaint_id is not None:
                grouped[event.complaint_id].append(event)
        return [r for cid in sorted(grouped) for r in self.evaluate_complaint(cid, grouped[cid], as_of)]

    def alerts(
        self,
        result: ComplaintResult,
        as_of: datetime | str,
        *,
        previous: Iterable[Alert] = (),
        at_risk_working_days: int = 2,
    ) -> list[Alert]:
        """The new alerts for an evaluation result, given the alerts already emitted for it.

        Alerts in ``previous`` (matched by key) are not returned again; a ``met`` / ``met_late``
        alert is returned only for a clock that had an at-risk or breach alert (now or before). The
        :class:`cppolicy.host.Monitor` keeps ``previous`` in SQLite for you.
        """
        module = self.module(f"{result.module.id}@{result.module.version}")
        candidates = derive_alerts(
            result,
            module,
            self.calendar,
            aware_moment(as_of, "as_of"),
            at_risk_working_days=at_risk_working_days,
        )
        earlier = list(previous)
        seen = {a.key for a in earlier}
        raised = {
            (a.complaint_id, a.clock) for a in [*earlier, *candidates] if a.kind in ("at_risk", "breach")
        }
        return [a for a in relevant_cleared(candidates, raised) if a.key not in seen]
