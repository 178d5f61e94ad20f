"""Webhook delivery that cannot stall the monitor (issue 18, problems 2 and 3): a total deadline
per request, a cap on the answer read, delivery off the ingest path, redelivery until the
endpoint accepts. Real processes and a real (misbehaving) HTTP endpoint on loopback."""

from __future__ import annotations

import json
import os
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import event, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SRC = ROOT / "plugins" / "cppolicy-webhook" / "src"


class Endpoint:
    """Answers the n-th request by ``behaviours[n]`` (the last repeats): ``200``/``500``/``301``…
    (that status), ``"close"`` (drops the connection unanswered), ``"trickle"`` (one byte of
    the status line every 0.2 s, for ever), ``"huge"`` (200 with a 3 GB body, streamed)."""

    def __init__(self, *behaviours: int | str) -> None:
        self.behaviours = list(behaviours)
        self.accepted: list[tuple[str, dict]] = []  # (Idempotency-Key, alert) answered 2xx
        self.requests = 0
        self.sent = 0  # bytes of body sent by "huge"
        self.stop = threading.Event()
        endpoint = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                headers = {}
                self.rfile.readline()  # the request line
                while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = self.rfile.read(int(headers.get("content-length", "0")))
                endpoint.requests += 1
                behaviour = endpoint.behaviours[min(endpoint.requests, len(endpoint.behaviours)) - 1]
                endpoint.answer(self, behaviour, headers, body)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def answer(self, handler, behaviour, headers, body) -> None:
        out = handler.wfile
        try:
            if behaviour == "close":
                return
            if behaviour == "trickle":
                for byte in b"HTTP/1.1 200 OK\r\n" * 1000:
                    if self.stop.wait(0.2):
                        return
                    out.write(bytes([byte]))
                    out.flush()
                return
            if behaviour == "huge":
                out.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3000000000\r\n\r\n")
                self.accepted.append((headers.get("idempotency-key", ""), json.loads(body)))
                chunk = b"\0" * 65536
                while self.sent < 3_000_000_000 and not self.stop.is_set():
                    out.write(chunk)
                    self.sent += len(chunk)
                return
            status = int(behaviour)
            if 200 <= status < 300:
                self.accepted.append((headers.get("idempotency-key", ""), json.loads(body)))
            extra = b"Location: http://127.0.0.1:9/elsewhere\r\n" if 300 <= status < 400 else b""
            out.write(b"HTTP/1.1 %d X\r\n%sContent-Length: 0\r\n\r\n" % (status, extra))
        except OSError:  # the client gave up (its deadline, or its cap on the answer)
            return

    @contextmanager
    def running(self) -> Iterator[Endpoint]:
        thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            self.server.shutdown()
            self.server.server_close()


def events() -> list[dict]:
    """Two complaints that raise a handful of alerts (at risk, breaches, met late)."""
    out = []
    for cid in ("W-1", "W-2"):
        out += [
            event(cid, "received", "2019-03-04T10:00:00+08:00"),
            event(cid, "acknowledged", "2019-03-07T10:00:00+08:00"),
            event(cid, "decided", "2019-03-27T10:00:00+08:00"),
            event(cid, "result_notified", "2019-03-27T11:00:00+08:00"),
        ]
    return sorted(out, key=lambda e: e["time"])


def monitor(tmp_path: Path, url: str, *extra: str, timeout: str = "1") -> subprocess.CompletedProcess:
    source = write_jsonl(tmp_path / "events.jsonl", events())
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(WEBHOOK_SRC), str(ROOT)]),
        "CPPOLICY_WEBHOOK_URL": url,
        "CPPOLICY_WEBHOOK_TIMEOUT": timeout,
        "CPPOLICY_WEBHOOK_ATTEMPTS": "1",
    }
    env.pop("CPPOLICY_DISABLE_PLUGINS", None)
    args = [sys.executable, "-m", "cppolicy", "monitor", str(source), "--state", str(tmp_path / "s.db")]
    args += [
        "--module",
        "cbrc-2012-13",
        "--allowed-lateness",
        "0",
        "--retry-initial",
        "0.05",
        "--retry-max",
        "0.2",
    ]
    return subprocess.run([*args, *extra], env=env, capture_output=True, text=True, timeout=120)


def stdout_keys(result) -> set[str]:
    return {json.loads(line)["key"] for line in result.stdout.splitlines()}


@pytest.mark.slow
def test_endpoint_failing_then_recovering_gets_every_alert(tmp_path):
    """500, a redirect, a dropped connection, then healthy: every alert is delivered, each with
    its key as Idempotency-Key (before: 0 of 4 were ever redelivered)."""
    with Endpoint(500, 301, "close", 500, 204).running() as endpoint:
        result = monitor(tmp_path, endpoint.url, "--drain-seconds", "20")
    assert result.returncode == 0, result.stderr
    assert len(stdout_keys(result)) >= 6
    assert {key for key, _ in endpoint.accepted} == stdout_keys(result)
    assert all(key == alert["key"] for key, alert in endpoint.accepted)
    warnings = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("cppolicy: warning: alert sink webhook")
    ]
    assert len(warnings) == 4 and "HTTP 500" in warnings[0] and "HTTP 301" in warnings[1]
    assert "failed in cppolicy_handle_alert" not in result.stderr  # each failure reported once
    assert "pending" not in result.stderr.splitlines()[-1]


@pytest.mark.slow
def test_trickling_endpoint_does_not_stall_the_monitor_and_alerts_wait_in_the_outbox(tmp_path):
    """An endpoint answering one byte every 0.2 s hung the monitor for ever (a timeout per
    read never fires). Now each request has a total deadline and ingestion does not wait."""
    with Endpoint("trickle").running() as endpoint:
        started = time.monotonic()
        result = monitor(tmp_path, endpoint.url, "--drain-seconds", "2")
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert len(stdout_keys(result)) >= 6  # the stdout sink got everything meanwhile
    assert endpoint.accepted == [] and elapsed < 40
    assert "no complete answer within 1 s" in result.stderr
    assert "deliveries pending:" in result.stderr.splitlines()[-1] and "for webhook" in result.stderr
    with Endpoint(200).running() as healthy:  # the next run delivers what waited
        again = monitor(tmp_path, healthy.url, "--deliver-only")
    assert again.returncode == 0, again.stderr
    assert {key for key, _ in healthy.accepted} == stdout_keys(result)


@pytest.mark.slow
def test_huge_answer_is_not_read_past_the_cap(tmp_path):
    """A 200 with a 3 GB body drove the monitor past 2 GiB; now at most 64 KiB are read."""
    with Endpoint("huge").running() as endpoint:
        result = monitor(tmp_path, endpoint.url, "--drain-seconds", "10", timeout="5")
        sent = endpoint.sent
    assert result.returncode == 0, result.stderr
    assert {key for key, _ in endpoint.accepted} == stdout_keys(result)
    assert sent < 64 * 2**20 * len(endpoint.accepted)  # socket buffers at most, not 3 GB each
    assert "pending" not in result.stderr.splitlines()[-1]
