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
from typing import Any, Iterable, Sequence

from cppolicy.calendar import SHANGHAI, WorkingDayCalendar, end_of_day, local_date
from cppolicy.errors import CalendarError, RuleModuleError
from cppolicy.evaluation.clocks import compute_deadline
from cppolicy.evaluation.engine import Engine
from cppolicy.evaluation.facts import event_facts
from cppolicy.evaluation.findings import Finding, ModuleRef, Status, worst_status
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


def cluster_facts(spec_name: str, spec: dict, params: dict, calendar: WorkingDayCalendar, tree: Tree,
                  complaints: dict[str, list], institution_events: Sequence, as_of: datetime,
                  undetermined: dict[str, str]) -> list[dict]:
    window = params[spec["window"]["param"]]
    if window["unit"] != "calendar_day":
        raise RuleModuleError(f"cluster {spec_name}: the window must be in calendar days")
    span = timedelta(days=int(window["value"]))
    threshold = int(params[spec["min_complainants"]["param"]])
    receipts = _receipts(complaints, as_of)
    clusters: list[dict] = []
    # Complaints come from far fewer institutions than there are complaints: each institution's
    # branch is looked up in the tree once, not once per receipt.
    branches: dict[str, str] = {}

    def branch_of(institution: dict) -> str:
        ident = institution["id"]
        branch = branches.get(ident)
        if branch is None:
            branch = branches[ident] = tree.branch(ident)
        return branch

    # Many complaints: same branch, product and issue, complainants adding up within the window.
    # A group is its receipts in receipt order and, beside them, their complainants (read once,
    # not each time the window passes them). A complaint large-scale on its own is not counted
    # twice in a group: it and those flagged major are kept aside, in receipt order, to be
    # clusters of one (below).
    groups: dict[tuple, tuple[list, list]] = {}
    singles: list[tuple[tuple, int, str]] = []
    for receipt in receipts:
        data = receipt[4]
        people = int(data.get("complainants", 1))
        # One complaint is one cluster, whichever makes it large-scale (many complainants first).
        if people >= threshold:
            singles.append((receipt, people, "many_complainants"))
            continue
        key = (branch_of(receipt[3]), data["product"], data["issue"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = ([], [])
        group[0].append(receipt)
        group[1].append(people)  # counts[i]: the complainants of items[i]
        if data.get("major"):
            singles.append((receipt, people, "flagged_major"))
    for (branch, product, issue), (items, counts) in sorted(groups.items()):
        current: dict | None = None
        last = None  # the time of current's last member
        # items are in receipt order, so the receipts within the window before items[index]
        # are items[left : index + 1] with ``left`` only ever moving forward (linear, not
        # quadratic, in a group's size), and ``total`` their complainants.
        left, total = 0, 0
        for index, receipt in enumerate(items):
            time = receipt[1]
            total += counts[index]
            while left <= index and time - items[left][1] > span:
                total -= counts[left]
                left += 1
            if current is not None and time - last <= span:
                current["members"].append(receipt)
                current["complainants"] += counts[index]
                last = time
                continue
            current = None
            # Two receipts or more in the window (one complaint reaching the threshold alone is
            # the many_complainants kind below).
            if index > left and total >= threshold:
                current = {"kind": "many_complaints", "institution": branch, "product": product, "issue": issue,
                           "members": items[left : index + 1], "complainants": total, "detected": time}
                last = time
                clusters.append(current)
    for receipt, people, kind in singles:
        data = receipt[4]
        clusters.append({"kind": kind, "institution": branch_of(receipt[3]), "product": data["product"],
                         "issue": data["issue"], "members": [receipt], "complainants": people,
                         "detected": receipt[1]})
    reports = sorted((e for e in institution_events if e.type == spec["met_by"] and e.time <= as_of),
                     key=lambda e: e.epoch)
    # What the loop below reads of a report or of a cluster's institution, made once for each
    # (there are as many clusters as reports, or more) rather than for every pair of them.
    listed_in: dict[int, set] = {}  # report index -> the complaint ids it lists
    covering: dict[str, set] = {}  # cluster institution -> the institutions whose reports cover it
    facts = []
    for cluster in clusters:
        members = set(map(itemgetter(0), cluster["members"]))
        first_t = min(map(itemgetter(1), cluster["members"]))
        # members are in receipt order: the first is the first by (epoch, complaint id)
        first_member = cluster["members"][0][0]
        complainants = cluster["complainants"]
        fact = {"f": "cluster", "cluster": spec_name, "kind": cluster["kind"],
                # named after its first member, so unrelated complaints never renumber it
                "id": f"{spec_name}:{cluster['kind']}:{cluster['institution']}:{first_member}",
                "institution": cluster["institution"], "product": cluster["product"], "issue": cluster["issue"],
                "complaints": len(members), "complainants": complainants,
                "detected_t": _epoch(cluster["detected"]), "complaint_ids": ",".join(sorted(members))}
        try:
            deadline = compute_deadline(calendar, cluster["detected"], params[spec["period"]["param"]],
                                        start_counted=bool(params.get("start_day_counted", False)))
        except CalendarError as exc:
            undetermined.setdefault(spec_name, f"{fact['id']}: {exc.message}")
            continue
        fact["due"] = _epoch(deadline.due)
        for index, report in enumerate(reports):
            if report.time < first_t:
                continue
            above = covering.get(cluster["institution"])
            if above is None:  # the cluster's institution and those above it
                above = covering[cluster["institution"]] = {*tree.ancestors(cluster["institution"]),
                                                            cluster["institution"]}
            if report.institution["id"] not in above:
                continue
            listed = listed_in.get(index)
            if listed is None:
                listed = listed_in[index] = set(report.data.get("complaint_ids") or ())
            same_matter = report.data.get("product") == cluster["product"] and report.data.get("issue") == cluster["issue"]
            if not listed.isdisjoint(members) or same_matter:
                fact.update({"met_t": report.epoch, "met_id": report.event_id})
                break
        facts.append(fact)
    return facts


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
