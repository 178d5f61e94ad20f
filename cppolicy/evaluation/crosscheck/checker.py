"""The cross-check's comparison: the engine's run against the pure-Python evaluator's.

The engine runs with ``keep_facts=True`` (:class:`~cppolicy.evaluation.engine.Engine`), which
records the facts exactly as asserted and the raw firings; those facts are re-evaluated by
:func:`~cppolicy.evaluation.crosscheck.evaluator.evaluate_ruleset`, and a :class:`Disagreement` —
both sets of firings and both lists of finding codes — is reported whenever they differ. The
cross-check's codes include the data-quality codes of acts dated before the receipt, found from
the facts (:mod:`~cppolicy.evaluation.crosscheck.chronology`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from cppolicy.calendar import SHANGHAI, WorkingDayCalendar
from cppolicy.evaluation.archive_scope import ArchiveResult, evaluate_archive_scope
from cppolicy.evaluation.crosscheck.chronology import chronology_codes, order_notes
from cppolicy.evaluation.crosscheck.disagreement import Disagreement, engine_firings
from cppolicy.evaluation.crosscheck.evaluator import Firing, UnsupportedCondition, evaluate_ruleset
from cppolicy.evaluation.engine import SENTINEL_RULE, Engine, Fired
from cppolicy.evaluation.findings import ComplaintResult, Finding, ModuleRef
from cppolicy.evaluation.institution import InstitutionResult, check_institution
from cppolicy.evaluation.judge import Judge
from cppolicy.evaluation.selection import newest_versions
from cppolicy.events import Event
from cppolicy.rules import RuleModule

#: what ``Engine.last_run`` holds: (scope, on, facts as asserted with the as-of fact last, raw firings)
Run = tuple[str, date, list[dict[str, Any]], list[Fired]]

#: what an institution-scope or archive-scope evaluation gives
_ScopeResult = ArchiveResult | InstitutionResult

_REPORTED = ("violation", "warning")


def _codes(findings: Iterable[Finding]) -> list[str]:
    return sorted(f.code for f in findings if f.severity in _REPORTED)


def _as_of_text(as_of: datetime) -> str:
    return as_of.astimezone(SHANGHAI).isoformat()


def compare_run(
    engine: Engine,
    run: Run,
    as_of: datetime,
    *,
    subject: str | None = None,
    reported: Iterable[Finding] | None = None,
    notes: Sequence[str] = (),
    earliest: Run | None = None,
) -> Disagreement | None:
    """Re-evaluate a recorded run (``engine.last_run``) here and compare: the firings with the
    engine's, then the finding codes they give (``engine.findings_for`` on each side) with the
    codes ``reported`` (default: those of the engine's own firings). None when all agree.

    ``earliest`` (``engine.earliest_run``): the run at the earliest possible end of a limit that
    runs into an unknown year, ``run`` being the one at the latest. Both are re-evaluated; a code
    counts only when its rule fires at both ends (docs/calendar.md), as the engine reports it."""
    scope, on, facts, raw = run
    ruleset = engine.module.compile(on, scope)
    ours = evaluate_ruleset(ruleset, facts)
    theirs = engine_firings(ruleset, raw, facts)
    text = _as_of_text(as_of)
    our_fired = [(f.rule_id, f.matched(facts)) for f in ours]
    if earliest is not None:
        early_ours, early_theirs, early_facts = _firings(engine, earliest)
        at_both = {_bound(f.rule_id, f.matched(early_facts)) for f in early_ours}
        our_fired = [
            (rule_id, matched) for rule_id, matched in our_fired if _bound(rule_id, matched) in at_both
        ]
        if Counter(early_ours) != Counter(early_theirs):
            notes = [
                *notes,
                "at the earliest possible end: durable_rules fired "
                f"{sorted(f.describe(early_facts) for f in early_theirs)}, the cross-check "
                f"{sorted(f.describe(early_facts) for f in early_ours)}",
            ]
    our_codes = sorted(
        _codes(engine.findings_for(subject, None, our_fired, text)) + chronology_codes(scope, facts)
    )
    notes = [*notes, *order_notes(engine.module, scope, facts)]
    if reported is None:
        reported = engine.findings_for(subject, None, [(r, m) for r, m in raw if r != SENTINEL_RULE], text)
    their_codes = _codes(reported)
    if Counter(ours) == Counter(theirs) and our_codes == their_codes and not notes:
        return None
    return Disagreement(
        scope=scope,
        module=engine.module.ref,
        subject=subject,
        as_of=text,
        engine_firings=sorted(f.describe(facts) for f in theirs),
        crosscheck_firings=sorted(f.describe(facts) for f in ours),
        engine_codes=their_codes,
        crosscheck_codes=our_codes,
        notes=list(notes),
    )


def _bound(rule_id: str, matched: dict[str, dict[str, Any]]) -> tuple[str, frozenset[tuple[str, Any]]]:
    """What makes a firing the same at both ends of a limit: its rule and, per alias, the event
    (by id) or clock (by name) bound, whatever the clock's due."""
    return rule_id, frozenset(
        (alias, fact.get("id", fact.get("clock", fact.get("f")))) for alias, fact in matched.items()
    )


def _firings(engine: Engine, run: Run) -> tuple[list[Firing], list[Firing], list[dict[str, Any]]]:
    """This evaluator's firings and durable_rules' on a recorded run, and its facts."""
    scope, on, facts, raw = run
    ruleset = engine.module.compile(on, scope)
    return evaluate_ruleset(ruleset, facts), engine_firings(ruleset, raw, facts), facts


def _errored(findings: Iterable[Finding]) -> str | None:
    return next((f.detail or f.code for f in findings if f.severity == "error"), None)


class _Keeping:
    """Turn an engine's ``keep_facts`` on for a block, clearing ``last_run`` first."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Engine:
        self.before = self.engine.keep_facts
        self.engine.keep_facts, self.engine.last_run, self.engine.earliest_run = True, None, None
        return self.engine

    def __exit__(self, *exc: object) -> None:
        self.engine.keep_facts = self.before


def cross_check_result(
    engine: Engine, complaint_id: str, events: Sequence[Event], as_of: datetime
) -> Disagreement | None:
    """Evaluate one complaint with ``engine`` and cross-check it: None when durable_rules and
    this evaluator agree on every firing and on the finding codes, else the disagreement.

    An evaluation that failed (an ``error`` finding) is not compared (None): it is already
    reported as an error. Raises :class:`UnsupportedCondition` when the module uses a condition
    this evaluator does not interpret."""
    with _Keeping(engine):
        result = engine.evaluate(complaint_id, events, as_of)
        run = engine.last_run
    if run is None or _errored(result.findings):
        return None
    return compare_run(
        engine, run, as_of, subject=complaint_id, reported=result.findings, earliest=engine.earliest_run
    )


def cross_check_facts(
    engine: Engine,
    scope: str,
    on: date,
    facts: list[dict[str, Any]],
    as_of: datetime,
    *,
    subject: str | None = None,
    reported: Iterable[Finding] | None = None,
) -> Disagreement | None:
    """Run ``facts`` through ``engine.run_facts`` (institution / archive scope) and cross-check
    the run; ``reported`` are the findings already reported for them, if any."""
    with _Keeping(engine):
        engine.run_facts(scope, on, facts, as_of)
        run = engine.last_run
    assert run is not None
    return compare_run(engine, run, as_of, subject=subject, reported=reported)


def selected(complaint_id: str, sample: float | None, seed: str = "") -> bool:
    """Whether a complaint is in a sample of ``sample`` (0 < fraction ≤ 1; None = all): by
    SHA-256 of ``seed`` and the complaint id, so the same complaints are drawn on every run."""
    if sample is None or sample >= 1:
        return True
    digest = hashlib.sha256(f"{seed}\x00{complaint_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < sample * 2**64


class CrossChecker:
    """Cross-checks an audit: owns a keep-facts :class:`~cppolicy.evaluation.judge.Judge` (one
    engine per module) and keeps the tally.

    ``check_judgement(judgement, events)`` (one complaint as the audit judged it) and
    ``check_archive_result(result)`` re-judge the (sampled) complaint, or re-assert the archive
    facts, on this checker's own engines, compare the firings with this evaluator's, and the codes
    with those the audit reported; ``check_result`` does it for one result. ``check_complaint``,
    ``check_archive`` and ``check_institution`` evaluate and check in one go. ``disagreements``
    lists every disagreement; ``counts`` the tally: ``checked`` = ``agreed`` + ``disagreed``
    evaluations, ``firings`` compared, ``not_sampled`` results, ``engine_errors`` (evaluations that
    failed, already reported as errors), ``not_evaluated`` (nothing was asserted), ``unsupported``
    (a condition this evaluator does not interpret; reasons in ``unsupported``).
    """

    COUNTS = (
        "checked",
        "agreed",
        "disagreed",
        "firings",
        "not_sampled",
        "engine_errors",
        "not_evaluated",
        "unsupported",
    )

    def __init__(
        self,
        modules: Sequence[RuleModule],
        calendar: WorkingDayCalendar,
        as_of: datetime | None = None,
        sample: float | None = None,
        seed: str = "",
    ) -> None:
        if sample is not None and not 0 < sample <= 1:
            raise ValueError(f"cross-check sample must be a fraction in (0, 1], got {sample!r}")
        self.modules = list(modules)
        self.calendar = calendar
        self.as_of = as_of
        self.sample = sample
        self.seed = seed
        self.judge = Judge(self.modules, calendar, keep_facts=True)
        self.disagreements: list[Disagreement] = []
        self.unsupported: list[str] = []
        self.counts: Counter[str] = Counter()

    def selected(self, complaint_id: str) -> bool:
        return selected(complaint_id, self.sample, self.seed)

    def _moment(self, as_of: datetime | None) -> datetime:
        moment = as_of or self.as_of
        if moment is None:
            raise ValueError("CrossChecker needs an as-of time (constructor or call)")
        return moment

    def _compare(
        self,
        what: str,
        engine: Engine,
        moment: datetime,
        result: ComplaintResult | _ScopeResult,
        run: Run | None,
        *,
        subject: str | None = None,
        reported: Iterable[Finding] | None = None,
        notes: Sequence[str] = (),
        earliest: Run | None = None,
    ) -> Disagreement | None:
        """Compare a recorded run (with the result it gave) with this evaluator's; tally the
        outcome. ``reported`` defaults to the findings of ``result``."""
        try:
            if run is None:
                self.counts["engine_errors" if _errored(result.findings) else "not_evaluated"] += 1
                return None
            if _errored(result.findings):
                if reported is None:
                    self.counts["engine_errors"] += 1
                    return None
                outcome: Disagreement | None = Disagreement(
                    run[0],
                    engine.module.ref,
                    subject,
                    _as_of_text(moment),
                    [],
                    [],
                    _codes(reported),
                    [],
                    [f"durable_rules failed on re-evaluation: {_errored(result.findings)}"],
                )
            else:
                self.counts["firings"] += sum(1 for rule_id, _ in run[3] if rule_id != SENTINEL_RULE)
                outcome = compare_run(
                    engine,
                    run,
                    moment,
                    subject=subject,
                    reported=result.findings if reported is None else reported,
                    notes=notes,
                    earliest=earliest,
                )
        except UnsupportedCondition as exc:
            self.counts["unsupported"] += 1
            self.unsupported.append(f"{what}: {exc}")
            return None
        self.counts["checked"] += 1
        if outcome is None:
            self.counts["agreed"] += 1
        else:
            self.counts["disagreed"] += 1
            self.disagreements.append(outcome)
        return outcome

    def _rejudge(
        self, complaint_id: str, events: Sequence[Event], moment: datetime
    ) -> dict[ModuleRef, ComplaintResult]:
        """The complaint judged again by this checker's judge, each engine keeping its run."""
        for engine in self.judge.engines.values():
            engine.last_run = engine.earliest_run = None
        return {r.module: r for r in self.judge.judge(complaint_id, events, moment).results}

    def _wanted(self, result: ComplaintResult) -> bool:
        """Whether an audited result is to be checked (sampled, not already an error); tallied."""
        if not self.selected(result.complaint_id):
            self.counts["not_sampled"] += 1
            return False
        if _errored(result.findings):
            self.counts["engine_errors"] += 1
            return False
        return True

    def check_judgement(
        self, results: Sequence[ComplaintResult], events: Sequence[Event], as_of: datetime | None = None
    ) -> list[Disagreement]:
        """Cross-check the results the audit gave one complaint (each sampled result): the
        complaint is judged again on this checker's judge; the codes compared are the audit's."""
        wanted = [result for result in results if self._wanted(result)]
        if not wanted:
            return []
        moment = self._moment(as_of)
        again = self._rejudge(wanted[0].complaint_id, events, moment)
        out = []
        for result in wanted:
            engine = self.judge.engine(result.module)
            redone = again.get(result.module)
            if redone is None:  # the same modules and events: the judge chooses the same
                redone = ComplaintResult(result.complaint_id, result.module)
            notes = []
            if _codes(redone.findings) != _codes(result.findings):
                notes.append(f"durable_rules gave other codes on re-evaluation: {_codes(redone.findings)}")
            outcome = self._compare(
                f"{engine.module.ref} {result.complaint_id}",
                engine,
                moment,
                redone,
                engine.last_run,
                subject=result.complaint_id,
                reported=result.findings,
                notes=notes,
                earliest=engine.earliest_run,
            )
            if outcome is not None:
                out.append(outcome)
        return out

    def check_result(
        self, result: ComplaintResult, events: Sequence[Event], as_of: datetime | None = None
    ) -> Disagreement | None:
        """Cross-check one result the audit gave (if sampled); see :meth:`check_judgement`."""
        found = self.check_judgement([result], events, as_of)
        return found[0] if found else None

    def check_complaint(
        self, complaint_id: str, events: Sequence[Event], as_of: datetime | None = None
    ) -> list[Disagreement]:
        """Judge and cross-check one complaint (if sampled) under every module that judges it,
        chosen as the audit chooses them."""
        if not self.selected(complaint_id):
            self.counts["not_sampled"] += 1
            return []
        moment = self._moment(as_of)
        out = []
        for result in self._rejudge(complaint_id, events, moment).values():
            engine = self.judge.engine(result.module)
            outcome = self._compare(
                f"{engine.module.ref} {complaint_id}",
                engine,
                moment,
                result,
                engine.last_run,
                subject=complaint_id,
                earliest=engine.earliest_run,
            )
            if outcome is not None:
                out.append(outcome)
        return out

    def check_archive_result(
        self, result: ArchiveResult, as_of: datetime | None = None
    ) -> Disagreement | None:
        """Cross-check the archive-scope evaluation the audit made: its facts are asserted again
        on this checker's engine and re-evaluated here; the codes compared are those of
        ``result``. Never sampled (one evaluation per audit)."""
        if _errored(result.findings):
            self.counts["engine_errors"] += 1
            return None
        if not result.facts:
            self.counts["not_evaluated"] += 1
            return None
        moment = self._moment(as_of)
        engine = self.judge.engine(result.module)
        on = moment.astimezone(SHANGHAI).date()
        again = ComplaintResult("", engine.ref)  # no findings of its own: ``reported`` is compared
        with _Keeping(engine):
            try:
                engine.run_facts("archive", on, result.facts, moment)
            except Exception as exc:  # noqa: BLE001 — reported as a failed re-evaluation
                again.findings.append(engine.error_finding(None, None, _as_of_text(moment), exc))
            run = engine.last_run
        return self._compare(
            f"{engine.module.ref} archive", engine, moment, again, run, reported=result.findings
        )

    def check_archive(
        self,
        complaints: Mapping[str, Sequence[Event]],
        institution_events: Sequence[Event],
        as_of: datetime | None = None,
    ) -> list[Disagreement]:
        """Evaluate and cross-check the archive scope of every module with archive rules."""
        moment = self._moment(as_of)
        return self._per_module(
            "archive",
            moment,
            lambda engine: evaluate_archive_scope(engine, complaints, institution_events, moment),
        )

    def check_institution(self, doc: dict[str, Any], as_of: datetime | None = None) -> list[Disagreement]:
        """Evaluate and cross-check an institution profile under every module with institution
        rules (what ``cppolicy check-institution`` runs)."""
        moment = self._moment(as_of)
        root = next(n["id"] for n in doc["nodes"] if n["level"] == "head_office")
        return self._per_module(
            "institution", moment, lambda engine: check_institution(doc, engine, moment), subject=root
        )

    def _per_module(
        self, scope: str, moment: datetime, run: Callable[[Engine], _ScopeResult], subject: str | None = None
    ) -> list[Disagreement]:
        """Cross-check ``run(engine)`` under every module with rules of ``scope``."""
        out = []
        for module in newest_versions(m for m in self.modules if m.rules_in(scope)):
            engine = self.judge.engine(module)
            with _Keeping(engine):
                result = run(engine)
                recorded = engine.last_run
            outcome = self._compare(
                f"{module.ref} {scope}", engine, moment, result, recorded, subject=subject
            )
            if outcome is not None:
                out.append(outcome)
        return out

    def summary(self) -> dict[str, Any]:
        """The tally and every disagreement, JSON-ready (for a report or the audit trail)."""
        return {
            "sample": self.sample,
            **{key: self.counts[key] for key in self.COUNTS},
            "disagreements": [d.to_dict() for d in self.disagreements],
            "unsupported_conditions": list(self.unsupported),
        }
