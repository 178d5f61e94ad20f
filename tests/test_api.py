"""The host-facing Python API: no global state, nothing printed, versions side by side."""

from __future__ import annotations

import shutil
import threading

import pytest

import cppolicy
from cppolicy import Evaluator, load_module
from cppolicy.errors import InputError
from cppolicy.rule_module import bundled_module_paths
from tests.helpers import event


def late(cid="C-1"):
    return [
        event(cid, "received", "2025-03-03T10:00:00+08:00"),
        event(cid, "acknowledged", "2025-03-04T10:00:00+08:00"),
        event(cid, "decided", "2025-03-21T10:00:00+08:00"),
        event(cid, "result_notified", "2025-03-21T11:00:00+08:00"),
    ]


def test_public_api_is_flat_and_declared():
    for name in cppolicy.__all__:
        assert getattr(cppolicy, name) is not None
    assert "Evaluator" in cppolicy.__all__ and "hookimpl" in cppolicy.__all__


def test_two_module_versions_live_side_by_side(tmp_path):
    # A stricter internal version: 14 working days instead of 15, in its own folder.
    strict = tmp_path / "cbrc-2012-13" / "1.1.0"
    shutil.copytree(bundled_module_paths()[0], strict)
    text = (strict / "module.yaml").read_text(encoding="utf-8")
    text = text.replace("version: 1.0.0", "version: 1.1.0").replace(
        "value: {value: 15, unit: working_day}", "value: {value: 14, unit: working_day}")
    (strict / "module.yaml").write_text(text, encoding="utf-8")
    current = Evaluator(["cbrc-2012-13@1.0.0"])
    stricter = Evaluator([load_module(strict)])
    # decided on 2025-03-21, the 14th working day after 03-03: fine for 15, fine for 14 too;
    # on 03-24 (the 15th) it breaches only the stricter version.
    events = late()
    events[2] = event("C-1", "decided", "2025-03-24T10:00:00+08:00")
    [a] = current.evaluate(events, "2025-06-30")
    [b] = stricter.evaluate(events, "2025-06-30")
    assert a.findings == [] and a.module.version == "1.0.0"
    assert [f.code for f in b.findings] == ["CBRC2012.P9.DECISION_LATE"] and b.module.version == "1.1.0"
    assert a.module.digest != b.module.digest
    # and the first evaluator is unaffected by the second one's existence
    [again] = current.evaluate(events, "2025-06-30")
    assert again.findings == []


def test_api_prints_nothing_and_starts_no_threads(capsys):
    before = threading.active_count()
    evaluator = Evaluator()
    results = evaluator.evaluate(late() + late("C-2"), "2025-06-30")
    assert [r.status for r in results] == ["compliant", "compliant"]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert threading.active_count() == before  # durable_rules' timer threads are switched off


def test_invalid_event_dict_raises_with_path():
    bad = late()
    bad[1] = {**bad[1], "time": "2025-03-04 10:00"}
    with pytest.raises(InputError, match=r"\$\.time"):
        Evaluator().evaluate(bad, "2025-06-30")


def test_naive_as_of_is_refused():
    from datetime import datetime

    with pytest.raises(InputError, match="timezone-aware"):
        Evaluator().evaluate(late(), datetime(2025, 6, 30))


def test_alerts_for_an_open_complaint():
    evaluator = Evaluator()
    open_case = late()[:2]
    [result] = evaluator.evaluate(open_case, "2025-03-20T12:00:00+08:00")
    alerts = evaluator.alerts(result, "2025-03-20T12:00:00+08:00")
    assert [(a.kind, a.clock, a.remaining_working_days) for a in alerts] == [("at_risk", "decision", 2)]


def test_alerts_given_previous_ones_are_new_only_and_cleared_when_met():
    evaluator = Evaluator()
    events = late()
    [open_result] = evaluator.evaluate(events[:2], "2025-03-20T12:00:00+08:00")
    first = evaluator.alerts(open_result, "2025-03-20T12:00:00+08:00")
    assert evaluator.alerts(open_result, "2025-03-20T12:00:00+08:00", previous=first) == []
    [done] = evaluator.evaluate(events, "2025-03-21T12:00:00+08:00")
    later = evaluator.alerts(done, "2025-03-21T12:00:00+08:00", previous=first)
    assert [(a.kind, a.clock) for a in later] == [("cleared", "decision")]


def test_selection_by_receipt_date_applicability_and_newest_version(tmp_path):
    """A complaint is judged by the modules in force on its receipt date that apply to it, one
    version per module id: the newest in force."""
    import shutil

    from cppolicy.selection import modules_for

    base = bundled_module_paths()[0]
    newer = tmp_path / "cbrc-2012-13" / "1.1.0"
    shutil.copytree(base, newer)
    text = (newer / "module.yaml").read_text(encoding="utf-8")
    (newer / "module.yaml").write_text(text.replace("version: 1.0.0", "version: 1.1.0").replace(
        'effective_from: "2012-04-03"', 'effective_from: "2025-03-04"'), encoding="utf-8")
    old, new = load_module(base), load_module(newer)
    before = [to_event(e) for e in late("C-1")]            # received 2025-03-03
    after = [to_event(e) for e in late("C-2")]
    after[0] = to_event({**late("C-2")[0], "time": "2025-03-05T10:00:00+08:00"})
    assert modules_for([old, new], before) == ([old], None)
    assert modules_for([old, new], after) == ([new], None)
    ancient = [to_event({**late("C-3")[0], "time": "2011-05-05T10:00:00+08:00"})]
    assert modules_for([old, new], ancient) == ([], "no_module_in_force")
    # applies_to: a module for PBoC-forwarded complaints only
    data = dict(new.data, applies_to={"field": "forwarded_by.regulator", "in": {"param": "forwarding_regulators"}})
    picky = type(new)(path=new.path, data=data, digest=new.digest, rules=new.rules, clocks=new.clocks)
    assert modules_for([picky], after) == ([], "no_module_applies")


from cppolicy.host import to_event  # noqa: E402
from cppolicy.rule_module import bundled_module_paths  # noqa: E402
