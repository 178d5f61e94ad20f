"""The evaluation engine: one complaint's events → facts → durable_rules → findings.

Each :class:`Engine` owns its own durable_rules ``Host`` (no global registry, no background
threads: the Host's wall-clock dispatch timers are switched off because cppolicy never uses
timers — time is the as-of fact). Per complaint the engine

1. keeps the events at or before the as-of time, sorted by time (input order breaks ties);
2. computes the module's clocks with the working-day calendar (deadlines as epoch numbers);
3. asserts every event and clock as a fact, then the as-of fact last (``none(...)`` never
   retracts a firing, so the whole history must be in place before the as-of fact arrives);
4. collects the rules that fired: the batch goes to durable_rules' C core directly (orjson
   encoding) and cppolicy runs the queued firings in its own loop (:meth:`Engine._dispatch`:
   what the stock ``durable.engine`` action loop does, without its per-firing state
   re-encoding), any failure raised;
5. deletes the complaint's state (at most 1,024 live sessions per ruleset).

A sentinel rule fires on every as-of fact; if it did not, the evaluation is an error. Any
failure is an ``error`` finding for the complaint — never an absence of findings.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.metadata import version
from typing import Any, cast

import durable.engine
import durable_rules_engine
import orjson

from cppolicy.calendar import SHANGHAI, WorkingDayCalendar, local_date
from cppolicy.evaluation.bounds import FACT_FIELD_LIMIT, FACT_STRING_LIMIT, check_fact_sizes, narrowed
from cppolicy.evaluation.chronology import acts_before_receipt, chronology_findings
from cppolicy.evaluation.clocks import ClockResult, compute_clocks
from cppolicy.evaluation.facts import CORE, Prepared, flat_data
from cppolicy.evaluation.findings import (
    ComplaintResult,
    Finding,
    ModuleRef,
    Severity,
    error_finding,
    failure_detail,
)
from cppolicy.evaluation.unknown_year import BothEnds
from cppolicy.events import Event
from cppolicy.rules import Rule, RuleModule
from cppolicy.rules.vocabulary import CLOCK_PROJECTION, RECEIVED_ID, RECEIVED_PREFIX

ENGINE_NAME = "durable_rules"
#: the rule every ruleset gets, firing on the as-of fact: if it did not fire, the evaluation failed
SENTINEL_RULE = "cppolicy-asof-seen"
#: a firing as durable_rules hands it out: the rule id and the matched facts by alias
Fired = tuple[str, dict[str, dict[str, Any]]]


@cache
def engine_version() -> str:
    """``durable_rules 2.0.28``: the engine and its installed version, as findings and trails cite it."""
    return f"{ENGINE_NAME} {version('durable-rules')}"


class _Host(durable.engine.Host):  # type: ignore[misc]  # durable_rules is untyped: its Host is Any
    """A durable_rules Host whose actions are resolved by name through a mapping we own."""

    def __init__(self, resolve: Callable[[str], Callable[[Any], None]]) -> None:
        self._resolve = resolve
        super().__init__()

    def _run(self) -> None:
        # The stock Host starts threading.Timer loops that dispatch timers and queued actions
        # every 0.2 s on wall-clock time. cppolicy evaluates on event time only and runs every
        # action synchronously inside assert_facts, so those threads would only be a surprise
        # in the host's process.
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._resolve(action_name)


def _iso(epoch: float | None) -> str | None:
    """The Asia/Shanghai ISO 8601 text of an epoch, remembered (deadlines recur: the end of a day)."""
    if epoch is None:
        return None
    text = _iso_texts.get(epoch)
    if text is None:
        if len(_iso_texts) >= 65536:
            _iso_texts.clear()
        text = _iso_texts[epoch] = datetime.fromtimestamp(epoch, SHANGHAI).isoformat()
    return text


_iso_texts: dict[float, str] = {}


@dataclass
class _Compiled:
    ruleset: str
    handle: int  # the durable_rules C core's handle of the registered ruleset


class Engine:
    """Evaluates complaints against one rule module. Holds no global state.

    Two engines with different modules (or versions) can live in one process.
    """

    _ids = itertools.count()

    def __init__(
        self,
        module: RuleModule,
        calendar: WorkingDayCalendar,
        keep_facts: bool = False,
        supersede: bool = True,
    ) -> None:
        self.module = module
        self.calendar = calendar
        # Optional hook for the independent cross-check (cppolicy/crosscheck.py, docs/cross-check.md):
        # with keep_facts, every run_facts sets last_run = (scope, on, facts, fired) — the facts
        # exactly as asserted (with sid and asof_t; the as-of fact last) and the raw firing list
        # as durable_rules' actions fill it (sentinel included). Off by default: no cost unused.
        self.keep_facts = keep_facts
        #: False judges by every rule of the module, superseded ones included (what the
        #: instrument itself says, for impact comparisons); True (default) by the law in force.
        self.supersede = supersede
        self.last_run: tuple[str, date, list[dict[str, Any]], list[Fired]] | None = None
        #: with keep_facts, the earliest-end run of a complaint judged at both ends of a limit that
        #: runs into an unknown year (:mod:`~cppolicy.evaluation.unknown_year`; last_run is the latest)
        self.earliest_run: tuple[str, date, list[dict[str, Any]], list[Fired]] | None = None
        self.ref = ModuleRef(module.id, module.version, module.digest)
        self._fired: list[Fired] = []
        self._host = _Host(self._action_for)
        self._compiled: dict[str, _Compiled] = {}
        self._needed: dict[date | None, set[str]] = {}
        self._by_date: dict[tuple[date, str, bool], _Compiled] = {}
        self._citations: dict[str, dict[str, Any]] = {}
        self._rule_index: dict[str, Rule] | None = None
        self._as_of_text: tuple[datetime, str] | None = None
        self._sids = itertools.count(1)
        self._prefix = f"e{next(Engine._ids)}"

    def _rules_on(self, on: date) -> date | None:
        return on if self.supersede else None

    # -- durable_rules plumbing -------------------------------------------------------------

    @staticmethod
    def _action_for(rule_id: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:  # never called: Engine._dispatch runs the firings itself
            raise RuntimeError(f"rule {rule_id} fired outside cppolicy's dispatch loop")

        return action

    def _ruleset_for(self, on: date, scope: str) -> _Compiled:
        by_date = self._by_date.get((on, scope, self.supersede))
        if by_date is not None:
            return by_date
        definition = self.module.compile(on, scope, supersede=self.supersede)
        key = str(id(definition))
        if key not in self._compiled:
            name = f"{self._prefix}-{self.module.id}-{scope}-{len(self._compiled)}"
            ruleset = {rule_id: {**body, "run": rule_id} for rule_id, body in definition.items()}
            ruleset[SENTINEL_RULE] = {"all": [{"a": {"f": "asof"}}], "run": SENTINEL_RULE}
            self._host.register_rulesets({name: ruleset})
            self._compiled[key] = _Compiled(name, self._host.get_ruleset(name)._handle)
        self._by_date[(on, scope, self.supersede)] = self._compiled[key]
        return self._compiled[key]

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(
        self, complaint_id: str, events: Sequence[Event], as_of: datetime, *, prepared: Prepared | None = None
    ) -> ComplaintResult:
        """Evaluate one complaint's events as of ``as_of`` (aware datetime). ``prepared``:
        ``Prepared(events, as_of)``, when the caller evaluates the same events by several modules."""
        if prepared is None or prepared.as_of != as_of:
            prepared = Prepared(events, as_of)
        result = ComplaintResult(complaint_id=complaint_id, module=self.ref)
        if self._as_of_text is None or self._as_of_text[0] != as_of:
            self._as_of_text = (as_of, as_of.astimezone(SHANGHAI).isoformat())
        as_of_text = self._as_of_text[1]
        visible = prepared.visible
        result.events = len(visible)
        institution = visible[0].institution.get("id") if visible else None
        result.institution_id = institution
        received = prepared.received
        on = local_date(received.time) if received else local_date(as_of)
        try:
            params = self.module.parameters_on(on)
            annotations: dict[str, dict[str, Any]] = {}
            # Clocks serve rules; a clock whose every rule is superseded on this receipt date
            # (e.g. the 2012 notice's working-day limit after 2020-03-01) is not computed.
            clocks = compute_clocks(
                self.module, visible, self.calendar, params, as_of, annotations, only=self._clocks_needed(on)
            )
            result.clocks, ends, self.earliest_run = clocks, None, None
            if any(c.unknown_year for c in clocks):  # judged at the earliest and latest possible end
                needed = self._clocks_needed(on)
                ends = BothEnds.compute(self.module, visible, self.calendar, params, as_of, needed)
                at_earliest = self._run_rules(on, prepared, ends.earliest, ends.earliest_notes, as_of)
                self.earliest_run = self.last_run if self.keep_facts else None
                fired = ends.judge(
                    at_earliest, self._run_rules(on, prepared, ends.latest, ends.latest_notes, as_of)
                )
                result.clocks = ends.clocks
            else:
                fired = self._run_rules(on, prepared, clocks, annotations, as_of)
        except Exception as exc:  # noqa: BLE001 — any failure must surface as an error finding
            result.findings.append(self.error_finding(complaint_id, institution, as_of_text, exc))
            return result
        for rule_id, _ in fired:
            result.fired[rule_id] = result.fired.get(rule_id, 0) + 1
        found = self.findings_for(complaint_id, institution, fired, as_of_text)
        day = self._rules_on(on) if received else None
        if ends is not None:
            found = ends.findings(self, found, day, complaint_id, institution, as_of_text)
        result.findings.extend(found)
        early = acts_before_receipt(visible)  # data quality; their clocks are undetermined below
        if early:
            result.findings.extend(
                chronology_findings(self.ref, self.instrument, early, complaint_id, institution, as_of_text)
            )
        # Without a receipt date nothing says which rules were in force: all are undetermined.
        unknown = ends.unknown if ends else {c.name: c.reason for c in clocks if c.state == "undetermined"}
        result.findings.extend(
            self.undetermined_findings("complaint", day, unknown, complaint_id, institution, as_of_text)
        )
        result.findings.sort(key=lambda f: f.sort_key)
        return result

    def _clocks_needed(self, on: date) -> set[str]:
        """The module's clocks less those whose every rule is superseded on ``on``."""
        key = self._rules_on(on)
        only = self._needed.get(key)
        if only is None:
            needed = {name for rule in self.module.rules_in("complaint", key) for name in rule.clocks}
            unused = {name for rule in self.module.rules_in("complaint") for name in rule.clocks} - needed
            only = self._needed[key] = set(self.module.clocks) - unused
        return only

    def _run_rules(
        self,
        on: date,
        prepared: Prepared,
        clocks: list[ClockResult],
        annotations: dict[str, dict[str, Any]],
        as_of: datetime,
    ) -> list[Fired]:
        clock_facts = [fact for fact in (clock.fact() for clock in clocks) if fact is not None]
        # Projection: conditions compare a fact only with constants and its own fields (see
        # rule_module.check_no_cross_fact_references), so each event fact carries the clock
        # numbers and the receipt's data it may be judged against.
        projected: dict[str, Any] = {}
        for clock in clock_facts:
            for key in CLOCK_PROJECTION:
                if key in clock:
                    projected[f"{clock['clock']}_{key}"] = clock[key]
        received = prepared.received
        if received is not None:
            projected[RECEIVED_ID] = received.event_id
            projected.update({f"{RECEIVED_PREFIX}{k}": v for k, v in flat_data(received.data).items()})
        used = self.module.referenced_fields  # project only what some condition reads
        extra = [(k, v) for k, v in projected.items() if k in used or k == RECEIVED_ID]
        facts: list[dict[str, Any]] = []
        for base in prepared.base_facts():
            fact = dict(base)
            if annotations:
                noted = annotations.get(base["id"])
                if noted:  # an annotation wins over the event's data, not over its core fields
                    fact.update(noted)
                    fact.update((k, base[k]) for k in CORE if k in base)
            for key, value in extra:  # an event's own field wins over a projected one of the same name
                if key not in fact:
                    fact[key] = value
            facts.append(fact)
        facts.extend(clock_facts)
        return self.run_facts("complaint", on, facts, as_of, owned=True)

    def run_facts(
        self, scope: str, on: date, facts: list[dict[str, Any]], as_of: datetime, *, owned: bool = False
    ) -> list[Fired]:
        """Assert ``facts`` into a fresh session of ``scope``'s ruleset, then the as-of fact;
        return ``(rule_id, matched facts by alias)`` for every firing. Raises on any failure.
        ``owned``: the fact dicts are the caller's to give away (``sid`` and ``asof_t`` are then
        written into them rather than into copies)."""
        compiled = self._ruleset_for(on, scope)
        if any(len(fact) > FACT_FIELD_LIMIT for fact in facts):
            used = self.module.referenced_fields
            facts, owned = [narrowed(fact, used) for fact in facts], True
        sid = f"{self._prefix}-{next(self._sids)}"
        # Every fact carries the as-of time, so "is it past due" is a same-fact comparison.
        asof_t = as_of.timestamp()
        if owned:
            for fact in facts:
                fact["sid"] = sid
                fact["asof_t"] = asof_t
        else:
            facts = [{**fact, "sid": sid, "asof_t": asof_t} for fact in facts]
        asof = {"sid": sid, "f": "asof", "t": asof_t}
        self._fired = []
        if self.keep_facts:  # the cross-check hook (see __init__)
            self.last_run = (scope, on, [*facts, asof], self._fired)
        handle = compiled.handle
        batch = orjson.dumps(facts).decode() if facts else ""
        if len(batch) > FACT_STRING_LIMIT or any(len(fact) > FACT_FIELD_LIMIT for fact in facts):
            check_fact_sizes(facts)  # only then can a string be that long, or a fact that wide
        try:
            # The history in one batch (one JSON encoding, one call into the C core), then the
            # as-of fact on its own, last, so that absences are judged on the whole history. (At
            # the end of the same batch it is not equivalent: measured, some findings change.)
            if facts:
                self._dispatch(handle, durable_rules_engine.assert_facts(handle, batch))
            self._dispatch(handle, durable_rules_engine.assert_fact(handle, orjson.dumps(asof).decode()))
        finally:
            durable_rules_engine.delete_state(handle, sid)
        fired = [(rule_id, m) for rule_id, m in self._fired if rule_id != SENTINEL_RULE]
        if len(fired) == len(self._fired):
            raise RuntimeError("the engine did not confirm the as-of fact (sentinel rule did not fire)")
        return fired

    def _dispatch(self, handle: int, result: tuple[int, int]) -> None:
        """Run the firings an assertion queued, as durable.engine's Ruleset.do_actions and
        _flush_actions do, minus what cppolicy does not use: each queued action's message (the
        matched facts by alias) is recorded in ``self._fired`` in the order the C core hands
        them out, then the action is completed and the next one started. Actions change no
        session state, so the state is not written back (stock ``update_state``); the JSON
        is parsed with orjson instead of the json module. Raises on anything unexpected."""
        code = result[0]
        if code == 1:
            return  # no rule's first condition matches the fact(s): normal, nothing queued
        if code == 2:
            raise RuntimeError("durable_rules refused a fact as already observed")
        state_handle = 0 if code == 3 else result[1]
        started = durable_rules_engine.start_action_for_state(handle, state_handle)
        if not started:
            return
        message = started[1]
        try:
            while message:
                queued = orjson.loads(message)
                if len(queued) != 1:
                    raise RuntimeError(f"durable_rules queued {len(queued)} actions at once")
                ((rule_id, matched),) = queued.items()
                if not isinstance(matched, dict):
                    raise RuntimeError(
                        f"rule {rule_id}: durable_rules passed {type(matched).__name__}, not facts by alias"
                    )
                self._fired.append((rule_id, matched))
                message = durable_rules_engine.complete_and_start_action(handle, state_handle)
        except BaseException:
            durable_rules_engine.abandon_action(handle, state_handle)
            raise

    # -- findings -------------------------------------------------------------------------------

    def findings_for(
        self, complaint_id: str | None, institution: str | None, fired: Sequence[Fired], as_of_text: str
    ) -> list[Finding]:
        if not fired:
            return []
        rules = self._rules_by_id
        out: list[Finding] = []
        seen: set[tuple[str, tuple[str, ...], str | None]] = set()
        for rule_id, matched in fired:
            rule = rules[rule_id]
            subject = institution  # each firing names its own subject, or the caller's institution
            if rule.subject:
                alias, _, field = rule.subject.partition(".")
                subject = matched.get(alias, {}).get(field, institution)
            cited = tuple(_evidence(matched, ref) for ref in rule.evidence)
            evidence: tuple[str, ...] = tuple(e for e in cited if e)
            if not evidence:
                evidence = tuple(f["start_id"] for f in matched.values() if f.get("f") == "clock")
            due = _iso(_pick(matched, rule.due))
            key = (rule_id, evidence, due)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Finding(
                    code=rule.code,
                    rule_id=rule.id,
                    module=self.ref,
                    # a str in Rule: the rule-module schema allows only "violation" and "warning"
                    severity=cast(Severity, rule.severity),
                    complaint_id=complaint_id,
                    institution_id=subject,
                    due=due,
                    observed=_iso(_pick(matched, rule.observed)),
                    evidence=evidence,
                    citation=self.citation(rule),
                    message=rule.message,
                    as_of=as_of_text,
                )
            )
        return out

    def undetermined_findings(
        self,
        scope: str,
        on: date | None,
        unknown: Mapping[str, str | None],
        complaint_id: str | None,
        institution: str | None,
        as_of_text: str,
        label: str = "clock ",
        rules: set[str] | None = None,
    ) -> list[Finding]:
        """An ``undetermined`` finding for each rule of ``scope`` in force on ``on`` (every rule
        without ``on``) that uses a clock in ``unknown`` (name -> why it could not be computed):
        such a rule is neither met nor breached, and says which clock it waited on. ``rules``:
        only these rule ids (those whose verdict differs between a limit's two possible ends)."""
        out: list[Finding] = []
        for rule in self.module.rules_in(scope, on) if unknown else ():
            blocked = [name for name in rule.clocks if name in unknown]
            if blocked and (rules is None or rule.id in rules):
                out.append(
                    Finding(
                        code=rule.code,
                        rule_id=rule.id,
                        module=self.ref,
                        severity="undetermined",
                        complaint_id=complaint_id,
                        institution_id=institution,
                        due=None,
                        observed=None,
                        evidence=(),
                        citation=self.citation(rule),
                        message=rule.message,
                        as_of=as_of_text,
                        detail=f"{label}{blocked[0]}: {unknown[blocked[0]]}",
                    )
                )
        return out

    def citation(self, rule: Rule) -> dict[str, Any]:
        """The rule's citation with the instrument's number (one dict per rule, shared by its
        findings: treat it as read-only)."""
        cited = self._citations.get(rule.id)  # rule ids are unique within the engine's module
        if cited is None:
            cited = self._citations[rule.id] = {"instrument": self.instrument, **rule.citation}
        return cited

    @property
    def _rules_by_id(self) -> dict[str, Rule]:
        if self._rule_index is None:
            self._rule_index = {r.id: r for r in self.module.rules}
        return self._rule_index

    @property
    def instrument(self) -> str:
        """The number of the instrument the module encodes (``银监发〔2012〕13号``)."""
        number: str = self.module.data["instrument"]["number"]
        return number

    def error_finding(
        self, complaint_id: str | None, institution: str | None, as_of_text: str, exc: BaseException
    ) -> Finding:
        """The ``error`` finding of an evaluation by this engine that raised ``exc``."""
        return error_finding(
            self.ref, self.instrument, complaint_id, institution, as_of_text, failure_detail(exc)
        )


def _evidence(matched: dict[str, dict[str, Any]], ref: str) -> str | None:
    """An evidence entry: ``alias`` (that fact's id) or ``alias.field`` (an id held in a field)."""
    alias, _, field = ref.partition(".")
    value = matched.get(alias, {}).get(field or "id")
    return str(value) if value is not None else None


def _pick(matched: dict[str, dict[str, Any]], ref: str | None) -> float | None:
    if not ref:
        return None
    alias, _, field = ref.partition(".")
    value = matched.get(alias, {}).get(field)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
