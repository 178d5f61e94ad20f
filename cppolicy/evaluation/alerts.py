"""Alerts: what a host is told while there is still time to act, and when it is too late.

Derived from one complaint's evaluation (:class:`cppolicy.findings.ComplaintResult`):

- ``at_risk`` — a clock is running and at most ``at_risk_working_days`` working days remain
  before its deadline (counted like the clock: working days after the as-of day, up to and
  including the due day); for a clock whose whole period is that short, only on its last day;
- ``breach`` — a violation finding;
- ``met`` / ``met_late`` — a clock that was at risk or in breach has been met, in time or late;
  never for a clock that cannot be determined: a rule on it has an ``undetermined`` finding, the
  act that started or met it is dated before the complaint's receipt (an impossible chronology:
  :mod:`~cppolicy.evaluation.chronology`), or the receipt is not seen yet (the monitor's
  watermark has not reached it), so the acts may yet prove to precede it;
- ``retracted`` — a breach raised earlier is contradicted by evidence that arrived later; it
  names the breach it retracts (``retracts``: that alert's key). The monitor raises these.

Citations use the fields the module's findings use (``article`` or ``point``), so an alert and
the finding behind it cite alike.

Each alert has a stable ``key``; a host (or the monitor's SQLite state) remembers the keys it
has emitted so that each alert is emitted once however often the complaint is re-evaluated.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from cppolicy.calendar import SHANGHAI, WorkingDayCalendar, local_date
from cppolicy.errors import CalendarError
from cppolicy.evaluation.chronology import CHRONOLOGY
from cppolicy.evaluation.clocks import ClockResult
from cppolicy.evaluation.findings import ComplaintResult, ModuleRef
from cppolicy.rules import RuleModule

KINDS = ("at_risk", "breach", "met", "met_late", "retracted")
AlertKind = Literal["at_risk", "breach", "met", "met_late", "retracted"]
#: the kinds that say a clock was met (each raised only for a clock that had raised an alert)
MET_KINDS = ("met", "met_late")

_AT_RISK = {
    "zh": "{clock}将于{due}届满，剩余{left}个工作日。",
    "en": "{clock} is due {due}; {left} working day(s) left.",
}
_CLEARED = {
    "met": {"zh": "{clock}已按时完成（{met}）。", "en": "{clock} was met in time, at {met}."},
    "met_late": {"zh": "{clock}已完成，但已逾期（{met}）。", "en": "{clock} was met late, at {met}."},
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
    message: dict[str, str]
    citation: dict[str, Any]
    evidence: tuple[str, ...] = ()
    remaining_working_days: int | None = None
    #: for a ``retracted`` alert, the key of the breach alert it retracts
    retracts: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (schemas/alert/alert.schema.json)."""
        out = asdict(self)
        out["evidence"] = list(self.evidence)
        return out


def _key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32]


def _clock_citation(module: RuleModule, clock: ClockResult) -> dict[str, Any]:
    """The instrument and the provision of a clock, under the field (``article`` or ``point``)
    that the module's rules on this clock use for it."""
    cite: dict[str, Any] = {"instrument": module.data["instrument"]["number"]}
    text = clock.spec.cite
    if not text:
        return cite
    fields = [
        name
        for rule in module.rules
        if clock.name in rule.clocks
        for name in ("article", "point")
        if rule.citation.get(name) == text
    ]
    cite[fields[0] if fields else ("article" if text.endswith("条") else "point")] = text
    return cite


class _Context:
    """What every alert of one result carries: its module, complaint, institution and as-of time."""

    def __init__(
        self, result: ComplaintResult, module: RuleModule, as_of: datetime, institution: str | None
    ) -> None:
        self.result, self.module, self.ref = result, module, result.module
        self.as_of_text = as_of.astimezone(SHANGHAI).isoformat()
        self.institution = institution or result.institution_id

    def key(self, kind: str, *parts: object) -> str:
        return _key(kind, self.ref.id, self.ref.version, self.result.complaint_id, *parts)

    def clock_alert(
        self,
        kind: AlertKind,
        key: str,
        clock: ClockResult,
        message: dict[str, str],
        evidence: str | None,
        left: int | None = None,
    ) -> Alert:
        assert clock.deadline is not None
        return Alert(
            key=key,
            kind=kind,
            complaint_id=self.result.complaint_id,
            institution_id=self.institution,
            module=self.ref,
            clock=clock.name,
            code=None,
            due=clock.deadline.due.isoformat(),
            as_of=self.as_of_text,
            message=message,
            citation=_clock_citation(self.module, clock),
            evidence=(evidence,) if evidence else (),
            remaining_working_days=left,
        )


def _breaches(context: _Context) -> list[Alert]:
    """A ``breach`` alert per violation finding."""
    rules = {rule.id: rule for rule in context.module.rules}
    out = []
    for finding in context.result.findings:
        if finding.severity != "violation":
            continue
        rule = rules.get(finding.rule_id)
        key = context.key("breach", finding.code, ",".join(finding.evidence), finding.due)
        out.append(
            Alert(
                key=key,
                kind="breach",
                complaint_id=context.result.complaint_id,
                institution_id=finding.institution_id,
                module=context.ref,
                clock=rule.clocks[0] if rule and rule.clocks else None,
                code=finding.code,
                due=finding.due,
                as_of=context.as_of_text,
                message=finding.message,
                citation=finding.citation,
                evidence=finding.evidence,
            )
        )
    return out


def _at_risk(
    context: _Context,
    clock: ClockResult,
    calendar: WorkingDayCalendar,
    as_of: datetime,
    at_risk_working_days: int,
) -> Alert | None:
    """An ``at_risk`` alert for a running clock with few working days left, else None."""
    deadline = clock.deadline
    if clock.state != "running" or deadline is None or deadline.due_date is None:
        return None
    try:
        left = calendar.working_days_between(local_date(as_of), deadline.due_date)
    except CalendarError:
        return None
    # A clock shorter than the threshold would be "at risk" from its first moment: for those,
    # warn on the last day only.
    threshold = at_risk_working_days
    if clock.period and clock.period.get("unit") in ("working_day", "calendar_day"):
        threshold = min(threshold, int(clock.period["value"]) - 1)
    if left > threshold:
        return None
    due_day = deadline.due_date.isoformat() + " 24:00"
    description = clock.spec.description
    message = {
        lang: _AT_RISK[lang].format(clock=description[lang], due=due_day, left=left) for lang in ("zh", "en")
    }
    key = context.key("at_risk", clock.name, deadline.due.isoformat())
    return context.clock_alert("at_risk", key, clock, message, clock.start_id, left)


def _receipt_unseen(result: ComplaintResult) -> bool:
    """Whether a clock could not start, or tell whether it applies, for want of a receipt."""
    return any(
        isinstance(c, ClockResult)
        and c.state == "undetermined"
        and c.start_id is None
        and (c.spec.start_event == "received" or c.spec.applies_if is not None)
        for c in result.clocks
    )


def _undetermined(context: _Context, clock: ClockResult) -> bool:
    """Whether the result leaves ``clock`` undetermined although it computed a state: a rule on
    the clock judged undetermined, the act that started or met it is dated before the receipt
    (the audit says undetermined there; a "met in time" would contradict it), or no receipt is
    seen yet (its time decides whether the acts came after it)."""
    if _receipt_unseen(context.result):
        return True
    rules = {rule.id for rule in context.module.rules if clock.name in rule.clocks}
    acts = {clock.start_id, clock.met_id} - {None}
    for finding in context.result.findings:
        if finding.severity == "undetermined" and finding.rule_id in rules:
            return True
        if finding.code == CHRONOLOGY and acts & set(finding.evidence[:1]):
            return True
    return False


def _cleared(context: _Context, clock: ClockResult) -> Alert | None:
    """A ``met`` or ``met_late`` alert for a clock that was met, else None (and None for a clock
    the result leaves undetermined)."""
    if clock.state not in MET_KINDS or clock.met_at is None or _undetermined(context, clock):
        return None
    kind: AlertKind = "met" if clock.state == "met" else "met_late"
    met = clock.met_at.astimezone(SHANGHAI).isoformat()
    description = clock.spec.description
    message = {lang: _CLEARED[kind][lang].format(clock=description[lang], met=met) for lang in ("zh", "en")}
    return context.clock_alert(
        kind, context.key(kind, clock.name, clock.met_id), clock, message, clock.met_id
    )


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
    then met / met late (dedupe by ``key`` downstream).

    An at-risk alert is keyed by clock and deadline, so an extension that moves the deadline
    can raise a new one; a breach by the finding's code, evidence and due time; a met (late)
    alert by clock and the event that met it.
    """
    context = _Context(result, module, as_of, institution_id)
    clocks = [c for c in result.clocks if isinstance(c, ClockResult) and c.deadline is not None]
    at_risk = [a for c in clocks if (a := _at_risk(context, c, calendar, as_of, at_risk_working_days))]
    cleared = [a for c in clocks if (a := _cleared(context, c))]
    return _breaches(context) + at_risk + cleared


def relevant_cleared(alerts: list[Alert], emitted_clocks: set[tuple[str, str | None]]) -> list[Alert]:
    """Keep a ``met`` / ``met_late`` alert only for a clock that earlier raised at-risk or breach
    alerts (``emitted_clocks`` holds ``(complaint_id, clock)`` pairs); others pass through."""
    return [a for a in alerts if a.kind not in MET_KINDS or (a.complaint_id, a.clock) in emitted_clocks]


_RETRACTED = {
    "zh": "撤回此前的违规提醒：迟到的证据表明{what}并未违规。",
    "en": "Retracting an earlier breach alert: evidence that arrived late shows {what} was not breached.",
}


def retraction(breach: Alert, as_of: datetime, evidence: tuple[str, ...]) -> Alert:
    """The ``retracted`` alert for ``breach``, contradicted by the events ``evidence``."""
    what = {"zh": breach.clock or breach.code or "", "en": breach.clock or breach.code or ""}
    return Alert(
        key=_key("retracted", breach.key),
        kind="retracted",
        complaint_id=breach.complaint_id,
        institution_id=breach.institution_id,
        module=breach.module,
        clock=breach.clock,
        code=breach.code,
        due=breach.due,
        as_of=as_of.astimezone(SHANGHAI).isoformat(),
        message={lang: _RETRACTED[lang].format(what=what[lang]) for lang in ("zh", "en")},
        citation=breach.citation,
        evidence=evidence,
        retracts=breach.key,
    )
