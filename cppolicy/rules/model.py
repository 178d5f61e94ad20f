"""A loaded rule module: metadata, dated parameters, clocks and rules — data, never code.

A rule module is a folder ``policies/<id>/<version>/`` holding ``module.yaml`` and optional
``cases/*.yaml`` (golden cases). :mod:`cppolicy.rules.loading` reads and checks it;
:class:`RuleModule` answers what the engine asks of it: the parameter values in force on a day,
the rules of a scope, and those rules compiled to durable_rules JSON.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from cppolicy.errors import RuleModuleError
from cppolicy.rules.compiler import compile_rule

MODULE_FILE = "module.yaml"
#: what a rule reports when it fires
SEVERITIES = ("violation", "warning")
RuleSeverity = Literal["violation", "warning"]
#: complaint: one complaint's events; institution: an institution profile (check-institution);
#: archive: institution-level events, schedules and detectors over a whole archive (audit).
SCOPES = ("complaint", "institution", "archive")
Scope = Literal["complaint", "institution", "archive"]


@dataclass(frozen=True)
class Rule:
    """One rule of a module, as written (uncompiled)."""

    id: str
    code: str
    severity: str
    citation: dict[str, str]
    message: dict[str, str]
    when: dict[str, Any]
    clocks: tuple[str, ...] = ()
    due: str | None = None
    observed: str | None = None
    evidence: tuple[str, ...] = ()
    scope: str = "complaint"
    subject: str | None = None
    #: last day the rule applies (by receipt date), when a later instrument supersedes it
    in_force_to: date | None = None
    superseded_by: str | None = None

    def in_force_on(self, day: date) -> bool:
        return self.in_force_to is None or day <= self.in_force_to


@dataclass(frozen=True)
class ClockSpec:
    """A clock: what starts it, its period (a parameter with unit), what meets it."""

    name: str
    description: dict[str, str]
    start_event: str
    period_param: str
    met_by: str | None
    cite: str | None
    extension: dict[str, Any] | None = None
    applies_if: dict[str, Any] | None = None
    pauses: dict[str, Any] | None = None
    restart: dict[str, Any] | None = None
    #: ``start.when_true``: the start event counts only with this data field true
    start_when: str | None = None
    #: the event type a ``met_by`` act reports: one timestamped before it meets nothing
    reports: str | None = None


@dataclass
class RuleModule:
    """A loaded, validated rule module. Immutable in use; compile() is cached per parameter set."""

    path: Path
    data: dict[str, Any]
    digest: str
    rules: tuple[Rule, ...]
    clocks: dict[str, ClockSpec]
    #: caches by name ("parameters_on", "rules_in", "by_date", …) and compiled rulesets by key
    _compiled: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        value: str = self.data["id"]
        return value

    @property
    def version(self) -> str:
        value: str = self.data["version"]
        return value

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def timezone(self) -> str:
        value: str = self.data.get("timezone", "Asia/Shanghai")
        return value

    @cached_property
    def effective_from(self) -> date:
        return date.fromisoformat(self.data["effective_from"])

    @cached_property
    def effective_to(self) -> date | None:
        value = self.data.get("effective_to")
        return date.fromisoformat(value) if value else None

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def parameter(self, name: str, on: date) -> tuple[Any, str, str]:
        """The value of a parameter in force on a date, with its start date and legal reference."""
        starts = self._parameter_starts.get(name)
        if starts is None:
            raise RuleModuleError(f"{self.path}: unknown parameter {name!r}")
        days, texts = starts
        index = bisect_right(days, on)
        if index == 0:
            raise RuleModuleError(
                f"{self.path}: parameter {name!r} has no value in force on {on.isoformat()}"
            )
        chosen = texts[index - 1]
        entry = self.data["parameters"][name]["values"][chosen]
        return entry["value"], chosen, entry["reference"]

    @cached_property
    def _parameter_starts(self) -> dict[str, tuple[list[date], list[str]]]:
        """Per parameter, the start dates of its values in order (as dates, and as written)."""
        out: dict[str, tuple[list[date], list[str]]] = {}
        for name, spec in self.data.get("parameters", {}).items():
            ordered = sorted((date.fromisoformat(text), text) for text in spec["values"])
            out[name] = ([day for day, _ in ordered], [text for _, text in ordered])
        return out

    def parameters_on(self, on: date) -> dict[str, Any]:
        """Every parameter's value in force on ``on`` (cached per date: the module is immutable;
        dates with the same values in force share one dict)."""
        cache: dict[date, dict[str, Any]] = self._compiled.setdefault("parameters_on", {})
        if on not in cache:
            picked = {name: self.parameter(name, on) for name in self.data["parameters"]}
            starts = tuple(start for _, start, _ in picked.values())
            by_starts: dict[tuple[str, ...], dict[str, Any]] = self._compiled.setdefault(
                "parameters_by_starts", {}
            )
            if starts not in by_starts:
                by_starts[starts] = {name: value for name, (value, _, _) in picked.items()}
            cache[on] = by_starts[starts]
        return cache[on]

    def rules_in(self, scope: str, on: date | None = None) -> tuple[Rule, ...]:
        """The rules of a scope; with ``on``, only those in force that day (not superseded)."""
        cache: dict[tuple[str, date | None], tuple[Rule, ...]] = self._compiled.setdefault("rules_in", {})
        if (scope, on) not in cache:
            cache[(scope, on)] = tuple(
                rule for rule in self.rules if rule.scope == scope and (on is None or rule.in_force_on(on))
            )
        return cache[(scope, on)]

    @cached_property
    def referenced_fields(self) -> frozenset[str]:
        """Every field name a condition of this module reads (compared, tested or {$m: …})."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, list):
                for item in node:
                    walk(item)
            elif isinstance(node, dict):
                for key, value in node.items():
                    if not key.startswith("$"):
                        found.add(key)
                    if isinstance(value, dict) and set(value) == {"$m"}:
                        found.add(value["$m"])
                    walk(value)

        for rule in self.rules:
            walk(rule.when)
        for rule in self.rules:  # due / observed / subject / evidence read fields too
            for ref in (rule.due, rule.observed, rule.subject, *rule.evidence):
                if ref and "." in ref:
                    found.add(ref.split(".", 1)[1])
        return frozenset(found)

    @cached_property
    def event_fields_read(self) -> frozenset[str]:
        """The event data fields judging a complaint under this module reads by value, as flat
        fact names (nested keys joined by ``_``; ``received_<field>`` for the receipt's
        projection), each as ``<type>:<field>`` when it is read of one event type only (a
        condition under ``{type: X}``; ``applies_to`` and a clock's ``applies_if``, a pause's
        reason, a restart's ``when_true``, an extension's new limit, notice and approval level,
        an obligation's ``applies_if`` and ``met_at_field``). A field only tested for presence
        (``$ex``, ``$nex``) or blankness (compared with ``""``) is not listed. What a masked
        copy of an event must keep whole to be judged as the event itself (the monitor's
        stored events; masking keeps presence and blankness)."""
        found: set[str] = set()
        for rule in self.rules:  # when: {all: [{alias: condition}, …]}
            for clause in rule.when.get("all") or ():
                for condition in clause.values() if isinstance(clause, dict) else ():
                    _value_reads(condition, None, found)
            for ref in (rule.due, rule.observed, rule.subject, *rule.evidence):
                if ref and "." in ref:
                    found.add(ref.split(".", 1)[1])

        def add(event_type: Any, name: Any) -> None:
            if isinstance(event_type, str) and isinstance(name, str):
                found.add(f"{event_type}:{name.replace('.', '_')}")

        applies = self.data.get("applies_to")
        if isinstance(applies, dict):
            add("received", applies.get("field"))
        for clock in self.clocks.values():
            if clock.applies_if:
                add("received", clock.applies_if.get("field"))
            if clock.pauses:
                add(clock.pauses.get("start"), "reason")
            if clock.restart:
                add(clock.restart.get("event"), clock.restart.get("when_true"))
            if clock.extension:
                for name in ("new_due_date", "new_limit", "notice_channel", "approval_level"):
                    add(clock.extension.get("event"), name)
        for spec in ((self.data.get("archive") or {}).get("obligations") or {}).values():
            add(spec.get("event"), (spec.get("applies_if") or {}).get("field"))
            add(spec.get("event"), spec.get("met_at_field"))
        return frozenset(found)

    def compile(self, on: date, scope: str = "complaint", *, supersede: bool = True) -> dict[str, Any]:
        """durable_rules ruleset JSON of one scope's rules in force on ``on``, with the
        parameter values in force that day (``supersede=False``: superseded rules too, as the
        instrument itself reads — for ``cppolicy impact``).

        The result is cached by scope, rules and parameter values, so a module whose parameters
        never change compiles once per scope (and once more per supersession date). Rule names
        in the ruleset are the rule ids.
        """
        by_date: dict[tuple[date, str, bool], dict[str, Any]] = self._compiled.setdefault("by_date", {})
        if (on, scope, supersede) in by_date:
            return by_date[(on, scope, supersede)]
        params = self.parameters_on(on)
        rules = self.rules_in(scope, on if supersede else None)
        # parameters_on's dicts live as long
        texts: dict[int, str] = self._compiled.setdefault("params_text", {})
        text = texts.get(id(params))
        if text is None:
            text = texts[id(params)] = json.dumps(params, sort_keys=True, ensure_ascii=False)
        key = scope + ",".join(r.id for r in rules) + text
        if key not in self._compiled:
            self._compiled[key] = {rule.id: {"all": compile_rule(rule, params, self.path)} for rule in rules}
        ruleset: dict[str, Any] = self._compiled[key]
        by_date[(on, scope, supersede)] = ruleset
        return ruleset


def _value_reads(node: Any, event_type: str | None, found: set[str]) -> None:
    """Add to ``found`` the fields a condition reads by value (see
    :attr:`RuleModule.event_fields_read`), qualified by ``event_type`` inside ``{type: X}``."""
    if isinstance(node, list):
        for item in node:
            _value_reads(item, event_type, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "$and" and isinstance(value, list):
            types = [i["type"] for i in value if isinstance(i, dict) and isinstance(i.get("type"), str)]
            _value_reads(value, types[0] if len(types) == 1 else event_type, found)
        elif key in ("$ex", "$nex") or (
            key == "$neq" and isinstance(value, dict) and all(v == "" for v in value.values())
        ):
            continue  # presence or blankness: masking keeps both
        elif key.startswith("$"):
            _value_reads(value, event_type, found)
        elif value != "":  # a comparison with "" tests blankness
            qualified = event_type is not None and not key.startswith("received_")
            found.add(f"{event_type}:{key}" if qualified else key)
            if isinstance(value, dict) and set(value) == {"$m"} and isinstance(value["$m"], str):
                found.add(value["$m"])
            _value_reads(value, event_type, found)


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key for ``MAJOR.MINOR.PATCH`` (numeric parts before any other text)."""
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in version.split("."))
