"""The plugin contract: every hook documented with its exact signature and exercised here.

Each hook has a ``test_hook_<name>``; ``test_every_hook_is_documented_and_tested`` keeps it so.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from cppolicy.calendar import load_calendar
from cppolicy.errors import CppolicyError, RuleModuleError
from cppolicy.host import Evaluator
from cppolicy.host.monitor import Monitor, ingest_all
from cppolicy.plugin import Plugins, hookimpl, hookspecs
from tests.helpers import Sink, cli, compliant, event, module_2012_path

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("cppolicy_"))


def plugins(*extra):
    return Plugins(extra=list(extra), load_entry_points=False)


def test_every_hook_is_documented_and_tested():
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    tests = (ROOT / "tests" / "test_hooks.py").read_text(encoding="utf-8")
    assert HOOKS, "no hooks found"
    for name in HOOKS:
        spec = getattr(hookspecs, name)
        signature = f"{name}{inspect.signature(spec)}".replace("'", "")
        assert f"`{signature}`" in doc, f"docs/plugins.md must show `{signature}`"
        assert spec.__doc__ and ("first non-None" in spec.__doc__ or "ignored" in spec.__doc__), name
        assert f"def test_hook_{name}(" in tests, f"missing test_hook_{name}"


def test_hooks_follow_the_naming_convention():
    for name in HOOKS:
        assert re.fullmatch(r"cppolicy_[a-z]+_[a-z_]+", name), name


def test_misspelt_hook_fails_loudly():
    class Typo:
        @hookimpl
        def cppolicy_handle_alrt(self, alert):
            pass

    with pytest.raises(CppolicyError, match="cppolicy_handle_alrt"):
        plugins(Typo())


def _renamed_copy(tmp_path):
    copy = tmp_path / "acme-internal" / "1.0.0"
    shutil.copytree(module_2012_path(), copy)
    text = (copy / "module.yaml").read_text(encoding="utf-8")
    (copy / "module.yaml").write_text(text.replace("id: cbrc-2012-13", "id: acme-internal"), encoding="utf-8")
    return copy


def test_hook_cppolicy_register_rule_modules(tmp_path):
    copy = _renamed_copy(tmp_path)

    class Internal:
        @hookimpl
        def cppolicy_register_rule_modules(self, register):
            register(copy)

    loaded = plugins(Internal())
    registered = {(p.path.parent.name, p.plugin) for p in loaded.rule_modules()}
    assert any(name == "acme-internal" and who != "cppolicy.builtin.policies" for name, who in registered)
    assert any(name == "cbrc-2012-13" and who == "cppolicy.builtin.policies" for name, who in registered)
    evaluator = Evaluator(["acme-internal"], plugins=loaded)
    assert [m.id for m in evaluator.modules] == ["acme-internal"]

    class Broken:
        @hookimpl
        def cppolicy_register_rule_modules(self, register):
            register(tmp_path / "nowhere")

    with pytest.raises(RuleModuleError, match="has no module.yaml"):
        plugins(Broken()).rule_modules()


def test_hook_cppolicy_register_policies(tmp_path):
    """The former name still registers, and says it is deprecated."""
    copy = _renamed_copy(tmp_path)

    class Old:
        @hookimpl
        def cppolicy_register_policies(self, register):
            register(copy)

    with pytest.warns(DeprecationWarning, match="cppolicy_register_rule_modules"):
        loaded = plugins(Old())
    assert any(p.path.parent.name == "acme-internal" for p in loaded.rule_modules())


def test_hook_cppolicy_provide_calendar():
    calls = []

    class Frozen:
        @hookimpl
        def cppolicy_provide_calendar(self, name, data_files):
            calls.append(name)
            return load_calendar("cn") if name == "cn" else None

    loaded = plugins(Frozen())
    assert loaded.calendar("cn").version.startswith("cn/")
    assert calls == ["cn"]  # the plugin answered first; the built-in was not asked
    with pytest.raises(CppolicyError, match="no plugin provides a calendar named 'hk'"):
        loaded.calendar("hk")


def test_hook_cppolicy_register_importers(tmp_path):
    def importer(path, options):
        for line in path.read_text().splitlines():
            cid, day = line.split(",")
            yield event(cid, "received", f"{day}T10:00:00+08:00")

    class Lines:
        @hookimpl
        def cppolicy_register_importers(self, register):
            register("lines", importer, "one complaint per line: id,date")

    found = plugins(Lines()).importers()
    assert found["lines"].help == "one complaint per line: id,date"
    source = tmp_path / "in.txt"
    source.write_text("C-1,2025-03-03\n")
    [imported] = list(found["lines"].importer(source, {}))
    assert imported["complaint_id"] == "C-1" and imported["type"] == "received"

    class Clash:
        @hookimpl
        def cppolicy_register_importers(self, register):
            register("lines", importer, "again")

    with pytest.raises(CppolicyError, match="importer 'lines' registered by both"):
        plugins(Lines(), Clash()).importers()


def late_complaint():
    """Received Monday 2019-03-04 (point 九 judges complaints received up to 2020-02-29) and
    decided on 2019-03-27, two working days after its 15th working day, 2019-03-25."""
    return [
        event("C-1", "received", "2019-03-04T10:00:00+08:00"),
        event("C-1", "acknowledged", "2019-03-05T10:00:00+08:00"),
        event("C-1", "decided", "2019-03-27T10:00:00+08:00"),
        event("C-1", "result_notified", "2019-03-27T11:00:00+08:00"),
    ]


def test_hook_cppolicy_mask_payload(tmp_path):
    seen_kinds = []

    class Mask:
        @hookimpl
        def cppolicy_mask_payload(self, payload, kind):
            seen_kinds.append(kind)
            payload["complaint_id"] = "C-***"

    sink = Sink()
    with Monitor(tmp_path / "s.db", Evaluator(plugins=plugins(Mask(), sink))) as live:
        ingest_all(live, late_complaint())
        stored = live.emitted()
    assert sink.alerts and {a.complaint_id for a in sink.alerts} == {"C-***"}
    assert {a["complaint_id"] for a in stored} == {"C-***"}
    # the stored events go through the mask too, but their ids are put back (the engine reads them)
    assert set(seen_kinds) == {"alert", "event"}
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert {json.loads(raw)["complaint_id"] for (raw,) in db.execute("SELECT raw FROM events")} == {"C-1"}


def test_hook_cppolicy_handle_alert(tmp_path):
    sink = Sink()

    class Failing:
        @hookimpl
        def cppolicy_handle_alert(self, alert):
            raise ConnectionError("sink down")

    loaded = plugins(Failing(), sink)
    with Monitor(
        tmp_path / "s.db", Evaluator(plugins=loaded), lateness=timedelta(0), drain_seconds=2
    ) as live:
        ingest_all(live, late_complaint())
    assert [(a.kind, a.code) for a in sink.alerts] == [
        ("breach", "CBRC2012.P9.DECISION_LATE"),
        ("met_late", None),
    ]
    assert {e.plugin for e in loaded.sink_errors} and all(
        isinstance(e.error, ConnectionError) for e in loaded.sink_errors
    )


def test_hook_cppolicy_handle_finding():
    sink = Sink()
    evaluator = Evaluator(plugins=plugins(sink))
    results = evaluator.evaluate(late_complaint() + compliant("C-2", "2019-03-11"), as_of="2019-06-30")
    assert [r.complaint_id for r in results] == ["C-1", "C-2"]
    assert [f.code for f in sink.findings] == ["CBRC2012.P9.DECISION_LATE"]
    assert sink.findings[0] is results[0].findings[0]


@pytest.mark.parametrize("jobs", [1, 2])
def test_hook_cppolicy_handle_finding_receives_every_finding_of_an_audit(jobs):
    """Complaint and archive findings, in report order, whatever --jobs (the example archive)."""
    from cppolicy.audit import audit_archive
    from cppolicy.calendar import parse_moment
    from cppolicy.rules import bundled_module_paths, load_module

    sink = Sink()
    modules = [load_module(p) for p in bundled_module_paths()]
    report = audit_archive(
        [str(ROOT / "examples" / "archive-2024-2025.jsonl.gz")],
        modules,
        load_calendar(),
        parse_moment("2026-01-31T00:00:00+08:00"),
        jobs=jobs,
        plugins=plugins(sink),
    )
    assert [f.to_dict() for f in sink.findings] == [f.to_dict() for f in report.findings]
    assert any(f.complaint_id is None for f in sink.findings)  # archive-scope findings too


def test_a_finding_sink_that_raises_is_one_warning_and_the_audit_completes(tmp_path, monkeypatch):

    import cppolicy.cli.audit as audit_cli
    from tests.helpers import write_jsonl

    class Failing:
        @hookimpl
        def cppolicy_handle_finding(self, finding):
            raise RuntimeError("sink down")

    monkeypatch.setattr(audit_cli, "Plugins", lambda: plugins(Failing()))
    archive = write_jsonl(tmp_path / "a.jsonl", late_complaint())
    result = cli("audit", str(archive), "--as-of", "2019-06-30", "-f", "json")
    assert result.exit_code == 1, result.output
    warnings = [line for line in result.stderr.splitlines() if "finding sink" in line]
    assert len(warnings) == 1 and "sink down" in warnings[0]


def test_hook_cppolicy_record_trail(tmp_path):
    from cppolicy.trail import TrailWriter, canonical_json, verify_trail

    class Records:
        def __init__(self):
            self.records = []

        @hookimpl
        def cppolicy_record_trail(self, record):
            self.records.append(record)

    class MaskIds:
        @hookimpl
        def cppolicy_mask_payload(self, payload, kind):
            if kind == "trail" and "complaint_id" in payload:
                payload["complaint_id"] = "C-***"

    sink = Records()
    loaded = plugins(sink, MaskIds())
    evaluator = Evaluator(plugins=loaded)
    path = tmp_path / "trail.jsonl"
    with TrailWriter(path, loaded) as trail:
        trail.start_run(
            command="test", as_of="2019-06-30", modules=evaluator.modules, calendar=evaluator.calendar.version
        )
        events = late_complaint()
        for result in evaluator.evaluate(events, "2019-06-30"):
            trail.evaluation(result, [e for e in evaluator_events(events)])
        trail.finish_run({"complaints": 1}, 1)
    written = path.read_text(encoding="utf-8").splitlines()
    assert [canonical_json(r) for r in sink.records] == written  # exactly what was appended
    assert [r["type"] for r in sink.records] == ["run_started", "evaluation", "run_finished"]
    assert sink.records[1]["complaint_id"] == "C-***"  # masked before leaving
    assert verify_trail(path).ok


def evaluator_events(events):
    from cppolicy.host import to_event

    return [to_event(e) for e in events]
