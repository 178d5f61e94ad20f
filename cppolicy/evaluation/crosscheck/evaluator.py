"""The cross-check's evaluator: a second, pure-Python reading of rule-module conditions.

Written from the documented semantics of the durable_rules JSON ruleset form
(docs/rule-modules.md, docs/cross-check.md); it imports nothing of durable_rules. Given a scope's
compiled ruleset (``RuleModule.compile``, macros expanded) and the facts in the order they were
asserted (the as-of fact last), :func:`evaluate_ruleset` lists for every rule each combination of
facts — one per positive alias, in ``all`` order, pairwise distinct — that satisfies every positive
condition while no other fact satisfies any ``ALIAS$not`` condition.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_MISSING = object()
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$eq": operator.eq,
    "$neq": operator.ne,
}


class UnsupportedCondition(ValueError):
    """A condition this evaluator does not interpret, so it cannot vouch for the engine's result."""


def _kind(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, (bool, int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    raise UnsupportedCondition(f"cannot compare a {type(value).__name__} ({value!r})")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def compare(op: str, left: Any, right: Any) -> bool:
    """``left OP right`` as a rule condition means it (measured on durable_rules 2.0.28, see
    docs/cross-check.md):

    - a missing operand (field absent from the fact) makes every comparison false, ``$neq`` too;
    - ``null`` equals only ``null``; a value other than ``null`` is ``$neq`` a ``null`` operand,
      but a ``null`` value against any other operand is false for every operator, ``$neq`` too;
    - numbers (``true``/``false`` count as 1/0) compare numerically;
    - strings compare by code point (= UTF-8 bytes, as ``strcmp``);
    - a number against a string compares the number's JSON text with the string.
    """
    if left is _MISSING or right is _MISSING:
        return False
    lk, rk = _kind(left), _kind(right)
    if lk == "nil" or rk == "nil":
        if lk == rk:
            return op == "$eq"
        return rk == "nil" and op == "$neq"
    if lk != rk:
        left, right = _text(left), _text(right)
    return _OPS[op](left, right)


def _single(value: Any, key: str) -> tuple[str, Any]:
    if not isinstance(value, dict) or len(value) != 1:
        raise UnsupportedCondition(f"{key} needs exactly one {{FIELD: OPERAND}}, got {value!r}")
    ((name, operand),) = value.items()
    return name, operand


#: A compiled condition: how many terms of its disjunctive normal form a fact satisfies
#: (0 = the condition is false). durable_rules fires a single-fact match once per such term of
#: the rule's first condition (see docs/cross-check.md); every other use only asks "> 0".
Counter_ = Callable[[dict[str, Any]], int]


def _comparison(op: str, name: str, operand: Any) -> Counter_:
    if isinstance(operand, dict):
        if set(operand) == {"$m"} and isinstance(operand["$m"], str):
            ref = operand["$m"]
            return lambda fact: int(compare(op, fact.get(name, _MISSING), fact.get(ref, _MISSING)))
        raise UnsupportedCondition(
            f"{op} on {name!r}: operand {operand!r} (only constants and {{$m: FIELD}} of the same fact)"
        )
    if isinstance(operand, list):
        raise UnsupportedCondition(f"{op} on {name!r}: a list operand {operand!r}")
    _kind(operand)  # refuse operands of other types up front
    return lambda fact: int(compare(op, fact.get(name, _MISSING), operand))


def _all_of(parts: list[Counter_]) -> Counter_:
    if len(parts) == 1:
        return parts[0]

    def conjunction(fact: dict[str, Any]) -> int:
        total = 1
        for part in parts:
            total *= part(fact)
            if not total:
                return 0
        return total

    return conjunction


def _term(key: str, value: Any) -> Counter_:
    if key in ("$and", "$or"):
        if not isinstance(value, list):
            raise UnsupportedCondition(f"{key} needs a list, got {value!r}")
        parts = [_compile(item) for item in value]
        if key == "$and":
            return _all_of(parts)
        return lambda fact: sum(part(fact) for part in parts)
    if key in _OPS:
        name, operand = _single(value, key)
        return _comparison(key, name, operand)
    if key in ("$ex", "$nex"):
        if not isinstance(value, dict) or not value:
            raise UnsupportedCondition(f"{key} needs {{FIELD: 1}}, got {value!r}")
        names = tuple(value)
        if key == "$ex":
            return lambda fact: int(all(name in fact for name in names))
        return lambda fact: int(all(name not in fact for name in names))
    if key.startswith("$"):
        raise UnsupportedCondition(f"operator {key} is not interpreted by the cross-check")
    return _comparison("$eq", key, value)


def _compile(condition: Any) -> Counter_:
    if not isinstance(condition, dict) or not condition:
        raise UnsupportedCondition(f"a condition is a non-empty mapping, got {condition!r}")
    return _all_of([_term(key, value) for key, value in condition.items()])


def compile_condition(condition: Any) -> Predicate:
    """A durable_rules JSON condition on one fact as a predicate ``fact -> bool``.

    ``{FIELD: VALUE}`` is equality, ``{$lt|$lte|$gt|$gte|$eq|$neq: {FIELD: VALUE or {$m: FIELD}}}``
    a comparison with a constant or another field of the same fact, ``{$ex|$nex: {FIELD: 1}}``
    presence / absence, ``{$and|$or: [...]}`` nesting. A mapping with several keys is read as
    their conjunction (durable_rules itself reads only one of them: see docs/cross-check.md).
    Anything else raises :class:`UnsupportedCondition`, at compile time, whatever the facts.
    """
    count = _compile(condition)
    return lambda fact: count(fact) > 0


def satisfied_terms(condition: Any, fact: dict[str, Any]) -> int:
    """How many terms of the condition's disjunctive normal form ``fact`` satisfies."""
    return _compile(condition)(fact)


@dataclass(frozen=True)
class _Rule:
    rule_id: str
    aliases: tuple[str, ...]  # positive aliases, in ``all`` order
    positive: tuple[Counter_, ...]
    negative: tuple[tuple[str, Counter_], ...]
    first_positive: bool  # the first ``all`` clause is a positive alias


def _compile_ruleset(ruleset: dict[str, Any]) -> list[_Rule]:
    rules = []
    for rule_id, body in ruleset.items():
        if not isinstance(body, dict) or "all" not in body or set(body) - {"all", "run"}:
            raise UnsupportedCondition(f"rule {rule_id}: only {{all: [...]}} rules are interpreted")
        aliases, positive, negative = [], [], []
        for clause in body["all"]:
            if not isinstance(clause, dict) or len(clause) != 1:
                raise UnsupportedCondition(f"rule {rule_id}: each all item binds exactly one alias")
            ((alias, condition),) = clause.items()
            try:
                count = _compile(condition)
            except UnsupportedCondition as exc:
                raise UnsupportedCondition(f"rule {rule_id}, alias {alias}: {exc}") from None
            if alias.endswith("$not"):
                negative.append((alias, count))
            elif "$" in alias:
                raise UnsupportedCondition(f"rule {rule_id}: alias {alias!r} (only ALIAS and ALIAS$not)")
            else:
                aliases.append(alias)
                positive.append(count)
        if not aliases:
            raise UnsupportedCondition(f"rule {rule_id}: no positive alias")
        first_positive = not next(iter(body["all"][0])).endswith("$not")
        rules.append(_Rule(rule_id, tuple(aliases), tuple(positive), tuple(negative), first_positive))
    return rules


@dataclass(frozen=True, order=True)
class Firing:
    """One firing: a rule and the facts bound to its positive aliases (indices into the facts
    list, in ``all`` order; -1 for a fact the engine returned that is not among them)."""

    rule_id: str
    aliases: tuple[str, ...]
    facts: tuple[int, ...]

    def matched(self, facts: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """``{alias: fact}``, the shape ``Engine.findings_for`` takes."""
        return {alias: facts[i] for alias, i in zip(self.aliases, self.facts, strict=True) if i >= 0}

    def describe(self, facts: Sequence[dict[str, Any]]) -> str:
        bound = ", ".join(
            f"{alias}={fact_label(facts, i)}" for alias, i in zip(self.aliases, self.facts, strict=True)
        )
        return f"{self.rule_id}({bound})"


def evaluate_ruleset(ruleset: dict[str, Any], facts: Sequence[dict[str, Any]]) -> list[Firing]:
    """Every firing of ``ruleset`` (durable_rules JSON, as ``RuleModule.compile`` returns it) on
    ``facts`` once all of them are in: per rule, each combination of pairwise-distinct facts, one
    per positive alias, satisfying the positive conditions, such that no fact outside the
    combination satisfies an ``ALIAS$not`` condition.

    A combination is listed once per term of the disjunctive normal form of the rule's first
    condition its fact satisfies (how durable_rules 2.0.28 fires: an ``$or`` in the first
    condition with two true branches fires twice; elsewhere an ``$or`` never repeats a firing).
    ``set(evaluate_ruleset(...))`` is the set of distinct firings. Sorted."""
    out: list[Firing] = []
    for rule in _compile_ruleset(ruleset):
        counts = [{i: n for i, fact in enumerate(facts) if (n := count(fact))} for count in rule.positive]
        blockers = [{i for i, fact in enumerate(facts) if count(fact)} for _, count in rule.negative]
        for combo in product(*(list(c) for c in counts)):
            bound = set(combo)
            if len(bound) < len(combo):
                continue  # a fact binds at most one alias of a combination
            if any(blocker - bound for blocker in blockers):
                continue  # a fact outside the combination is present where absence is required
            times = counts[0][combo[0]] if rule.first_positive else 1
            out.extend([Firing(rule.rule_id, rule.aliases, combo)] * times)
    return sorted(out)


def fact_label(facts: Sequence[dict[str, Any]], index: int) -> str:
    """A readable name of a fact: ``event:E-1``, ``clock:decision``, ``asof``, else ``f#index``."""
    if index < 0 or index >= len(facts):
        return "?"
    fact = facts[index]
    kind = fact.get("f", "?")
    if "id" in fact:
        return f"{kind}:{fact['id']}"
    if "clock" in fact:
        return f"{kind}:{fact['clock']}"
    if kind == "asof":
        return "asof"
    return f"{kind}#{index}"
