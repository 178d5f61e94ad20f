"""A real HTTP server on 127.0.0.1 that answers from a script and records every request."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cppolicy.evaluation.alerts import Alert
from cppolicy.evaluation.findings import ModuleRef

PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (to provoke a client timeout)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that timed out has gone before the late answer: expected in the timeout test.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class ScriptedServer:
    """Answers the n-th request with ``replies[n]`` (the last reply repeats)."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with server._lock:
                    server.requests.append(Received("POST", self.path, dict(self.headers.items()), body))
                    reply = server.replies[min(len(server.requests), len(server.replies)) - 1]
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/cppolicy"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> ScriptedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def serve():
    """``serve(Reply(...), ...)`` starts a server; every server is shut down after the test."""
    servers: list[ScriptedServer] = []

    def start(*replies: Reply) -> ScriptedServer:
        server = ScriptedServer(list(replies) or [Reply()]).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(autouse=True)
def quick_env(monkeypatch):
    """Tiny delays, no proxy, and no webhook configured unless a test sets one."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ("CPPOLICY_WEBHOOK_URL", "CPPOLICY_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CPPOLICY_WEBHOOK_ATTEMPTS", "5")
    monkeypatch.setenv("CPPOLICY_WEBHOOK_BACKOFF", "0.01")
    monkeypatch.setenv("CPPOLICY_WEBHOOK_MAX_DELAY", "0.05")
    monkeypatch.setenv("CPPOLICY_WEBHOOK_TIMEOUT", "2")


@pytest.fixture
def alert() -> Alert:
    return Alert(
        key="5f0c2a9e41b7d3c8a6e2f1b0c9d8e7a6",
        kind="breach",
        complaint_id="C-2025-0001",
        institution_id="BR-SH",
        module=ModuleRef("cbrc-2012-13", "1.0.0", "sha256:" + "0" * 64),
        clock="decision",
        code="CBRC2012.P9.DECISION_LATE",
        due="2025-10-24T00:00:00+08:00",
        as_of="2025-12-31T00:00:00+08:00",
        message={"zh": "投诉处理超过十五个工作日。", "en": "Decided after 15 working days."},
        citation={"instrument": "银监发〔2012〕13号", "point": "九"},
        evidence=("e-1", "e-3"),
    )
