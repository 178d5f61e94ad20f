"""The cross-check's own reading of impossible chronologies, from the facts as asserted.

The engine finds the acts dated before a complaint's receipt from its events
(:mod:`cppolicy.evaluation.chronology`); here they are found again from the event facts the
engine was given (``type``, ``t``), without that code, so that a fault in either shows as a
disagreement on the data-quality codes. So are the acts recorded before the event they report
(:func:`order_notes`: a result notice before the decision), against the engine's annotations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cppolicy.evaluation.chronology import CHRONOLOGY
from cppolicy.rules import RuleModule


def chronology_codes(scope: str, facts: Sequence[dict[str, Any]]) -> list[str]:
    """One :data:`~cppolicy.evaluation.chronology.CHRONOLOGY` code for each event fact of a
    complaint-scope run, other than a receipt, whose time is before the earliest receipt's."""
    if scope != "complaint":
        return []
    events = [fact for fact in facts if fact.get("f") == "event"]
    receipts = [fact["t"] for fact in events if fact.get("type") == "received"]
    if not receipts:
        return []
    receipt = min(receipts)
    return [CHRONOLOGY for fact in events if fact.get("type") != "received" and fact["t"] < receipt]


def order_notes(module: RuleModule, scope: str, facts: Sequence[dict[str, Any]]) -> list[str]:
    """A note when the engine's ``out_of_order`` / ``reports_id`` annotations differ from this
    reading of the facts as asserted: for each computed clock whose ``met_by`` act ``reports``
    another event type, every act of the clock's scope (from its start when a restart started
    it) timestamped before the first reported event of that scope reports it out of order."""
    if scope != "complaint":
        return []
    events = [fact for fact in facts if fact.get("f") == "event"]
    clocks = {fact["clock"]: fact for fact in facts if fact.get("f") == "clock"}
    expected: dict[str, str] = {}
    for name, spec in module.clocks.items():
        clock = clocks.get(name)
        if spec.reports is None or spec.met_by is None or clock is None:
            continue
        restarted = spec.restart is not None and any(
            e["id"] == clock["start_id"] and e["type"] == spec.restart["event"] for e in events
        )
        window = [e for e in events if not restarted or e["t"] >= clock["start"]]
        reported = next((e for e in window if e["type"] == spec.reports), None)
        if reported is None:
            continue
        for act in window:
            if act["type"] == spec.met_by and act["t"] < reported["t"]:
                expected[act["id"]] = reported["id"]
    engine = {e["id"]: e.get("reports_id") for e in events if e.get("out_of_order") is True}
    if engine == expected:
        return []
    return [
        f"out-of-order records differ: engine {sorted(engine.items())}, cross-check {sorted(expected.items())}"
    ]
