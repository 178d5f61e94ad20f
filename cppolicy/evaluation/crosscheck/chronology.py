"""The cross-check's own reading of impossible chronologies, from the facts as asserted.

The engine finds the acts dated before a complaint's receipt from its events
(:mod:`cppolicy.evaluation.chronology`); here they are found again from the event facts the
engine was given (``type``, ``t``), without that code, so that a fault in either shows as a
disagreement on the data-quality codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cppolicy.evaluation.chronology import CHRONOLOGY


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
