"""How the monitor stores an event: masked, with what the engine reads kept whole, and its digest.

The monitor's ``events`` table is judged again at every re-evaluation, so an event is stored as
a masked copy (``cppolicy_mask_payload``, ``kind="event"``, docs/privacy.md) in which every
field a loaded rule module reads (:attr:`~cppolicy.rules.RuleModule.event_fields_read`) and
every id and time (:data:`~cppolicy.plugin.builtin.masking.EVENT_KEYS`) is put back as
received: the engine then builds the same facts from the copy as from the event, and gives the
same verdicts. Masking may change a value but not remove a key nor blank a value that was not
blank (the engine tests presence): either is put back too.

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

    def reads_under(self, event_type: str, name: str) -> bool:
        """Whether a module reads a field nested under ``name`` (an object flattened as ``name_…``)."""
        prefixes = [name + "_", f"{event_type}:{name}_"]
        if event_type == "received":
            prefixes.append(f"{RECEIVED_PREFIX}{name}_")
        return any(n.startswith(p) for n in self.names for p in prefixes)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ({}, [])


def _restore(
    original: dict[str, Any], masked: dict[str, Any], prefix: str, kept: KeptFields, kind: str
) -> None:
    """Put back in ``masked`` (in place) what the engine reads of ``original``'s data."""
    for key, value in original.items():
        name = f"{prefix}{key}"
        if key not in masked or (_blank(masked[key]) and not _blank(value)):
            masked[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(masked[key], dict):
            _restore(value, masked[key], f"{name}_", kept, kind)
        elif kept.reads(kind, name) or (isinstance(value, dict) and kept.reads_under(kind, name)):
            masked[key] = copy.deepcopy(value)


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
