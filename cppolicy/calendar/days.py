"""What a day is: a working day, a weekend, a named holiday or a make-up working day (调休)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

DayKind = Literal["working_day", "weekend", "holiday", "make_up_working_day"]

MAKE_UP_REASON: Final = "make-up working day (调休)"
MAKE_UP_NAME: Final = "调休上班"

_CJK_RE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What a day is and why.

    ``kind`` is ``working_day`` (an ordinary Monday–Friday), ``weekend`` (an ordinary
    Saturday/Sunday), ``holiday`` (a rest day named by the arrangement: a statutory holiday, a
    bridged rest day, or a weekend that is itself a named holiday) or ``make_up_working_day``
    (a Saturday/Sunday declared a working day, 调休上班).
    """

    date: date
    working: bool
    kind: DayKind
    #: the holiday name as published in Chinese (e.g. ``国庆节``, ``休息日（由 2025-09-28 调休）``)
    name: str | None = None
    #: the same in English (e.g. ``National Day``)
    name_en: str | None = None

    @property
    def weekday(self) -> str:
        return self.date.strftime("%a")

    @property
    def reason(self) -> str:
        """``weekday``, ``weekend``, the holiday name, or ``make-up working day (调休)``."""
        if self.kind == "working_day":
            return "weekday"
        if self.kind == "weekend":
            return "weekend"
        if self.kind == "make_up_working_day":
            return MAKE_UP_REASON
        if self.name_en and self.name and self.name_en != self.name and not _CJK_RE.search(self.name_en):
            return f"{self.name_en} ({self.name})"
        return self.name_en or self.name or "rest day"

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "weekday": self.weekday,
            "working": self.working,
            "kind": self.kind,
            "name": self.name,
            "name_en": self.name_en,
            "reason": self.reason,
        }
