"""The institution tree as seen in an archive's events, and the periods reports are due for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Tree:
    """The institution tree as seen in an archive's events."""

    level: dict[str, str] = field(default_factory=dict)
    parent: dict[str, str | None] = field(default_factory=dict)

    def add(self, institution: dict[str, Any]) -> None:
        self.add_all((institution,))

    def add_all(self, institutions: Iterable[dict[str, Any]]) -> None:
        """:meth:`add` each of ``institutions``, in order: complaint summaries name an institution
        once per complaint, a million times over, and a method call for each cost more than the
        adding."""
        level, parent = self.level.setdefault, self.parent.setdefault
        for institution in institutions:
            ident = institution["id"]
            level(ident, institution["level"])
            parent(ident, institution.get("parent"))

    def branch(self, node: str) -> str:
        """The branch a complaint at ``node`` is counted at (large-scale clusters, impact reports):
        its branch, or the head office when no branch is above it."""
        return self.ancestor_at(node, ("branch", "head_office"))

    def ancestor_at(self, node: str, levels: Iterable[str]) -> str:
        """The nearest node (itself included) at one of ``levels``; the root if none."""
        levels = set(levels)
        current: str | None = node
        seen = set()
        while current is not None and current not in seen:
            seen.add(current)
            if self.level.get(current) in levels:
                return current
            nxt = self.parent.get(current)
            if nxt is None:
                return current
            current = nxt
        return node

    def ancestors(self, node: str) -> list[str]:
        current: str | None  # the parent of a node may be None (the root)
        out, current, seen = [], node, set()
        while current is not None and current not in seen:
            seen.add(current)
            out.append(current)
            current = self.parent.get(current)
        return out


def half_year(day: date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def half_year_bounds(period: str) -> tuple[date, date]:
    year, half = int(period[:4]), period[-1]
    return (date(year, 1, 1), date(year, 6, 30)) if half == "1" else (date(year, 7, 1), date(year, 12, 31))


def period_of(day: date, every: str) -> str:
    return half_year(day) if every == "half_year" else str(day.year)


def period_bounds(period: str) -> tuple[date, date]:
    if "H" in period:
        return half_year_bounds(period)
    return date(int(period), 1, 1), date(int(period), 12, 31)
