"""Independent cross-check of durable_rules: a second, pure-Python evaluator of rule-module
conditions, run beside the engine on the very facts the engine asserted (docs/cross-check.md).

The evaluator (``compile_condition``, ``evaluate_ruleset``) is written from the documented
semantics of the durable_rules JSON ruleset form (docs/rule-modules.md, docs/cross-check.md) and
imports nothing of durable_rules: given a scope's compiled ruleset (``RuleModule.compile``, macros
expanded) and the facts in the order they were asserted (the as-of fact last), it lists for every
rule each combination of facts — one per positive alias, in ``all`` order, pairwise distinct —
that satisfies every positive condition while no other fact satisfies any ``ALIAS$not`` condition.

The comparison (``cross_check_result``, ``CrossChecker``) runs the engine with
``Engine(keep_facts=True)``, which records the facts exactly as asserted and the raw firings,
re-evaluates those facts here, and reports a :class:`Disagreement` — both sets of firings and both
lists of finding codes — whenever they differ. The engine is imported lazily, only by the functions
that drive it.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import product
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from cppolicy.archive_scope import ArchiveResult
    from cppolicy.calendar import WorkingDayCalendar
    from cppolicy.engine import Engine
    from cppolicy.findings import ComplaintResult, Finding
    from cppolicy.rule_module import RuleModule

__all__ = [
    "UnsupportedCondition", "Firing", "Disagreement", "CrossChecker", "compare", "compile_condition",
    "satisfied_terms", "evaluate_ruleset", "engine_firings", "compare_run", "cross_check_result",
    "cross_check_facts", "fact_label", "selected",
]

Predicate = Callable[[dict], bool]
#: what ``Engine.last_run`` holds: (scope, on, facts as asserted with the as-of fact last, raw firings)
Run = tuple[str, date, list[dict], list[tuple[str, dict]]]

_MISSING = object()
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt, "$lte": operator.le, "$gt": operator.gt, "$gte": operator.ge,
    "$eq": operator.eq, "$neq": operator.ne,
}
_REPORTED = ("violation", "warning")


class UnsupportedCondition(ValueError):
    """A condition this evaluator does not interpret, so it cannot vouch for the engine's result."""


# -- the evaluator ----------------------------------------------------------------------------------


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
Counter_ = Callable[[dict], int]


def _comparison(op: str, name: str, operand: Any) -> Counter_:
    if isinstance(operand, dict):
        if set(operand) == {"$m"} and isinstance(operand["$m"], str):
            ref = operand["$m"]
            return lambda fact: int(compare(op, fact.get(name, _MISSING), fact.get(ref, _MISSING)))
        raise UnsupportedCondition(
            f"{op} on {name!r}: operand {operand!r} (only constants and {{$m: FIELD}} of the same fact)")
    if isinstance(operand, list):
        raise UnsupportedCondition(f"{op} on {name!r}: a list operand {operand!r}")
    _kind(operand)  # refuse operands of other types up front
    return lambda fact: int(compare(op, fact.get(name, _MISSING), operand))


def _all_of(parts: list[Counter_]) -> Counter_:
    if len(parts) == 1:
        return parts[0]

    def conjunction(fact: dict) -> int:
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


def satisfied_terms(condition: Any, fact: dict) -> int:
    """How many terms of the condition's disjunctive normal form ``fact`` satisfies."""
    return _compile(condition)(fact)


@dataclass(frozen=True)
class _Rule:
    rule_id: str
    aliases: tuple[str, ...]                    # positive aliases, in ``all`` order
    positive: tuple[Counter_, ...]
    negative: tuple[tuple[str, Counter_], ...]
    first_positive: bool                        # the first ``all`` clause is a positive alias


def _compile_ruleset(ruleset: dict) -> list[_Rule]:
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

    def matched(self, facts: Sequence[dict]) -> dict[str, dict]:
        """``{alias: fact}``, the shape ``Engine.findings_for`` takes."""
        return {alias: facts[i] for alias, i in zip(self.aliases, self.facts) if i >= 0}

    def describe(self, facts: Sequence[dict]) -> str:
        bound = ", ".join(f"{alias}={fact_label(facts, i)}" for alias, i in zip(self.aliases, self.facts))
        return f"{self.rule_id}({bound})"


def evaluate_ruleset(ruleset: dict, facts: Sequence[dict]) -> list[Firing]:
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


# -- the engine's side ---------------------------------------------------------------------------------


def fact_label(facts: Sequence[dict], index: int) -> str:
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


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[key] == b[key] for key in a)


def engine_firings(ruleset: dict, fired: Iterable[tuple[str, dict]], facts: Sequence[dict]) -> list[Firing]:
    """The engine's raw firings ``(rule_id, {alias: fact})`` as :class:`Firing` entries (the
    sentinel rule, not in ``ruleset``'s rules, dropped): each matched fact is found among
    ``facts`` by content."""
    from cppolicy.engine import _SENTINEL

    aliases = {rule_id: tuple(a for clause in body.get("all", []) for a in clause if "$" not in a)
               for rule_id, body in ruleset.items()}
    by_key: dict[tuple, list[int]] = {}
    for i, fact in enumerate(facts):
        by_key.setdefault((fact.get("f"), fact.get("id"), fact.get("clock")), []).append(i)
    out = []
    for rule_id, matched in fired:
        if rule_id == _SENTINEL:
            continue
        names = aliases.get(rule_id, ())
        names += tuple(sorted(set(matched) - set(names)))
        combo = []
        for alias in names:
            fact = matched.get(alias)
            index = -1
            if isinstance(fact, dict):
                pool = by_key.get((fact.get("f"), fact.get("id"), fact.get("clock")), [])
                index = next((i for i in pool if i not in combo and _same(facts[i], fact)), -1)
            combo.append(index)
        out.append(Firing(rule_id, names, tuple(combo)))
    return sorted(out)


@dataclass
class Disagreement:
    """The engine and the cross-checker disagree on one evaluation: both results, in full."""

    scope: str                      # complaint | institution | archive
    module: str                     # id@version
    subject: str | None             # complaint id; institution id; None for the archive
    as_of: str
    engine_firings: list[str]       # rule(alias=fact, …), sorted, one per firing
    crosscheck_firings: list[str]
    engine_codes: list[str]         # violation / warning codes reported, sorted, one per finding
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
            "scope": self.scope, "module": self.module, "subject": self.subject, "as_of": self.as_of,
            "engine": {"firings": self.engine_firings, "codes": self.engine_codes},
            "crosscheck": {"firings": self.crosscheck_firings, "codes": self.crosscheck_codes},
            "only_engine": self.only_engine, "only_crosscheck": self.only_crosscheck, "notes": self.notes,
        }

    def describe(self) -> str:
        where = self.subject if self.subject is not None else "(archive)"
        lines = [f"cross-check disagreement: {self.scope} {where} under {self.module} as of {self.as_of}",
                 f"  durable_rules firings: {self.engine_firings or '[]'}",
                 f"  cross-check firings:   {self.crosscheck_firings or '[]'}",
                 f"  durable_rules codes:   {self.engine_codes}",
                 f"  cross-check codes:     {self.crosscheck_codes}"]
        if self.only_engine:
            lines.append(f"  only durable_rules:    {self.only_engine}")
        if self.only_crosscheck:
            lines.append(f"  only cross-check:      {self.only_crosscheck}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def _codes(findings: Iterable["Finding"]) -> list[str]:
    return sorted(f.code for f in findings if f.severity in _REPORTED)


def _as_of_text(as_of: datetime) -> str:
    from cppolicy.calendar import SHANGHAI

    return as_of.astimezone(SHANGHAI).isoformat()


def compare_run(engine: "Engine", run: Run, as_of: datetime, *, subject: str | None = None,
                reported: Iterable["Finding"] | None = None,
                notes: Sequence[str] = ()) -> Disagreement | None:
    """Re-evaluate a recorded run (``engine.last_run``) here and compare: the firings with the
    engine's, then the finding codes they give (``engine.findings_for`` on each side) with the
    codes ``reported`` (default: those of the engine's own firings). None when all agree."""
    scope, on, facts, raw = run
    ruleset = engine.module.compile(on, scope)
    ours = evaluate_ruleset(ruleset, facts)
    theirs = engine_firings(ruleset, raw, facts)
    text = _as_of_text(as_of)
    our_fired = [(f.rule_id, f.matched(facts)) for f in ours]
    our_codes = _codes(engine.findings_for(subject, None, our_fired, text))
    if reported is None:
        from cppolicy.engine import _SENTINEL

        reported = engine.findings_for(subject, None, [(r, m) for r, m in raw if r != _SENTINEL], text)
    their_codes = _codes(reported)
    if Counter(ours) == Counter(theirs) and our_codes == their_codes and not notes:
        return None
    return Disagreement(
        scope=scope, module=engine.module.ref, subject=subject, as_of=text,
        engine_firings=sorted(f.describe(facts) for f in theirs),
        crosscheck_firings=sorted(f.describe(facts) for f in ours),
        engine_codes=their_codes, crosscheck_codes=our_codes, notes=list(notes))


def _errored(findings: Iterable["Finding"]) -> str | None:
    return next((f.detail or f.code for f in findings if f.severity == "error"), None)


class _Keeping:
    """Turn an engine's ``keep_facts`` on for a block, clearing ``last_run`` first."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine

    def __enter__(self) -> "Engine":
        self.before = self.engine.keep_facts
        self.engine.keep_facts, self.engine.last_run = True, None
        return self.engine

    def __exit__(self, *exc: object) -> None:
        self.engine.keep_facts = self.before


def cross_check_result(engine: "Engine", complaint_id: str, events: Sequence,
                       as_of: datetime) -> Disagreement | None:
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
    return compare_run(engine, run, as_of, subject=complaint_id, reported=result.findings)


def cross_check_facts(engine: "Engine", scope: str, on: date, facts: list[dict], as_of: datetime, *,
                      subject: str | None = None,
                      reported: Iterable["Finding"] | None = None) -> Disagreement | None:
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
    digest = hashlib.sha256(f"{seed}\x00{complaint_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") < sample * 2 ** 64


class CrossChecker:
    """Cross-checks an audit: owns one keep-facts engine per module and keeps the tally.

    ``check_result(result, events)`` and ``check_archive_result(result)`` fit ``evaluate_archive``'s
    ``on_result`` / ``on_archive_result`` callbacks: they re-evaluate the (sampled) complaint, or the
    archive facts, on this checker's own engines, compare the firings with this evaluator's, and the
    codes with those the audit reported. ``check_complaint``, ``check_archive`` and
    ``check_institution`` evaluate and check in one go. ``disagreements`` lists every disagreement;
    ``counts`` the tally: ``checked`` = ``agreed`` + ``disagreed`` evaluations, ``firings`` compared,
    ``not_sampled`` complaints, ``engine_errors`` (evaluations that failed, already reported as
    errors), ``not_evaluated`` (nothing was asserted), ``unsupported`` (a condition this evaluator
    does not interpret; reasons in ``unsupported``).
    """

    COUNTS = ("checked", "agreed", "disagreed", "firings", "not_sampled", "engine_errors", "not_evaluated",
              "unsupported")

    def __init__(self, modules: Sequence["RuleModule"], calendar: "WorkingDayCalendar",
                 as_of: datetime | None = None, sample: float | None = None, seed: str = "") -> None:
        from cppolicy.engine import Engine

        if sample is not None and not 0 < sample <= 1:
            raise ValueError(f"cross-check sample must be a fraction in (0, 1], got {sample!r}")
        self.modules = list(modules)
        self.calendar = calendar
        self.as_of = as_of
        self.sample = sample
        self.seed = seed
        self.engines = {(m.id, m.version): Engine(m, calendar, keep_facts=True) for m in self.modules}
        self.disagreements: list[Disagreement] = []
        self.unsupported: list[str] = []
        self.counts: Counter = Counter()

    def selected(self, complaint_id: str) -> bool:
        return selected(complaint_id, self.sample, self.seed)

    def _moment(self, as_of: datetime | None) -> datetime:
        moment = as_of or self.as_of
        if moment is None:
            raise ValueError("CrossChecker needs an as-of time (constructor or call)")
        return moment

    def _engine(self, ref: Any) -> "Engine":
        return self.engines[(ref.id, ref.version)]

    def _check(self, what: str, engine: "Engine", moment: datetime, evaluate: Callable[[], Any], *,
               subject: str | None = None, reported: Iterable["Finding"] | None = None,
               notes: Callable[[Any], list[str]] = lambda result: []) -> Disagreement | None:
        """Run ``evaluate()`` with the engine keeping its facts, then compare; tally the outcome.
        ``reported`` defaults to the findings of what ``evaluate()`` returned."""
        try:
            with _Keeping(engine):
                result = evaluate()
                run = engine.last_run
            if run is None:
                self.counts["engine_errors" if _errored(result.findings) else "not_evaluated"] += 1
                return None
            if _errored(result.findings):
                if reported is None:
                    self.counts["engine_errors"] += 1
                    return None
                outcome = Disagreement(run[0], engine.module.ref, subject, _as_of_text(moment), [], [],
                                       _codes(reported), [],
                                       [f"durable_rules failed on re-evaluation: "
                                        f"{_errored(result.findings)}"])
            else:
                from cppolicy.engine import _SENTINEL

                self.counts["firings"] += sum(1 for rule_id, _ in run[3] if rule_id != _SENTINEL)
                outcome = compare_run(engine, run, moment, subject=subject,
                                      reported=result.findings if reported is None else reported,
                                      notes=notes(result))
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

    def check_result(self, result: "ComplaintResult", events: Sequence,
                     as_of: datetime | None = None) -> Disagreement | None:
        """Cross-check a complaint the audit evaluated (``on_result`` callback), if sampled. It is
        re-evaluated on this checker's engine; the codes compared are those of ``result``."""
        if not self.selected(result.complaint_id):
            self.counts["not_sampled"] += 1
            return None
        if _errored(result.findings):
            self.counts["engine_errors"] += 1
            return None
        moment = self._moment(as_of)
        engine = self._engine(result.module)

        def notes(again: "ComplaintResult") -> list[str]:
            if _codes(again.findings) != _codes(result.findings):
                return [f"durable_rules gave other codes on re-evaluation: {_codes(again.findings)}"]
            return []

        return self._check(f"{engine.module.ref} {result.complaint_id}", engine, moment,
                           lambda: engine.evaluate(result.complaint_id, events, moment),
                           subject=result.complaint_id, reported=result.findings, notes=notes)

    def check_complaint(self, complaint_id: str, events: Sequence,
                        as_of: datetime | None = None) -> list[Disagreement]:
        """Evaluate and cross-check one complaint (if sampled) under every module that judges it,
        chosen as the audit chooses them (``selection.modules_for``)."""
        from cppolicy.selection import modules_for

        if not self.selected(complaint_id):
            self.counts["not_sampled"] += 1
            return []
        moment = self._moment(as_of)
        out = []
        for module in modules_for(self.modules, events)[0]:
            engine = self.engines[(module.id, module.version)]
            outcome = self._check(f"{module.ref} {complaint_id}", engine, moment,
                                  lambda engine=engine: engine.evaluate(complaint_id, events, moment),
                                  subject=complaint_id)
            if outcome is not None:
                out.append(outcome)
        return out

    def check_archive_result(self, result: "ArchiveResult",
                             as_of: datetime | None = None) -> Disagreement | None:
        """Cross-check the archive-scope evaluation the audit made (``on_archive_result``
        callback): its facts are asserted again on this checker's engine and re-evaluated here;
        the codes compared are those of ``result``. Never sampled (one evaluation per audit)."""
        if _errored(result.findings):
            self.counts["engine_errors"] += 1
            return None
        if not result.facts:
            self.counts["not_evaluated"] += 1
            return None
        from cppolicy.calendar import SHANGHAI
        from cppolicy.findings import ComplaintResult

        moment = self._moment(as_of)
        engine = self._engine(result.module)
        on = moment.astimezone(SHANGHAI).date()

        def evaluate() -> ComplaintResult:
            again = ComplaintResult("", engine.ref)  # no findings of its own: ``reported`` is compared
            try:
                engine.run_facts("archive", on, result.facts, moment)
            except Exception as exc:  # noqa: BLE001 — reported as a failed re-evaluation
                again.findings.append(engine.error_finding(None, None, _as_of_text(moment), exc))
            return again

        return self._check(f"{engine.module.ref} archive", engine, moment, evaluate, reported=result.findings)

    def check_archive(self, complaints: dict[str, list], institution_events: Sequence,
                      as_of: datetime | None = None) -> list[Disagreement]:
        """Evaluate and cross-check the archive scope of every module with archive rules."""
        from cppolicy.archive_scope import evaluate_archive_scope

        moment = self._moment(as_of)
        return self._per_module("archive", moment, lambda engine: evaluate_archive_scope(
            engine, complaints, institution_events, moment))

    def check_institution(self, doc: dict, as_of: datetime | None = None) -> list[Disagreement]:
        """Evaluate and cross-check an institution profile under every module with institution
        rules (what ``cppolicy check-institution`` runs)."""
        from cppolicy.institution import check_institution

        moment = self._moment(as_of)
        root = next(n["id"] for n in doc["nodes"] if n["level"] == "head_office")
        return self._per_module("institution", moment, lambda engine: check_institution(doc, engine, moment),
                                subject=root)

    def _per_module(self, scope: str, moment: datetime, run: Callable[[Any], Any], **options: Any) -> list[Disagreement]:
        """Cross-check ``run(engine)`` under every module with rules of ``scope``."""
        out = []
        for module in self.modules:
            if not module.rules_in(scope):
                continue
            engine = self.engines[(module.id, module.version)]
            outcome = self._check(f"{module.ref} {scope}", engine, moment, lambda engine=engine: run(engine), **options)
            if outcome is not None:
                out.append(outcome)
        return out

    def summary(self) -> dict[str, Any]:
        """The tally and every disagreement, JSON-ready (for a report or the audit trail)."""
        return {"sample": self.sample, **{key: self.counts[key] for key in self.COUNTS},
                "disagreements": [d.to_dict() for d in self.disagreements],
                "unsupported_conditions": list(self.unsupported)}
