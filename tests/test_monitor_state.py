"""One writer per state, and a state the monitor does not trust refused before anything is sent
(issue 18, problems 5 and 6): one line on stderr, exit 2, nothing on stdout."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from cppolicy.host import Evaluator, StateError
from cppolicy.host.api import to_event
from cppolicy.host.monitor import Monitor, ingest_all
from cppolicy.plugin import Plugins
from cppolicy.trail import event_digest
from tests.helpers import MODULE_2012, Sink, cli, event, write_jsonl

ROOT = Path(__file__).resolve().parent.parent


def late(cid: str = "C-1") -> list[dict]:
    return [
        event(cid, "received", "2019-03-04T10:00:00+08:00"),
        event(cid, "acknowledged", "2019-03-05T10:00:00+08:00"),
        event(cid, "decided", "2019-03-27T10:00:00+08:00"),
    ]


def run(tmp_path: Path, state: Path, *extra: str):
    archive = write_jsonl(tmp_path / "more.jsonl", late("C-9"))
    return cli("monitor", archive, "--state", state, "--allowed-lateness", "0", *extra)


def one_line_error(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""  # nothing delivered
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cppolicy: error: --state "), result.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture
def state(tmp_path) -> Path:
    """A state with alerts still pending for the command's stdout sink."""
    path = tmp_path / "state.db"
    evaluator = Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False))
    with Monitor(path, evaluator, relay=False, drain_seconds=0) as live:
        live.sinks = ["stdout"]
        assert ingest_all(live, late())
    return path


def edit(path: Path, *statements: str) -> None:
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def test_second_monitor_on_the_same_state_refuses_to_start(tmp_path, state):
    evaluator = Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False))
    with Monitor(state, evaluator, drain_seconds=0):
        one_line_error(run(tmp_path, state), "in use by another monitor")
        with pytest.raises(StateError, match="in use"):
            Monitor(state, evaluator)
    assert run(tmp_path, state).exit_code == 0  # the lock goes with the first monitor


@pytest.mark.slow
def test_two_monitor_processes_on_one_state(tmp_path, state):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CPPOLICY_DISABLE_PLUGINS": "1"}
    base = [sys.executable, "-m", "cppolicy", "monitor", "-", "--state", str(state), "--module", MODULE_2012]
    first = subprocess.Popen(
        base, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first.stdin.write(write_jsonl(tmp_path / "a.jsonl", late("C-2")).read_text())
        first.stdin.flush()
        alert = first.stdout.readline()  # the first monitor holds the state: it delivered
        assert alert.startswith("{")
        second = subprocess.run(base, env=env, input="", capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr.splitlines() == [
            f"cppolicy: error: --state {state}: in use by another monitor (one writer per state)"
        ]
    finally:
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    lines = [alert, *out.splitlines()]
    assert len(lines) == len(set(lines))  # nothing delivered twice


def test_damaged_page_is_one_line_before_anything_is_sent(tmp_path, state):
    data = bytearray(state.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[2 * page : 2 * page + 64] = b"\xff" * 64
    state.write_bytes(bytes(data))
    one_line_error(run(tmp_path, state), "damaged")


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("UPDATE meta SET value = '4' WHERE key = 'schema_version'", ("schema version '4'", "expects 3")),
        ("UPDATE meta SET value = 'soon' WHERE key = 'schema_version'", ("schema version 'soon'",)),
        (
            "UPDATE meta SET value = 'yesterday' WHERE key = 'clock'",
            ("meta clock 'yesterday' is not a time",),
        ),
        ("UPDATE meta SET value = 'inf' WHERE key = 'clock'", ("meta clock 'inf' is not a time",)),
    ],
)
def test_foreign_schema_version_or_clock_is_one_line(tmp_path, state, statement, words):
    edit(state, statement)
    one_line_error(run(tmp_path, state), *words)


@pytest.mark.parametrize("key", ["clock", "latest_event"])
@pytest.mark.parametrize("value", ["1e300", "1e20", "253402300800", "-1e15"])
def test_out_of_range_clock_is_one_line_before_anything_is_sent(tmp_path, state, key, value):
    """A finite clock past any datetime (1e300, year 10000) gave an OverflowError or
    ValueError traceback after the state was opened; now it is refused at open."""
    edit(state, f"INSERT OR REPLACE INTO meta (key, value) VALUES ('{key}', '{value}')")
    one_line_error(run(tmp_path, state), f"meta {key} '{value}' is not a time")
    one_line_error(run(tmp_path, state, "--deliver-only"), f"meta {key} '{value}' is not a time")


def test_damaged_event_row_is_one_line_naming_the_row(tmp_path):
    """Bytes overwritten inside a stored event's JSON pass PRAGMA quick_check; re-evaluating
    its complaint crashed with orjson.JSONDecodeError. Now: one line naming the row, exit 2."""
    path = tmp_path / "state.db"
    evaluator = Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False))
    with Monitor(path, evaluator, relay=False, drain_seconds=0) as live:
        ingest_all(live, late()[:2])
    edit(path, 'UPDATE events SET raw = CAST(\'{"event_id": "E\' AS BLOB) WHERE received_seq = 1')
    archive = write_jsonl(tmp_path / "more.jsonl", late()[2:])
    one_line_error(
        cli("monitor", archive, "--state", path, "--allowed-lateness", "0"), "damaged", "event row 1"
    )


def test_damaged_alert_payload_is_one_line_naming_the_row(tmp_path, state):
    edit(state, "UPDATE alerts SET payload = CAST('{\"key\": [' AS BLOB)")
    result = cli("monitor", "--state", state, "--deliver-only")
    one_line_error(result, "damaged", "alert row", "cannot be decoded")


@pytest.mark.parametrize("mode", ["ingest", "deliver-only"])
def test_a_damaged_pending_alert_is_found_before_any_alert_is_sent(tmp_path, state, mode):
    """Only the last pending alert is damaged: the first ones were sent before the error."""
    edit(
        state,
        "UPDATE alerts SET payload = CAST('{\"key\": [' AS BLOB) WHERE seq = (SELECT MAX(seq) FROM alerts)",
    )
    result = run(tmp_path, state) if mode == "ingest" else cli("monitor", "--state", state, "--deliver-only")
    one_line_error(result, "damaged", "alert row", "cannot be decoded")


def test_state_emptied_of_its_alerts_is_refused_unless_init(tmp_path, state):
    """Issue 18 problem 6: a state without its alerts table silently started from scratch, so
    every alert would have been sent again."""
    edit(state, "DROP TABLE deliveries", "DROP TABLE alerts")
    one_line_error(run(tmp_path, state), "no table alerts", "--init")
    again = run(tmp_path, state, "--init")
    assert again.exit_code == 0, again.output
    assert again.stdout  # started over, as asked


def test_state_without_alerts_but_with_delivery_rows_is_refused_even_with_init(tmp_path, state):
    """--init on a state whose alerts table alone was dropped left its delivery rows pending
    for ever (their alerts gone) and did not raise the lost alerts again."""
    edit(state, "DROP TABLE alerts")
    one_line_error(run(tmp_path, state), "no table alerts")
    one_line_error(run(tmp_path, state, "--init"), "no table alerts", "delivery rows")


def test_empty_file_is_refused_unless_init(tmp_path):
    state = tmp_path / "state.db"
    state.write_bytes(b"")
    one_line_error(run(tmp_path, state), "not a monitor state")
    assert run(tmp_path, state, "--init").exit_code == 0


def test_missing_state_file_is_created(tmp_path):
    result = run(tmp_path, tmp_path / "new.db")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new.db").exists()


V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (event_id TEXT PRIMARY KEY, complaint_id TEXT, epoch REAL NOT NULL, raw BLOB NOT NULL,
    received_seq INTEGER NOT NULL);
CREATE TABLE complaints (complaint_id TEXT PRIMARY KEY, next_check REAL, status TEXT);
CREATE TABLE alerts (key TEXT PRIMARY KEY, complaint_id TEXT NOT NULL, kind TEXT NOT NULL, clock TEXT, code TEXT,
    emitted_at TEXT NOT NULL, payload BLOB NOT NULL);
CREATE TABLE conflicts (event_id TEXT NOT NULL, seen_at TEXT NOT NULL, raw BLOB NOT NULL);
"""


def test_a_version_1_state_is_migrated_and_its_alerts_count_as_delivered(tmp_path):
    """A state of the monitor before the outbox (schema version 1): its events and alerts are
    kept, nothing is sent again, and the monitor goes on from it."""
    scratch, old = tmp_path / "scratch.db", tmp_path / "v1.db"
    events = late()
    evaluator = Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False))
    with Monitor(scratch, evaluator, lateness=timedelta(0), relay=False, drain_seconds=0) as live:
        alerts = ingest_all(live, events)
        rows = live.store.db.execute(
            "SELECT event_id, complaint_id, epoch, raw, received_seq FROM events"
        ).fetchall()
        clock = live.store.get_meta("clock")
    assert alerts
    db = sqlite3.connect(old)
    db.executescript(V1_SCHEMA)
    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('clock', ?)", (clock,))
    db.execute("INSERT INTO complaints VALUES ('C-1', NULL, 'violation')")
    for alert in alerts:
        payload = {k: v for k, v in alert.to_dict().items() if k != "retracts"}
        db.execute(
            "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                alert.key,
                alert.complaint_id,
                alert.kind,
                alert.clock,
                alert.code,
                "2026-01-01T00:00:00+08:00",
                json.dumps(payload).encode(),
            ),
        )
    db.commit()
    db.close()
    sink = Sink()
    again = Evaluator([MODULE_2012], plugins=Plugins(extra=[sink], load_entry_points=False))
    with Monitor(old, again, lateness=timedelta(0)) as live:
        assert live.store.get_meta("schema_version") == "3"
        assert [r.status for r in (live.ingest(e) for e in events)] == ["duplicate"] * len(events)
        assert live.counts()["alerts"] == len(alerts)
        assert live.ingest(event("C-1", "result_notified", "2019-03-27T11:00:00+08:00")).status == "new"
    assert sink.alerts == []  # nothing re-sent: the decision's alerts were raised before


def test_a_version_2_state_gets_its_event_digests_and_finds_duplicates_by_them(tmp_path):
    """Schema version 3 stores each event's digest (taken before masking) beside the masked
    event; a version-2 state (events stored as received) is migrated: each digest is computed
    from the stored event, so the same events again are duplicates and a changed one a conflict."""
    state = tmp_path / "v2.db"
    events = [*late()[:2], event("C-1", "registered", "2019-03-04T11:00:00+08:00", handler="张三丰")]
    evaluator = Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False, mask_data=False))
    with Monitor(state, evaluator, lateness=timedelta(0), relay=False, drain_seconds=0) as live:
        ingest_all(live, events)
    edit(
        state,
        "ALTER TABLE events DROP COLUMN digest",
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
    )
    masked = Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False))
    with Monitor(state, masked, lateness=timedelta(0), relay=False, drain_seconds=0) as live:
        assert live.store.get_meta("schema_version") == "3"
        assert [live.ingest(e).status for e in events] == ["duplicate"] * len(events)
        changed = {**events[2], "data": {**events[2]["data"], "handler": "李四"}}
        assert live.ingest(changed).status == "conflict"
        digests = dict(live.store.db.execute("SELECT event_id, digest FROM events").fetchall())
    assert digests == {e["event_id"]: event_digest(to_event(e).raw) for e in events}
