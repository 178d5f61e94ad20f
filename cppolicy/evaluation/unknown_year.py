"""Judging a complaint whose limits run into a year with no published holiday arrangement.

Such a limit has no single end, but an earliest and a latest possible one
(:mod:`cppolicy.calendar.bounds`: every unknown day a working day; no window with more rest days
than any published one). The clocks are computed at both ends (:class:`BothEnds`) and the rules
run on each (:meth:`~cppolicy.evaluation.engine.Engine.evaluate`); a rule that fires at both ends,
or at neither, is judged — its verdict cannot depend on the unknown year — and only a rule that
fires at one end is ``undetermined``, with the two bounds in its detail. So an acceptance notice
sent on the day its duty arose, a decision before the earliest possible end, or a complaint with
no act after the latest possible end, is judged (docs/calendar.md, "Periods that run into an
unknown year").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cppolicy.calendar import WorkingDayCalendar
from cppolicy.calendar.bounds import LATEST_ASSUMPTION, bounded
from cppolicy.calendar.years import format_years
from cppolicy.evaluation.clocks import ClockResult, compute_clocks
from cppolicy.evaluation.findings import Finding
from cppolicy.events import Event
from cppolicy.rules import RuleModule

if TYPE_CHECKING:
    from cppolicy.evaluation.engine import Engine, Fired


def _key(fired: Fired) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A firing by rule and bound facts: events by id, clocks by name (their due differs between
    the ends), the as-of fact as such."""
    rule_id, matched = fired
    return rule_id, tuple(
        sorted(
            (alias, str(fact.get("id") or fact.get("clock") or fact.get("f")))
            for alias, fact in matched.items()
        )
    )


def _day(due: datetime) -> str:
    return (due - timedelta(seconds=1)).date().isoformat()


@dataclass(slots=True)
class BothEnds:
    """A complaint's clocks computed at the earliest and at the latest possible end."""

    earliest: list[ClockResult]
    earliest_notes: dict[str, dict[str, Any]]
    latest: list[ClockResult]
    latest_notes: dict[str, dict[str, Any]]
    assumption: str
    #: the rules that fire at one end only (set by :meth:`judge`)
    split: list[str] = field(default_factory=list)

    @classmethod
    def compute(
        cls,
        module: RuleModule,
        events: Sequence[Event],
        calendar: WorkingDayCalendar,
        params: dict[str, Any],
        as_of: datetime,
        only: set[str] | None,
    ) -> BothEnds:
        early: dict[str, dict[str, Any]] = {}
        late: dict[str, dict[str, Any]] = {}
        first = compute_clocks(module, events, bounded(calendar, "earliest"), params, as_of, early, only)
        last = compute_clocks(module, events, bounded(calendar, "latest"), params, as_of, late, only)
        years = format_years(calendar.covered_years)
        return cls(first, early, last, late, LATEST_ASSUMPTION.format(years=years))

    @property
    def clocks(self) -> list[ClockResult]:
        """The clocks to report: the latest side's, each with both bounds; a clock whose state
        differs between the ends is ``undetermined`` (its reason gives the bounds)."""
        out = []
        for early, late in zip(self.earliest, self.latest, strict=True):
            if late.state == "undetermined" or early.state == "undetermined" or late.deadline is None:
                out.append(late if late.state == "undetermined" else early)
                continue
            assert early.deadline is not None
            merged = replace(late, bounds=(early.deadline, late.deadline))
            if early.deadline.due != late.deadline.due:
                merged.reason = self.why(merged)
            if early.state != late.state:
                merged.state = "undetermined"
            out.append(merged)
        return out

    def why(self, clock: ClockResult) -> str:
        """The bounds of a clock that runs into an unknown year, and what the latest rests on."""
        assert clock.bounds is not None
        early, late = clock.bounds
        return (
            f"runs into a year whose holiday arrangement is not published: it ends at the earliest "
            f"on {_day(early.due)} (every unknown day a working day) and at the latest on "
            f"{_day(late.due)} ({self.assumption})"
        )

    @property
    def unknown(self) -> dict[str, str | None]:
        """Clocks that cannot be computed even at the ends (e.g. a pause in the unknown year)."""
        return {
            c.name: c.reason
            for side in (self.latest, self.earliest)
            for c in side
            if c.state == "undetermined"
        }

    def judge(self, early: Sequence[Fired], late: Sequence[Fired]) -> list[Fired]:
        """The firings whose verdict is the same at both ends (the latest side's): a rule firing on
        the same events at both. The rules that fire on some events at one end only are kept in
        :attr:`split` (a rule can be in both: late for one act, undetermined for another)."""
        at_early = {_key(fired) for fired in early}
        at_late = {_key(fired) for fired in late}
        self.split = sorted({rule_id for rule_id, _ in at_early ^ at_late})
        return [fired for fired in late if _key(fired) in at_early]

    def findings(
        self,
        engine: Engine,
        found: list[Finding],
        on: date | None,
        complaint_id: str | None,
        institution: str | None,
        as_of_text: str,
    ) -> list[Finding]:
        """``found`` (the judged findings) with the bounds in the detail of those whose rule
        uses a bounded clock, and an ``undetermined`` finding for each rule of :attr:`split`."""
        bounded_clocks = {c.name: self.why(c) for c in self.clocks if c.bounds and c.reason}
        rules = {rule.id: rule for rule in engine.module.rules}
        out = []
        for finding in found:
            used = [name for name in rules[finding.rule_id].clocks if name in bounded_clocks]
            if used and finding.detail is None:
                finding = replace(
                    finding,
                    detail=f"clock {used[0]}: {bounded_clocks[used[0]]}; the same verdict at both ends",
                )
            out.append(finding)
        split = set(self.split)
        reasons = {
            name: f"{why}; the verdict differs between the two" for name, why in bounded_clocks.items()
        }
        undetermined = engine.undetermined_findings(
            "complaint", on, reasons, complaint_id, institution, as_of_text, rules=split
        )
        return out + undetermined
