"""The live monitor: alerts before and at deadlines, once only, across restarts and disorder."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from cppolicy.calendar import SHANGHAI
from cppolicy.cli import get_app
from cppolicy.host import Evaluator
from cppolicy.host.monitor import Monitor, ingest_all
from cppolicy.plugin import Plugins
from tests.helpers import MODULE_2012, Sink, cli, compliant, event, write_jsonl

#: no allowed lateness: the clock is the latest event time (these tests are about that clock)
NONE = timedelta(0)


@pytest.fixture
def sink():
    return Sink()


@pytest.fixture
def evaluator(sink):
    # The 2012 notice's clocks only: the tests below count its alerts (a 2025 complaint would
    # otherwise also be judged by Order 2020 No. 3 with every registered module).
    return Evaluator([MODULE_2012], plugins=Plugins(extra=[sink], load_entry_points=False))


def timeline():
    """C-1 received Monday 2019-03-04 (before 2020-03-01, so point 九 applies; decision due
    2019-03-25), decided late on 03-27. C-2's events move the event clock forward."""
    return [
        event("C-1", "received", "2019-03-04T10:00:00+08:00"),
        event("C-1", "acknowledged", "2019-03-05T10:00:00+08:00"),
        event("C-2", "received", "2019-03-21T09:00:00+08:00"),  # clock → 03-21: 2 working days left
        event("C-2", "acknowledged", "2019-03-26T09:00:00+08:00"),  # clock → 03-26: C-1 overdue
        event("C-1", "decided", "2019-03-27T10:00:00+08:00"),
        event("C-1", "result_notified", "2019-03-27T11:00:00+08:00"),
    ]


def kinds(alerts, complaint="C-1"):
    return [(a.kind, a.clock, a.code) for a in alerts if a.complaint_id == complaint]


def test_at_risk_then_breach_then_cleared_each_once(tmp_path, evaluator, sink):
    with Monitor(tmp_path / "state.db", evaluator, lateness=NONE) as live:
        alerts = ingest_all(live, timeline())
    assert kinds(alerts) == [
        ("at_risk", "decision", None),
        ("breach", "decision", "CBRC2012.P9.DECISION_OVERDUE"),
        ("breach", "decision", "CBRC2012.P9.DECISION_LATE"),
        ("met_late", "decision", None),
    ]
    at_risk = next(a for a in alerts if a.kind == "at_risk")
    assert at_risk.remaining_working_days == 2 and at_risk.due == "2019-03-26T00:00:00+08:00"
    assert at_risk.citation == {"instrument": "银监发〔2012〕13号", "point": "九"}
    assert [a.key for a in sink.alerts] == [a.key for a in alerts]  # the hook saw exactly these


def test_restart_reloads_state_and_repeats_no_alert(tmp_path, sink):
    state = tmp_path / "state.db"
    events = timeline()
    first = Evaluator([MODULE_2012], plugins=Plugins(extra=[sink], load_entry_points=False))
    with Monitor(state, first, lateness=NONE) as live:
        emitted = ingest_all(live, events[:4])
    assert emitted
    again = Sink()
    second = Evaluator([MODULE_2012], plugins=Plugins(extra=[again], load_entry_points=False))
    with Monitor(state, second, lateness=NONE) as live:
        assert live.now == datetime(2019, 3, 26, 9, 0, tzinfo=SHANGHAI)
        replayed = [live.ingest(e) for e in events[:4]]
        assert {r.status for r in replayed} == {"duplicate"}
        assert live.tick() == []
        rest = ingest_all(live, events[4:])
    assert again.alerts == rest
    assert kinds(rest) == [
        ("breach", "decision", "CBRC2012.P9.DECISION_LATE"),
        ("met_late", "decision", None),
    ]
    with Monitor(state, second, lateness=NONE) as live:
        assert len(live.emitted("C-1")) == 4
        assert {a["institution_id"] for a in live.emitted("C-1")} == {"BR-SH"}


def test_same_event_id_with_other_content_is_a_conflict_not_applied(tmp_path, evaluator):
    events = timeline()
    with Monitor(tmp_path / "s.db", evaluator, lateness=NONE) as live:
        live.ingest(events[0])
        forged = {**events[0], "time": "2019-03-11T10:00:00+08:00"}
        outcome = live.ingest(forged)
        assert outcome.status == "conflict" and outcome.alerts == []
        assert live.counts()["conflicts"] == 1
        stored = live._events("C-1")
        assert [e.time.isoformat() for e in stored] == ["2019-03-04T10:00:00+08:00"]


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_out_of_order_arrival_ends_in_the_same_state(tmp_path, seed):
    """Alerts along the way depend on when the monitor learnt what; the final judgement does not."""
    events = timeline()
    shuffled = events[:]
    random.Random(seed).shuffle(shuffled)
    finals = []
    for n, order in enumerate((events, shuffled)):
        evaluator = Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False))
        with Monitor(tmp_path / f"s{n}.db", evaluator, lateness=NONE) as live:
            ingest_all(live, order)
            [result] = evaluator.evaluate_complaint("C-1", live._events("C-1"), live.now)
            breaches = {a["code"] for a in live.emitted("C-1") if a["kind"] == "breach"}
            finals.append(([f.code for f in result.findings], result.status, live.now))
            assert "CBRC2012.P9.DECISION_LATE" in breaches
    assert finals[0] == finals[1]


def test_wall_clock_ticks_raise_at_risk_and_breach(tmp_path, evaluator):
    with Monitor(tmp_path / "w.db", evaluator, clock="wall") as live:
        live.tick(datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI))
        # The event is later than the wall clock: not yet considered, but looked at once reached.
        assert live.ingest(event("C-9", "received", "2025-03-03T10:00:00+08:00")).alerts == []
        assert live.tick(datetime(2025, 3, 3, 12, 0, tzinfo=SHANGHAI)) == []  # ack due 03-05: 2 days left
        risk = live.tick(datetime(2025, 3, 4, 8, 0, tzinfo=SHANGHAI))  # 1 day left: the last day
        assert kinds(risk, "C-9") == [("at_risk", "acknowledgement", None)]
        assert live.tick(datetime(2025, 3, 4, 12, 0, tzinfo=SHANGHAI)) == []  # nothing new the same day
        late = live.tick(datetime(2025, 3, 6, 0, 0, 1, tzinfo=SHANGHAI))
        assert ("breach", "acknowledgement", "CBRC2012.P7.ACK_MISSING") in kinds(late, "C-9")
        assert live.tick(datetime(2025, 3, 6, 0, 5, tzinfo=SHANGHAI)) == []


def test_cli_monitor_prints_alerts_and_nothing_twice(tmp_path):
    archive = write_jsonl(tmp_path / "events.jsonl", timeline())
    state = tmp_path / "state.db"
    runner = CliRunner()
    first = runner.invoke(
        get_app(), ["monitor", str(archive), "--state", str(state), "--allowed-lateness", "0"]
    )
    assert first.exit_code == 0, first.output
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    assert [(a["kind"], a["code"]) for a in lines if a["complaint_id"] == "C-1"] == [
        ("at_risk", None),
        ("breach", "CBRC2012.P9.DECISION_OVERDUE"),
        ("breach", "CBRC2012.P9.DECISION_LATE"),
        ("met_late", None),
    ]
    second = runner.invoke(
        get_app(), ["monitor", str(archive), "--state", str(state), "--allowed-lateness", "0"]
    )
    assert second.exit_code == 0
    assert second.stdout == ""
    assert "0 conflicts, 0 invalid lines" in second.stderr


def test_cli_monitor_reports_invalid_lines_and_exits_2(tmp_path):
    archive = write_jsonl(tmp_path / "events.jsonl", compliant("C-1"), extra_lines=['{"nope": 1}'])
    result = cli("monitor", str(archive), "--state", str(tmp_path / "s.db"))
    assert result.exit_code == 2
    assert "cppolicy: invalid:" in result.stderr and ":5: " in result.stderr


def test_state_file_that_is_not_sqlite_is_a_one_line_error(tmp_path):
    bad = tmp_path / "state.db"
    bad.write_text("not a database")
    archive = write_jsonl(tmp_path / "events.jsonl", compliant("C-1"))
    result = cli("monitor", str(archive), "--state", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith("cppolicy: error: --state") and len(result.stderr.splitlines()) == 1


def test_cli_monitor_writes_a_trail_that_verifies_across_runs(tmp_path):
    from cppolicy.trail import verify_trail

    events = timeline()
    first = write_jsonl(tmp_path / "a.jsonl", events[:3])
    second = write_jsonl(tmp_path / "b.jsonl", events[3:])
    state, trail = tmp_path / "s.db", tmp_path / "trail.jsonl"
    for archive in (first, second):
        result = cli(
            "monitor", str(archive), "--state", str(state), "--trail", str(trail), "--allowed-lateness", "0"
        )
        assert result.exit_code == 0, result.output
    verified = verify_trail(trail)
    assert verified.ok and verified.runs == 2
    records = [json.loads(line) for line in trail.read_text().splitlines()]
    assert [r["type"] for r in records].count("evaluation") >= len(events)
    verify = cli("trail", "verify", str(trail))
    assert verify.exit_code == 0 and verify.stdout.startswith("ok: ")
