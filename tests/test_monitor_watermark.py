"""The event clock is a watermark with allowed lateness (issue 18, problem 4): no breach before
the watermark passes the deadline, a retraction when late evidence contradicts one, met vs met
late; and the final breaches do not depend on the arrival order."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from cppolicy.host import DEFAULT_LATENESS, Evaluator
from cppolicy.host.monitor import Monitor, ingest_all
from cppolicy.plugin import Plugins
from tests.helpers import MODULE_2012, cli, event, write_jsonl
from tests.test_monitor_crash import feed


def evaluator() -> Evaluator:
    return Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False))


def late_acknowledgement() -> list[dict]:
    """C-1's acknowledgement, made in time (due by the end of 2019-03-06), reaches the monitor
    after C-2's receipt on 2019-03-07 — a day's batch from another branch."""
    return [
        event("C-1", "received", "2019-03-04T10:00:00+08:00"),
        event("C-2", "received", "2019-03-07T09:00:00+08:00"),
        event("C-1", "acknowledged", "2019-03-05T10:00:00+08:00"),
        event("C-2", "acknowledged", "2019-03-08T09:00:00+08:00"),
    ]


def kinds(alerts, complaint="C-1"):
    return [(a.kind, a.clock, a.code) for a in alerts if a.complaint_id == complaint]


def test_without_lateness_late_evidence_retracts_the_breach_it_contradicts(tmp_path):
    with Monitor(tmp_path / "s.db", evaluator(), lateness=timedelta(0)) as live:
        alerts = ingest_all(live, late_acknowledgement())
    assert kinds(alerts) == [
        ("breach", "acknowledgement", "CBRC2012.P7.ACK_MISSING"),
        ("retracted", "acknowledgement", "CBRC2012.P7.ACK_MISSING"),
        ("met", "acknowledgement", None),
    ]
    breach, retracted, _ = [a for a in alerts if a.complaint_id == "C-1"]
    assert retracted.retracts == breach.key and retracted.key != breach.key
    assert retracted.evidence and retracted.to_dict()["retracts"] == breach.key


def test_allowed_lateness_raises_no_breach_for_an_acknowledgement_in_transit(tmp_path):
    with Monitor(tmp_path / "s.db", evaluator()) as live:  # the default: 24 hours
        alerts = ingest_all(live, late_acknowledgement())
        assert live.now == datetime.fromisoformat("2019-03-07T09:00:00+08:00")  # 03-08 09:00 less 24 h
    assert DEFAULT_LATENESS == timedelta(hours=24)
    assert [k for k in kinds(alerts) if k[0] in ("breach", "retracted")] == []
    assert ("met", "acknowledgement", None) in kinds(alerts)  # it had been at risk on its last day


def test_breach_waits_for_the_watermark_to_pass_the_deadline(tmp_path):
    with Monitor(tmp_path / "s.db", evaluator(), lateness=timedelta(hours=12)) as live:
        live.ingest(event("C-1", "received", "2019-03-04T10:00:00+08:00"))
        # latest 03-07 09:00, watermark 03-06 21:00: the ack deadline (end of 03-06) not yet passed
        before = live.ingest(event("C-2", "received", "2019-03-07T09:00:00+08:00")).alerts
        assert [k for k in kinds(before) if k[0] == "breach"] == []
        # latest 03-07 13:00, watermark 03-07 01:00: passed, and no acknowledgement known
        late = live.ingest(event("C-3", "received", "2019-03-07T13:00:00+08:00")).alerts
    assert ("breach", "acknowledgement", "CBRC2012.P7.ACK_MISSING") in kinds(late)


def test_met_late_is_told_apart_from_met(tmp_path):
    events = [
        event("C-1", "received", "2019-03-04T10:00:00+08:00"),
        event("C-2", "received", "2019-03-08T09:00:00+08:00"),
        event("C-1", "acknowledged", "2019-03-08T10:00:00+08:00"),
    ]
    with Monitor(tmp_path / "s.db", evaluator(), lateness=timedelta(0)) as live:
        alerts = ingest_all(live, events)
    assert kinds(alerts)[-1] == ("met_late", "acknowledgement", None)
    assert "late" in alerts[-1].message["en"]


def test_wall_clock_ignores_the_allowed_lateness(tmp_path):
    with Monitor(tmp_path / "s.db", evaluator(), clock="wall", lateness=timedelta(days=3)) as live:
        live.tick(datetime.fromisoformat("2019-03-07T01:00:00+08:00"))
        alerts = live.ingest(event("C-1", "received", "2019-03-04T10:00:00+08:00")).alerts
        assert live.now == datetime.fromisoformat("2019-03-07T01:00:00+08:00")
    assert ("breach", "acknowledgement", "CBRC2012.P7.ACK_MISSING") in kinds(alerts)


def final_breaches(emitted: list[dict]) -> set[tuple[str, str | None]]:
    retracted = {a["retracts"] for a in emitted if a["kind"] == "retracted"}
    return {
        (a["complaint_id"], a["clock"])
        for a in emitted
        if a["kind"] == "breach" and a["key"] not in retracted
    }


@pytest.mark.slow
def test_time_order_file_order_and_shuffled_give_the_audits_breaches(tmp_path):
    """Before: fed complaint by complaint, the event clock raised breaches for acknowledgements
    made in time, never withdrawn. Now: the unretracted breaches are the audit's violations,
    whatever the order; in time order no breach is ever retracted."""
    events = feed(seed=5, complaints=24)
    shuffled = events[:]
    random.Random(18).shuffle(shuffled)
    orders = {
        "time": events,
        "by complaint": sorted(events, key=lambda e: (e["complaint_id"], e["time"])),
        "shuffled": shuffled,
    }
    watermark = max(datetime.fromisoformat(e["time"]) for e in events) - DEFAULT_LATENESS
    archive = write_jsonl(tmp_path / "events.jsonl", events)
    audit = cli("audit", archive, "--as-of", watermark.isoformat(), "--module", MODULE_2012, "-f", "jsonl")
    clocks = {rule.id: (rule.clocks[0] if rule.clocks else None) for rule in evaluator().modules[0].rules}
    findings = [json.loads(line) for line in audit.stdout.splitlines()]
    expected = {(f["complaint_id"], clocks[f["rule_id"]]) for f in findings if f["severity"] == "violation"}
    assert len(expected) > 5
    for name, order in orders.items():
        with Monitor(tmp_path / f"{name}.db", evaluator()) as live:
            ingest_all(live, order)
            assert live.now == watermark
            emitted = live.emitted()
        assert final_breaches(emitted) == expected, name
        if name == "time":
            assert not [a for a in emitted if a["kind"] == "retracted"]


def test_the_watermark_never_goes_back_and_follows_a_shorter_lateness(tmp_path):
    state = tmp_path / "s.db"
    feed_ = late_acknowledgement()
    with Monitor(state, evaluator(), lateness=timedelta(hours=48)) as live:
        ingest_all(live, feed_)
        assert live.now == datetime.fromisoformat("2019-03-06T09:00:00+08:00")
    with Monitor(state, evaluator(), lateness=timedelta(0)) as live:  # opened: latest event time
        assert live.now == datetime.fromisoformat("2019-03-08T09:00:00+08:00")
        live.ingest(event("C-3", "received", "2019-03-07T12:00:00+08:00"))  # older: no step back
        assert live.now == datetime.fromisoformat("2019-03-08T09:00:00+08:00")
    with Monitor(state, evaluator(), lateness=timedelta(days=5)) as live:  # longer: kept
        assert live.now == datetime.fromisoformat("2019-03-08T09:00:00+08:00")


def test_a_feed_sorted_by_complaint_warns_when_breaches_are_retracted(tmp_path):
    """A feed sorted by complaint makes the watermark run ahead: breaches are raised and later
    retracted. The command says so in one warning line, naming the remedy."""
    first = [
        event("C-1", "received", "2019-03-04T10:00:00+08:00"),
        event("C-1", "acknowledged", "2019-03-05T10:00:00+08:00"),
        event("C-1", "decided", "2019-03-27T10:00:00+08:00"),
    ]
    second = [
        event("C-2", "received", "2019-03-04T10:00:00+08:00"),
        event("C-2", "acknowledged", "2019-03-05T10:00:00+08:00"),
    ]
    archive = write_jsonl(tmp_path / "by-complaint.jsonl", first + second)
    result = cli("monitor", archive, "--state", tmp_path / "s.db", "--allowed-lateness", "0")
    assert result.exit_code == 0, result.output
    kinds = [json.loads(line)["kind"] for line in result.stdout.splitlines()]
    assert "retracted" in kinds, kinds
    warnings = [line for line in result.stderr.splitlines() if "retracted by later evidence" in line]
    assert len(warnings) == 1 and "--allowed-lateness" in warnings[0]
