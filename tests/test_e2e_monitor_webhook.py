"""Done-when of host integration: a host feeds events through `cppolicy monitor`, the installed
webhook plugin delivers at-risk and breach alerts to its HTTP endpoint, and a restart neither
loses state nor repeats an alert. Real processes, a real HTTP server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import loopback_server

BR = {"id": "BR-SH", "level": "branch", "parent": "HO-001"}


def ev(cid, n, type_, time, **data):
    return {
        "event_id": f"{cid}-{n}",
        "complaint_id": cid,
        "type": type_,
        "time": time,
        "institution": BR,
        "data": data,
    }


# Received Monday 2019-03-04 (2012 notice, point 九: due end of 2019-03-25, the 15th working day).
FIRST = [
    ev("C-1", 1, "received", "2019-03-04T10:00:00+08:00", channel="phone", product="deposit", issue="fees"),
    ev(
        "C-1",
        2,
        "acknowledged",
        "2019-03-04T11:00:00+08:00",
        channel="sms",
        states_acceptance=True,
        states_time_limit=True,
        states_contact=True,
    ),
    ev("C-2", 1, "received", "2019-03-21T09:00:00+08:00", channel="letter", product="deposit", issue="fees"),
]
SECOND = [
    ev(
        "C-2",
        2,
        "acknowledged",
        "2019-03-26T09:00:00+08:00",
        channel="sms",
        states_acceptance=True,
        states_time_limit=True,
        states_contact=True,
    )
]


@pytest.fixture
def server():
    """The webhook endpoint: ``(url, received)`` where ``received`` holds ``(Idempotency-Key, alert)``."""
    with loopback_server(status=204) as (url, posts):
        yield url, _Alerts(posts)


class _Alerts:
    """The alerts posted so far, as (Idempotency-Key, alert) pairs."""

    def __init__(self, posts):
        self.posts = posts

    def __len__(self):
        return len(self.posts)

    def __iter__(self):
        return iter([(headers.get("Idempotency-Key"), json.loads(body)) for headers, body in self.posts])

    def __getitem__(self, index):
        return list(self)[index]


def monitor(tmp_path: Path, server, events: list, state: Path):
    url, received = server
    source = tmp_path / f"batch-{len(received)}-{len(events)}.jsonl"
    source.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n", encoding="utf-8")
    env = {**os.environ, "CPPOLICY_WEBHOOK_URL": url, "CPPOLICY_WEBHOOK_BACKOFF": "0.01"}
    env.pop("CPPOLICY_DISABLE_PLUGINS", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cppolicy",
            "monitor",
            str(source),
            "--state",
            str(state),
            "--policy",
            "cbrc-2012-13",
            "--allowed-lateness",
            "0",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_monitor_delivers_alerts_to_the_webhook_once_across_restarts(tmp_path, server):
    state = tmp_path / "state.db"
    received = server[1]
    first = monitor(tmp_path, server, FIRST, state)
    assert first.returncode == 0, first.stderr
    kinds = [(a["kind"], a["complaint_id"], a["clock"], a["code"]) for _, a in received]
    # By 2019-03-21 C-1's decision has 2 working days left (03-22, 03-25): at risk.
    assert ("at_risk", "C-1", "decision", None) in kinds
    delivered = len(received)
    assert [a for _, a in received] == [json.loads(line) for line in first.stdout.splitlines()]
    assert all(key == alert["key"] for key, alert in received)

    # Restart: the state is reloaded; replaying the first batch emits nothing.
    again = monitor(tmp_path, server, FIRST, state)
    assert again.returncode == 0 and again.stdout == "" and len(received) == delivered

    # New events move the clock past C-1's deadline and C-2's acceptance-notice deadline.
    second = monitor(tmp_path, server, SECOND, state)
    assert second.returncode == 0, second.stderr
    new = [(a["kind"], a["complaint_id"], a["code"]) for _, a in received[delivered:]]
    assert ("breach", "C-1", "CBRC2012.P9.DECISION_OVERDUE") in new
    assert ("breach", "C-2", "CBRC2012.P7.ACK_LATE") in new
    keys = [key for key, _ in received]
    assert len(keys) == len(set(keys))  # nothing delivered twice
