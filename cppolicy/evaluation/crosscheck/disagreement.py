"""A disagreement between the engine and the cross-check, and the engine's firings as the
cross-check compares them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cppolicy.evaluation.crosscheck.evaluator import Firing
from cppolicy.evaluation.engine import SENTINEL_RULE, Fired


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(a[key] == b[key] for key in a)


def engine_firings(
    ruleset: dict[str, Any], fired: Iterable[Fired], facts: Sequence[dict[str, Any]]
) -> list[Firing]:
    """The engine's raw firings ``(rule_id, {alias: fact})`` as :class:`Firing` entries (the
    sentinel rule, not in ``ruleset``'s rules, dropped): each matched fact is found among
    ``facts`` by content."""
    aliases = {
        rule_id: tuple(a for clause in body.get("all", []) for a in clause if "$" not in a)
        for rule_id, body in ruleset.items()
    }
    by_key: dict[tuple[Any, Any, Any], list[int]] = {}
    for i, fact in enumerate(facts):
        by_key.setdefault((fact.get("f"), fact.get("id"), fact.get("clock")), []).append(i)
    out = []
    for rule_id, matched in fired:
        if rule_id == SENTINEL_RULE:
            continue
        names = aliases.get(rule_id, ())
        names += tuple(sorted(set(matched) - set(names)))
        combo = []
        for alias in names:
            bound = matched.get(alias)
            index = -1
            if isinstance(bound, dict):
                pool = by_key.get((bound.get("f"), bound.get("id"), bound.get("clock")), [])
                index = next((i for i in pool if i not in combo and _same(facts[i], bound)), -1)
            combo.append(index)
        out.append(Firing(rule_id, names, tuple(combo)))
    return sorted(out)


@dataclass
class Disagreement:
    """The engine and the cross-checker disagree on one evaluation: both results, in full."""

    scope: str  # complaint | institution | archive
    module: str  # id@version
    subject: str | None  # complaint id; institution id; None for the archive
    as_of: str
    engine_firings: list[str]  # rule(alias=fact, …), sorted, one per firing
    crosscheck_firings: list[str]
    engine_codes: list[str]  # violation / warning codes reported, sorted, one per finding
    crosscheck_codes: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def only_engine(self) -> list[str]:
        return sorted((Counter(self.engine_firings) - Counter(self.crosscheck_firings)).elements())

    @property
    def only_crosscheck(self) -> list[str]:
        return sorted((Counter(self.crosscheck_firings) - Counter(self.engine_firings)).elements())

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "module": self.module,
            "subject": self.subject,
            "as_of": self.as_of,
            "engine": {"firings": self.engine_firings, "codes": self.engine_codes},
            "crosscheck": {"firings": self.crosscheck_firings, "codes": self.crosscheck_codes},
            "only_engine": self.only_engine,
            "only_crosscheck": self.only_crosscheck,
            "notes": self.notes,
        }

    def describe(self) -> str:
        where = self.subject if self.subject is not None else "(archive)"
        lines = [
            f"cross-check disagreement: {self.scope} {where} under {self.module} as of {self.as_of}",
            f"  durable_rules firings: {self.engine_firings or '[]'}",
            f"  cross-check firings:   {self.crosscheck_firings or '[]'}",
            f"  durable_rules codes:   {self.engine_codes}",
            f"  cross-check codes:     {self.crosscheck_codes}",
        ]
        if self.only_engine:
            lines.append(f"  only durable_rules:    {self.only_engine}")
        if self.only_crosscheck:
            lines.append(f"  only cross-check:      {self.only_crosscheck}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)
