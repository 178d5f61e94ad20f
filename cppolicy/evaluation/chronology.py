"""Impossible chronologies: acts of a complaint dated before its receipt.

An acknowledgement, a decision, a notice or any other act of a complaint cannot precede the
complaint's receipt. When the data says one does, the data is wrong (a clock set wrong, a date
typed wrong, events of two complaints merged), and every deadline counted from the receipt and
met or excused by such an act means nothing: "acknowledged three days before it was received"
must not read as "acknowledged in time". So

* each such act is a data-quality finding (:data:`CHRONOLOGY`, severity ``warning``: the data is
  at fault, not the engine, and the findings below already keep the complaint from reading as
  compliant) naming the act and the receipt, with both as evidence;
* each clock that reads such an act — its start, what meets it, extensions, pauses, restarts,
  or any event type named by a rule that uses the clock (a contact failure that excuses a
  notice, a withdrawal before the deadline) — is ``undetermined`` with a reason naming both
  events, so that the engine reports each rule that waits on it ``undetermined``
  (:meth:`~cppolicy.evaluation.engine.Engine.undetermined_findings`), never met.

Rules that read an act's content but no clock (what an acknowledgement states, the channel of a
notice) are judged as usual: the content does not depend on the date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from cppolicy.calendar import SHANGHAI
from cppolicy.evaluation.findings import Finding, ModuleRef
from cppolicy.events import Event
from cppolicy.rules import RuleModule

#: the code of the data-quality finding of an act dated before the complaint's receipt
CHRONOLOGY = "CPPOLICY.DATA.ACT_BEFORE_RECEIPT"
#: the rule id such findings carry (no rule of a module: cppolicy's own check of the data)
CHRONOLOGY_RULE = "cppolicy-act-before-receipt"


def acts_before_receipt(events: Sequence[Event]) -> list[tuple[Event, Event]]:
    """``(act, receipt)`` for every event of ``events`` (in evaluation order: by time) other
    than a receipt that is dated strictly before the complaint's first receipt."""
    before: list[Event] = []
    for event in events:  # usually the receipt comes first: nothing to collect
        if event.type == "received":
            return [(act, event) for act in before if act.epoch < event.epoch]
        before.append(event)
    return []


def describe(act: Event, receipt: Event) -> str:
    """``acknowledged event A-2 (2025-02-28T10:00:00+08:00) is dated before the complaint's
    receipt, received event A-1 (2025-03-03T10:00:00+08:00)``."""
    return (
        f"{act.type} event {act.event_id} ({_local(act.time)}) is dated before the complaint's "
        f"receipt, received event {receipt.event_id} ({_local(receipt.time)}): an impossible chronology"
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def clock_reads(module: RuleModule, clock: str) -> frozenset[str]:
    """Every string a clock's declaration names (its start, met-by, extension, pause and restart
    events) or a condition of a rule that uses the clock names, and ``withdrawn`` (a withdrawal
    stops every clock): a superset of the event types the clock's verdicts read."""
    key = (id(module), clock)
    hit = _reads.get(key)
    if hit is not None and hit[0] is module:
        return hit[1]
    spec = module.clocks[clock]
    found: set[str] = {"withdrawn", spec.start_event}
    for part in (spec.met_by, spec.reports, spec.extension, spec.pauses, spec.restart):
        found.update(_strings(part))
    for rule in module.rules:
        if clock in rule.clocks:
            found.update(_strings(rule.when))
    reads = frozenset(found)
    _reads[key] = (module, reads)
    return reads


_reads: dict[tuple[int, str], tuple[RuleModule, frozenset[str]]] = {}


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _strings(item)


def clock_conflict(module: RuleModule, clock: str, early: Sequence[tuple[Event, Event]]) -> str | None:
    """Why ``clock`` cannot be determined (the first act before the receipt that it reads), or None."""
    if not early:
        return None
    reads = clock_reads(module, clock)
    for act, receipt in early:
        if act.type in reads:
            return describe(act, receipt)
    return None


def chronology_findings(
    module: ModuleRef,
    instrument: str,
    early: Sequence[tuple[Event, Event]],
    complaint_id: str | None,
    institution_id: str | None,
    as_of_text: str,
) -> list[Finding]:
    """The data-quality finding of each act dated before the receipt (see the module docstring)."""
    return [
        Finding(
            code=CHRONOLOGY,
            rule_id=CHRONOLOGY_RULE,
            module=module,
            severity="warning",
            complaint_id=complaint_id,
            institution_id=institution_id,
            due=None,
            observed=_local(act.time),
            evidence=(act.event_id, receipt.event_id),
            citation={"instrument": instrument, "text": ""},
            message={
                "zh": "数据质量：投诉的处理行为早于投诉受理时间，相关时限无法判定（不视为合规）。",
                "en": (
                    "Data quality: an act of the complaint is dated before its receipt; the time "
                    "limits it bears on are undetermined (not compliance)."
                ),
            },
            as_of=as_of_text,
            detail=describe(act, receipt),
        )
        for act, receipt in early
    ]
