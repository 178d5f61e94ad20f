"""Issue 17, problem 13: personal data in event payloads (names, mobile, resident ID and bank
card numbers) must not reach what a person or a sink reads unless masking is turned off
(docs/privacy.md). One test per output; the masking never changes a verdict or a digest."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from cppolicy import Evaluator, hookimpl
from cppolicy.calendar import parse_moment
from cppolicy.host import Monitor, ingest_all, to_event
from cppolicy.host.stored import KeptFields
from cppolicy.plugin import Plugins
from cppolicy.plugin.builtin.masking import mask_numbers, mask_whole
from cppolicy.trail import TrailWriter, event_digest, input_digest, iter_records, verify_trail
from tests.helpers import INSTITUTION, Sink, cli, event, write_jsonl

NAME, PHONE, ID_CARD, CARD = "张三丰", "13812341234", "11010119900307123X", "6222021234567890123"
SECRETS = (NAME, PHONE, ID_CARD, CARD)
MASKED = ("张**", "138****1234", "110101********123X", "6222***********0123")
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "archive-2024-2025.jsonl.gz"


def personal(complaint_id: str = "C-P1") -> list[dict]:
    """A late complaint whose payload names the complainant and gives their numbers."""
    received = event(
        complaint_id,
        "received",
        "2025-03-03T10:00:00+08:00",
        cause=f"客户来电{PHONE}，身份证{ID_CARD}，卡号{CARD}，称被多收年费",
    )
    received["ext"] = {"customer_name": NAME, "mobile": PHONE, "id_card": ID_CARD}
    return [received, event(complaint_id, "registered", "2025-03-03T10:30:00+08:00", handler=NAME)]


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_masking_keeps_what_an_auditor_recognises():
    assert [mask_whole(s) for s in SECRETS] == list(MASKED)
    assert (
        mask_numbers("电话 13912345678，身份证 110101199003071234")
        == "电话 139****5678，身份证 110101********1234"
    )
    assert mask_numbers("卡号 6222 0212 3456 7890") == "卡号 6222 **** **** 7890"
    # dates, times, amounts and short references are not numbers to mask; blank stays blank
    kept = "2025-03-03T10:00:00+08:00 赔偿1000元 TS-C-2019-00001 95555"
    assert mask_numbers(kept) == kept
    assert mask_whole("  ") == "  " and mask_whole("王") == "王*"


def test_quarantined_line_is_masked_in_the_json_report_and_the_quarantine_file(tmp_path):
    broken = (
        f'{{"event_id":"bad","ext":{{"customer_name":"{NAME}"}},"data":{{"cause":"{PHONE} {ID_CARD}"}} oops'
    )
    archive = write_jsonl(tmp_path / "a.jsonl", personal(), [broken])
    quarantine = tmp_path / "q.jsonl"
    result = cli("audit", archive, "--as-of", "2025-04-30", "-f", "json", "--quarantine", quarantine)
    assert result.exit_code == 2, result.output  # a quarantined line: exit 2 (docs/exit-codes.md)
    assert leaked(result.stdout) == [] and leaked(quarantine.read_text(encoding="utf-8")) == []
    [record] = [json.loads(line) for line in quarantine.read_text(encoding="utf-8").splitlines()]
    assert '"customer_name":"张**"' in record["text"] and "138****1234 110101********123X" in record["text"]
    assert json.loads(result.stdout)["quarantined"][0]["text"] == record["text"]

    unmasked = cli(
        "audit", archive, "--as-of", "2025-04-30", "-f", "json", "--quarantine", quarantine, "--no-mask"
    )
    assert leaked(quarantine.read_text(encoding="utf-8")) == [NAME, PHONE, ID_CARD]
    assert json.loads(unmasked.stdout)["quarantined"][0]["text"] == broken


@pytest.mark.parametrize("fmt", ["table", "jsonl", "csv"])
def test_audit_reports_hold_no_personal_data(tmp_path, fmt):
    archive = write_jsonl(tmp_path / "a.jsonl", personal(), [f'{{"x":"{PHONE}"'])
    result = cli("audit", archive, "--as-of", "2025-04-30", "-f", fmt)
    assert result.exit_code == 2 and "1 line(s) quarantined" in result.stderr
    assert leaked(result.output) == []


def test_explain_timeline_shows_names_and_numbers_masked(tmp_path):
    archive = write_jsonl(tmp_path / "a.jsonl", personal())
    text = cli("explain", "C-P1", archive, "--as-of", "2025-04-30")
    assert text.exit_code == 0, text.output
    assert leaked(text.stdout) == [] and "handler=张**" in text.stdout and "138****1234" in text.stdout
    doc = json.loads(cli("explain", "C-P1", archive, "--as-of", "2025-04-30", "-f", "json").stdout)
    assert leaked(json.dumps(doc, ensure_ascii=False)) == []
    unmasked = cli("explain", "C-P1", archive, "--as-of", "2025-04-30", "--no-mask")
    assert f"handler={NAME}" in unmasked.stdout and PHONE in unmasked.stdout
    assert text.stdout.count("[FIRED]") == unmasked.stdout.count("[FIRED]") > 0  # same verdict


def test_validate_error_messages_mask_the_value_they_quote(tmp_path):
    bad = event("C-P2", "registered", "2025-03-03T10:30:00+08:00", handler=int(PHONE))
    archive = write_jsonl(tmp_path / "a.jsonl", [bad])
    for fmt in ("text", "json"):
        result = cli("validate", archive, "-f", fmt)
        assert result.exit_code == 1 and PHONE not in result.stdout and "138****1234" in result.stdout
    assert PHONE in cli("validate", archive, "--no-mask").stdout


def _semiannual_archive(path: Path) -> Path:
    events = personal("C-S1")
    events.append(
        event(
            "C-S1",
            "extended",
            "2025-03-10T10:00:00+08:00",
            reason=f"需联系客户{PHONE}补充材料",
            new_limit={"value": 30, "unit": "calendar_day"},
            notice_channel="sms",
        )
    )
    events.append(
        {
            "event_id": "I-1",
            "type": "complaint_contact_changed",
            "time": "2025-03-05T10:00:00+08:00",
            "institution": INSTITUTION,
            "data": {"change": "contact", "description": f"投诉联系人改为{NAME}，电话{PHONE}"},
        }
    )
    return write_jsonl(path, events)


@pytest.mark.parametrize("fmt", ["markdown", "csv", "html"])
def test_semiannual_report_shows_reasons_and_descriptions_masked(tmp_path, fmt):
    archive = _semiannual_archive(tmp_path / "a.jsonl")
    result = cli("report", "semiannual", archive, "--period", "2025H1", "-f", fmt)
    assert result.exit_code == 0, result.output
    assert PHONE not in result.stdout and "138****1234" in result.stdout
    assert PHONE in cli("report", "semiannual", archive, "--period", "2025H1", "-f", fmt, "--no-mask").stdout


def test_field_list_configuration_masks_the_fields_named(tmp_path, monkeypatch):
    raw = personal()[0]
    raw["ext"]["wx"] = "zhangsan_wx"
    raw["data"]["issue"] = "fees 13912345678"
    shown = Plugins(load_entry_points=False).mask_event(to_event(raw))
    assert shown.raw["ext"]["wx"] == "zhangsan_wx"  # not a personal field by default
    assert shown.data["issue"] == "fees 13912345678"  # not a text field by default
    monkeypatch.setenv("CPPOLICY_MASK_FIELDS", "+ext.wx")
    monkeypatch.setenv("CPPOLICY_MASK_TEXT_FIELDS", "+data.issue")
    shown = Plugins(load_entry_points=False).mask_event(to_event(raw))
    assert shown.raw["ext"]["wx"] == "z**********" and shown.data["issue"] == "fees 139****5678"
    assert shown.raw["ext"]["customer_name"] == "张**"  # "+" adds to the defaults
    only = Plugins(load_entry_points=False, mask_fields=["ext.wx"], mask_text_fields=[]).mask_event(
        to_event(raw)
    )
    assert only.raw["ext"]["customer_name"] == NAME and only.raw["ext"]["wx"] == "z**********"
    assert PHONE in only.data["cause"]
    everything = Plugins(load_entry_points=False, mask_fields=["*"]).mask_event(to_event(raw)).raw
    assert {k: everything[k] for k in ("event_id", "complaint_id", "type", "time")} == {
        k: raw[k] for k in ("event_id", "complaint_id", "type", "time")
    }
    assert everything["institution"] == {**raw["institution"]}  # ids and level: never masked
    assert everything["data"]["channel"] == "p****" and everything["ext"]["mobile"] == "138****1234"
    monkeypatch.setenv("CPPOLICY_NO_MASK", "1")
    assert Plugins(load_entry_points=False).mask_event(to_event(raw)).raw == raw


def test_a_third_party_mask_plugin_sees_events_and_quarantined_lines(tmp_path):
    seen: list[str] = []

    class Mask:
        @hookimpl
        def cppolicy_mask_payload(self, payload, kind):
            seen.append(kind)
            if kind == "event" and "data" in payload:
                payload["data"]["handler"] = "[redacted]"

    plugins = Plugins(load_entry_points=False, extra=[Mask()])
    assert plugins.mask_event(to_event(personal()[1])).data["handler"] == "[redacted]"
    write_jsonl(tmp_path / "a.jsonl", [], ["{"])
    from cppolicy.audit import read_archive

    read_archive([str(tmp_path / "a.jsonl")], mask=plugins.mask_invalid)
    assert seen == ["event", "quarantine"]


def _host_trail(path: Path, plugins: Plugins) -> list:
    """A host's run: the evaluations of the personal complaint and a note of its own."""
    evaluator = Evaluator(plugins=plugins)
    events = [to_event(e) for e in personal()]
    with TrailWriter(path, plugins) as trail:
        trail.start_run(
            command="host", as_of=None, modules=evaluator.modules, calendar=evaluator.calendar.version
        )
        for result in evaluator.evaluate(events, "2025-04-30"):
            trail.evaluation(result, events, parse_moment("2025-04-30"))
        trail.record("host_note", note=f"客户{NAME}来电，号码{PHONE}")
        trail.finish_run({"complaints": 1}, 1)
    return events


def test_trail_records_are_masked_and_the_trail_still_verifies(tmp_path):
    path = tmp_path / "trail.jsonl"
    events = _host_trail(path, Plugins(load_entry_points=False))
    text = path.read_text(encoding="utf-8")
    assert PHONE not in text and "138****1234" in text
    assert verify_trail(path).ok  # the chain is over what was written
    digests = {r["input_digest"] for r in iter_records(path) if r["type"] == "evaluation"}
    assert digests == {input_digest(events)}  # taken over the raw, unmasked events
    unmasked = tmp_path / "unmasked.jsonl"
    events = _host_trail(unmasked, Plugins(load_entry_points=False, mask_data=False))
    assert PHONE in unmasked.read_text(encoding="utf-8") and verify_trail(unmasked).ok
    assert {r["input_digest"] for r in iter_records(unmasked) if r["type"] == "evaluation"} == {
        input_digest(events)
    }


def test_monitor_alerts_conflicts_and_error_lines_hold_no_personal_data(tmp_path):
    sink = Sink()
    state = tmp_path / "state.db"
    plugins = Plugins(load_entry_points=False, extra=[sink])
    events = personal()
    changed = json.loads(json.dumps(events[1]))
    changed["data"]["handler"] = "李四 13912345678"
    with Monitor(state, Evaluator(plugins=plugins)) as live:
        ingest_all(live, [*events, event("C-P1", "closed", "2025-04-30T10:00:00+08:00")])
        assert live.ingest(changed).status == "conflict"
        stored = live.emitted()
    assert sink.alerts and stored
    assert leaked(json.dumps([a.to_dict() for a in sink.alerts], ensure_ascii=False)) == []
    with sqlite3.connect(state) as db:
        [conflict] = [json.loads(raw) for (raw,) in db.execute("SELECT raw FROM conflicts")]
        alerts = " ".join(bytes(p).decode() for (p,) in db.execute("SELECT payload FROM alerts"))
    assert conflict["data"]["handler"] == "李" + "*" * 13 and "13912345678" not in json.dumps(conflict)
    assert leaked(alerts) == []
    with sqlite3.connect(state) as db:  # the events table: masked, each with its digest as received
        rows = db.execute("SELECT event_id, raw, digest FROM events").fetchall()
    assert len(rows) == 3 and leaked(" ".join(bytes(raw).decode() for _, raw, _ in rows)) == []
    digests = {event_id: digest for event_id, _, digest in rows}
    assert all(digests[e["event_id"]] == event_digest(to_event(e).raw) for e in events)
    assert state.stat().st_mode & 0o077 == 0  # owner-only still: an older state's events are whole
    with Monitor(
        tmp_path / "open.db", Evaluator(plugins=Plugins(load_entry_points=False, mask_data=False))
    ) as live:
        ingest_all(live, events)
        live.ingest(changed)
    with sqlite3.connect(tmp_path / "open.db") as db:  # --no-mask: the events as received
        assert NAME in " ".join(bytes(raw).decode() for (raw,) in db.execute("SELECT raw FROM events"))
        assert [json.loads(raw)["data"]["handler"] for (raw,) in db.execute("SELECT raw FROM conflicts")] == [
            "李四 13912345678"
        ]

    bad = event("C-P3", "registered", "2025-03-03T10:30:00+08:00", handler=int(PHONE))
    archive = write_jsonl(tmp_path / "m.jsonl", [bad])  # its error quotes the value
    result = cli("monitor", archive, "--state", tmp_path / "s2.db")
    assert result.exit_code == 2 and PHONE not in result.stderr
    assert PHONE in cli("monitor", archive, "--state", tmp_path / "s3.db", "--no-mask").stderr


def _with_personal_data(path: Path) -> Path:
    """The example archive with a name, a phone and an ID number added to every complaint's receipt."""
    lines = []
    for line in gzip.decompress(EXAMPLE.read_bytes()).decode("utf-8").splitlines():
        doc = json.loads(line)
        if doc.get("type") == "received":
            doc["ext"] = {"customer_name": NAME, "mobile": PHONE}
            doc["data"]["cause"] = f"{doc['data'].get('cause', '')}（{ID_CARD}）"
        if doc.get("type") == "registered":
            doc["data"]["handler"] = NAME
        lines.append(json.dumps(doc, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_masking_changes_no_verdict_on_the_example_archive(tmp_path):
    archive = _with_personal_data(tmp_path / "a.jsonl")
    masked = cli("audit", archive, "--as-of", "2026-01-31T00:00:00+08:00", "-f", "json")
    unmasked = cli("audit", archive, "--as-of", "2026-01-31T00:00:00+08:00", "-f", "json", "--no-mask")
    original = cli("audit", EXAMPLE, "--as-of", "2026-01-31T00:00:00+08:00", "-f", "json")
    assert masked.exit_code == unmasked.exit_code == original.exit_code
    docs = [json.loads(r.stdout) for r in (masked, unmasked, original)]
    for doc in docs:
        doc.pop("quarantined", None)
        doc.get("header", {}).pop("inputs", None)
    assert docs[0]["findings"] and docs[0] == docs[1]
    assert docs[0]["counts"] == docs[2]["counts"] and docs[0]["findings"] == docs[2]["findings"]


class _PersonalImporter:
    @hookimpl
    def cppolicy_register_importers(self, register):
        rows = [
            personal("C-I1")[1],
            event("C-I2", "registered", "2025-03-03T10:30:00+08:00", handler=int(PHONE)),
        ]
        register("personal", lambda path, options: iter(rows), "events with personal data")


def test_import_error_lines_mask_the_value_they_quote_and_its_events_stay_whole(tmp_path, monkeypatch):
    import cppolicy.cli.importer as importer_cli

    def loaded(mask_data=None):
        return Plugins(load_entry_points=False, extra=[_PersonalImporter()], mask_data=mask_data)

    monkeypatch.setattr(importer_cli, "Plugins", loaded)
    source = tmp_path / "in.dat"
    source.write_text("x")
    result = cli("import", "personal", source)
    assert result.exit_code == 2 and "138****1234" in result.stderr and PHONE not in result.stderr
    assert json.loads(result.stdout)["data"]["handler"] == NAME  # the events are data: never masked
    assert PHONE in cli("import", "personal", source, "--no-mask").stderr


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_check_institution_names_no_person_of_the_profile(fmt):
    profile = EXAMPLE.parent / "institution-profile.json"
    people = {"王明", "刘洋", "黄蕾", "010-5555-0100", "010-5555-0101"}
    assert all(p in profile.read_text(encoding="utf-8") for p in people)
    result = cli("check-institution", profile, "-f", fmt)
    assert result.exit_code in (0, 1) and result.stdout
    assert [p for p in people if p in result.output] == []


NAMED_HANDLER_RULE = f"""  - id: test-handler-named
    code: TEST.HANDLER_NAMED
    severity: violation
    citation: {{point: "七", text: "a test rule that reads a personal field by value"}}
    message: {{zh: 测试, en: a handler named {NAME}}}
    when:
      all:
        - e: {{$and: [{{f: event}}, {{type: registered}}, {{handler: "{NAME}"}}]}}
    evidence: [e.id]
"""


def _module_reading_the_handler(tmp_path: Path) -> Path:
    """The 2012 module with one more rule, whose condition compares ``data.handler`` by value."""
    folder = tmp_path / "cbrc-2012-13" / "1.0.0"
    shutil.copytree(ROOT / "policies" / "cbrc-2012-13" / "1.0.0", folder)
    path = folder / "module.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("\ncoverage:\n", "\n" + NAMED_HANDLER_RULE + "coverage:\n", 1), encoding="utf-8"
    )
    return folder


def test_monitor_stored_events_keep_whole_a_field_a_rule_reads(tmp_path):
    """The events table is masked, but never a field a loaded rule module reads: a rule that
    compares ``data.handler`` with a name fires on the stored (masked) events as on the events
    as received, and the handler is kept; the complainant's name and numbers are still masked."""
    folder = _module_reading_the_handler(tmp_path)
    outcomes, events = [], [*personal(), event("C-P1", "closed", "2025-04-30T10:00:00+08:00")]
    for name, mask in (("masked", None), ("whole", False)):
        state = tmp_path / f"{name}.db"
        plugins = Plugins(load_entry_points=False, mask_data=mask)
        with Monitor(state, Evaluator([folder], plugins=plugins), relay=False, drain_seconds=0) as live:
            ingest_all(live, events)
            outcomes.append([(a["key"], a["kind"], a["code"]) for a in live.emitted()])
        with sqlite3.connect(state) as db:
            stored = {i: json.loads(raw) for i, raw in db.execute("SELECT event_id, raw FROM events")}
        registered = next(e for e in stored.values() if e["type"] == "registered")
        assert registered["data"]["handler"] == NAME  # read by the rule: kept whole
        received = next(e for e in stored.values() if e["type"] == "received")
        if mask is None:
            assert leaked(json.dumps(received, ensure_ascii=False)) == []
            assert received["ext"]["customer_name"] == "张**"
    assert ("breach", "TEST.HANDLER_NAMED") in {(kind, code) for _, kind, code in outcomes[0]}
    assert outcomes[0] == outcomes[1]
    with Monitor(  # the bundled module reads no handler: masked
        tmp_path / "bundled.db", Evaluator(plugins=Plugins(load_entry_points=False)), relay=False
    ) as live:
        ingest_all(live, personal())
    with sqlite3.connect(tmp_path / "bundled.db") as db:
        handlers = [
            json.loads(raw).get("data", {}).get("handler") for (raw,) in db.execute("SELECT raw FROM events")
        ]
    assert "张**" in handlers and NAME not in handlers


@pytest.mark.slow
def test_monitor_masked_storage_changes_no_alert_and_no_trail_digest_on_the_example_archive(tmp_path):
    """The monitor over the example archive with personal data added: stored masked (the
    default) or whole (``--no-mask``), the same alerts and the same trail ``input_digest`` and
    ``result_digest`` for every evaluation; the masked state holds no name, phone or ID."""
    archive = _with_personal_data(tmp_path / "a.jsonl")
    runs = {}
    for name, extra in (("masked", ()), ("whole", ("--no-mask",))):
        state, trail = tmp_path / f"{name}.db", tmp_path / f"{name}.jsonl"
        result = cli("monitor", archive, "--state", state, "--trail", trail, *extra)
        assert result.exit_code == 0, result.stderr
        with sqlite3.connect(state) as db:
            alerts = [json.loads(p) for (p,) in db.execute("SELECT payload FROM alerts ORDER BY seq")]
            events = " ".join(bytes(raw).decode() for (raw,) in db.execute("SELECT raw FROM events"))
        digests = [
            (r["complaint_id"], r["module"]["id"], r["as_of"], r["input_digest"], r["result_digest"])
            for r in iter_records(trail)
            if r["type"] == "evaluation"
        ]
        runs[name] = (alerts, digests, events)
    assert runs["masked"][0] and runs["masked"][0] == runs["whole"][0]
    assert runs["masked"][1] and runs["masked"][1] == runs["whole"][1]
    assert leaked(runs["masked"][2]) == [] and NAME in runs["whole"][2] and PHONE in runs["whole"][2]


def test_monitor_stored_events_mask_a_field_rules_test_only_for_presence(tmp_path):
    """``remediation`` and ``findings`` are read only for presence and blankness (``$nex``,
    ``== ""``), which masking keeps: their numbers are masked in the state, and the verdicts are
    those over the events as received. A field read by value is kept only on the event type the
    condition names (a pause's reason, an enumeration, not an extension's free-text reason)."""
    modules = Evaluator(plugins=Plugins(load_entry_points=False)).modules
    kept = KeptFields(modules)
    assert "paused:reason" in kept.names and not kept.reads("extended", "reason")
    assert not {"remediation", "findings", "basis_and_reasons", "handler"} & kept.names
    events = [
        event("C-R1", "received", "2019-03-04T10:00:00+08:00"),
        event("C-R1", "acknowledged", "2019-03-05T10:00:00+08:00"),
        event(
            "C-R1",
            "decided",
            "2019-03-27T10:00:00+08:00",
            product_problem_found=True,
            remediation=f"已退费，联系{PHONE}",
            findings=f"卡号{CARD}多收年费",
        ),
        event("C-R1", "decided", "2019-03-28T10:00:00+08:00", product_problem_found=True, remediation=" "),
        event("C-R1", "closed", "2019-04-30T10:00:00+08:00"),  # moves the watermark past them
    ]
    outcomes = []
    for name, mask in (("masked", None), ("whole", False)):
        plugins = Plugins(load_entry_points=False, mask_data=mask)
        with Monitor(
            tmp_path / f"{name}.db", Evaluator(plugins=plugins), relay=False, drain_seconds=0
        ) as live:
            ingest_all(live, events)
            outcomes.append([(a["key"], a["kind"], a["code"]) for a in live.emitted()])
        with sqlite3.connect(tmp_path / f"{name}.db") as db:
            text = " ".join(bytes(raw).decode() for (raw,) in db.execute("SELECT raw FROM events"))
        assert (leaked(text) == []) == (mask is None)
    assert outcomes[0] == outcomes[1]
    assert "CBRC2012.P8.REMEDIATION_MISSING" in {code for _, _, code in outcomes[0]}  # the blank one
