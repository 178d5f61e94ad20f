"""The independent evaluation of one complaint: the modules that judge it, selected from its
receipt date and forwarding regulator (:func:`judging_modules`), and per module the codes its
rules call for (:func:`evaluate`), with the due dates used.
"""

from __future__ import annotations

from datetime import datetime

from .dates import O3_FROM, PBC_FROM, Calendar
from .eval_notice2012 import evaluate_2012
from .eval_order3 import evaluate_o3
from .eval_pboc import evaluate_pbc
from .event_sequence import Ev, of_type, sequence
from .rules import M2012, MO3, MPBC, PBC_REGULATORS


def judging_modules(seq: list[Ev]) -> list[str]:
    """The modules in force on the day of receipt that apply to the complaint (docs/rule-modules.md
    "Selection"), read from the modules' dates: the 2012 notice always (in force since 2012-04-03,
    never repealed), Order No. 3 from 2020-03-01, PBoC No. 5 from 2020-11-01 for complaints the
    PBoC forwarded."""
    received = of_type(seq, "received")[0]
    day = received.t.date()
    modules = [M2012]
    if day >= O3_FROM:
        modules.append(MO3)
    if day >= PBC_FROM and (received.data.get("forwarded_by") or {}).get("regulator") in PBC_REGULATORS:
        modules.append(MPBC)
    return modules


def evaluate(cal: Calendar, events: list[dict], as_of: datetime) -> tuple[dict[str, list[str]], dict]:
    """Per module that judges the complaint, the sorted codes its rules call for; and the due
    dates used (last day of each limit)."""
    seq = [e for e in sequence(events) if e.t <= as_of]
    modules = judging_modules(seq)
    codes, info = {}, {}
    codes[M2012], part = evaluate_2012(cal, seq, as_of)
    info.update(part)
    if MO3 in modules:
        codes[MO3], part = evaluate_o3(cal, seq, as_of)
        info.update(part)
    if MPBC in modules:
        codes[MPBC], part = evaluate_pbc(cal, seq, as_of)
        info.update(part)
    return codes, info
