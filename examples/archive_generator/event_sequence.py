"""One complaint's events as the evaluators read them: :class:`Ev` (time, type, data, level of the
institution), in time order (:func:`sequence`), filtered by type (:func:`of_type`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .dates import parse_time


@dataclass
class Ev:
    t: datetime
    type: str
    data: dict
    level: str


def sequence(events: list[dict]) -> list[Ev]:
    ordered = sorted(events, key=lambda e: (parse_time(e["time"]), e["event_id"]))
    return [
        Ev(parse_time(e["time"]), e["type"], e.get("data") or {}, e["institution"]["level"]) for e in ordered
    ]


def of_type(seq: list[Ev], kind: str) -> list[Ev]:
    return [e for e in seq if e.type == kind]
