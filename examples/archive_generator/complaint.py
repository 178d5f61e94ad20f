"""One complaint from its plan: the matter (product, issue, cause) and the place (institution,
forwarding regulator) drawn, the timeline built by its era's builder (:func:`build`), and the
events as ``complaint-event/v1`` dicts (:func:`to_json_events`).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from .build_era_a import build_era_a
from .build_era_b import build_era_b
from .builder import Builder, Built
from .dates import Calendar, rfc3339
from .institutions import (
    BRANCHES,
    INSTITUTIONS,
    OUTLETS,
    PBOC_OFFICE,
    SUB_BRANCHES,
    banking_regulator,
    institution,
)
from .plans import Plan
from .rules import SCHEMA_TAG
from .scenarios import (
    AT_BRANCH_LEVEL,
    AT_HEAD_OFFICE,
    FIXED_CAUSE,
    FIXED_FORWARDED,
    FORWARDED_SCENARIOS,
    placed,
)
from .vocabulary import PRODUCTS, weighted


def draw_matter(rng: random.Random, plan: Plan) -> tuple[str, str, str]:
    """The complaint's product, issue and cause: given for a FIXED complaint, drawn otherwise."""
    if plan.fixed is not None:  # FIXED: place and matter given, never forwarded; nothing drawn
        product, issue = plan.fixed[1:3]
        cause = (
            FIXED_CAUSE.get(plan.complaint_id)
            or dict(next(row[2] for row in PRODUCTS if row[0] == product))[issue]
        )
        return product, issue, cause
    product_row = weighted(rng, [(row, row[1]) for row in PRODUCTS])
    issue, cause = rng.choice(product_row[2])
    return product_row[0], issue, cause


def draw_place(rng: random.Random, plan: Plan) -> tuple[str, dict | None]:
    """The institution that received the complaint and, when forwarded, the ``forwarded_by``."""
    era, s, v = plan.era, plan.scenario, plan.variant
    if plan.fixed is not None:
        regulator = FIXED_FORWARDED.get(plan.complaint_id)
        if regulator is None:
            return plan.fixed[0], None
        region = INSTITUTIONS[plan.fixed[0]][3]
        offices = PBOC_OFFICE if regulator == "PBOC" else banking_regulator(plan.received.date())[1]
        reference = f"{regulator}-{region}-{plan.received.year}-{plan.complaint_id[-5:]}"
        return plan.fixed[0], {"regulator": regulator, "office": offices[region], "reference": reference}
    pboc = era == "P" or v in ("pboc_no_report", "pboc_before_nov_2020")
    if s in FORWARDED_SCENARIOS or pboc:
        inst_id = rng.choice(("HO-001",) + BRANCHES)
        region = INSTITUTIONS[inst_id][3]
        regulator, offices = ("PBOC", PBOC_OFFICE) if pboc else banking_regulator(plan.received.date())
        reference = f"{regulator}-{region}-{plan.received.year}-{rng.randint(1000, 99999):05d}"
        return inst_id, {"regulator": regulator, "office": offices[region], "reference": reference}
    if placed(AT_HEAD_OFFICE, era, s, v):
        return "HO-001", None
    if placed(AT_BRANCH_LEVEL, era, s, v):
        in_person = plan.channel == "in_person"
        return rng.choice(OUTLETS + SUB_BRANCHES if in_person else BRANCHES + SUB_BRANCHES), None
    if plan.channel == "in_person":
        return rng.choice(OUTLETS + SUB_BRANCHES), None
    if plan.channel == "letter":
        return rng.choice(BRANCHES + SUB_BRANCHES), None
    return weighted(
        rng, [("HO-001", 30)] + [(br, 20) for br in BRANCHES] + [(sb, 3) for sb in SUB_BRANCHES]
    ), None


def build(cal: Calendar, rng: random.Random, plan: Plan) -> Built:
    """Draw one complaint's events for its scenario; retried by the caller on GenError."""
    b = Builder(cal, rng, plan)
    product, issue, cause = draw_matter(rng, plan)
    inst_id, forwarded = draw_place(rng, plan)
    b.receive(product, issue, cause, forwarded)
    if plan.era == "A":
        build_era_a(b, plan.scenario, plan.variant, inst_id, forwarded)
    else:
        build_era_b(b, plan.scenario, plan.variant, inst_id, forwarded)
    return Built(plan=plan, inst_id=inst_id, events=b.events)


def to_json_events(built: Built, rng: random.Random) -> list[dict]:
    """The complaint's events as ``complaint-event/v1`` dicts, ``recorded_at`` 1–600 s after each."""
    cid = built.plan.complaint_id
    out = []
    for n, (kind, moment, data) in enumerate(built.events, 1):
        event: dict[str, Any] = {
            "schema": SCHEMA_TAG,
            "event_id": f"E-{cid}-{n:02d}",
            "complaint_id": cid,
            "type": kind,
            "time": rfc3339(moment),
            "institution": institution(built.inst_id),
            "recorded_at": rfc3339(moment + timedelta(seconds=rng.randint(1, 600))),
        }
        if data is not None:
            event["data"] = data
        out.append(event)
    return out
