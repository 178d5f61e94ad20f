"""Explanations: why a complaint got (or did not get) each finding.

:func:`explain_complaint` judges one complaint (through the archive pipeline, so that an archive
of any size is read with memory bounded by that complaint) and :func:`explain_result` turns each
of its results into a plain dict — the timeline, each clock with its start, unit, skipped rest
days and deadline, and every rule's outcome with its citation — written as text (zh / en) or JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import IO, Any

import orjson

from cppolicy.audit import AuditObserver, JudgedComplaint, audit_archive
from cppolicy.calendar import SHANGHAI, WorkingDayCalendar
from cppolicy.errors import InputError
from cppolicy.evaluation import ClockResult, ComplaintResult, Finding
from cppolicy.evaluation.chronology import CHRONOLOGY
from cppolicy.events import Event
from cppolicy.plugin import Plugins
from cppolicy.reports.formats import FORMATS
from cppolicy.rules import RuleModule

LABELS = {
    "en": {
        "complaint": "Complaint",
        "module": "Rule module",
        "as_of": "As of",
        "calendar": "Calendar",
        "timeline": "Timeline",
        "after": "after the as-of time: not considered",
        "clocks": "Clocks",
        "rules": "Rules",
        "status": "Status",
        "start": "starts",
        "period": "period",
        "due": "deadline",
        "skipped": "rest days skipped",
        "met": "met at",
        "none": "none",
        "state": "state",
        "fired": "FIRED",
        "not_fired": "not triggered",
        "undetermined": "UNDETERMINED",
        "superseded": "superseded",
        "reason": "reason",
        "extension": "extension",
        "effective": "effective",
        "not_effective": "not effective",
        "granted_tier": "effective up to tier",
        "missing": "missing",
        "working_day": "working days",
        "calendar_day": "calendar days",
        "hour": "hours",
        "start_not_counted": "day of the start not counted",
        "start_counted": "day of the start counted",
        "errors": "Errors",
        "data_quality": "Data quality",
        "made_up": "make-up working days counted",
        "observed": "observed",
        "pause": "paused (not counted)",
        "restart": "restarted by",
        "evidence": "evidence",
        "earliest": "earliest possible end",
        "latest": "latest possible end",
        "before_earliest": "before the earliest possible end: in time under any arrangement of the unknown year",
        "after_latest": "at or after the latest possible end: late under any arrangement of the unknown year",
        "between": "between the two: in time or late depending on the unknown year's rest days (undetermined)",
        "open_before": "the as-of time is before the earliest possible end: still running under any arrangement",
        "open_after": "the as-of time is at or after the latest possible end: overdue under any arrangement",
        "open_between": "the as-of time is between the two: running or overdue depending on the unknown year",
    },
    "zh": {
        "complaint": "投诉",
        "module": "规则模块",
        "as_of": "评估时点",
        "calendar": "日历",
        "timeline": "时间线",
        "after": "晚于评估时点，未纳入",
        "clocks": "期限",
        "rules": "规则",
        "status": "结论",
        "start": "起算",
        "period": "期限",
        "due": "届满",
        "skipped": "跳过的休息日",
        "met": "完成于",
        "none": "无",
        "state": "状态",
        "fired": "触发",
        "not_fired": "未触发",
        "superseded": "已被取代",
        "undetermined": "无法判定",
        "reason": "原因",
        "extension": "延期",
        "effective": "有效",
        "not_effective": "无效",
        "granted_tier": "仅生效至档次",
        "missing": "缺少",
        "working_day": "个工作日",
        "calendar_day": "个自然日",
        "hour": "小时",
        "start_not_counted": "起算当日不计入",
        "start_counted": "起算当日计入",
        "errors": "错误",
        "data_quality": "数据质量",
        "made_up": "计入的调休上班日",
        "observed": "实际",
        "evidence": "证据",
        "pause": "中止（不计入期限）",
        "restart": "重新计算自",
        "earliest": "最早可能届满",
        "latest": "最晚可能届满",
        "before_earliest": "早于最早可能届满时点：无论该年如何安排节假日均未逾期",
        "after_latest": "不早于最晚可能届满时点：无论该年如何安排节假日均已逾期",
        "between": "介于两者之间：是否逾期取决于该年的休息日安排（无法判定）",
        "open_before": "评估时点早于最早可能届满时点：无论如何安排均在期限内",
        "open_after": "评估时点不早于最晚可能届满时点：无论如何安排均已届满",
        "open_between": "评估时点介于两者之间：是否届满取决于该年的休息日安排",
    },
}


class _Capture(AuditObserver):
    """Keeps the one complaint an explanation is about, with its events."""

    def __init__(self) -> None:
        self.judged: JudgedComplaint | None = None

    def complaint_judged(self, judged: JudgedComplaint) -> None:
        self.judged = judged


def explain_complaint(
    complaint_id: str,
    archives: Sequence[str],
    modules: Sequence[RuleModule],
    calendar: WorkingDayCalendar,
    as_of: datetime,
    plugins: Plugins | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Explain one complaint of the archives under each module that judges it: the explanations
    and the number of lines quarantined. Raises InputError when the complaint has no valid event
    or no selected module judges it. The timeline shows the events masked by ``plugins``
    (default: the built-in masker, docs/privacy.md); they were judged unmasked."""
    masking = plugins if plugins is not None else Plugins(load_entry_points=False)
    capture = _Capture()
    report = audit_archive(
        archives,
        modules,
        calendar,
        as_of,
        only={complaint_id},
        keep="none",
        archive_scope=False,
        observers=[capture],
    )
    judged = capture.judged
    if judged is None or judged.events is None:
        raise InputError(f"complaint {complaint_id!r} has no valid event in {', '.join(archives)}")
    if not judged.results:
        raise InputError(f"no selected rule module is in force on complaint {complaint_id!r}'s receipt date")
    by_ref = {(m.id, m.version): m for m in modules}
    shown = [masking.mask_event(e) for e in judged.events]
    docs = [
        explain_result(result, shown, by_ref[(result.module.id, result.module.version)], calendar, as_of)
        for result in judged.results
    ]
    return docs, len(report.contents.quarantined)


def explain_result(
    result: ComplaintResult,
    events: Sequence[Event],
    module: RuleModule,
    calendar: WorkingDayCalendar,
    as_of: datetime,
) -> dict[str, Any]:
    """One result of a complaint, explained: its timeline, clocks and every rule's outcome."""
    ordered = sorted(events, key=lambda e: (e.epoch, e.source or "", e.line or 0))
    timeline = [
        {
            "time": e.time.astimezone(SHANGHAI).isoformat(),
            "type": e.type,
            "event_id": e.event_id,
            "institution": e.institution.get("id"),
            "data": e.data,
            "considered": e.time <= as_of,
        }
        for e in ordered
    ]
    received = next((e for e in ordered if e.type == "received" and e.time <= as_of), None)
    received_day = received.time.astimezone(SHANGHAI).date() if received else None
    params_day = received_day if received_day is not None else as_of.date()
    return {
        "complaint_id": result.complaint_id,
        "module": {"id": module.id, "version": module.version, "digest": module.digest},
        "as_of": as_of.astimezone(SHANGHAI).isoformat(),
        "calendar": calendar.version,
        "start_day_counted": _start_day_counted(module, params_day),
        "status": result.status,
        "timeline": timeline,
        "clocks": [
            _with_bounds(c.describe(calendar), as_of) for c in result.clocks if isinstance(c, ClockResult)
        ],
        "rules": _rule_outcomes(result, module, received_day),
        "errors": [f.to_dict() for f in result.findings if f.severity == "error"],
        "data_quality": [f.to_dict() for f in result.findings if f.code == CHRONOLOGY],
    }


def _with_bounds(clock: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    """A clock that runs into an unknown year, with why its verdict holds (``bounds_verdict``:
    where the act, or the as-of time without one, falls against the earliest and latest end)."""
    if not clock.get("earliest_due"):
        return clock
    earliest = datetime.fromisoformat(clock["earliest_due"])
    latest = datetime.fromisoformat(clock["latest_due"])
    at = datetime.fromisoformat(clock["met_at"]) if clock.get("met_at") else None
    moment, prefix = (at, "") if at is not None else (as_of, "open_")
    if moment < earliest:
        verdict = f"{prefix}before" if prefix else "before_earliest"
    elif moment >= latest:
        verdict = f"{prefix}after" if prefix else "after_latest"
    else:
        verdict = f"{prefix}between"
    return {**clock, "bounds_verdict": verdict}


def _rule_outcomes(
    result: ComplaintResult, module: RuleModule, received_day: date | None
) -> list[dict[str, Any]]:
    """Every complaint rule of the module: fired, not triggered, undetermined or superseded."""
    fired_codes: dict[str, list[Finding]] = {}
    for finding in result.findings:
        fired_codes.setdefault(finding.rule_id, []).append(finding)
    rules: list[dict[str, Any]] = []
    instrument = module.data["instrument"]["number"]
    for rule in module.rules_in("complaint"):
        found = fired_codes.get(rule.id, [])
        citation = {"instrument": instrument, **rule.citation}
        if received_day is not None and not rule.in_force_on(received_day):
            rules.append(
                {
                    "rule_id": rule.id,
                    "code": rule.code,
                    "severity": rule.severity,
                    "outcome": "superseded",
                    "citation": citation,
                    "message": rule.message,
                    "findings": [],
                    "superseded_by": rule.superseded_by,
                }
            )
            continue
        if any(f.severity == "undetermined" for f in found):
            outcome = "undetermined"
        elif found:
            outcome = "fired"
        else:
            outcome = "not_fired"
        rules.append(
            {
                "rule_id": rule.id,
                "code": rule.code,
                "severity": rule.severity,
                "outcome": outcome,
                "citation": citation,
                "message": rule.message,
                "findings": [f.to_dict() for f in found],
            }
        )
    return rules


def _start_day_counted(module: RuleModule, day: date) -> bool:
    try:
        return bool(module.parameter("start_day_counted", day)[0])
    except Exception:  # noqa: BLE001 — no value in force that day: the clocks say undetermined
        return False


def _clock_lines(clock: dict[str, Any], L: dict[str, str], lang: str) -> list[str]:
    """One clock of an explanation, as text lines."""
    lines: list[str] = []
    desc = clock["description"][lang]
    head = f"  {clock['clock']} — {desc}"
    if clock.get("cite"):
        head += f" [{clock['cite']}]"
    lines.append(head)
    lines.append(
        f"    {L['state']}: {clock['state']}"
        + (f"   {L['reason']}: {clock['reason']}" if clock.get("reason") else "")
    )
    if clock.get("start"):
        lines.append(f"    {L['start']}: {clock['start']} ({clock['start_event']})")
    if clock.get("period"):
        period = clock["period"]
        lines.append(f"    {L['period']}: {period['value']} {L.get(period['unit'], period['unit'])}")
    if clock.get("due"):
        skipped = clock["rest_days_skipped"]
        why = "why_zh" if lang == "zh" else "why"
        shown = ", ".join(f"{r['date']} ({r[why]})" for r in skipped)
        lines.append(f"    {L['skipped']} ({len(skipped)}): {shown or L['none']}")
        made_up = clock["make_up_days_counted"]
        if made_up:
            lines.append(f"    {L['made_up']}: {', '.join(r['date'] for r in made_up)}")
        if not clock.get("earliest_due"):  # a bounded deadline is given by its two ends
            lines.append(f"    {L['due']}: {clock['due_date']} 24:00 Asia/Shanghai (= {clock['due']})")
    if clock.get("earliest_due"):
        lines.append(f"    {L['earliest']}: {clock['earliest_due_date']} 24:00 (= {clock['earliest_due']})")
        lines.append(f"    {L['latest']}: {clock['latest_due_date']} 24:00 (= {clock['latest_due']})")
        lines.append(f"    → {L[clock['bounds_verdict']]}")
    lines += [_extension_line(ext, L) for ext in clock.get("extensions", [])]
    for pause in clock.get("pauses", []):
        lines.append(
            f"    {L['pause']} {pause['from']} → {pause['to'] or '…'}: +{pause['days']} "
            f"{L['calendar_day']} / {pause['working_days']} {L['working_day']}"
        )
    if clock.get("restarted_by"):
        lines.append(f"    {L['restart']}: {clock['restarted_by']}")
    if clock.get("met_at"):
        lines.append(f"    {L['met']}: {clock['met_at']} ({clock['met_by_event']})")
    return lines


def _extension_line(ext: dict[str, Any], labels: dict[str, str]) -> str:
    state = labels["effective"] if ext["effective"] else labels["not_effective"]
    if ext["effective"] and ext.get("granted_tier") not in (None, ext.get("tier")):
        state = f"{labels['granted_tier']} {ext['granted_tier']}"  # extension.fall_back
    missing = f"; {labels['missing']}: {', '.join(ext['missing'])}" if ext["missing"] else ""
    target = f"{ext['requested_due_date']} 24:00" if ext["requested_due_date"] else ext["requested_due"]
    return f"    {labels['extension']} {ext['event']} @ {ext['at']}: → {target} ({state}{missing})"


def render_text(doc: dict[str, Any], lang: str) -> str:
    L = LABELS[lang]
    lines = [
        f"{L['complaint']} {doc['complaint_id']} — {L['status']}: {doc['status']}",
        f"{L['module']}: {doc['module']['id']}@{doc['module']['version']} ({doc['module']['digest'][:19]}…)",
        f"{L['as_of']}: {doc['as_of']}   {L['calendar']}: {doc['calendar']}",
        "",
        f"{L['timeline']}:",
    ]
    for item in doc["timeline"]:
        note = "" if item["considered"] else f"   ({L['after']})"
        detail = ", ".join(f"{k}={v}" for k, v in item["data"].items()) if item["data"] else ""
        lines.append(f"  {item['time']}  {item['type']:<22} {item['event_id']}  {detail}{note}")
    lines += [
        "",
        f"{L['clocks']} ({L['start_counted'] if doc['start_day_counted'] else L['start_not_counted']}):",
    ]
    for clock in doc["clocks"]:
        lines += _clock_lines(clock, L, lang)
    lines += ["", f"{L['rules']}:"]
    for rule in doc["rules"]:
        c = rule["citation"]
        where = c.get("point") or c.get("article") or ""
        outcome = L[rule["outcome"]]
        lines.append(f"  [{outcome}] {rule['code']} ({rule['severity']}) — {c['instrument']} {where}")
        if rule.get("superseded_by"):
            lines.append(f"      → {rule['superseded_by']}")
        lines.append(f"      {rule['message'][lang]}")
        lines.append(f"      「{c['text']}」")
        for f in rule["findings"]:
            bits = [
                f"{L['due']} {f['due']}" if f["due"] else "",
                f"{L['observed']} {f['observed']}" if f["observed"] else "",
                f"{L['evidence']} {' '.join(f['evidence'])}" if f["evidence"] else "",
                f["detail"] or "",
            ]
            lines.append("      → " + "; ".join(b for b in bits if b))
    if doc["errors"]:
        lines += ["", f"{L['errors']}:"] + [f"  {e['detail']}" for e in doc["errors"]]
    if doc.get("data_quality"):
        lines += ["", f"{L['data_quality']}:"] + [f"  {e['detail']}" for e in doc["data_quality"]]
    return "\n".join(lines) + "\n"


@FORMATS.register("explain", "text", help="the reasoning, in the --lang language")
def write_text(docs: list[dict[str, Any]], out: IO[str], lang: str) -> None:
    out.write("\n".join(render_text(doc, lang) for doc in docs))


@FORMATS.register("explain", "json", help="the explanation (a list when several modules judge it)")
def write_json(docs: list[dict[str, Any]], out: IO[str], lang: str) -> None:
    out.write(orjson.dumps(docs if len(docs) > 1 else docs[0], option=orjson.OPT_INDENT_2).decode() + "\n")
