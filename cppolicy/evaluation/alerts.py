"""Alerts: what a host is told while there is still time to act, and when it is too late.

Derived from one complaint's evaluation (:class:`cppolicy.findings.ComplaintResult`):

- ``at_risk`` — a clock is running and at most ``at_risk_working_days`` working days remain
  before its deadline (counted like the clock: working days after the as-of day, up to and
  including the due day); for a clock whose whole period is that short, only on its last day;
- ``breach`` — a violation finding;
- ``cleared`` — a clock that was at risk or in breach has been met (its obligation fulfilled).

Each alert has a stable ``key``; a host (or the monitor's SQLite state) remembers the keys it
has emitted so that each alert is emitted once however often the complaint is re-evaluated.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Iterable, Literal

from cppolicy.calendar import SHANGHAI, WorkingDayCalendar, local_date
from cppolicy.errors import CalendarError
from cppolicy.evaluation.clocks import ClockResult
from cppolicy.evaluation.findings import ComplaintResult, Finding, ModuleRef
from cppolicy.rules import RuleModule

KINDS = ("at_risk", "breach", "cleared")
AlertKind = Literal["at_risk", "breach", "cleared"]

_AT_RISK = {
    "zh": "{clock}将于{due}届满，剩余{left}个工作日。",
    "en": "{clock} is due {due}; {left} working day(s) left.",
}
_CLEARED = {
    "zh": "{clock}已完成（{met}）。",
    "en": "{clock} was met at {met}.",
}


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    kind: AlertKind
    complaint_id: str
    institution_id: str | None
    module: ModuleRef
    clock: str | None
    code: str | None
    due: str | None
    as_of: str
    message: dict
    citation: dict
    evidence: tuple[str, ...] = ()
    remaining_working_days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["evidence"] = list(self.evidence)
        return out


def _key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32]


def _clock_citation(module: RuleModule, clock) -> dict:
    cite = {"instrument": module.data["instrument"]["number"]}
    if clock.spec.cite:
        cite["point"] = clock.spec.cite
    return cite


def derive_alerts(
    result: ComplaintResult,
    module: RuleModule,
    calendar: WorkingDayCalendar,
    as_of: datetime,
    *,
    at_risk_working_days: int = 2,
    institution_id: str | None = None,
) -> list[Alert]:
    """Every alert that holds for ``result`` as of ``as_of``, breaches first, then at-risk,
    then cleared (dedupe by ``key`` downstream).

    An at-risk alert is keyed by clock and deadline, so an extension that moves the deadline
    can raise a new one; a breach by the finding's code, evidence and due time; a cleared
    alert by clock and the event that met it.
    """
    as_of_text = as_of.astimezone(SHANGHAI).isoformat()
    ref = result.module
    findings: Iterable[Finding] = result.findings
    institution = institution_id or result.institution_id
    alerts: list[Alert] = []
    at_risk: list[Alert] = []
    cleared: list[Alert] = []
    rules = {rule.id: rule for rule in module.rules}
    for finding in findings:
        if finding.severity != "violation":
            continue
        rule = rules.get(finding.rule_id)
        alerts.append(Alert(
            key=_key("breach", ref.id, ref.version, result.complaint_id, finding.code,
                     ",".join(finding.evidence), finding.due),
            kind="breach", complaint_id=result.complaint_id, institution_id=finding.institution_id,
            module=ref, clock=rule.clocks[0] if rule and rule.clocks else None, code=finding.code,
            due=finding.due, as_of=as_of_text, message=finding.message, citation=finding.citation, evidence=finding.evidence,
        ))
    for clock in result.clocks:
        if clock.deadline is None:
            continue
        due_text = clock.deadline.due.isoformat()
        description = clock.spec.description
        if clock.state == "running" and clock.deadline.due_date is not None:
            try:
                left = calendar.working_days_between(local_date(as_of), clock.deadline.due_date)
            except CalendarError:
                left = None
            # A clock shorter than the threshold would be "at risk" from its first moment:
            # for those, warn on the last day only.
            threshold = at_risk_working_days
            if clock.period and clock.period.get("unit") in ("working_day", "calendar_day"):
                threshold = min(threshold, int(clock.period["value"]) - 1)
            if left is not None and left <= threshold:
                due_day = clock.deadline.due_date.isoformat() + " 24:00"
                at_risk.append(Alert(
                    key=_key("at_risk", ref.id, ref.version, result.complaint_id, clock.name, due_text),
                    kind="at_risk", complaint_id=result.complaint_id, institution_id=institution,
                    module=ref, clock=clock.name, code=None, due=due_text, as_of=as_of_text,
                    message={lang: _AT_RISK[lang].format(clock=description[lang], due=due_day, left=left)
                             for lang in ("zh", "en")},
                    citation=_clock_citation(module, clock),
                    evidence=(clock.start_id,) if clock.start_id else (), remaining_working_days=left,
                ))
        if clock.state in ("met", "met_late") and clock.met_at is not None:
            met = clock.met_at.astimezone(SHANGHAI).isoformat()
            cleared.append(Alert(
                key=_key("cleared", ref.id, ref.version, result.complaint_id, clock.name, clock.met_id),
                kind="cleared", complaint_id=result.complaint_id, institution_id=institution,
                module=ref, clock=clock.name, code=None, due=due_text, as_of=as_of_text,
                message={lang: _CLEARED[lang].format(clock=description[lang], met=met) for lang in ("zh", "en")},
                citation=_clock_citation(module, clock),
                evidence=(clock.met_id,) if clock.met_id else (),
            ))
    return alerts + at_risk + cleared


def relevant_cleared(alerts: list[Alert], emitted_clocks: set[tuple[str, str]]) -> list[Alert]:
    """Keep a ``cleared`` alert only for a clock that earlier raised at-risk or breach alerts
    (``emitted_clocks`` holds ``(complaint_id, clock)`` pairs); other alerts pass through."""
    return [a for a in alerts if a.kind != "cleared" or (a.complaint_id, a.clock) in emitted_clocks]
