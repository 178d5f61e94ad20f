"""The independent evaluator of the archive-scope rules, over the whole archive: the 2012 notice's
points 十五 (large-scale complaints) and 十六 (half-yearly reports, changes of the complaint
department, head or contact), Order No. 3 Art. 8 (disclosures) and PBoC No. 5 Art. 56
(self-assessments). Read from the texts and the modules' ``archive`` sections, not from cppolicy.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from .dates import PBC_FROM, Calendar, end_of, parse_time, rfc3339
from .rules import (
    CONTACT_CHANGE_KINDS,
    CONTACT_CHANGE_WD,
    LARGE_SCALE_MIN,
    LARGE_SCALE_WD,
    LARGE_SCALE_WINDOW,
    M2012,
    MO3,
    MPBC,
    O3_DISCLOSURE,
    O3_DISCLOSURE_CHANNELS,
    O3_DISCLOSURE_PLACES,
    P15_LATE,
    P15_NOT_REPORTED,
    P16_CHANNELS,
    P16_CONTACT_LATE,
    P16_CONTACT_MISSING,
    P16_LATE,
    P16_MISSING,
    P16_RULES,
    PBC_SA_LATE,
    PBC_SA_MISSING,
    PBC_SELF_ASSESSMENT_DUE,
    PBC_SELF_ASSESSMENT_LEVELS,
    SEMIANNUAL_DUE,
    SEMIANNUAL_LEVELS,
)


def half_year_of(day: date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def half_year_end(period: str) -> date:
    year = int(period[:4])
    return date(year, 6, 30) if period.endswith("H1") else date(year, 12, 31)


def semiannual_due(period: str) -> datetime:
    """24:00 of the last day for the half-year's report: 30 July, or 30 January of the next year."""
    year, half = int(period[:4]), period[-2:]
    month, day = SEMIANNUAL_DUE[half]
    return end_of(date(year + (half == "H2"), month, day))


def half_years(first: date, as_of: datetime) -> list[str]:
    """Every half-year from the one holding ``first`` that ended before the as-of day."""
    periods = []
    period = half_year_of(first)
    while half_year_end(period) < as_of.date():
        periods.append(period)
        year, half = int(period[:4]), period[-2:]
        period = f"{year}H2" if half == "H1" else f"{year + 1}H1"
    return periods


def people(ev: dict) -> int:
    """The complainants of a ``received`` event."""
    return int(ev["data"].get("complainants", 1))


class ArchiveScope:
    """The archive's events with its institutions' tree, and the findings and clusters found."""

    def __init__(self, cal: Calendar, events: list[dict], as_of: datetime) -> None:
        self.cal, self.as_of = cal, as_of
        self.events = sorted(events, key=lambda e: (parse_time(e["time"]), e["event_id"]))
        self.level: dict[str, str] = {}
        self.parent: dict[str, str | None] = {}
        for ev in self.events:
            self.level.setdefault(ev["institution"]["id"], ev["institution"]["level"])
            self.parent.setdefault(ev["institution"]["id"], ev["institution"].get("parent"))
        self.inst_events = [ev for ev in self.events if "complaint_id" not in ev]
        self.first = min(parse_time(ev["time"]) for ev in self.events).date()
        self.found: list[dict] = []
        self.clusters: list[dict] = []

    def up(self, node: str) -> list[str]:
        """``node`` and its ancestors, nearest first."""
        out: list[str] = []
        while node is not None and node not in out:
            out.append(node)
            node = self.parent.get(node)
        return out

    def branch_of(self, node: str) -> str:
        """The nearest branch or head office at or above ``node`` (the root if none)."""
        chain = self.up(node)
        return next((n for n in chain if self.level.get(n) in ("branch", "head_office")), chain[-1])

    def finding(
        self, code: str, inst: str, evidence: str, due: datetime | None, observed: datetime | None, **extra
    ) -> None:
        module = {"CBRC2012": M2012, "CBIRC2020": MO3, "PBC2020": MPBC}[code.split(".")[0]]
        self.found.append(
            {
                "code": code,
                "module": module,
                "institution_id": inst,
                "evidence": [evidence],
                "due": None if due is None else rfc3339(due),
                "observed": None if observed is None else rfc3339(observed),
                **extra,
            }
        )

    def submitted_reports(self) -> dict[tuple[str, str], tuple[datetime, dict]]:
        """The first ``periodic_report_submitted`` by the as-of time, per (institution, period)."""
        reports: dict[tuple[str, str], tuple[datetime, dict]] = {}
        for ev in self.inst_events:
            if ev["type"] == "periodic_report_submitted" and parse_time(ev["time"]) <= self.as_of:
                key = (ev["institution"]["id"], ev["data"]["period"])
                reports.setdefault(key, (parse_time(ev["time"]), ev["data"]))
        return reports

    def semiannual_reports(self) -> None:
        """十六: half-yearly reports, every head office and branch, every half-year ended by the
        as-of day, reflecting the half-year's changes of rules and channels."""
        periods = half_years(self.first, self.as_of)
        reports = self.submitted_reports()
        for inst in sorted(i for i, lv in self.level.items() if lv in SEMIANNUAL_LEVELS):
            for period in periods:
                evidence, due = f"semiannual_report:{inst}:{period}", semiannual_due(period)
                changes = Counter(
                    ev["data"]["change"]
                    for ev in self.inst_events
                    if ev["type"] == "complaint_contact_changed"
                    and half_year_of(parse_time(ev["time"]).date()) == period
                    and inst in self.up(ev["institution"]["id"])
                )  # at the institution or below it
                report = reports.get((inst, period))
                if report is None:
                    if due <= self.as_of:
                        self.finding(P16_MISSING, inst, evidence, due, None)
                    continue
                t, data = report
                if t >= due:
                    self.finding(P16_LATE, inst, evidence, due, t)
                if changes["rules"] and not data.get("reflects_rule_changes", False):
                    self.finding(P16_RULES, inst, evidence, None, t)
                if changes["channels"] and not data.get("reflects_channel_changes", False):
                    self.finding(P16_CHANNELS, inst, evidence, None, t)

    def contact_changes(self) -> None:
        """十六: a change of the department, its head or contact reported within 5 working days."""
        for ev in self.inst_events:
            t = parse_time(ev["time"])
            if (
                ev["type"] != "complaint_contact_changed"
                or ev["data"]["change"] not in CONTACT_CHANGE_KINDS
                or t > self.as_of
            ):
                continue
            due = end_of(self.cal.nth(t.date(), CONTACT_CHANGE_WD))
            reported = ev["data"].get("reported_to_regulator_at")
            met = parse_time(reported) if reported else None
            if met is not None and met > self.as_of:
                met = None
            if met is None and due <= self.as_of:
                self.finding(P16_CONTACT_MISSING, ev["institution"]["id"], ev["event_id"], due, None)
            if met is not None and met >= due:
                self.finding(P16_CONTACT_LATE, ev["institution"]["id"], ev["event_id"], due, met)

    def receipts(self) -> list[tuple[datetime, str, dict]]:
        """The first ``received`` event of each complaint by the as-of time, in receipt order."""
        first_receipt: dict[str, tuple[datetime, str, dict]] = {}
        for ev in self.events:  # in time order: the first received event of each complaint
            if ev["type"] == "received" and parse_time(ev["time"]) <= self.as_of:
                first_receipt.setdefault(ev["complaint_id"], (parse_time(ev["time"]), ev["complaint_id"], ev))
        return sorted(first_receipt.values(), key=lambda r: (r[0], r[1]))

    def many_complaint_clusters(self, receipts: list[tuple[datetime, str, dict]]) -> None:
        """Receipts by (branch, product, issue); a cluster of many complaints opens when two or more
        complaints received within the last 7 days (this receipt included) have 20 complainants
        between them, and takes in every later receipt within 7 days of its last member."""
        groups: dict[tuple[str, str, str], list] = {}
        for t, cid, ev in receipts:
            if people(ev) >= LARGE_SCALE_MIN:
                continue  # large-scale on its own, not counted again in a group
            key = (self.branch_of(ev["institution"]["id"]), ev["data"]["product"], ev["data"]["issue"])
            groups.setdefault(key, []).append((t, cid, ev))
        for branch, product, issue in sorted(groups):
            open_cluster = None
            seen: list = []
            for t, cid, ev in groups[(branch, product, issue)]:
                seen.append((t, cid, ev))
                if open_cluster is not None and t - open_cluster["members"][-1][0] <= LARGE_SCALE_WINDOW:
                    open_cluster["members"].append((t, cid, ev))
                    continue
                open_cluster = None
                window = [item for item in seen if t - item[0] <= LARGE_SCALE_WINDOW]
                if len(window) > 1 and sum(people(item[2]) for item in window) >= LARGE_SCALE_MIN:
                    open_cluster = {
                        "kind": "many_complaints",
                        "institution": branch,
                        "product": product,
                        "issue": issue,
                        "members": list(window),
                        "detected": t,
                    }
                    self.clusters.append(open_cluster)

    def single_clusters(self, receipts: list[tuple[datetime, str, dict]]) -> None:
        """Each complaint with 20 complainants or more on its own, and each flagged major (one
        cluster per complaint)."""
        for t, cid, ev in receipts:
            single = {
                "institution": self.branch_of(ev["institution"]["id"]),
                "product": ev["data"]["product"],
                "issue": ev["data"]["issue"],
                "members": [(t, cid, ev)],
                "detected": t,
            }
            if people(ev) >= LARGE_SCALE_MIN:
                self.clusters.append({**single, "kind": "many_complainants"})
            elif ev["data"].get("major"):
                self.clusters.append({**single, "kind": "flagged_major"})

    def report_clusters(self) -> None:
        """Each cluster, named after its first member complaint, is reported within 3 working days
        of its detection by its institution or one above it."""
        ls_reports = [
            ev
            for ev in self.inst_events
            if ev["type"] == "large_scale_complaint_reported" and parse_time(ev["time"]) <= self.as_of
        ]
        for cluster in self.clusters:
            ids = sorted(cid for _, cid, _ in cluster["members"])
            first_t = min(t for t, _, _ in cluster["members"])
            first_member = min(cluster["members"], key=lambda m: (m[0], m[1]))[1]
            cluster["id"] = f"large_scale:{cluster['kind']}:{cluster['institution']}:{first_member}"
            cluster["complaint_ids"] = ids
            cluster["due"] = due = end_of(self.cal.nth(cluster["detected"].date(), LARGE_SCALE_WD))
            met = None
            for ev in ls_reports:  # the first report covering the cluster, from its institution or above
                if parse_time(ev["time"]) < first_t or ev["institution"]["id"] not in self.up(
                    cluster["institution"]
                ):
                    continue
                data = ev["data"]
                if set(data.get("complaint_ids") or ()) & set(ids) or (
                    data.get("product") == cluster["product"] and data.get("issue") == cluster["issue"]
                ):
                    met = parse_time(ev["time"])
                    break
            cluster["met"] = met
            if met is None and due <= self.as_of:
                self.finding(
                    P15_NOT_REPORTED, cluster["institution"], cluster["id"], due, None, complaint_ids=ids
                )
            if met is not None and met >= due:
                self.finding(P15_LATE, cluster["institution"], cluster["id"], due, met, complaint_ids=ids)

    def large_scale(self) -> None:
        """十五: large-scale complaints, clustered, then each cluster's report."""
        receipts = self.receipts()
        self.many_complaint_clusters(receipts)
        self.single_clusters(receipts)
        self.report_clusters()

    def self_assessments(self) -> None:
        """PBoC No. 5 Art. 56: the annual self-assessment, by 31 January of the next year, for every
        year that ended while the Order was in force (from 2020) and before the as-of day, filed by
        every institution at the levels read (the legal entity: the head office)."""
        reports_y: dict[tuple[str, str], datetime] = {}
        for ev in self.inst_events:
            if ev["type"] == "periodic_report_submitted" and parse_time(ev["time"]) <= self.as_of:
                reports_y.setdefault((ev["institution"]["id"], ev["data"]["period"]), parse_time(ev["time"]))
        for inst in sorted(i for i, lv in self.level.items() if lv in PBC_SELF_ASSESSMENT_LEVELS):
            for year in range(self.first.year, self.as_of.year + 1):
                if not PBC_FROM <= date(year, 12, 31) < self.as_of.date():
                    continue
                due = end_of(date(year + 1, *PBC_SELF_ASSESSMENT_DUE))
                met = reports_y.get((inst, str(year)))
                evidence = f"self_assessment:{inst}:{year}"
                if met is None and due <= self.as_of:
                    self.finding(PBC_SA_MISSING, inst, evidence, due, None)
                if met is not None and met >= due:
                    self.finding(PBC_SA_LATE, inst, evidence, due, met)

    def disclosures(self) -> None:
        """Order No. 3 Art. 8: what the website, the app and the premises publish shows the
        complaint phone and the postal address."""
        for ev in self.inst_events:
            if (
                ev["type"] == "channel_disclosure"
                and parse_time(ev["time"]) <= self.as_of
                and ev["data"]["place"] in O3_DISCLOSURE_PLACES
                and not set(O3_DISCLOSURE_CHANNELS) <= set(ev["data"]["channels"])
            ):
                self.finding(
                    O3_DISCLOSURE, ev["institution"]["id"], ev["event_id"], None, parse_time(ev["time"])
                )


def evaluate_archive(cal: Calendar, events: list[dict], as_of: datetime) -> tuple[list[dict], list[dict]]:
    """The archive-scope findings of the three modules: the 2012 notice's points 十五 and 十六,
    Order No. 3 Art. 8 (disclosures) and PBoC No. 5 Art. 56 (self-assessments).

    Read from the texts and the modules' ``archive`` sections, not from cppolicy's code. Returns
    the sorted expected findings ``{code, module, institution_id, evidence, due, observed[,
    complaint_ids]}`` and every large-scale cluster found (for the check that none forms by accident).
    """
    scope = ArchiveScope(cal, events, as_of)
    scope.semiannual_reports()
    scope.contact_changes()
    scope.large_scale()
    scope.self_assessments()
    scope.disclosures()
    scope.found.sort(key=lambda f: (f["code"], f["institution_id"], f["evidence"]))
    return scope.found, scope.clusters
