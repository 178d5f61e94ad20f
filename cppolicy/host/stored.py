"""How the monitor stores an event: masked, with what the engine reads kept whole, and its digest.

The monitor's ``events`` table is judged again at every re-evaluation, so an event is stored as
a masked copy (``cppolicy_mask_payload``, ``kind="event"``, docs/privacy.md) in which every
field a loaded rule module reads by value (:attr:`~cppolicy.rules.RuleModule.event_fields_read`)
and every id and time (:data:`~cppolicy.plugin.builtin.masking.EVENT_KEYS`) is put back as
received: the facts the engine builds from the copy differ from the event's only in values no
rule compares, so it gives the same verdicts. A field tested only for presence or blankness may
be masked, but masking may not change either (nor a list's length, nor a value's type), nor add
or remove a key: what it changed so is put back too.

Beside the copy the store keeps the event's digest (:func:`~cppolicy.trail.event_digest`, taken
before masking): duplicates and conflicts are told apart by it, and the trail's
``input_digest`` is computed from the digests, so both are what they would be for the event as
received.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from cppolicy.plugin import Plugins
from cppolicy.plugin.builtin.masking import EVENT_KEYS
from cppolicy.rules import RuleModule
from cppolicy.rules.vocabulary import LIST_COUNT, LIST_ITEM, RECEIVED_PREFIX

#: what identifies an event and places it in time, outside ``data`` (kept whole)
_CORE = tuple(k for k in EVENT_KEYS if "." not in k)


class KeptFields:
    """The event data fields the loaded modules read, as flat fact names (see
    :attr:`~cppolicy.rules.RuleModule.event_fields_read`)."""

    def __init__(self, modules: Iterable[RuleModule]) -> None:
        names: set[str] = set()
        for module in modules:
            names |= module.event_fields_read
        self.names = frozenset(names)
        lists = {n.split(LIST_ITEM, 1)[0] for n in names if LIST_ITEM in n}
        lists |= {n[: -len(LIST_COUNT)] for n in names if n.endswith(LIST_COUNT)}
        self.lists = frozenset(lists)

    def reads(self, event_type: str, name: str) -> bool:
        """Whether a module reads the data field ``name`` (flat) of an event of ``event_type``."""
        candidates = [name, f"{event_type}:{name}"]
        if event_type == "received":
            candidates.append(RECEIVED_PREFIX + name)
        return any(c in self.names or c in self.lists for c in candidates)


def _shape(value: Any) -> tuple[Any, ...]:
    """What the engine tests of a value besides the value itself: whether it is there (a null is
    absent), blank or not (strings are stripped), a list's length, the type."""
    if value is None:
        return ("absent",)
    if isinstance(value, str):
        return ("blank",) if not value.strip() else ("text",)
    if isinstance(value, list):
        return ("list", len(value))
    return (type(value).__name__,)


def _restore(
    original: dict[str, Any], masked: dict[str, Any], prefix: str, kept: KeptFields, kind: str
) -> None:
    """Put back in ``masked`` (in place) what the engine reads of ``original``'s data: every
    field read by value, and every field whose presence, blankness or type masking changed."""
    for key, value in original.items():
        name = f"{prefix}{key}"
        if key not in masked or _shape(masked[key]) != _shape(value):
            masked[key] = copy.deepcopy(value)
        elif isinstance(value, dict):
            _restore(value, masked[key], f"{name}_", kept, kind)
        elif kept.reads(kind, name):
            masked[key] = copy.deepcopy(value)
    for key in [k for k in masked if k not in original]:  # a key a mask added
        del masked[key]


def storable(raw: dict[str, Any], plugins: Plugins, kept: KeptFields) -> dict[str, Any]:
    """The copy of an event the monitor stores: masked, with what the engine reads kept whole.
    With masking off (``--no-mask``, ``Plugins(mask_data=False)``) the event as received."""
    if not plugins.masking.enabled:
        return raw
    masked = plugins.mask(raw, "event")
    for key in _CORE:
        if key in raw:
            masked[key] = copy.deepcopy(raw[key])
    if isinstance(raw.get("institution"), dict):
        institution = masked.get("institution")
        if not isinstance(institution, dict):
            institution = masked["institution"] = {}
        for key in ("id", "level", "parent"):
            if key in raw["institution"]:
                institution[key] = raw["institution"][key]
    data = raw.get("data")
    if isinstance(data, dict):
        if not isinstance(masked.get("data"), dict):
            masked["data"] = {}
        _restore(data, masked["data"], "", kept, str(raw.get("type", "")))
    return masked
