"""The whole run for one seed: plan the complaints, build each from its own seeded generator (drawn
again when a draw does not fit), check each against its design with the independent evaluator,
add the institution-level events, evaluate and check the archive scope, and assemble the manifest
(:func:`generate`).
"""

from __future__ import annotations

import random

from .builder import GenError
from .complaint import build, to_json_events
from .dates import AS_OF, CALENDAR_YEARS, Calendar, parse_time
from .design import check_archive_design, designed
from .eval_archive import evaluate_archive
from .eval_complaint import evaluate
from .institution_events import institution_events
from .manifest import assemble_manifest, complaint_entry, note_for
from .plans import Plan, check_pinned, era_modules, plan_all


def build_complaint(cal: Calendar, seed: int, plan: Plan) -> tuple[list[dict], dict]:
    """One complaint's events and manifest entry; stops unless the events call for exactly the
    codes its scenario was designed for."""
    rng = random.Random(f"complaint:{seed}:{plan.complaint_id}")
    for _attempt in range(50):
        try:
            built = build(cal, rng, plan)
            break
        except GenError:
            continue
    else:
        raise SystemExit(f"{plan.complaint_id}: could not build {plan.era}/{plan.scenario}/{plan.variant}")
    lines = to_json_events(built, rng)
    codes, info = evaluate(cal, lines, AS_OF)
    expected = designed(plan.scenario, plan.variant, era_modules(plan))
    if codes != expected:
        raise SystemExit(
            f"{plan.complaint_id} ({plan.era}/{plan.scenario}/{plan.variant}): built for "
            f"{expected} but the events call for {codes}"
        )
    return lines, complaint_entry(plan, built.inst_id, codes, info, note_for(cal, plan, lines))


def generate(seed: int) -> tuple[list[dict], dict]:
    """The archive's events, sorted by time then event_id, and its manifest."""
    cal = Calendar(CALENDAR_YEARS)
    check_pinned(cal)
    plans = plan_all(cal, seed)
    events: list[dict] = institution_events(cal)
    complaints: dict[str, dict] = {}
    for plan in plans:
        lines, entry = build_complaint(cal, seed, plan)
        events.extend(lines)
        complaints[plan.complaint_id] = entry
    events.sort(key=lambda e: (parse_time(e["time"]), e["event_id"]))
    archive_expected, clusters = evaluate_archive(cal, events, AS_OF)
    check_archive_design(events, archive_expected, clusters)
    manifest = assemble_manifest(seed, plans, events, complaints, archive_expected, clusters)
    return events, manifest
