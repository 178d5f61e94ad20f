"""Small builders for test archives."""

from __future__ import annotations

import gzip
import json
from itertools import count
from pathlib import Path

from cppolicy.audit import AuditObserver

#: The module the tests below are about. Looked up by id, not as bundled_module_paths()[0]:
#: other modules (e.g. cbirc-2020-3, which sorts first) may be bundled next to it.
MODULE_2012 = "cbrc-2012-13"
#: From this receipt date point 九 of the 2012 notice gives way to CBIRC Order 2020 No. 3 (its
#: Art. 45); scenarios about point 九 therefore use receipt dates before it.
P9_SUPERSEDED_FROM = "2020-03-01"

INSTITUTION = {"id": "BR-SH", "level": "branch", "parent": "HO-001"}
_ids = count(1)

DATA = {
    "received": {"channel": "phone", "product": "credit_card", "issue": "fees"},
    "acknowledged": {
        "channel": "sms",
        "states_acceptance": True,
        "states_time_limit": True,
        "states_contact": True,
    },
    "decided": {"outcome": "upheld", "product_problem_found": False},
    "result_notified": {"channel": "sms"},
}


def event(complaint_id: str, type_: str, time: str, **data) -> dict:
    out = {
        "event_id": f"T-{next(_ids)}",
        "complaint_id": complaint_id,
        "type": type_,
        "time": time,
        "institution": INSTITUTION,
    }
    payload = {**DATA.get(type_, {}), **data}
    if payload:
        out["data"] = payload
    return out


def compliant(complaint_id: str, day: str = "2025-03-03") -> list[dict]:
    """A complaint received on a Monday and handled by the book within the week."""
    y, m, d = (int(x) for x in day.split("-"))
    nxt = f"{y:04d}-{m:02d}-{d + 1:02d}"
    return [
        event(complaint_id, "received", f"{day}T10:00:00+08:00"),
        event(complaint_id, "acknowledged", f"{day}T11:00:00+08:00"),
        event(complaint_id, "decided", f"{nxt}T10:00:00+08:00"),
        event(complaint_id, "result_notified", f"{nxt}T11:00:00+08:00"),
    ]


def module_2012_path() -> Path:
    """The folder of the bundled 2012 CBRC notice module (cbrc-2012-13@1.0.0)."""
    from cppolicy.rules import resolve_folder

    return resolve_folder(f"{MODULE_2012}@1.0.0")


def write_jsonl(path: Path, events: list[dict], extra_lines: list[str] = ()) -> Path:
    lines = [json.dumps(e, ensure_ascii=False) for e in events] + list(extra_lines)
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def render_all(report) -> dict[str, str]:
    """An audit report in every ``--format``, by format name (the command line's table included)."""
    import io

    import cppolicy.cli.formats  # noqa: F401 — registers the table
    from cppolicy.reports import FORMATS

    out = {}
    for name in FORMATS.names("audit"):
        buffer = io.StringIO()
        FORMATS.render("audit", name, report, buffer, "en")
        out[name] = buffer.getvalue()
    return out


class ResultCollector(AuditObserver):
    """An audit observer keeping every complaint result it is shown, in order."""

    def __init__(self) -> None:
        self.results: list = []
        self.archive_results: list = []

    def complaint_judged(self, judged) -> None:
        self.results.extend(judged.results)

    def archive_judged(self, result) -> None:
        self.archive_results.append(result)
