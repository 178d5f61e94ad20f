"""The Python API for host systems: evaluate complaints in-process, print nothing, keep no globals.

    from cppolicy import Evaluator

    evaluator = Evaluator(policies=["cbrc-2012-13@1.0.0"])
    results = evaluator.evaluate(events, as_of="2025-12-31T18:00:00+08:00")
    for finding in results[0].findings: ...

Events may be dicts (validated against the event schema; an invalid one raises InputError
naming the event and JSON path) or :class:`cppolicy.events.Event` objects. Each complaint is
judged by the selected modules in force on its receipt date. Two evaluators holding different
module versions can live in one process.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

import orjson

from cppolicy.alerts import Alert, derive_alerts, relevant_cleared
from cppolicy.selection import modules_for
from cppolicy.cli.options import parse_as_of
from cppolicy.engine import Engine
from cppolicy.errors import InputError
from cppolicy.events import Event, Invalid, RawLine, parse_and_validate
from cppolicy.findings import ComplaintResult
from cppolicy.plugins import Plugins
from cppolicy.rule_module import RuleModule, load_module, resolve_module


def to_event(item: dict | Event, where: str = "event") -> Event:
    """Validate a dict as a complaint event (or pass an Event through)."""
    if isinstance(item, Event):
        return item
    parsed = parse_and_validate(RawLine(where, 1, orjson.dumps(item).decode()))
    if isinstance(parsed, Invalid):
        first = parsed.errors[0]
        raise InputError(f"{where}: {first.path}: {first.message} [{first.keyword}]")
    return parsed


def as_of_time(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InputError("as_of must be timezone-aware")
        return value
    return parse_as_of(value)


class Evaluator:
    """Holds rule modules, a calendar and one engine per module."""

    def __init__(
        self,
        policies: Sequence[str | Path | RuleModule] | None = None,
        *,
        calendar=None,
        calendar_data: Sequence[Path] = (),
        plugins: Plugins | None = None,
    ) -> None:
        self.plugins = plugins if plugins is not None else Plugins()
        registered = [entry.path for entry in self.plugins.policies()]
        if policies is None:
            self.modules = [load_module(path) for path in registered]
        else:
            self.modules = [p if isinstance(p, RuleModule) else resolve_module(p, registered) for p in policies]
        self.calendar = calendar if calendar is not None else self.plugins.calendar("cn", calendar_data)
        self._engines = {m.ref: Engine(m, self.calendar) for m in self.modules}

    def module(self, ref: str) -> RuleModule:
        return self._engines[ref].module

    def evaluate_complaint(self, complaint_id: str, events: Iterable[dict | Event],
                           as_of: datetime | str, *, notify: bool = True) -> list[ComplaintResult]:
        """Evaluate one complaint's events; one result per module in force on its receipt date.

        With ``notify`` (the default) each finding goes to the ``cppolicy_handle_finding`` hook."""
        moment = as_of_time(as_of)
        parsed = [to_event(e, f"{complaint_id} event {n}") for n, e in enumerate(events, 1)]
        chosen, _ = modules_for(self.modules, parsed)
        results = [self._engines[m.ref].evaluate(complaint_id, parsed, moment) for m in chosen]
        if notify:
            for result in results:
                for finding in result.findings:
                    self.plugins.handle_finding(finding)
        return results

    def evaluate(self, events: Iterable[dict | Event], as_of: datetime | str) -> list[ComplaintResult]:
        """Group events by complaint (institution-level events are ignored) and evaluate each."""
        grouped: dict[str, list[Event]] = defaultdict(list)
        for n, item in enumerate(events, 1):
            event = to_event(item, f"event {n}")
            if event.complaint_id is not None:
                grouped[event.complaint_id].append(event)
        return [r for cid in sorted(grouped) for r in self.evaluate_complaint(cid, grouped[cid], as_of)]

    def alerts(self, result: ComplaintResult, as_of: datetime | str, *, previous: Iterable[Alert] = (),
               at_risk_working_days: int = 2) -> list[Alert]:
        """The new alerts for an evaluation result, given the alerts already emitted for it.

        Alerts in ``previous`` (matched by key) are not returned again; a ``cleared`` alert is
        returned only for a clock that had an at-risk or breach alert (now or before). The
        :class:`cppolicy.monitor.Monitor` keeps ``previous`` in SQLite for you.
        """
        module = self.module(f"{result.module.id}@{result.module.version}")
        candidates = derive_alerts(result, module, self.calendar, as_of_time(as_of),
                                   at_risk_working_days=at_risk_working_days)
        previous = list(previous)
        seen = {a.key for a in previous}
        raised = {(a.complaint_id, a.clock) for a in [*previous, *candidates] if a.kind != "cleared"}
        return [a for a in relevant_cleared(candidates, raised) if a.key not in seen]
