"""The steps of one complaint's timeline: :class:`Builder` appends events in time order (receipt,
acknowledgement, extension, decision, notices, reports, pauses, closing), drawing days and times
from the complaint's seeded generator; :class:`GenError` makes the caller draw again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from .dates import AS_OF, CST, Calendar, at, end_of
from .institutions import INSTITUTIONS
from .plans import Plan
from .rules import ACK_WD, DECISION_WD, PBC_FEEDBACK_ITEMS, REPORT_WD, RESULT_WD
from .vocabulary import (
    ALL_REMEDIES,
    APPROVERS,
    BASIS,
    EXTENSION_REASONS,
    FINDINGS,
    HANDLERS,
    REMEDIATIONS,
    weighted,
)

# The acknowledgement mode of the compliant variants that place it on purpose.
COMPLIANT_ACK_MODES = {
    "ack_boundary_2359": "boundary",
    "same_day_ack": "same_day",
    "ack_on_second_wd": "second_wd",
}
# The acknowledgement mode of each ack_late variant.
ACK_LATE_MODES = {
    "next_working_days": "late",
    "at_due_instant": "at_due",
    "first_wd_after_due": "first_after_due",
}


class GenError(Exception):
    """A random draw did not fit (e.g. no time left on a day); the complaint is drawn again."""


@dataclass
class Built:
    plan: Plan
    inst_id: str
    events: list[tuple[str, datetime, dict | None]] = field(default_factory=list)


class Builder:
    """Appends one complaint's events in time order, drawing days and times from ``rng``."""

    def __init__(self, cal: Calendar, rng: random.Random, plan: Plan) -> None:
        self.cal = cal
        self.rng = rng
        self.plan = plan
        self.d0 = plan.received.date()
        self.events: list[tuple[str, datetime, dict | None]] = []

    # ---- time helpers

    def W(self, k: int, base: date | None = None) -> date:
        """The k-th working day after ``base`` (the day of receipt by default)."""
        return self.cal.nth(self.d0 if base is None else base, k)

    def C(self, k: int, base: date | None = None) -> date:
        """The k-th calendar day after ``base`` (the day of receipt by default)."""
        return (self.d0 if base is None else base) + timedelta(days=k)

    @property
    def last(self) -> datetime:
        return self.events[-1][1]

    def add(self, kind: str, moment: datetime, data: dict | None = None) -> datetime:
        if self.events and moment <= self.last:
            raise GenError(f"{kind} at {moment} not after {self.last}")
        if moment >= AS_OF:
            raise GenError(f"{kind} at {moment} not before the as-of time")
        self.events.append((kind, moment, data))
        return moment

    def time_on(self, day: date, lo=(9, 0), hi=(17, 30), gap=10) -> datetime | None:
        lo_m, hi_m = lo[0] * 60 + lo[1], hi[0] * 60 + hi[1]
        if self.events:
            last = self.last
            if last.date() > day:
                return None
            if last.date() == day:
                lo_m = max(lo_m, last.hour * 60 + last.minute + gap)
        if lo_m > hi_m:
            return None
        minute = self.rng.randint(lo_m, hi_m)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=CST)

    def at_wd(
        self, k_lo: int, k_hi: int, base: date | None = None, lo=(9, 0), hi=(17, 30), first: bool = False
    ) -> datetime:
        """A working-hours time on the k-th working day after ``base`` (receipt day by default),
        k drawn from [k_lo, k_hi]; falls forward within the range if the drawn day has no room."""
        base = self.d0 if base is None else base
        start = k_lo if first else self.rng.randint(k_lo, k_hi)
        for k in range(start, k_hi + 1):
            day = self.W(k, base)
            if k == 0 and not self.cal.is_working(day):
                continue
            moment = self.time_on(day, lo, hi)
            if moment is not None:
                return moment
        raise GenError(f"no room on working days {start}..{k_hi} after {base}")

    def pick(
        self,
        lo: datetime | None,
        hi: datetime,
        *,
        working: bool = True,
        hours=((9, 0), (17, 30)),
        gap: int = 10,
        first: bool = False,
    ) -> datetime:
        """A whole-minute time strictly between ``lo`` (default: the last event, plus ``gap``
        minutes) and ``hi``, in working hours, on a working day unless ``working`` is false. The
        day is drawn uniformly among those with room (the earliest with ``first``)."""
        floor = self.last + timedelta(minutes=gap) if self.events else self.plan.received
        lo = floor if lo is None else max(lo, floor)
        days = []
        day = lo.date()
        while day <= (hi - timedelta(seconds=1)).date():
            if not working or self.cal.is_working(day):
                start = max(at(day, *hours[0]), lo)
                if start.second or start.microsecond:
                    start = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
                end = min(at(day, *hours[1]), hi - timedelta(minutes=1))
                if start <= end:
                    days.append((start, end))
            day += timedelta(days=1)
        if not days:
            raise GenError(f"no room between {lo} and {hi}")
        start, end = days[0] if first else self.rng.choice(days)
        minutes = int((end - start).total_seconds() // 60)
        return start + timedelta(minutes=self.rng.randint(0, minutes))

    def o3_notice_by(self, decided_on: date, limit_day: date) -> datetime:
        """The end of the window for a result notice both in time for point 八 (2 working days after
        the decision) and within Order No. 3's limit whose last day is ``limit_day``."""
        return min(end_of(self.W(RESULT_WD, decided_on)), end_of(limit_day))

    # ---- steps

    def receive(self, product: str, issue: str, cause: str, forwarded: dict | None) -> None:
        data: dict[str, Any] = {"channel": self.plan.channel, "product": product, "issue": issue}
        if self.plan.fixed is None:
            complainants = 1 if self.rng.random() < 0.93 else self.rng.randint(2, 4)
        else:
            complainants = self.plan.fixed[3]
        data["complainants"] = complainants
        if self.plan.channel == "in_person":
            data["joint_in_person"] = complainants > 1
        data["cause"] = cause
        data["major"] = bool(self.plan.fixed and self.plan.fixed[4])
        if forwarded:
            data["forwarded_by"] = forwarded
        self.add("received", self.plan.received, data)
        reg = self.plan.received + timedelta(minutes=self.rng.randint(2, 25))
        self.add(
            "registered",
            reg,
            {"reference": f"TS-{self.plan.complaint_id}", "handler": self.rng.choice(HANDLERS)},
        )

    def ack(self, mode: str = "ok", channel: str | None = None, flags=(True, True, True)) -> None:
        if channel is None:
            channel = weighted(self.rng, [("sms", 45), ("phone", 35), ("email", 12), ("letter", 8)])
        due_day = self.W(ACK_WD)
        if mode == "ok":
            moment = self.at_wd(0, ACK_WD)
        elif mode == "same_day":
            moment = self.at_wd(0, ACK_WD, first=True)
        elif mode == "second_wd":
            moment = self.at_wd(ACK_WD, ACK_WD)
        elif mode == "boundary":
            moment = datetime.combine(due_day, time(23, 59), tzinfo=CST)
        elif mode == "late":
            moment = self.at_wd(ACK_WD + 1, ACK_WD + 4)
        elif mode == "first_after_due":
            moment = self.at_wd(ACK_WD + 1, ACK_WD + 1, lo=(9, 0), hi=(11, 30))
        elif mode == "at_due":
            moment = end_of(due_day)
        else:
            raise ValueError(mode)
        handler = self.rng.choice(HANDLERS)
        self.add(
            "acknowledged",
            moment,
            {
                "channel": channel,
                "states_acceptance": flags[0],
                "states_time_limit": flags[1],
                "states_contact": flags[2],
                "time_limit_days": DECISION_WD,
                "contact": f"投诉受理专线 400-800-0000 转 2，经办人{handler}",
            },
        )

    def extend(
        self,
        moment: datetime,
        *,
        reason: str | None = None,
        limit=("working_day", 30),
        channel: str | None | bool = "default",
        approval: str | None = "random",
    ) -> None:
        """``channel``: "default" (sms/email/letter), a channel, None (null: not notified) or False
        (no notice_channel at all). ``approval``: "random", a level, or None (no approval)."""
        data: dict[str, Any] = {"reason": self.rng.choice(EXTENSION_REASONS) if reason is None else reason}
        kind, value = limit
        if kind == "due_date":
            data["new_due_date"] = value.isoformat()
        else:
            data["new_limit"] = {"value": value, "unit": kind}
        if channel == "default":
            channel = weighted(self.rng, [("sms", 50), ("email", 25), ("letter", 25)])
        if channel is not False:  # False: leave notice_channel out altogether
            data["notice_channel"] = channel
        if approval == "random":
            approval = self.rng.choice(sorted(APPROVERS))
        if approval is not None:
            data["approval"] = {"by": APPROVERS[approval], "level": approval}
        self.add("extended", moment, data)

    def decide(
        self,
        moment: datetime,
        *,
        problem: bool | None = None,
        remediation: str = "text",
        findings: str | None = "text",
        basis: str | None = "text",
        remedies: list | str | None = None,
    ) -> date:
        """``findings`` / ``basis``: "text", "" or None (left out); ``remedies``: the list offered
        (None: all four), or "absent" to leave the field out."""
        outcome = weighted(
            self.rng, [("upheld", 28), ("partially_upheld", 30), ("rejected", 27), ("settled", 15)]
        )
        if problem is None:
            problem = outcome in ("upheld", "partially_upheld") and self.rng.random() < 0.4
        data: dict[str, Any] = {"outcome": outcome, "product_problem_found": problem}
        if remediation == "text":
            data["remediation"] = self.rng.choice(REMEDIATIONS) if problem else None
        elif remediation == "null":
            data["remediation"] = None
        elif remediation == "empty_string":
            data["remediation"] = ""
        elif remediation != "absent":
            raise ValueError(remediation)
        if outcome != "rejected" and self.rng.random() < 0.5:
            amount = round(self.rng.uniform(20, 3000), 2)
            data["compensation"] = {"amount": amount, "currency": "CNY"}
        else:
            data["compensation"] = None
        if findings is not None:
            data["findings"] = FINDINGS[outcome] if findings == "text" else findings
        if basis is not None:
            data["basis_and_reasons"] = BASIS if basis == "text" else basis
        if remedies != "absent":
            data["remedies_offered"] = list(ALL_REMEDIES if remedies is None else remedies)
        self.add("decided", moment, data)
        return moment.date()

    def notify_at(self, moment: datetime, channel: str | None = None) -> None:
        if channel is None:
            channel = weighted(self.rng, [("sms", 35), ("phone", 35), ("letter", 15), ("email", 15)])
        self.add("result_notified", moment, {"channel": channel})

    def notify_result(self, decided_on: date, mode: str = "ok", channel: str | None = None) -> None:
        """The result notice in working days after the decision (point 八)."""
        due_day = self.W(RESULT_WD, decided_on)
        if mode == "ok":
            moment = self.at_wd(0, RESULT_WD, base=decided_on)
        elif mode == "boundary":
            moment = datetime.combine(due_day, time(23, 59), tzinfo=CST)
        elif mode == "late":
            moment = self.at_wd(RESULT_WD + 1, RESULT_WD + 4, base=decided_on)
        elif mode == "at_due":
            moment = end_of(due_day)
        else:
            raise ValueError(mode)
        self.notify_at(moment, channel)

    def report_back(
        self, decided_on: date, forwarded: dict, mode: str = "ok", office: str | None = None
    ) -> None:
        due_day = self.W(REPORT_WD, decided_on)
        if mode == "ok":
            moment = self.at_wd(0, REPORT_WD, base=decided_on)
        elif mode == "same_day":
            moment = self.at_wd(0, REPORT_WD, base=decided_on, first=True)
        elif mode == "last_day":
            moment = self.at_wd(REPORT_WD, REPORT_WD, base=decided_on)
        elif mode == "late":
            moment = self.at_wd(REPORT_WD + 1, REPORT_WD + 5, base=decided_on)
        elif mode == "at_due":
            moment = end_of(due_day)
        else:
            raise ValueError(mode)
        data = {
            "regulator": forwarded["regulator"],
            "office": forwarded["office"] if office is None else office,
            "reference": forwarded["reference"],
            "contents": ["投诉基本情况", "调查核实结果", "处理依据", "处理结果及告知情况"],
        }
        self.add("reported_to_regulator", moment, data)

    def feedback(
        self, moment: datetime, forwarded: dict, contents=PBC_FEEDBACK_ITEMS, office: str | None = None
    ) -> None:
        """Feedback on the handling to the forwarding PBoC branch (PBoC No. 5 Art. 44)."""
        self.add(
            "reported_to_regulator",
            moment,
            {
                "regulator": forwarded["regulator"],
                "office": forwarded["office"] if office is None else office,
                "reference": forwarded["reference"],
                "contents": list(contents),
            },
        )

    def contact_failed(self, moment: datetime, channel: str = "phone") -> None:
        self.add(
            "contact_failed",
            moment,
            {
                "channel": channel,
                "attempts": self.rng.randint(2, 4),
                "evidence": "多次致电预留号码未接通，短信无回复，已留存通话记录",
            },
        )

    def pause(self, moment: datetime, reason: str, channel: str | None | bool) -> None:
        data: dict[str, Any] = {"reason": reason}
        if channel is not False:
            data["notice_channel"] = channel
        self.add("paused", moment, data)

    def close(self) -> None:
        moment = self.time_on(self.last.date(), lo=(9, 0), hi=(20, 30), gap=15)
        if moment is None:
            moment = self.at_wd(1, 3, base=self.last.date())
        self.add("closed", moment)


def review_decided_data(rng: random.Random, inst_id: str) -> dict:
    parent = INSTITUTIONS[inst_id][1] or inst_id
    return {
        "outcome": rng.choice(("rejected", "partially_upheld")),
        "reviewing_institution": INSTITUTIONS[parent][2],
    }
