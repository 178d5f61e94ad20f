"""A total deadline per request and a cap on the answer read (cppolicy issue 18): a server that
trickles its answer or sends a huge one cannot hold or exhaust the caller."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from cppolicy_webhook import DeadlineExceeded, WebhookConfig, WebhookDeliveryError, deliver, post_once


def serve(answer) -> tuple[str, threading.Event, dict]:
    """A one-connection-at-a-time server on loopback that reads a request and calls ``answer(conn)``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()
    stats = {"sent": 0}

    def run() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                try:
                    answer(conn, stop, stats)
                except OSError:
                    pass
        listener.close()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/hook", stop, stats


def trickle(conn, stop, stats) -> None:
    for byte in b"HTTP/1.1 200 OK\r\n" * 100:
        if stop.wait(0.1):
            return
        conn.sendall(bytes([byte]))


def huge(conn, stop, stats) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3000000000\r\n\r\n")
    chunk = b"\0" * 65536
    while not stop.is_set() and stats["sent"] < 3_000_000_000:
        conn.sendall(chunk)
        stats["sent"] += len(chunk)


def test_a_trickling_answer_is_cut_off_at_the_deadline():
    url, stop, _ = serve(trickle)
    try:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="within 0.5 s"):
            post_once(url, b"{}", {}, 0.5, 65536)
        assert time.monotonic() - started < 3  # a timeout per read (0.5 s) would never fire
        with pytest.raises(WebhookDeliveryError, match="DeadlineExceeded"):
            deliver({}, "k", WebhookConfig(url=url, attempts=1, timeout=0.5))
    finally:
        stop.set()


def test_a_huge_answer_is_read_up_to_the_cap_only():
    url, stop, stats = serve(huge)
    try:
        started = time.monotonic()
        assert deliver({}, "k", WebhookConfig(url=url, attempts=1, timeout=5, max_response=1024)) == 200
        assert time.monotonic() - started < 5
        time.sleep(0.2)
        assert stats["sent"] < 64 * 2**20  # what socket buffers hold, not 3 GB
    finally:
        stop.set()
