"""The field check of one event against docs/events.md: top-level keys, the institution, the data
fields each type requires and allows, and the enums and types they take (:func:`check_event`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from .dates import parse_time
from .rules import SCHEMA_TAG

CHANNELS = {"phone", "sms", "email", "letter", "in_person", "online", "app", "wechat", "other"}
REGULATORS = {"CBRC", "CBIRC", "NFRA", "PBOC"}
OUTCOMES = {"upheld", "partially_upheld", "rejected", "settled"}
LEVELS = {"head_office", "branch", "sub_branch", "outlet"}
TOP_KEYS = {"schema", "event_id", "complaint_id", "type", "time", "institution", "recorded_at", "data", "ext"}
DATA_FIELDS: dict[str, tuple[set, set]] = {
    "received": (
        {"channel", "product", "issue"},
        {"complainants", "joint_in_person", "cause", "major", "forwarded_by"},
    ),
    "registered": (set(), {"reference", "handler"}),
    "acknowledged": (
        {"channel", "states_acceptance", "states_time_limit", "states_contact"},
        {"time_limit_days", "contact"},
    ),
    "contact_failed": ({"channel"}, {"attempts", "evidence"}),
    "extended": ({"reason"}, {"new_limit", "new_due_date", "notice_channel", "approval"}),
    "paused": ({"reason"}, {"notice_channel"}),
    "resumed": (set(), set()),
    "decided": (
        {"outcome", "product_problem_found"},
        {"remediation", "compensation", "findings", "basis_and_reasons", "remedies_offered"},
    ),
    "result_notified": ({"channel"}, set()),
    "reported_to_regulator": ({"regulator", "office"}, {"reference", "contents"}),
    "withdrawn": (set(), {"reason"}),
    "reopened": ({"new_facts"}, {"description"}),
    "review_requested": ({"written"}, {"channel"}),
    "review_decided": ({"outcome"}, {"reviewing_institution"}),
    "closed": (set(), set()),
    "periodic_report_submitted": (
        {"period", "regulator"},
        {"office", "reflects_rule_changes", "reflects_channel_changes"},
    ),
    "large_scale_complaint_reported": (
        {"regulator"},
        {"office", "complaint_ids", "product", "issue", "complainants"},
    ),
    "channel_disclosure": ({"place", "channels"}, {"hotline_prompt"}),
    "complaint_contact_changed": ({"change"}, {"description", "reported_to_regulator_at"}),
}
INSTITUTION_TYPES = {
    "periodic_report_submitted",
    "large_scale_complaint_reported",
    "channel_disclosure",
    "complaint_contact_changed",
}


def offset_problems(key: str, value: object) -> list[str]:
    """A time must be a string with ``Z`` or an offset, and must parse."""
    if not isinstance(value, str) or not (value.endswith("Z") or value[-6] in "+-"):
        return [f"{key} has no offset"]
    parse_time(value)
    return []


def envelope_problems(ev: dict, kind: str) -> list[str]:
    """``complaint_id`` against the type, the times and the institution."""
    errs = []
    if (kind in INSTITUTION_TYPES) == ("complaint_id" in ev):
        errs.append("complaint_id presence does not match the type")
    for key in ("time", "recorded_at"):
        if key in ev:
            errs += offset_problems(key, ev[key])
    inst = ev.get("institution")
    if not isinstance(inst, dict) or set(inst) - {"id", "level", "parent", "name"}:
        errs.append("bad institution")
    elif inst.get("level") not in LEVELS or not isinstance(inst.get("id"), str):
        errs.append("bad institution level/id")
    elif inst["level"] != "head_office" and not isinstance(inst.get("parent"), str):
        errs.append("institution without parent")
    return errs


def channel_problems(kind: str, data: dict) -> list[str]:
    if "channel" in data and data["channel"] not in CHANNELS:
        return [f"{kind}: bad channel {data['channel']!r}"]
    return []


def received_problems(kind: str, data: dict) -> list[str]:
    errs = []
    fwd = data.get("forwarded_by")
    if fwd is not None and (
        set(fwd) - {"regulator", "office", "reference"}
        or fwd.get("regulator") not in REGULATORS
        or not isinstance(fwd.get("office"), str)
    ):
        errs.append("bad forwarded_by")
    if not isinstance(data.get("complainants", 1), int) or data.get("complainants", 1) < 1:
        errs.append("bad complainants")
    return errs


def acknowledged_problems(kind: str, data: dict) -> list[str]:
    return [
        f"{key} not a bool"
        for key in ("states_acceptance", "states_time_limit", "states_contact")
        if not isinstance(data.get(key), bool)
    ]


def extended_problems(kind: str, data: dict) -> list[str]:
    errs = []
    if ("new_limit" in data) == ("new_due_date" in data):
        errs.append("extended needs exactly one of new_limit / new_due_date")
    limit = data.get("new_limit")
    if limit is not None and (
        set(limit) != {"value", "unit"}
        or limit["unit"] not in ("working_day", "calendar_day")
        or not isinstance(limit["value"], int)
        or limit["value"] < 1
    ):
        errs.append("bad new_limit")
    if "new_due_date" in data:
        date.fromisoformat(data["new_due_date"])
    if data.get("notice_channel") not in CHANNELS | {None}:
        errs.append("bad notice_channel")
    approval = data.get("approval")
    if approval is not None and (
        set(approval) != {"by", "level"}
        or approval["level"]
        not in ("superior_institution", "head_office_senior_manager", "complaint_head", "other")
    ):
        errs.append("bad approval")
    if not isinstance(data.get("reason"), str):
        errs.append("reason not a string")
    return errs


def outcome_problems(kind: str, data: dict) -> list[str]:
    return ["bad outcome"] if data.get("outcome") not in OUTCOMES else []


def decided_problems(kind: str, data: dict) -> list[str]:
    errs = []
    if not isinstance(data.get("product_problem_found"), bool):
        errs.append("product_problem_found not a bool")
    comp = data.get("compensation")
    if comp is not None and (
        set(comp) != {"amount", "currency"} or comp["amount"] < 0 or len(comp["currency"]) != 3
    ):
        errs.append("bad compensation")
    remedies = data.get("remedies_offered", [])
    if len(set(remedies)) != len(remedies) or set(remedies) - {
        "review",
        "mediation",
        "arbitration",
        "litigation",
    }:
        errs.append("bad remedies_offered")
    return errs


def regulator_problems(kind: str, data: dict) -> list[str]:
    return ["bad regulator"] if data.get("regulator") not in REGULATORS else []


def large_scale_problems(kind: str, data: dict) -> list[str]:
    if not all(isinstance(c, str) for c in data.get("complaint_ids", [])) or not isinstance(
        data.get("complainants", 1), int
    ):
        return ["bad large_scale_complaint_reported"]
    return []


def contact_reported_problems(kind: str, data: dict) -> list[str]:
    if "reported_to_regulator_at" in data:
        return offset_problems("reported_to_regulator_at", data["reported_to_regulator_at"])
    return []


def paused_problems(kind: str, data: dict) -> list[str]:
    if data["reason"] not in ("external_appraisal", "mediation", "other") or data.get(
        "notice_channel"
    ) not in CHANNELS | {None}:
        return ["bad paused"]
    return []


def flag_problems(kind: str, data: dict) -> list[str]:
    key = "new_facts" if kind == "reopened" else "written"
    return [f"{key} not a bool"] if not isinstance(data.get(key), bool) else []


def contents_problems(kind: str, data: dict) -> list[str]:
    return ["bad contents"] if not all(isinstance(c, str) for c in data.get("contents", [])) else []


def disclosure_problems(kind: str, data: dict) -> list[str]:
    if data["place"] not in ("outlet", "website", "app", "hotline") or set(data["channels"]) - {
        "phone",
        "online",
        "letter",
        "email",
        "in_person",
        "app",
    }:
        return ["bad channel_disclosure"]
    return []


def change_problems(kind: str, data: dict) -> list[str]:
    if data["change"] not in ("department", "head", "contact", "rules", "channels"):
        return ["bad change"]
    return []


def period_problems(kind: str, data: dict) -> list[str]:
    if not (
        len(data["period"]) in (4, 6)
        and data["period"][:4].isdigit()
        and data["period"][4:] in ("", "H1", "H2")
    ):
        return ["bad period"]
    return []


# The data checks in the order they run: (the types they apply to, None for all; the check).
DATA_CHECKS: list[tuple[tuple[str, ...] | None, Callable[[str, dict], list[str]]]] = [
    (None, channel_problems),
    (("received",), received_problems),
    (("acknowledged",), acknowledged_problems),
    (("extended",), extended_problems),
    (("decided", "review_decided"), outcome_problems),
    (("decided",), decided_problems),
    (
        ("reported_to_regulator", "periodic_report_submitted", "large_scale_complaint_reported"),
        regulator_problems,
    ),
    (("large_scale_complaint_reported",), large_scale_problems),
    (("complaint_contact_changed",), contact_reported_problems),
    (("paused",), paused_problems),
    (("reopened", "review_requested"), flag_problems),
    (("reported_to_regulator",), contents_problems),
    (("channel_disclosure",), disclosure_problems),
    (("complaint_contact_changed",), change_problems),
    (("periodic_report_submitted",), period_problems),
]


def check_event(ev: dict) -> list[str]:
    """The field names, enums and types docs/events.md fixes; returns problems (empty when fine)."""
    errs = []
    extra = set(ev) - TOP_KEYS
    if extra:
        errs.append(f"unknown top-level keys {sorted(extra)}")
    if ev.get("schema", SCHEMA_TAG) != SCHEMA_TAG:
        errs.append("bad schema tag")
    eid = ev.get("event_id")
    if not isinstance(eid, str) or not 1 <= len(eid) <= 128 or any(c.isspace() for c in eid):
        errs.append("bad event_id")
    kind = ev.get("type")
    if kind not in DATA_FIELDS:
        return errs + [f"unknown type {kind!r}"]
    errs += envelope_problems(ev, kind)
    required, optional = DATA_FIELDS[kind]
    data = ev.get("data", {})
    if not isinstance(data, dict):
        return errs + ["data is not an object"]
    if required - set(data):
        errs.append(f"{kind}: missing {sorted(required - set(data))}")
    if set(data) - required - optional:
        errs.append(f"{kind}: unknown data keys {sorted(set(data) - required - optional)}")
    for kinds, check in DATA_CHECKS:
        if kinds is None or kind in kinds:
            errs += check(kind, data)
    return errs
