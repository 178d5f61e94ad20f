"""Every field a rule's conditions and references name, checked against the fact vocabulary.

A condition is durable_rules JSON plus the module macros (docs/rule-modules.md#conditions).
Each field it names — an equality's key, a comparison's left side and ``{$m: FIELD}`` right
side, ``$ex`` / ``$nex`` / ``$in`` / ``$nin`` / ``$mt`` fields, ``$lacks_any``'s list field — and
each ``ALIAS.FIELD`` of ``due``, ``observed``, ``subject`` and ``evidence`` must be a field of
the rule's scope in :mod:`cppolicy.rules.vocabulary`; an operator must be one this checker
knows. Each event type a condition compares ``type`` with — an equality, a comparison, the
items of an ``$in`` / ``$nin`` list — must be an event type of the complaint-event schema (the
scopes whose facts carry ``type``: complaint and archive), or the rule would silently never
fire. A problem is a JSON path (for its YAML line and column) and a message with a "did you
mean".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Any

from cppolicy.rules.compiler import COMPARISONS
from cppolicy.rules.vocabulary import Vocabulary, event_data_fields, event_types, module_vocabulary

#: a problem: where (JSON path parts from the document's root) and what
Problem = tuple[tuple[str | int, ...], str]

_LOGICAL = frozenset({"$and", "$or"})
_FIELD_TESTS = frozenset({"$ex", "$nex", "$in", "$nin", "$mt", "$imt", "$iall", "$iany"})
_MACROS = frozenset({"$param", "$param_is", "$lacks_any"})
#: the scopes whose facts carry an event's ``type`` (an institution fact has none)
_TYPED_SCOPES = frozenset({"complaint", "archive"})
#: field tests whose right side is a pattern or a presence flag, not an event type
_PATTERN_TESTS = frozenset({"$ex", "$nex", "$mt", "$imt", "$iall", "$iany"})
OPERATORS = sorted(_LOGICAL | _FIELD_TESTS | _MACROS | COMPARISONS)


def _suggest(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Walker:
    def __init__(self, vocabulary: Vocabulary, scope: str) -> None:
        self.vocabulary = vocabulary
        self.scope = scope
        self.problems: list[Problem] = []

    def field(self, name: Any, where: tuple[str | int, ...]) -> None:
        if not isinstance(name, str):
            self.problems.append((where, f"a field name must be a string, not {name!r}"))
        elif not self.vocabulary.knows(name):
            hint = _suggest(name, self.vocabulary.names())
            self.problems.append(
                (where, f"unknown field {name!r} (not in the {self.scope} fact vocabulary){hint}")
            )

    def operand(self, value: Any, where: tuple[str | int, ...]) -> None:
        if isinstance(value, dict) and set(value) == {"$m"}:
            self.field(value["$m"], (*where, "$m"))

    def type_value(self, name: Any, value: Any, where: tuple[str | int, ...], test: str = "") -> None:
        """An event type compared with ``type`` (a list's items for ``$in`` / ``$nin``) must exist."""
        if name != "type" or self.scope not in _TYPED_SCOPES or test in _PATTERN_TESTS:
            return
        values = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in values:
            if not isinstance(item, str) or item in event_types():
                continue  # a {$m: FIELD} operand or a non-string is another check's business
            here = where if index is None else (*where, index)
            hint = _suggest(item, sorted(event_types()))
            self.problems.append(
                (here, f"unknown event type {item!r} (not in the complaint-event schema){hint}")
            )

    def node(self, node: Any, where: tuple[str | int, ...]) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                self.node(item, (*where, index))
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            here = (*where, key)
            if not isinstance(key, str):
                self.problems.append((here, f"a condition key must be a string, not {key!r}"))
            elif key in _LOGICAL:
                self.node(value, here)
            elif key in COMPARISONS or key in _FIELD_TESTS:
                for left, right in value.items() if isinstance(value, dict) else ():
                    self.field(left, (*here, left))
                    self.operand(right, (*here, left))
                    self.type_value(left, right, (*here, left), key)
            elif key == "$lacks_any":
                for name in value if isinstance(value, dict) else ():
                    if name not in self.vocabulary.lists:
                        hint = _suggest(name, sorted(self.vocabulary.lists))
                        self.problems.append(
                            (
                                (*here, name),
                                f"$lacks_any needs a list field of the {self.scope} facts, not {name!r}{hint}",
                            )
                        )
            elif key in _MACROS:
                continue  # parameters: checked when the module compiles
            elif key.startswith("$"):
                self.problems.append((here, f"unknown operator {key!r}{_suggest(key, OPERATORS)}"))
            else:
                self.field(key, here)
                self.operand(value, here)
                self.type_value(key, value, here)


def _references(rule: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for key in ("due", "observed", "subject"):
        if isinstance(rule.get(key), str):
            yield (key,), rule[key]
    for index, ref in enumerate(rule.get("evidence") or ()):
        if isinstance(ref, str):
            yield ("evidence", index), ref


def condition_problems(data: dict[str, Any]) -> list[Problem]:
    """Every unknown field or operator in the rules of a schema-valid module's data."""
    clocks = list(data.get("clocks") or {})
    windows = list(data.get("windows") or {})
    problems: list[Problem] = []
    for index, rule in enumerate(data["rules"]):
        scope = rule.get("scope", "complaint")
        walker = _Walker(module_vocabulary(scope, clocks, windows), scope)
        for n, clause in enumerate(rule["when"]["all"]):
            for alias, condition in clause.items():
                walker.node(condition, ("rules", index, "when", "all", n, alias))
        for where, ref in _references(rule):
            _, _, name = ref.partition(".")
            if name and name != "id":
                walker.field(name, ("rules", index, *where))
        problems.extend(walker.problems)
    return problems


def _data_field(event_type: Any, name: Any, where: tuple[str | int, ...], dotted: bool) -> Problem | None:
    """A problem when ``name`` is not a data field of events of ``event_type`` (``dotted``: the
    code reads it as a dotted path into the data, else as one key)."""
    if not isinstance(event_type, str) or not isinstance(name, str):
        return None
    fields = event_data_fields(event_type, "." if dotted else "_")
    if not fields:
        return (where, f"{event_type!r} is not an event type with data")
    if name in fields:
        return None
    return (where, f"unknown field {name!r} of {event_type!r} event data{_suggest(name, sorted(fields))}")


def data_field_problems(data: dict[str, Any]) -> list[Problem]:
    """Every event data field named outside the rules — ``applies_to``, a clock's ``applies_if``,
    ``start.when_true`` and ``restart.when_true``, an obligation's ``applies_if`` and ``met_at_field`` — must exist,
    or the module would silently judge no complaint, start no clock, or meet no obligation."""
    checks: list[tuple[Any, Any, tuple[str | int, ...], bool]] = []
    if isinstance(data.get("applies_to"), dict):
        checks.append(("received", data["applies_to"].get("field"), ("applies_to", "field"), True))
    for name, clock in (data.get("clocks") or {}).items():
        if isinstance(clock.get("applies_if"), dict):
            checks.append(
                ("received", clock["applies_if"].get("field"), ("clocks", name, "applies_if", "field"), True)
            )
        if isinstance(clock.get("start"), dict) and "when_true" in clock["start"]:
            where = ("clocks", name, "start", "when_true")
            checks.append((clock["start"].get("event"), clock["start"]["when_true"], where, False))
        if isinstance(clock.get("restart"), dict) and "when_true" in clock["restart"]:
            where = ("clocks", name, "restart", "when_true")
            checks.append((clock["restart"].get("event"), clock["restart"]["when_true"], where, False))
    for name, spec in ((data.get("archive") or {}).get("obligations") or {}).items():
        base = ("archive", "obligations", name)
        if isinstance(spec.get("applies_if"), dict):
            checks.append(
                (spec.get("event"), spec["applies_if"].get("field"), (*base, "applies_if", "field"), False)
            )
        checks.append((spec.get("event"), spec.get("met_at_field"), (*base, "met_at_field"), False))
    return [p for p in (_data_field(*check) for check in checks) if p is not None]
