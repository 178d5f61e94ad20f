"""Archive-scope facts: obligations that span complaints or bind the institution itself.

A module's ``archive`` section declares three kinds of generators, each turned into facts that
the module's ``scope: archive`` rules judge on durable_rules (like complaint clocks, the
generators compute deadlines as numbers; the rules decide breaches):

- ``schedules`` — periodic reports: for every institution at the configured levels and every
  half-year that has ended by the as-of time, a ``schedule`` fact with ``due`` and, when a
  report for that period was submitted by that institution, ``met_t`` / ``met_id`` and what
  the report says; plus the number of rule and channel changes recorded in the period.
- ``obligations`` — an institution-level event that starts a clock, met by a timestamp field
  of the same event (e.g. a change of the complaint department reported to the regulator).
- ``clusters`` — large-scale complaints: complaints about the same product and issue at the
  same branch whose complainants add up to the threshold within a sliding window, a single
  complaint with that many complainants, or a complaint flagged major; ``due`` counts from
  the moment of detection, ``met_t`` is the first covering ``large_scale_complaint_reported``.

Facts carry numbers (epoch seconds) compared by the rules; nothing here decides a breach.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cppolicy.calendar import SHANGHAI, WorkingDayCalendar, end_of_day, local_date
from cppolicy.errors import CalendarError
from cppolicy.evaluation.clocks import compute_deadline
from cppolicy.evaluation.clusters import cluster_facts
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.facts import event_facts
from cppolicy.evaluation.findings import Finding, ModuleRef, Status, worst_status
from cppolicy.evaluation.tree import Tree, period_bounds, period_of
from cppolicy.events import Event
from cppolicy.rules import RuleModule


def _due_date(period: str, due: dict[str, str]) -> date:
    """Due day of a period's report. Keys of ``due``: ``H1`` (this year's date), ``H2`` and
    ``Y`` (next year's date, the period having ended on 31 December)."""
    key = f"H{period[-1]}" if "H" in period else "Y"
    month, day = (int(x) for x in due[key].split("-"))
    return date(int(period[:4]) + (0 if key == "H1" else 1), month, day)


def schedule_facts(
    module: RuleModule,
    spec_name: str,
    spec: dict[str, Any],
    params: dict[str, Any],
    tree: Tree,
    institution_events: Sequence[Event],
    as_of: datetime,
    first_day: date,
) -> list[dict[str, Any]]:
    levels = params[spec["levels"]["param"]]
    due_days = params[spec["due"]["param"]]
    every = spec.get("every", "half_year")
    reports: dict[tuple[str, str], Event] = {}
    changes: dict[tuple[str, str], dict[str, int]] = {}
    for event in sorted(institution_events, key=lambda e: e.epoch):
        if event.type == spec["met_by"]:
            reports.setdefault((event.institution["id"], event.data["period"]), event)
        elif event.type == spec.get("changes"):
            key = (event.institution["id"], period_of(local_date(event.time), every))
            bucket = changes.setdefault(key, {"rules": 0, "channels": 0})
            if event.data.get("change") in bucket:
                bucket[event.data["change"]] += 1
    facts: list[dict[str, Any]] = []
    period_start = period_bounds(period_of(first_day, every))[0]
    last_day = as_of.astimezone(SHANGHAI).date()
    for institution in sorted(i for i, level in tree.level.items() if level in levels):
        start = period_start
        while True:
            period = period_of(start, every)
            _, end = period_bounds(period)
            if end >= last_day:  # the half-year has not ended by the as-of day
                break
            start = end + timedelta(days=1)
            if not module.in_force_on(end):
                continue
            fact: dict[str, Any] = {
                "f": "schedule",
                "schedule": spec_name,
                "id": f"{spec_name}:{institution}:{period}",
                "institution": institution,
                "period": period,
                "due": _epoch(end_of_day(_due_date(period, due_days))),
            }
            # changes at this institution or below it, during the period
            counted = {"rules": 0, "channels": 0}
            for (where, when), bucket in changes.items():
                if when == period and institution in tree.ancestors(where):
                    counted = {k: counted[k] + bucket[k] for k in counted}
            fact["rule_changes"], fact["channel_changes"] = counted["rules"], counted["channels"]
            report = reports.get((institution, period))
            if report is not None and report.time <= as_of:
                fact.update({"met_t": report.epoch, "met_id": report.event_id})
                for flag in ("reflects_rule_changes", "reflects_channel_changes"):
                    fact[flag] = bool(report.data.get(flag, False))
            facts.append(fact)
    return facts


def obligation_facts(
    spec_name: str,
    spec: dict[str, Any],
    params: dict[str, Any],
    calendar: WorkingDayCalendar,
    institution_events: Sequence[Event],
    as_of: datetime,
    undetermined: dict[str, str],
) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = []
    applies = spec.get("applies_if")
    for event in institution_events:
        if event.type != spec["event"] or event.time > as_of:
            continue
        if applies and event.data.get(applies["field"]) not in params[applies["in"]["param"]]:
            continue
        try:
            deadline = compute_deadline(
                calendar,
                event.time,
                params[spec["period"]["param"]],
                start_counted=bool(params.get("start_day_counted", False)),
            )
        except CalendarError as exc:
            undetermined.setdefault(spec_name, f"{event.event_id}: {exc.message}")
            continue
        fact: dict[str, Any] = {
            "f": "obligation",
            "obligation": spec_name,
            "id": event.event_id,
            "institution": event.institution["id"],
            "start": event.epoch,
            "due": _epoch(deadline.due),
        }
        met = event.data.get(spec["met_at_field"])
        if met:
            moment = datetime.fromisoformat(met.replace("Z", "+00:00"))
            if moment <= as_of:
                fact["met_t"] = moment.timestamp()
        facts.append(fact)
    return facts


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


@dataclass
class ArchiveResult:
    module: ModuleRef
    findings: list[Finding] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return worst_status(self.findings)


def _tree_and_first_day(
    complaints: Mapping[str, Sequence[Any]], institution_events: Sequence[Event]
) -> tuple[Tree, date | None]:
    """The institution tree of the archive, and the day of its first event (None when empty)."""
    tree = Tree()
    firsts = []
    # a mapping of complaint summaries may give what this loop reads, once for every module
    walked = getattr(complaints, "institutions_and_earliest", None)
    if walked is not None:
        institutions, earliest = walked()
        tree.add_all(institutions)
        firsts.extend(earliest)
    else:
        for events in complaints.values():
            for event in events:
                tree.add(event.institution)
                firsts.append(event.time)
    for event in institution_events:
        tree.add(event.institution)
        firsts.append(event.time)
    return tree, local_date(min(firsts)) if firsts else None


def _facts(
    engine: Engine,
    complaints: Mapping[str, Sequence[Any]],
    institution_events: Sequence[Event],
    as_of: datetime,
    tree: Tree,
    first_day: date,
    undetermined: dict[str, str],
) -> list[dict[str, Any]]:
    """The institution-level events as facts, then every generator's facts."""
    module = engine.module
    spec = module.data.get("archive") or {}
    params = module.parameters_on(as_of.astimezone(SHANGHAI).date())
    facts = event_facts(sorted((e for e in institution_events if e.time <= as_of), key=lambda e: e.epoch))
    for name, schedule in (spec.get("schedules") or {}).items():
        facts += schedule_facts(module, name, schedule, params, tree, institution_events, as_of, first_day)
    for name, obligation in (spec.get("obligations") or {}).items():
        facts += obligation_facts(
            name, obligation, params, engine.calendar, institution_events, as_of, undetermined
        )
    for name, cluster in (spec.get("clusters") or {}).items():
        facts += cluster_facts(
            name, cluster, params, engine.calendar, tree, complaints, institution_events, as_of, undetermined
        )
    return facts


def evaluate_archive_scope(
    engine: Engine,
    complaints: Mapping[str, Sequence[Any]],
    institution_events: Sequence[Event],
    as_of: datetime,
) -> ArchiveResult:
    """Run ``engine.module``'s archive-scope rules over a whole archive's contents."""
    module = engine.module
    result = ArchiveResult(engine.ref)
    on = as_of.astimezone(SHANGHAI).date()
    if not module.rules_in("archive") or not module.in_force_on(on):
        return result  # a module not yet in force at the as-of time owes nothing
    as_of_text = as_of.astimezone(SHANGHAI).isoformat()
    tree, first_day = _tree_and_first_day(complaints, institution_events)
    if first_day is None:
        return result
    undetermined: dict[str, str] = {}
    try:
        result.facts = _facts(engine, complaints, institution_events, as_of, tree, first_day, undetermined)
        fired = engine.run_facts("archive", on, result.facts, as_of)
    except Exception as exc:  # noqa: BLE001 — an error finding, never a clean archive
        result.findings.append(engine.error_finding(None, None, as_of_text, exc))
        return result
    # a generator that could not compute a deadline (a calendar year unknown) leaves the rules
    # that use it (listed under their ``clocks``) undetermined rather than silent
    result.findings = engine.findings_for(None, None, fired, as_of_text) + engine.undetermined_findings(
        "archive", None, undetermined, None, None, as_of_text, label=""
    )
    result.findings.sort(key=lambda f: (f.institution_id or "", f.code, f.evidence))
    return result
