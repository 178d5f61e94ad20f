"""The manifest beside the archive: one entry per complaint (scenario, modules, expected codes,
due dates, a note for the complaints pinned to show a difference between the modules), the
composition by year and module, the scenario counts, the impact example, the archive-scope findings
and every large-scale cluster (:func:`assemble_manifest`).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import holidays

from .dates import AS_OF, Calendar, rfc3339
from .event_sequence import of_type, sequence
from .plans import Plan
from .rules import DECISION_WD, M2012, MO3, MODULE_ORDER, MODULE_VERSIONS, O3_DECISION_DAYS
from .scenarios import FIXED_SCENARIOS, SCENARIOS

ERAS = {
    "A": "received 2019-01-01 … 2020-02-29: cbrc-2012-13 with point 九",
    "B": "received 2020-03-01 … 2025-12-15: cbrc-2012-13 without point 九, and cbirc-2020-3",
    "P": "forwarded by the PBoC, received 2020-11-01 … 2025-12-15: era B and pbc-2020-5",
    "fixed": "fixed ids, archive-scope and Art. 29 scenarios (era B)",
}


def note_for(cal: Calendar, plan: Plan, events: list[dict]) -> str | None:
    """A sentence for the complaints pinned to show a difference between the modules."""
    seq = sequence(events)
    d0 = plan.received.date()
    decided = of_type(seq, "decided")
    if not decided:
        return None
    day = decided[0].t.date()
    wd, cd = cal.index_of(d0, day), (day - d0).days
    c15, w15 = d0 + timedelta(days=O3_DECISION_DAYS), cal.nth(d0, DECISION_WD)
    if plan.variant in ("wd_ok_calendar_late", "calendar_15_passed_wd_ok"):
        judged = (
            "point 九 judges it: in time"
            if plan.era == "A"
            else "point 九 is superseded for it; Order No. 3 judges it: late"
        )
        return (
            f"decided {day} = working day {wd} (point 九's 15th: {w15}) and calendar day {cd} "
            f"(Order No. 3's 15th: {c15}); {judged}"
        )
    if plan.variant == "holiday_last_day":
        return (
            f"the 15th calendar day {c15} is a rest day: Order No. 3 does not roll it forward; "
            f"decided {day}, calendar day {cd}"
        )
    return None


def composition(complaints: dict[str, dict]) -> dict:
    by_year: dict[str, Counter] = {}
    for c in complaints.values():
        row = by_year.setdefault(c["received"][:4], Counter())
        row["complaints"] += 1
        row["compliant"] += not any(c["expected"].values())
        for module in c["modules"]:
            row[module] += 1
    by_module: dict[str, dict] = {}
    for module in MODULE_ORDER:
        judged = [c for c in complaints.values() if module in c["modules"]]
        codes = Counter(code for c in judged for code in c["expected"][module])
        by_module[module] = {
            "complaints": len(judged),
            "with_findings": sum(bool(c["expected"][module]) for c in judged),
            "codes": dict(sorted(codes.items())),
        }
    keys = ("complaints", "compliant", *MODULE_ORDER)
    return {"by_year": {y: {k: by_year[y][k] for k in keys} for y in sorted(by_year)}, "by_module": by_module}


def cluster_summary(clusters: list[dict]) -> list[dict]:
    """Every cluster, reported or not, for the manifest's ``archive_clusters``."""
    return [
        {
            "id": c["id"],
            "kind": c["kind"],
            "institution_id": c["institution"],
            "complaint_ids": c["complaint_ids"],
            "detected": rfc3339(c["detected"]),
            "due": rfc3339(c["due"]),
            "reported": None if c["met"] is None else rfc3339(c["met"]),
        }
        for c in clusters
    ]


def complaint_entry(
    plan: Plan, inst_id: str, codes: dict[str, list[str]], info: dict, note: str | None
) -> dict:
    """The manifest's entry for one complaint."""
    entry = {
        "scenario": plan.scenario,
        "variant": plan.variant,
        "modules": list(codes),
        "expected": codes,
        "received": rfc3339(plan.received),
        "institution": inst_id,
        "ack_due": info["ack_due"],
        "decision_due": info["decision_due"],
    }
    if "reply_due" in info:
        entry["reply_due"] = info["reply_due"]
    if note:
        entry["note"] = note
    return entry


def scenario_counts(plans: list[Plan]) -> dict[str, dict[str, int]]:
    """The complaints per scenario, per era (and the fixed ones), in the tables' order."""
    counts: dict[str, Counter] = {}
    for plan in plans:
        counts.setdefault("fixed" if plan.fixed else plan.era, Counter())[plan.scenario] += 1
    order = {era: [s for e, s, *_ in SCENARIOS if e == era] for era in ("A", "B", "P")}
    order["fixed"] = list(FIXED_SCENARIOS)
    return {era: {s: counts[era][s] for s in order[era]} for era in ("A", "B", "P", "fixed")}


def assemble_manifest(
    seed: int,
    plans: list[Plan],
    events: list[dict],
    complaints: dict[str, dict],
    archive_expected: list[dict],
    clusters: list[dict],
) -> dict:
    """The whole manifest, keys in their fixed order."""
    impact = next(
        cid
        for cid, c in complaints.items()
        if c["variant"] == "wd_ok_calendar_late" and c["received"].startswith("2021-09-30")
    )
    return {
        "seed": seed,
        "as_of": rfc3339(AS_OF),
        "modules": {m: MODULE_VERSIONS[m] for m in MODULE_ORDER},
        "eras": ERAS,
        "calendar": f"holidays.China + weekend_workdays (python-holidays {holidays.__version__})",
        "event_count": len(events),
        "scenario_counts": scenario_counts(plans),
        "composition": composition(complaints),
        "impact_example": {
            "complaint_id": impact,
            "from": M2012,
            "to": MO3,
            "kind": "new_breach",
            "after": complaints[impact]["expected"][MO3],
        },
        "complaints": complaints,
        "archive_expected": archive_expected,
        "archive_clusters": cluster_summary(clusters),
    }
