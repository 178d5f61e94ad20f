"""Receipt plans: one :class:`Plan` per complaint (era, scenario, variant, receipt time, channel),
drawn from the scenario tables, the pinned receipts checked against the calendar, and the
complaint ids numbered in receipt order; the fixed complaints come last.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .dates import CST, LAST_LONG_RECEIPT, O3_FROM, PBC_FROM, Calendar
from .rules import M2012, MO3, MPBC
from .scenarios import (
    AT_HEAD_OFFICE,
    BEFORE_BREAK,
    ERA_WINDOWS,
    FIXED,
    FIXED_FORWARDED,
    FORWARDED_SCENARIOS,
    MAKEUP_DAYS,
    PINNED,
    REST_DAYS,
    SCENARIOS,
    VARIANT_WINDOWS,
    placed,
)
from .vocabulary import RECEIPT_CHANNELS, weighted


@dataclass
class Plan:
    era: str
    scenario: str
    variant: str
    received: datetime
    channel: str
    pinned: bool
    complaint_id: str = ""
    # FIXED complaints: (institution, product, issue, complainants, major); None for planned ones
    fixed: tuple[str, str, str, int, bool] | None = None


def era_modules(plan: Plan) -> list[str]:
    """The modules the scenario is designed to be judged by (the evaluator selects independently)."""
    if plan.era == "A":
        return [M2012]
    pboc = FIXED_FORWARDED.get(plan.complaint_id) == "PBOC"
    return [M2012, MO3, MPBC] if plan.era == "P" or pboc else [M2012, MO3]


def receipt_time(rng: random.Random, day: date, channel: str) -> datetime:
    if channel == "in_person":
        lo, hi = 9 * 60, 16 * 60 + 30
    elif channel == "letter":
        lo, hi = 9 * 60, 16 * 60
    elif channel == "phone":
        lo, hi = 8 * 60, 21 * 60 + 30
    elif channel == "email":
        lo, hi = 7 * 60, 23 * 60
    else:  # app, online, wechat, other: around the clock, mostly by day
        lo, hi = (7 * 60, 23 * 60 + 30) if rng.random() < 0.9 else (0, 23 * 60 + 59)
    minute = rng.randint(lo, hi)
    return datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), tzinfo=CST)


def check_pinned(cal: Calendar) -> None:
    for text in MAKEUP_DAYS:
        day = date.fromisoformat(text)
        if day.weekday() < 5 or day not in cal.makeup_days or not cal.is_working(day):
            raise SystemExit(f"{text} is not a make-up working weekend day in holidays.China")
    for text, before in BEFORE_BREAK:
        day, holiday = date.fromisoformat(text), date.fromisoformat(before)
        if not cal.is_working(day) or cal.is_working(holiday):
            raise SystemExit(f"{text} is not the working day before the {before} break")
    for text in REST_DAYS:
        if cal.is_working(date.fromisoformat(text)):
            raise SystemExit(f"{text} is not a rest day")
    for text, era, _scenario, _variant, channel in PINNED:
        day = date.fromisoformat(text)
        if (era == "A") != (day < O3_FROM) or (era == "P" and day < PBC_FROM):
            raise SystemExit(f"{text}: not in era {era}")
        if channel in ("in_person", "letter") and not cal.is_working(day):
            raise SystemExit(f"{text}: {channel} on a rest day")


def plan_all(cal: Calendar, seed: int) -> list[Plan]:
    rng = random.Random(f"plan:{seed}")
    plans: list[Plan] = []
    pinned_count: Counter = Counter()
    for text, era, scenario, variant, channel in PINNED:
        day = date.fromisoformat(text)
        plans.append(Plan(era, scenario, variant, receipt_time(rng, day, channel), channel, True))
        pinned_count[(era, scenario)] += 1
    for era, scenario, count, variants, long_running in SCENARIOS:
        if pinned_count[(era, scenario)] > count:
            raise SystemExit(f"{era}/{scenario}: more pinned receipts than complaints")
        for i in range(count - pinned_count[(era, scenario)]):
            variant = variants[i % len(variants)]
            first, last = VARIANT_WINDOWS.get((era, scenario, variant), ERA_WINDOWS[era])
            if long_running:
                last = min(last, LAST_LONG_RECEIPT)
            if era == "P" or scenario in FORWARDED_SCENARIOS or variant.startswith("pboc_"):
                channel = rng.choice(("other", "letter"))
            else:
                channel = weighted(rng, RECEIPT_CHANNELS)
                if channel == "in_person" and placed(AT_HEAD_OFFICE, era, scenario, variant):
                    channel = "phone"
            day = first + timedelta(days=rng.randint(0, (last - first).days))
            if channel in ("in_person", "letter") and not cal.is_working(day):
                channel = "app"
            plans.append(Plan(era, scenario, variant, receipt_time(rng, day, channel), channel, False))
    plans.sort(key=lambda p: (p.received, p.era, p.scenario, p.variant))
    per_year: Counter = Counter()
    for plan in plans:
        per_year[plan.received.year] += 1
        plan.complaint_id = f"C-{plan.received.year}-{per_year[plan.received.year]:05d}"
    # The fixed complaints come after the planned ones are numbered, and draw nothing from ``rng``.
    for cid, stamp, scenario, variant, inst_id, channel, product, issue, complainants, major in FIXED:
        received = datetime.fromisoformat(stamp).replace(tzinfo=CST)
        if channel in ("in_person", "letter") and not cal.is_working(received.date()):
            raise SystemExit(f"{cid}: {channel} on a rest day")
        plans.append(
            Plan(
                "B",
                scenario,
                variant,
                received,
                channel,
                True,
                cid,
                (inst_id, product, issue, complainants, major),
            )
        )
    plans.sort(key=lambda p: (p.received, p.complaint_id))
    return plans
