"""Kill -9 at random moments while the monitor feeds (issue 18, problems 1 and 6): after a
restart and a re-feed, the alerts delivered are exactly those of an uninterrupted run, and an
alert delivered twice is the same alert (same idempotency key, same content). Real processes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cppolicy.calendar import SHANGHAI
from tests.helpers import INSTITUTION, write_jsonl

ROOT = Path(__file__).resolve().parent.parent


def feed(seed: int, complaints: int) -> list[dict]:
    """A few hundred events of complaints handled in time, late or not at all, in time order."""
    rng = random.Random(seed)
    events: list[dict] = []
    start = datetime(2019, 3, 4, 9, 0, tzinfo=SHANGHAI)
    for n in range(complaints):
        cid = f"K-{n:03d}"
        received = start + timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 8))
        steps = [("received", received, {"channel": "phone", "product": "credit_card", "issue": "fees"})]
        ack = received + timedelta(days=rng.choice([0, 1, 1, 2, 6]))
        steps.append(
            (
                "acknowledged",
                ack,
                {
                    "channel": "sms",
                    "states_acceptance": True,
                    "states_time_limit": True,
                    "states_contact": True,
                },
            )
        )
        if rng.random() < 0.85:
            decided = received + timedelta(days=rng.choice([5, 10, 18, 20, 26, 30]))
            steps.append(("decided", decided, {"outcome": "upheld", "product_problem_found": False}))
            steps.append(("result_notified", decided + timedelta(hours=2), {"channel": "sms"}))
        for k, (type_, when, data) in enumerate(steps, 1):
            events.append(
                {
                    "event_id": f"{cid}-{k}",
                    "complaint_id": cid,
                    "type": type_,
                    "time": when.isoformat(),
                    "institution": INSTITUTION,
                    "data": data,
                }
            )
    events.sort(key=lambda e: (e["time"], e["event_id"]))
    return events


def command(source: Path, state: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cppolicy",
        "monitor",
        str(source),
        "--state",
        str(state),
        "--module",
        "cbrc-2012-13",
        "--allowed-lateness",
        "0",
        "--drain-seconds",
        "5",
    ]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CPPOLICY_DISABLE_PLUGINS": "1"}


def delivered(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:  # the last line of a killed process may be cut
            continue
    return out


def chaos(
    args: list[str], env: dict[str, str], rng: random.Random, rounds: int = 10
) -> tuple[list[str], int]:
    """Run ``args`` ``rounds`` times, each killed (SIGKILL) at a random moment within 0.4 s
    after it first printed an alert (so while it feeds), unless it ended before; returns what
    each run printed and how many were killed. At most about 45 s in all."""
    outputs: list[str] = []
    kills = 0
    began = time.monotonic()
    for _ in range(rounds):
        process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        lines: list[str] = []
        working = threading.Event()

        def pump(stream=process.stdout, lines=lines, working=working) -> None:
            try:
                for line in stream:
                    lines.append(line)
                    working.set()
            finally:
                working.set()

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        working.wait(60)
        time.sleep(rng.uniform(0.0, 0.4))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        reader.join(timeout=10)
        outputs.append("".join(lines))
        if time.monotonic() - began > 45:
            break
    return outputs, kills


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_no_alert(tmp_path):
    source = write_jsonl(tmp_path / "events.jsonl", feed(seed=18, complaints=200))
    reference = subprocess.run(
        command(source, tmp_path / "ref.db"), env=environment(), capture_output=True, text=True, timeout=120
    )
    assert reference.returncode == 0, reference.stderr
    expected = {a["key"]: a for a in delivered(reference.stdout)}
    assert len(expected) > 20

    outputs, kills = chaos(command(source, tmp_path / "chaos.db"), environment(), random.Random(1818))
    final = subprocess.run(
        command(source, tmp_path / "chaos.db"), env=environment(), capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr
    outputs.append(final.stdout)

    alerts = [a for text in outputs for a in delivered(text)]
    assert kills >= 3
    assert set(a["key"] for a in alerts) == set(expected)  # none lost, none invented
    by_key: dict[str, dict] = {}
    for alert in alerts:  # a duplicate is the same alert again, never a different one
        assert by_key.setdefault(alert["key"], alert) == alert
    assert {k: (a["kind"], a["code"]) for k, a in by_key.items()} == {
        k: (a["kind"], a["code"]) for k, a in expected.items()
    }
