"""The monitor's outbox (issue 18): an event, its evaluation and its alerts commit together; a
relay delivers every alert to every sink until it accepts it, across failures and restarts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from cppolicy.errors import InputError
from cppolicy.host import Backoff, Evaluator
from cppolicy.host.monitor import Monitor, ingest_all
from cppolicy.host.store import SQLiteStore
from cppolicy.plugin import Plugins, hookimpl
from cppolicy.trail import event_digest
from tests.helpers import MODULE_2012, cli, event, write_jsonl

NONE = timedelta(0)
FAST = Backoff(0.01, 0.05)


class Named:
    """A sink with a stable name (the state keys deliveries by sink name) that fails while
    ``down`` is positive (counting down) and keeps what it accepted."""

    def __init__(self, name: str = "collector", down: int = 0) -> None:
        self.__name__ = name
        self.down = down
        self.alerts: list[Any] = []

    @hookimpl
    def cppolicy_handle_alert(self, alert: Any) -> None:
        if self.down:
            self.down -= 1
            raise ConnectionError("sink down")
        self.alerts.append(alert)


def evaluator(*extra: object) -> Evaluator:
    return Evaluator([MODULE_2012], plugins=Plugins(extra=list(extra), load_entry_points=False))


def late_complaint(cid: str = "C-1") -> list[dict]:
    """Received Monday 2019-03-04, decided 2019-03-27, after its due day 2019-03-25."""
    return [
        event(cid, "received", "2019-03-04T10:00:00+08:00"),
        event(cid, "acknowledged", "2019-03-05T10:00:00+08:00"),
        event(cid, "decided", "2019-03-27T10:00:00+08:00"),
        event(cid, "result_notified", "2019-03-27T11:00:00+08:00"),
    ]


def keys(alerts) -> list[str]:
    return [a.key for a in alerts]


def test_crash_between_event_and_evaluation_loses_no_alert(tmp_path):
    """Issue 18 problem 1: the event was committed before its evaluation; a crash between the two
    left it a "duplicate" on the next run, never evaluated, its breach never raised (the code
    before this test: no alert at all after the re-feed). Now both commit together."""
    events = late_complaint()[:3]  # the decision, late, is the last event
    crashing = evaluator()
    calls = {"n": 0}
    original = crashing.evaluate_complaint

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # a kill in the middle of the decision's evaluation
        return original(*args, **kwargs)

    crashing.evaluate_complaint = crash_on_third  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt), Monitor(tmp_path / "s.db", crashing, lateness=NONE) as live:
        ingest_all(live, events)
    sink = Named()
    with Monitor(tmp_path / "s.db", evaluator(sink), lateness=NONE, backoff=FAST) as live:
        assert [live.ingest(e).status for e in events] == ["duplicate", "duplicate", "new"]
    assert [(a.kind, a.code) for a in sink.alerts] == [
        ("breach", "CBRC2012.P9.DECISION_LATE"),
        ("met_late", None),
    ]


def test_restart_evaluates_complaints_with_events_newer_than_their_evaluation(tmp_path):
    events = late_complaint()
    with Monitor(tmp_path / "s.db", evaluator(), lateness=NONE):
        pass
    store = SQLiteStore(tmp_path / "s.db")  # a state as an older monitor left it after a crash
    with store.transaction():
        for e in events:
            raw = json.dumps(e, sort_keys=True, separators=(",", ":")).encode()
            moment = datetime.fromisoformat(e["time"]).timestamp()
            store.add_event(e["event_id"], "C-1", moment, raw, event_digest(e))
        store.set_meta("clock", repr(1553655600.0))  # 2019-03-27T11:00+08:00
    store.close()
    sink = Named()
    with Monitor(tmp_path / "s.db", evaluator(sink), lateness=NONE) as live:
        assert live.counts()["alerts"] == 2
    assert [a.kind for a in sink.alerts] == ["breach", "met_late"]


def test_mask_plugin_that_raises_is_one_line_and_the_alert_stays_pending(tmp_path, capsys):
    """Issue 18 problem 1: a raising mask plugin crashed the monitor after the events were
    committed, and a rerun emitted fewer alerts. Now: reported, ingestion goes on, every alert
    is delivered once the plugin is fixed."""

    class BrokenMask:
        @hookimpl
        def cppolicy_mask_payload(self, payload, kind):
            payload["extra"] = 1
            raise RuntimeError("mask bug\nsecond line")

    reported: list[str] = []
    sink = Named()
    broken = evaluator(BrokenMask(), sink)
    with Monitor(
        tmp_path / "s.db", broken, lateness=NONE, backoff=FAST, drain_seconds=0, report=reported.append
    ) as live:
        alerts = ingest_all(live, late_complaint())
        assert len(alerts) == 2 and live.counts()["events"] == 4
    assert sink.alerts == []
    assert reported and all("\n" not in line and "mask bug" in line for line in reported)
    fixed = Named()
    with Monitor(tmp_path / "s.db", evaluator(fixed), lateness=NONE) as live:
        pass
    assert live.pending_at_close == {}
    assert keys(fixed.alerts) == keys(alerts)
    assert all("extra" not in a.to_dict() for a in fixed.alerts)


def test_failing_sink_is_retried_with_backoff_until_it_takes_every_alert(tmp_path):
    """Issue 18 problem 2: failed deliveries were never retried."""
    flaky, steady = Named("flaky", down=3), Named("steady")
    reported: list[str] = []
    with Monitor(
        tmp_path / "s.db", evaluator(flaky, steady), lateness=NONE, backoff=FAST, report=reported.append
    ) as live:
        alerts = ingest_all(live, late_complaint())
    assert keys(steady.alerts) == keys(alerts)  # in order
    assert sorted(keys(flaky.alerts)) == sorted(keys(alerts))  # a retried one comes later
    assert len(reported) == 3 and all(line.startswith("alert sink flaky failed") for line in reported)


def test_pending_alerts_are_delivered_after_a_restart_and_by_deliver_only(tmp_path):
    down = Named("collector", down=10**6)
    with Monitor(tmp_path / "s.db", evaluator(down), lateness=NONE, backoff=FAST, drain_seconds=0) as live:
        alerts = ingest_all(live, late_complaint())
        assert live.counts()["pending"] == 2
    healthy = Named("collector")
    with Monitor(tmp_path / "s.db", evaluator(healthy), lateness=NONE):
        pass
    assert keys(healthy.alerts) == keys(alerts)
    # the command line: alerts pending for its stdout sink are printed by --deliver-only
    archive = write_jsonl(tmp_path / "e.jsonl", late_complaint("C-2"))
    state = tmp_path / "cli.db"
    with Monitor(state, evaluator(Named("stdout", down=10**6)), lateness=NONE, drain_seconds=0) as live:
        ingest_all(live, [json.loads(line) for line in archive.read_text().splitlines()])
    result = cli("monitor", "--state", state, "--deliver-only")
    assert result.exit_code == 0, result.output
    # oldest first among those due; a delivery that failed more often may come later
    assert sorted(json.loads(line)["kind"] for line in result.stdout.splitlines()) == ["breach", "met_late"]
    assert "2 deliveries made" in result.stderr
    again = cli("monitor", "--state", state, "--deliver-only")
    assert again.exit_code == 0 and again.stdout == ""


def test_ingest_does_not_wait_for_a_slow_sink(tmp_path):
    import threading
    import time

    release = threading.Event()

    class Slow:
        def __init__(self):
            self.__name__ = "slow"

        @hookimpl
        def cppolicy_handle_alert(self, alert):
            release.wait(30)

    with Monitor(tmp_path / "s.db", evaluator(Slow()), lateness=NONE, drain_seconds=0) as live:
        started = time.monotonic()
        alerts = ingest_all(live, late_complaint() + late_complaint("C-2"))
        elapsed = time.monotonic() - started
        release.set()
    assert len(alerts) >= 4 and elapsed < 10  # the sink holds each alert for up to 30 s


def test_a_sink_that_hangs_does_not_keep_the_monitor_from_closing(tmp_path, monkeypatch):
    import threading
    import time

    import cppolicy.host.relay as relay

    monkeypatch.setattr(relay, "GRACE", 0.2)
    release = threading.Event()

    class Hanging:
        def __init__(self):
            self.__name__ = "hanging"

        @hookimpl
        def cppolicy_handle_alert(self, alert):
            release.wait(60)

    reported: list[str] = []
    started = time.monotonic()
    with Monitor(
        tmp_path / "s.db", evaluator(Hanging()), lateness=NONE, drain_seconds=0.5, report=reported.append
    ) as live:
        ingest_all(live, late_complaint())
    assert time.monotonic() - started < 20
    release.set()
    with Monitor(tmp_path / "s.db", evaluator(steady := Named("hanging")), lateness=NONE):
        pass  # what hung stayed pending: delivered now
    assert [a.kind for a in steady.alerts] == ["breach", "met_late"]


@pytest.mark.parametrize("value", ["soon", "-1h", "400d", "nan"])
def test_bad_allowed_lateness_is_one_line(tmp_path, value):
    archive = write_jsonl(tmp_path / "e.jsonl", late_complaint())
    result = cli("monitor", archive, "--state", tmp_path / "s.db", f"--allowed-lateness={value}")
    assert result.exit_code == 2 and result.stdout == ""
    assert (
        result.stderr.startswith("cppolicy: error: --allowed-lateness: ")
        and len(result.stderr.splitlines()) == 1
    )


def test_ingest_returns_and_stores_the_alerts_masked(tmp_path):
    class Mask:
        @hookimpl
        def cppolicy_mask_payload(self, payload, kind):
            payload["complaint_id"] = "C-***"

    sink = Named()
    with Monitor(tmp_path / "s.db", evaluator(Mask(), sink), lateness=NONE) as live:
        alerts = ingest_all(live, late_complaint())
        stored = live.emitted()
    assert {a.complaint_id for a in alerts} == {"C-***"} == {a["complaint_id"] for a in stored}
    assert {a.complaint_id for a in sink.alerts} == {"C-***"} and len(sink.alerts) == 2


@pytest.mark.parametrize("option", [("--retry-initial", "0"), ("--retry-max", "0")])
def test_a_retry_back_off_of_zero_is_refused(tmp_path, option):
    """A back-off of 0 would retry a failing sink in a busy loop, a warning line each time."""
    archive = write_jsonl(tmp_path / "e.jsonl", late_complaint())
    result = cli("monitor", archive, "--state", tmp_path / "s.db", *option)
    assert result.exit_code == 2 and result.stdout == "" and option[0] in result.stderr
    with pytest.raises(InputError):
        Backoff(0.0, 1.0)


def test_an_unconfigured_webhook_is_not_a_delivery_its_alerts_stay_pending(tmp_path, monkeypatch):
    """Without CPPOLICY_WEBHOOK_URL the webhook hook sent nothing and returned, so the relay
    marked every alert delivered ("199 deliveries made"); with the URL set later, nothing was
    sent. Now the unconfigured sink is not used, says so once, and its alerts stay pending."""
    import cppolicy_webhook

    sent: list[str] = []
    monkeypatch.setattr(cppolicy_webhook, "deliver", lambda payload, key, config: sent.append(key))
    monkeypatch.delenv("CPPOLICY_WEBHOOK_URL", raising=False)
    lines: list[str] = []
    state = tmp_path / "s.db"
    with Monitor(
        state, evaluator(cppolicy_webhook), lateness=NONE, drain_seconds=0, report=lines.append
    ) as live:
        alerts = ingest_all(live, late_complaint())
    assert live.pending_at_close == {"cppolicy_webhook": 2}
    assert any("CPPOLICY_WEBHOOK_URL is not set" in line for line in lines), lines
    assert sent == []
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    with Monitor(state, evaluator(cppolicy_webhook), lateness=NONE, drain_seconds=5):
        pass
    assert sorted(sent) == sorted(keys(alerts))


def test_mask_plugin_that_adds_a_key_is_no_traceback_and_the_alert_is_delivered(tmp_path):
    """A mask adding a key to the payload crashed the monitor (Alert.__init__() got an
    unexpected keyword argument) and left the alert pending forever. Now the extra key is
    dropped with one line, and the masked alert is delivered."""

    class AddingMask:
        @hookimpl
        def cppolicy_mask_payload(self, payload, kind):
            payload["masked_by"] = "x"
            payload["complaint_id"] = "***"

    reported: list[str] = []
    sink = Named()
    with Monitor(
        tmp_path / "s.db", evaluator(AddingMask(), sink), lateness=NONE, backoff=FAST, report=reported.append
    ) as live:
        alerts = ingest_all(live, late_complaint())
    assert len(alerts) == 2 and all(a.complaint_id == "***" for a in alerts)
    assert live.pending_at_close == {}
    assert keys(sink.alerts) == keys(alerts) and all(a.complaint_id == "***" for a in sink.alerts)
    assert reported and all("masked_by" in line and "\n" not in line for line in reported)


@pytest.mark.parametrize(
    "option",
    [
        ("--drain-seconds", "1e12"),
        ("--drain-seconds", "1e400"),
        ("--drain-seconds", "nan"),
        ("--retry-initial", "1e400"),
        ("--retry-max", "1e12"),
        ("--retry-initial", "nan"),
    ],
)
@pytest.mark.parametrize("mode", ["ingest", "deliver-only"])
def test_huge_drain_or_retry_seconds_are_one_line(tmp_path, option, mode):
    """--drain-seconds 1e12 or 1e400 gave a traceback (OverflowError in the timers)."""
    archive = write_jsonl(tmp_path / "e.jsonl", late_complaint())
    args = ["--deliver-only"] if mode == "deliver-only" else [archive]
    result = cli("monitor", *args, "--state", tmp_path / "s.db", *option)
    assert result.exit_code == 2 and result.stdout == "", result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cppolicy: error: "), result.stderr
    assert option[0] in lines[0]


@pytest.mark.slow
def test_stdout_closed_by_its_reader_is_one_line_exit_2_and_the_rest_stays_pending(tmp_path):
    """`monitor … | head -1` exited 0 with hundreds of "alert sink stdout failed …
    BrokenPipeError" lines; docs/exit-codes.md promises one line naming standard output, exit 2."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    archive = write_jsonl(tmp_path / "e.jsonl", [e for n in range(60) for e in late_complaint(f"C-{n:03}")])
    state = tmp_path / "s.db"
    env = {**os.environ, "PYTHONPATH": str(root), "CPPOLICY_DISABLE_PLUGINS": "1"}
    command = [sys.executable, "-m", "cppolicy", "monitor", str(archive), "--state", str(state)]
    command += ["--allowed-lateness", "0"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    errors = process.stderr.read()
    assert process.wait(timeout=60) == 2, errors
    assert json.loads(first)["kind"]
    lines = errors.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cppolicy: error: standard output: "), errors
    rest = subprocess.run(
        [sys.executable, "-m", "cppolicy", "monitor", "--deliver-only", "--state", str(state)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rest.returncode == 0, rest.stderr
    assert first not in rest.stdout.splitlines(keepends=True) and rest.stdout  # the rest, not the first again


def test_deliver_only_tries_every_pending_alert_at_once_whatever_its_back_off(tmp_path):
    """Right after a sink recovered, --deliver-only delivered nothing ("0 deliveries made;
    still pending") because the back-off of the last failure had not run out. An operator who
    runs --deliver-only asks to deliver now."""
    state = tmp_path / "s.db"
    slow = Backoff(3600.0, 3600.0)
    down = Named("stdout", down=10**6)
    with Monitor(state, evaluator(down), lateness=NONE, backoff=slow, drain_seconds=1) as live:
        alerts = ingest_all(live, late_complaint())
    assert live.pending_at_close == {"stdout": 2} and down.down < 10**6  # tried once, failed
    result = cli("monitor", "--state", state, "--deliver-only", "--drain-seconds", "5")
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(line)["key"] for line in result.stdout.splitlines()) == sorted(keys(alerts))
    assert "2 deliveries made" in result.stderr and "pending" not in result.stderr
