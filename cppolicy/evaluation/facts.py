"""Facts: what the engine is shown of a complaint's events.

An event becomes a fact with its data flattened to scalar fields (nested objects joined with
``_``; list items as ``<name>__<item>: true`` plus ``<name>_count``), ``f: event``, its ``type``,
``t`` (epoch seconds) and ``first`` (the first event of its type). :class:`Prepared` holds what
every module's evaluation of one complaint starts from, computed once for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from cppolicy.events import Event
from cppolicy.rules.vocabulary import EVENT_CORE, RESERVED

#: what event_facts writes over an event's data (a module's annotations never override it);
#: these names, like every field of a fact, come from the fact vocabulary (cppolicy.rules.vocabulary)
CORE = EVENT_CORE


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Event data as flat scalar fields: nested objects joined with ``_``; list items as
    ``<name>__<item>: true`` plus ``<name>_count``; nulls omitted (so ``$nex`` sees them absent)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if value is None:
            continue
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}_"))
        elif isinstance(value, list):
            out[f"{name}_count"] = len(value)
            for item in value:
                if isinstance(item, (str, int)) and not isinstance(item, bool):
                    out[f"{name}__{item}"] = True
        elif isinstance(value, str):
            out[name] = value.strip()
        else:
            out[name] = value
    return {k: v for k, v in out.items() if k not in RESERVED}


_flat_cache: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}


def flat_data(data: dict[str, Any]) -> dict[str, Any]:
    """``flatten(data)``, remembered for the last few thousand data objects (by identity): every
    module that judges a complaint flattens the same events. Do not mutate the result."""
    hit = _flat_cache.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    if len(_flat_cache) >= 4096:
        _flat_cache.clear()
    flat = flatten(data)
    _flat_cache[id(data)] = (data, flat)
    return flat


def event_facts(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Events as engine facts: flattened data, ``f: event``, ``t`` epoch, ``first`` of its type."""
    facts, seen_types = [], set()
    for event in events:
        fact = dict(flat_data(event.data))
        fact.update(
            {
                "f": "event",
                "type": event.type,
                "t": event.epoch,
                "id": event.event_id,
                "first": event.type not in seen_types,
            }
        )
        if event.institution:
            fact["institution_id"] = event.institution.get("id")
            fact["institution_level"] = event.institution.get("level")
        seen_types.add(event.type)
        facts.append(fact)
    return facts


class Prepared:
    """What every module's evaluation of one complaint starts from, computed once for all of
    them (:class:`~cppolicy.evaluation.judge.Judge` judges a complaint by up to three modules):
    the events at or before the as-of time in evaluation order, the first receipt, and each
    visible event's fact before the module's own fields (clock numbers, annotations)."""

    __slots__ = ("as_of", "visible", "received", "_facts")

    def __init__(self, events: Iterable[Event], as_of: datetime) -> None:
        self.as_of = as_of
        self.visible = evaluation_order(events, as_of)
        self.received = next((e for e in self.visible if e.type == "received"), None)
        self._facts: list[dict[str, Any]] | None = None

    def base_facts(self) -> list[dict[str, Any]]:
        """``event_facts(self.visible)``, built once (the caller copies before changing one)."""
        if self._facts is None:
            self._facts = event_facts(self.visible)
        return self._facts


def event_order(event: Event) -> tuple[float, str, int]:
    return (event.epoch, event.source or "", event.line or 0)


def evaluation_order(events: Iterable[Event], as_of: datetime) -> list[Event]:
    """The events the engine considers, in the order it asserts them: those at or before
    ``as_of``, by time, then source and line (input order breaks ties)."""
    visible = [e for e in events if e.time <= as_of]
    visible.sort(key=event_order)
    return visible
