"""Large-scale complaints (``clusters``): complaints about the same product and issue at the same
branch whose complainants add up to the threshold within a sliding window, a single complaint with
that many complainants, or a complaint flagged major; ``due`` counts from the moment of detection,
``met_t`` is the first covering ``large_scale_complaint_reported``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from cppolicy.calendar import WorkingDayCalendar
from cppolicy.errors import CalendarError, RuleModuleError
from cppolicy.evaluation.clocks import compute_deadline
from cppolicy.evaluation.tree import Tree
from cppolicy.events import Event


def receipts_of(complaints: Mapping[str, Sequence[Any]], as_of: datetime) -> list[Receipt]:
    """Each complaint's first ``received`` event at or before ``as_of``, as a receipt ``(complaint
    id, time, epoch, institution, data)``, sorted by time then complaint id.

    A mapping of complaint summaries may give these receipts itself, in any order, through
    ``receipts(as_of)`` (None when it cannot for that as-of time): through ``__getitem__`` it
    would make a stand-in for every institution of every complaint only for this loop to skip
    them. A plain mapping of events (what :func:`~cppolicy.audit.read_archive` gives) is walked."""
    given = getattr(complaints, "receipts", None)
    receipts: Iterable[Receipt] | None = given(as_of) if given is not None else None
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


def _grouped(
    receipts: list[Receipt], threshold: int, branches: _Branches
) -> tuple[dict[tuple[str, Any, Any], tuple[list[Receipt], list[int]]], list[tuple[Receipt, int, str]]]:
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


def _many_complaints(
    key: tuple[str, Any, Any], items: list[Receipt], counts: list[int], span: timedelta, threshold: int
) -> list[dict[str, Any]]:
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
            current = {
                "kind": "many_complaints",
                "institution": branch,
                "product": product,
                "issue": issue,
                "members": items[left : index + 1],
                "complainants": total,
                "detected": time,
            }
            last = time
            clusters.append(current)
    return clusters


class _Coverage:
    """Which large-scale report covers a cluster: one by an institution at or above the cluster's,
    sent after its first complaint, listing one of its complaints or naming its product and issue.
    What is read of each report and of each cluster's institution is made once."""

    def __init__(self, reports: list[Event], tree: Tree) -> None:
        self.reports, self.tree = reports, tree
        self.listed_in: dict[int, set[str]] = {}  # report index -> the complaint ids it lists
        self.covering: dict[
            str, set[str]
        ] = {}  # cluster institution -> the institutions whose reports cover it

    def first(self, cluster: dict[str, Any], members: set[str], first_t: datetime) -> Event | None:
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
            same_matter = (
                report.data.get("product") == cluster["product"]
                and report.data.get("issue") == cluster["issue"]
            )
            if not listed.isdisjoint(members) or same_matter:
                return report
        return None


def cluster_facts(
    spec_name: str,
    spec: dict[str, Any],
    params: dict[str, Any],
    calendar: WorkingDayCalendar,
    tree: Tree,
    complaints: Mapping[str, Sequence[Any]],
    institution_events: Sequence[Event],
    as_of: datetime,
    undetermined: dict[str, str],
) -> list[dict[str, Any]]:
    """Large-scale complaints: many complaints about the same product and issue at the same branch
    whose complainants add up to the threshold within a sliding window, a single complaint with
    that many complainants, or a complaint flagged major; each a ``cluster`` fact."""
    window = params[spec["window"]["param"]]
    if window["unit"] != "calendar_day":
        raise RuleModuleError(f"cluster {spec_name}: the window must be in calendar days")
    span = timedelta(days=int(window["value"]))
    threshold = int(params[spec["min_complainants"]["param"]])
    branches = _Branches(tree)
    groups, singles = _grouped(receipts_of(complaints, as_of), threshold, branches)
    clusters: list[dict[str, Any]] = []
    for key, (items, counts) in sorted(groups.items()):
        clusters.extend(_many_complaints(key, items, counts, span, threshold))
    for receipt, people, kind in singles:
        data = receipt[4]
        clusters.append(
            {
                "kind": kind,
                "institution": branches.of(receipt[3]),
                "product": data["product"],
                "issue": data["issue"],
                "members": [receipt],
                "complainants": people,
                "detected": receipt[1],
            }
        )
    reports = sorted(
        (e for e in institution_events if e.type == spec["met_by"] and e.time <= as_of), key=lambda e: e.epoch
    )
    coverage = _Coverage(reports, tree)
    facts = []
    for cluster in clusters:
        fact = _cluster_fact(spec_name, spec, params, calendar, cluster, coverage, undetermined)
        if fact is not None:
            facts.append(fact)
    return facts


def _cluster_fact(
    spec_name: str,
    spec: dict[str, Any],
    params: dict[str, Any],
    calendar: WorkingDayCalendar,
    cluster: dict[str, Any],
    coverage: _Coverage,
    undetermined: dict[str, str],
) -> dict[str, Any] | None:
    """A cluster's fact: its members, its deadline (None when the calendar cannot count it: the
    rules that need it are then undetermined) and the report that covers it, if any."""
    members = set(map(itemgetter(0), cluster["members"]))
    first_t = min(map(itemgetter(1), cluster["members"]))
    # members are in receipt order: the first is the first by (epoch, complaint id)
    first_member = cluster["members"][0][0]
    fact: dict[str, Any] = {
        "f": "cluster",
        "cluster": spec_name,
        "kind": cluster["kind"],
        # named after its first member, so unrelated complaints never renumber it
        "id": f"{spec_name}:{cluster['kind']}:{cluster['institution']}:{first_member}",
        "institution": cluster["institution"],
        "product": cluster["product"],
        "issue": cluster["issue"],
        "complaints": len(members),
        "complainants": cluster["complainants"],
        "detected_t": _epoch_of(cluster["detected"]),
        "complaint_ids": ",".join(sorted(members)),
    }
    try:
        deadline = compute_deadline(
            calendar,
            cluster["detected"],
            params[spec["period"]["param"]],
            start_counted=bool(params.get("start_day_counted", False)),
        )
    except CalendarError as exc:
        undetermined.setdefault(spec_name, f"{fact['id']}: {exc.message}")
        return None
    fact["due"] = _epoch_of(deadline.due)
    report = coverage.first(cluster, members, first_t)
    if report is not None:
        fact.update({"met_t": report.epoch, "met_id": report.event_id})
    return fact


def _epoch_of(moment: datetime) -> float:
    return moment.timestamp()
