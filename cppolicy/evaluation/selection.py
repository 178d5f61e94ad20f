"""Which rule modules judge a complaint: valid time, applicability, one version per module.

A complaint is judged by every selected module that

1. is in force on the complaint's **receipt date** (``effective_from`` ≤ date ≤ ``effective_to``),
2. applies to it (a module's optional ``applies_to``: e.g. only complaints forwarded by the
   PBoC), and
3. is the highest version of its id among those (a newer version of a module supersedes the
   older one from its own ``effective_from``; older complaints keep the older version).

A complaint without a ``received`` event is judged by the highest version of every selected
module, so that each reports the receipt as missing (undetermined) rather than the complaint
going unjudged. Institution-level events (archive scope) and institution profiles are judged by
the highest version of each module in force on the as-of date (:func:`newest_versions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cppolicy.calendar import local_date
from cppolicy.documents import dig
from cppolicy.events import Event
from cppolicy.rules import RuleModule, version_key


def applies_to(module: RuleModule, received: Event) -> bool:
    """Whether the module's ``applies_to`` condition holds for a receipt event."""
    condition = module.data.get("applies_to")
    if not condition:
        return True
    value = dig(received.data, condition["field"])
    return value in module.parameter(condition["in"]["param"], local_date(received.time))[0]


def newest_versions(modules: Iterable[RuleModule]) -> list[RuleModule]:
    """The highest version of each module id among ``modules``, in their order: what judges the
    institution-level events (archive scope) and an institution profile, and a complaint with no
    receipt, where no receipt date chooses between versions."""
    modules = list(modules)
    newest: dict[str, RuleModule] = {}
    for module in modules:
        current = newest.get(module.id)
        if current is None or version_key(module.version) > version_key(current.version):
            newest[module.id] = module
    return [m for m in modules if newest[m.id] is m]


def modules_for(
    modules: Iterable[RuleModule], events: Sequence[Event]
) -> tuple[list[RuleModule], str | None]:
    """The modules that judge a complaint, and why none does (``None`` when some do)."""
    modules = list(modules)
    received = next((e for e in events if e.type == "received"), None)
    if received is None:
        return newest_versions(modules), None
    day = local_date(received.time)
    in_force = [m for m in modules if m.in_force_on(day)]
    if not in_force:
        return [], "no_module_in_force"
    chosen = newest_versions(m for m in in_force if applies_to(m, received))
    return chosen, None if chosen else "no_module_applies"
