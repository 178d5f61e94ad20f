"""The building blocks shared by the era-B and era-P scenarios (received from 2020-03-01).

:class:`EraBSteps` wraps one complaint's :class:`~builder.Builder` with its institution and
forwarding regulator, and adds the composite steps the scenarios reuse: a decision by the k-th
calendar day, a result notice within Order No. 3's limit, a boundary decision at 23:50, a first-tier
extension, the reply and feedback to the PBoC, and a review under Art. 20.
"""

from __future__ import annotations

from datetime import date, datetime

from .builder import Builder, review_decided_data
from .dates import at, end_of
from .rules import O3_DECISION_DAYS, O3_REVIEW_DAYS, O3_TIER1_DAYS, PBC_FEEDBACK_DAYS, RESULT_WD


class EraBSteps:
    """One era-B complaint being built: its builder ``b``, institution and forwarding regulator."""

    def __init__(self, b: Builder, inst_id: str, forwarded: dict | None) -> None:
        self.b = b
        self.inst_id = inst_id
        self.forwarded = forwarded
        self.rng, self.W, self.C, self.pick = b.rng, b.W, b.C, b.pick

    def decide_by(self, k: int, **kwargs) -> date:
        """Decided on a working day, in working hours, by the k-th calendar day."""
        return self.b.decide(self.pick(None, end_of(self.C(k))), **kwargs)

    def notify_o3(
        self,
        d: date,
        limit_day: date | None = None,
        channel: str | None = None,
        latest: datetime | None = None,
    ) -> None:
        b, C = self.b, self.C
        hi = b.o3_notice_by(d, C(O3_DECISION_DAYS) if limit_day is None else limit_day)
        b.notify_at(self.pick(None, hi if latest is None else min(hi, latest)), channel)

    def late_notice(self, d: date) -> None:
        """Told within point 八's 2 working days of a decision that was already late."""
        self.b.notify_at(self.pick(None, end_of(self.W(RESULT_WD, d))))

    def boundary_pair(self, day: date) -> date:
        """Decided at 23:50 and told by SMS at 23:59 on the last day of the limit."""
        d = self.b.decide(at(day, 23, 50))
        self.b.notify_at(at(day, 23, 59, self.rng.choice((0, 59))), channel="sms")
        return d

    def extend_tier1(self, **kwargs) -> None:
        self.b.extend(
            self.pick(None, end_of(self.C(13))),
            limit=("calendar_day", O3_TIER1_DAYS),
            channel=False,
            approval=None,
            **kwargs,
        )

    def reply_and_feedback(self, d: date, limit_day: date | None = None) -> None:
        self.notify_o3(d, limit_day)
        reply = self.b.last.date()
        self.b.feedback(self.pick(None, end_of(self.C(PBC_FEEDBACK_DAYS, reply))), self.forwarded)

    def review(self, written: bool, decided: str) -> None:
        b, C, pick = self.b, self.C, self.pick
        channel = "letter" if written else "phone"
        b.add(
            "review_requested",
            pick(None, end_of(C(10, b.last.date()))),
            {"written": written, "channel": channel},
        )
        req = b.last.date()
        if decided == "in_time":
            moment = pick(None, end_of(C(28, req)))
        elif decided == "boundary_2359":
            moment = at(C(O3_REVIEW_DAYS, req), 23, 59)
        elif decided == "day31_0900":
            moment = at(C(O3_REVIEW_DAYS + 1, req), 9, 0)
        elif decided == "at_due_instant":
            moment = end_of(C(O3_REVIEW_DAYS, req))
        elif decided == "few_days_late":
            moment = pick(end_of(C(O3_REVIEW_DAYS, req)), end_of(C(40, req)))
        elif decided == "late":
            moment = pick(end_of(C(35, req)), end_of(C(45, req)))
        else:
            return  # never decided
        b.add("review_decided", moment, review_decided_data(self.rng, self.inst_id))
