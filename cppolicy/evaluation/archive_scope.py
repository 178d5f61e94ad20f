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

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cppolicy.calendar import SHANGHAI, WorkingDayCalendar, end_of_day, local_date
from cppolicy.errors import CalendarError, RuleModuleError
from cppolicy.evaluation.clocks import compute_deadline
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.facts import event_facts
from cppolicy.evaluation.findings import Finding, ModuleRef, Status, worst_status
from cppolicy.events import Event
from cppolicy.rules import RuleModule


@dataclass
class Tree:
    """The institution tree as seen in an archive's events."""

    level: dict[str, str] = field(default_factory=dict)
    parent: dict[str, str | None] = field(default_factory=dict)

    def add(self, institution: dict) -> None:
        self.add_all((institution,))

    def add_all(self, institutions: Iterable[dict]) -> None:
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


def _due_date(period: str, due: dict[str, str]) -> date:
    """Due day of a period's report. Keys of ``due``: ``H1`` (this year's date), ``H2`` and
    ``Y`` (next year's date, the period having ended on 31 December)."""
    key = f"H{period[-1]}" if "H" in period else "Y"
    month, day = (int(x) for x in due[key].split("-"))
    return date(int(period[:4]) + (0 if key == "H1" else 1), month, day)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def schedule_facts(module: RuleModule, spec_name: str, spec: dict, params: dict, tree: Tree,
                   institution_events: Sequence, as_of: datetime, first_day: date) -> list[dict]:
    levels = params[spec["levels"]["param"]]
    due_days = params[spec["due"]["param"]]
    every = spec.get("every", "half_year")
    reports: dict[tuple[str, str], Any] = {}
    changes: dict[tuple[str, str], dict[str, int]] = {}
    for event in sorted(institution_events, key=lambda e: e.epoch):
        if event.type == spec["met_by"]:
            reports.setdefault((event.institution["id"], event.data["period"]), event)
        elif event.type == spec.get("changes"):
            key = (event.institution["id"], period_of(local_date(event.time), every))
            bucket = changes.setdefault(key, {"rules": 0, "channels": 0})
            if event.data.get("change") in bucket:
                bucket[event.data["change"]] += 1
    facts = []
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
            fact = {"f": "schedule", "schedule": spec_name, "id": f"{spec_name}:{institution}:{period}",
                    "institution": institution, "period": period,
                    "due": _epoch(end_of_day(_due_date(period, due_days)))}
            # changes at this institution or below it, during the period
            counted = {"rules": 0, "channels": 0}
            for (where, when), bucket in changes.items():
                if when == period and institution in tree.ancestors(where):
                    counted = {k: counted[k] + bucket[k] for k in counted}
            fact["rule_changes"], fact["channel_changes"] = counted["rules"], counted["channels"]
            report = reports.get((institution, period))
            if report is not None and report.time <= as_of:
                fact.update({"met_t": report.epoch, "met_id": report.event_id})
                for key in ("reflects_rule_changes", "reflects_channel_changes"):
                    fact[key] = bool(report.data.get(key, False))
            facts.append(fact)
    return facts


def obligation_facts(spec_name: str, spec: dict, params: dict, calendar: WorkingDayCalendar,
                     institution_events: Sequence, as_of: datetime, undetermined: dict[str, str]) -> list[dict]:
    facts = []
    applies = spec.get("applies_if")
    for event in institution_events:
        if event.type != spec["event"] or event.time > as_of:
            continue
        if applies and event.data.get(applies["field"]) not in params[applies["in"]["param"]]:
            continue
        try:
            deadline = compute_deadline(calendar, event.time, params[spec["period"]["param"]],
                                        start_counted=bool(params.get("start_day_counted", False)))
        except CalendarError as exc:
            undetermined.setdefault(spec_name, f"{event.event_id}: {exc.message}")
            continue
        fact = {"f": "obligation", "obligation": spec_name, "id": event.event_id,
                "institution": event.institution["id"], "start": event.epoch, "due": _epoch(deadline.due)}
        met = event.data.get(spec["met_at_field"])
        if met:
            moment = datetime.fromisoformat(met.replace("Z", "+00:00"))
            if moment <= as_of:
                fact["met_t"] = moment.timestamp()
        facts.append(fact)
    return facts



def _receipts(complaints: dict[str, list], as_of: datetime) -> list[tuple]:
    """Each complaint's first ``received`` event at or before ``as_of``, as a receipt ``(complaint
    id, time, epoch, institution, data)``, sorted by time then complaint id.

    A mapping of complaint summaries may give these receipts itself, in any order, through
    ``receipts(as_of)`` (None when it cannot for that as-of time): through ``__getitem__`` it
    would make a stand-in for every institution of every complaint only for this loop to skip
    them. A plain mapping of events (what :func:`~cppolicy.audit.read_archive` gives) is walked."""
    given = getattr(complaints, "receipts", None)
    receipts = given(as_of) if given is not None else None
    if receipts is not None:
        receipts = list(receipts)
    else:
        receipts = []
        for complaint_id, events in complaints.items():
            for event in events:
                if event.type == "received" and event.time <= as_of:
                    receipts.append((complaint_id, event.time, event.epoch, event.institution, event.data))
                    break
    # Two stable sorts on one key each give the order of a sort keyed on (epoch, complaint id), in
    # a third of its time: a key of tuples is compared item by item, a float key natively; and
    # the ids mostly come in order already (a mapping's are sorted), which a sort sees in one pass.
    receipts.sort(key=itemgetter(0))
    receipts.sort(key=itemgetter(2))
    return receipts


#: A receipt as clusters read it: (complaint id, time, epoch, institution, data).
Receipt = tuple[str, datetime, float, dict[str, Any], dict[str, Any]]


class _Branches:
    """The branch each institution's complaints are counted at: complaints come from far fewer
    institutions than there are complaints, so each is looked up in the tree once."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.known: dict[str, str] = {}

    def of(self, institution: dict[str, Any]) -> str:
        ident = institution["id"]
        branch = self.known.get(ident)
        if branch is None:
            branch = self.known[ident] = self.tree.branch(ident)
        return branch


def _grouped(receipts: list[Receipt], threshold: int, branches: _Branches) -> tuple[
        dict[tuple[str, Any, Any], tuple[list[Receipt], list[int]]], list[tuple[Receipt, int, str]]]:
    """Receipts by (branch, product, issue), each group its receipts in receipt order and, beside
    them, their complainants (read once, not each time the window passes them); and the
    complaints that are clusters on their own, in receipt order: those with enough complainants
    (not counted again in a group) and those flagged major."""
    groups: dict[tuple[str, Any, Any], tuple[list[Receipt], list[int]]] = {}
    singles: list[tuple[Receipt, int, str]] = []
    for receipt in receipts:
        data = receipt[4]
        people = int(data.get("complainants", 1))
        # One complaint is one cluster, whichever makes it large-scale (many complainants first).
        if people >= threshold:
            singles.append((receipt, people, "many_complainants"))
            continue
        key = (branches.of(receipt[3]), data["product"], data["issue"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = ([], [])
        group[0].append(receipt)
        group[1].append(people)  # counts[i]: the complainants of items[i]
        if data.get("major"):
            singles.append((receipt, people, "flagged_major"))
    return groups, singles


def _many_complaints(key: tuple[str, Any, Any], items: list[Receipt], counts: list[int], span: timedelta,
                     threshold: int) -> list[dict[str, Any]]:
    """The clusters of one group: receipts whose complainants add up to the threshold within the
    window; a cluster grows while its next receipt is within the window of its last."""
    branch, product, issue = key
    clusters: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    last: datetime | None = None  # the time of current's last member
    # items are in receipt order, so the receipts within the window before items[index] are
    # items[left : index + 1] with ``left`` only ever moving forward (linear, not quadratic, in a
    # group's size), and ``total`` their complainants.
    left, total = 0, 0
    for index, receipt in enumerate(items):
        time = receipt[1]
        total += counts[index]
        while left <= index and time - items[left][1] > span:
            total -= counts[left]
            left += 1
        if current is not None and last is not None and time - last <= span:
            current["members"].append(receipt)
            current["complainants"] += counts[index]
            last = time
            continue
        current = None
        # Two receipts or more in the window (one complaint reaching the threshold alone is
        # the many_complainants kind).
        if index > left and total >= threshold:
            current = {"kind": "many_complaints", "institution": branch, "product": product, "issue": issue,
                       "members": items[left : index + 1], "complainants": total, "detected": time}
            last = time
            clusters.append(current)
    return clusters


class _Coverage:
    """Which large-scale report covers a cluster: one by an institution at or above the cluster's,
    sent after its first complaint, listing one of its complaints or naming its product and issue.
    What is read of each report and of each cluster's institution is made once."""

    def __init__(self, reports: list[Any], tree: Tree) -> None:
        self.reports, self.tree = reports, tree
        self.listed_in: dict[int, set[str]] = {}  # report index -> the complaint ids it lists
        self.covering: dict[str, set[str]] = {}  # cluster institution -> the institutions whose reports cover it

    def first(self, cluster: dict[str, Any], members: set[str], first_t: datetime) -> Any:
        institution = cluster["institution"]
        for index, report in enumerate(self.reports):
            if report.time < first_t:
                continue
            above = self.covering.get(institution)
            if above is None:  # the cluster's institution and those above it
                above = self.covering[institution] = {*self.tree.ancestors(institution), institution}
            if report.institution["id"] not in above:
                continue
            listed = self.listed_in.get(index)
            if listed is None:
                listed = self.listed_in[index] = set(report.data.get("complaint_ids") or ())
            same_matter = report.data.get("product") == cluster["product"] and report.data.get("issue") == cluster["issue"]
            if not listed.isdisjoint(members) or same_matter:
                return report
        return None


def cluster_facts(spec_name: str, spec: dict[str, Any], params: dict[str, Any], calendar: WorkingDayCalendar,
                  tree: Tree, complaints: Mapping[str, Sequence[Any]], institution_events: Sequence[Event],
                  as_of: datetime, undetermined: dict[str, str]) -> list[dict[str, Any]]:
    """Large-scale complaints: many complaints about the same product and issue at the same branch
    whose complainants add up to the threshold within a sliding window, a single complaint with
    that many complainants, or a complaint flagged major; each a ``cluster`` fact."""
    window = params[spec["window"]["param"]]
    if window["unit"] != "calendar_day":
        raise RuleModuleError(f"cluster {spec_name}: the window must be in calendar days")
    span = timedelta(days=int(window["value"]))
    threshold = int(params[spec["min_complainants"]["param"]])
    branches = _Branches(tree)
    groups, singles = _grouped(_receipts(complaints, as_of), threshold, branches)
    clusters: list[dict[str, Any]] = []
    for key, (items, counts) in sorted(groups.items()):
        clusters.extend(_many_complaints(key, items, counts, span, threshold))
    for receipt, people, kind in singles:
        data = receipt[4]
        clusters.append({"kind": kind, "institution": branches.of(receipt[3]), "product": data["product"],
                         "issue": data["issue"], "members": [receipt], "complainants": people,
                         "detected": receipt[1]})
    reports = sorted((e for e in institution_events if e.type == spec["met_by"] and e.time <= as_of),
                     key=lambda e: e.epoch)
    coverage = _Coverage(reports, tree)
    facts = []
    for cluster in clusters:
        fact = _cluster_fact(spec_name, spec, params, calendar, cluster, coverage, undetermined)
        if fact is not None:
            facts.append(fact)
    return facts


def _cluster_fact(spec_name: str, spec: dict[str, Any], params: dict[str, Any], calendar: WorkingDayCalendar,
                  cluster: dict[str, Any], coverage: _Coverage, undetermined: dict[str, str]) -> dict[str, Any] | None:
    """A cluster's fact: its members, its deadline (None when the calendar cannot count it: the
    rules that need it are then undetermined) and the report that covers it, if any."""
    members = set(map(itemgetter(0), cluster["members"]))
    first_t = min(map(itemgetter(1), cluster["members"]))
    # members are in receipt order: the first is the first by (epoch, complaint id)
    first_member = cluster["members"][0][0]
    fact: dict[str, Any] = {
        "f": "cluster", "cluster": spec_name, "kind": cluster["kind"],
        # named after its first member, so unrelated complaints never renumber it
        "id": f"{spec_name}:{cluster['kind']}:{cluster['institution']}:{first_member}",
        "institution": cluster["institution"], "product": cluster["product"], "issue": cluster["issue"],
        "complaints": len(members), "complainants": cluster["complainants"],
        "detected_t": _epoch(cluster["detected"]), "complaint_ids": ",".join(sorted(members))}
    try:
        deadline = compute_deadline(calendar, cluster["detected"], params[spec["period"]["param"]],
                                    start_counted=bool(params.get("start_day_counted", False)))
    except CalendarError as exc:
        undetermined.setdefault(spec_name, f"{fact['id']}: {exc.message}")
        return None
    fact["due"] = _epoch(deadline.due)
    report = coverage.first(cluster, members, first_t)
    if report is not None:
        fact.update({"met_t": report.epoch, "met_id": report.event_id})
    return fact


@dataclass
class ArchiveResult:
    module: ModuleRef
    findings: list[Finding] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return worst_status(self.findings)


def evaluate_archive_scope(engine: Engine, complaints: dict[str, list], institution_events: Sequence,
                           as_of: datetime) -> ArchiveResult:
    """Run ``engine.module``'s archive-scope rules over a whole archive's contents."""
    module = engine.module
    result = ArchiveResult(engine.ref)
    spec = module.data.get("archive") or {}
    if not module.rules_in("archive") or not module.in_force_on(as_of.astimezone(SHANGHAI).date()):
        return result  # a module not yet in force at the as-of time owes nothing
    as_of_text = as_of.astimezone(SHANGHAI).isoformat()
    on = as_of.astimezone(SHANGHAI).date()
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
    if not firsts:
        return result
    first_day = local_date(min(firsts))
    undetermined: dict[str, str] = {}
    try:
        params = module.parameters_on(on)
        facts = event_facts(sorted((e for e in institution_events if e.time <= as_of), key=lambda e: e.epoch))
        for name, schedule in (spec.get("schedules") or {}).items():
            facts += schedule_facts(module, name, schedule, params, tree, institution_events, as_of, first_day)
        for name, obligation in (spec.get("obligations") or {}).items():
            facts += obligation_facts(name, obligation, params, engine.calendar, institution_events, as_of, undetermined)
        for name, cluster in (spec.get("clusters") or {}).items():
            facts += cluster_facts(name, cluster, params, engine.calendar, tree, complaints, institution_events,
                                   as_of, undetermined)
        result.facts = facts
        fired = engine.run_facts("archive", on, facts, as_of)
    except Exception as exc:  # noqa: BLE001 — an error finding, never a clean archive
        result.findings.append(engine.error_finding(None, None, as_of_text, exc))
        return result
    result.findings = engine.findings_for(None, None, fired, as_of_text)
    # A generator that could not compute a deadline (e.g. a calendar year unknown) makes the
    # rules that use it (listed under their ``clocks``) undetermined rather than silent.
    for rule in module.rules_in("archive"):
        blocked = [name for name in rule.clocks if name in undetermined]
        if blocked:
            result.findings.append(Finding(
                code=rule.code, rule_id=rule.id, module=engine.ref, severity="undetermined", complaint_id=None,
                institution_id=None, due=None, observed=None, evidence=(), citation=engine.citation(rule),
                message=rule.message, as_of=as_of_text, detail=f"{blocked[0]}: {undetermined[blocked[0]]}"))
    result.findings.sort(key=lambda f: (f.institution_id or "", f.code, f.evidence))
    return result
