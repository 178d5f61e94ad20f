"""What several test files share: builders for test archives, the command line as a user runs it,
sinks that collect what cppolicy hands to plugins and observers, and a loopback HTTP server."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from cppolicy.audit import AuditObserver
from cppolicy.cli import get_app
from cppolicy.plugin import hookimpl

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


def cli(*args: Any, input: str | bytes | None = None) -> Result:
    """``cppolicy ARGS…`` in this process (arguments turned to text), as a user would type it."""
    return CliRunner().invoke(get_app(), [str(a) for a in args], input=input)


class Sink:
    """A plugin that keeps every alert and finding cppolicy hands to its sinks."""

    def __init__(self) -> None:
        self.alerts: list[Any] = []
        self.findings: list[Any] = []

    @hookimpl
    def cppolicy_handle_alert(self, alert: Any) -> None:
        self.alerts.append(alert)

    @hookimpl
    def cppolicy_handle_finding(self, finding: Any) -> None:
        self.findings.append(finding)


@contextmanager
def loopback_server(status: int = 204) -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A real HTTP server on 127.0.0.1 (a free port): ``(url, received)``, where ``received``
    collects each POST's headers and body; it answers ``status`` with no body."""
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 — http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cppolicy", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
