"""The host-facing Python API: no global state, nothing printed, versions side by side."""

from __future__ import annotations

import shutil
import threading

import pytest

import cppolicy
from cppolicy import Evaluator, load_module
from cppolicy.errors import InputError
from tests.helpers import MODULE_2012, event, module_2012_path


def late(cid="C-1"):
    """Received Monday 2019-03-04 (before 2020-03-01, so point 九 applies) and decided on
    Friday 2019-03-22, the 14th working day after receipt (the 15th is Monday 2019-03-25)."""
    return [
        event(cid, "received", "2019-03-04T10:00:00+08:00"),
        event(cid, "acknowledged", "2019-03-05T10:00:00+08:00"),
        event(cid, "decided", "2019-03-22T10:00:00+08:00"),
        event(cid, "result_notified", "2019-03-22T11:00:00+08:00"),
    ]


def test_public_api_is_flat_and_declared():
    for name in cppolicy.__all__:
        assert getattr(cppolicy, name) is not None
    assert "Evaluator" in cppolicy.__all__ and "hookimpl" in cppolicy.__all__


def test_two_module_versions_live_side_by_side(tmp_path):
    # A stricter internal version: 14 working days instead of 15, in its own folder.
    strict = tmp_path / "cbrc-2012-13" / "1.1.0"
    shutil.copytree(module_2012_path(), strict)
    text = (strict / "module.yaml").read_text(encoding="utf-8")
    text = text.replace("version: 1.0.0", "version: 1.1.0").replace(
        "value: {value: 15, unit: working_day}", "value: {value: 14, unit: working_day}"
    )
    (strict / "module.yaml").write_text(text, encoding="utf-8")
    current = Evaluator([f"{MODULE_2012}@1.0.0"])
    stricter = Evaluator([load_module(strict)])
    # decided on 2019-03-22, the 14th working day after 03-04: fine for 15, fine for 14 too;
    # on 2019-03-25 (the 15th) it breaches only the stricter version.
    events = late()
    events[2] = event("C-1", "decided", "2019-03-25T10:00:00+08:00")
    [a] = current.evaluate(events, "2019-06-30")
    [b] = stricter.evaluate(events, "2019-06-30")
    assert a.findings == [] and a.module.version == "1.0.0"
    assert [f.code for f in b.findings] == ["CBRC2012.P9.DECISION_LATE"] and b.module.version == "1.1.0"
    assert a.module.digest != b.module.digest
    # and the first evaluator is unaffected by the second one's existence
    [again] = current.evaluate(events, "2019-06-30")
    assert again.findings == []


def test_api_prints_nothing_and_starts_no_threads(capsys):
    before = threading.active_count()
    evaluator = Evaluator()
    results = evaluator.evaluate(late() + late("C-2"), "2019-06-30")
    assert [r.status for r in results] == ["compliant", "compliant"]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert threading.active_count() == before  # durable_rules' timer threads are switched off


def test_invalid_event_dict_raises_with_path():
    bad = late()
    bad[1] = {**bad[1], "time": "2019-03-05 10:00"}
    with pytest.raises(InputError, match=r"\$\.time"):
        Evaluator().evaluate(bad, "2019-06-30")


def test_naive_as_of_is_refused():
    from datetime import datetime

    with pytest.raises(InputError, match="timezone-aware"):
        Evaluator().evaluate(late(), datetime(2019, 6, 30))


def test_alerts_for_an_open_complaint():
    evaluator = Evaluator()
    open_case = late()[:2]
    # Thursday 2019-03-21 noon: the decision is due by the end of Monday 2019-03-25, and the
    # working days left after the as-of day are Friday 03-22 and Monday 03-25.
    [result] = evaluator.evaluate(open_case, "2019-03-21T12:00:00+08:00")
    alerts = evaluator.alerts(result, "2019-03-21T12:00:00+08:00")
    assert [(a.kind, a.clock, a.remaining_working_days) for a in alerts] == [("at_risk", "decision", 2)]


def test_alerts_given_previous_ones_are_new_only_and_cleared_when_met():
    evaluator = Evaluator()
    events = late()
    [open_result] = evaluator.evaluate(events[:2], "2019-03-21T12:00:00+08:00")
    first = evaluator.alerts(open_result, "2019-03-21T12:00:00+08:00")
    assert evaluator.alerts(open_result, "2019-03-21T12:00:00+08:00", previous=first) == []
    [done] = evaluator.evaluate(events, "2019-03-22T12:00:00+08:00")
    later = evaluator.alerts(done, "2019-03-22T12:00:00+08:00", previous=first)
    assert [(a.kind, a.clock) for a in later] == [("met", "decision")]


def decided_2020_03_24(cid, day):
    return [
        event(cid, "received", f"{day}T10:00:00+08:00"),
        event(cid, "acknowledged", f"{day}T11:00:00+08:00"),
        event(cid, "decided", "2020-03-24T10:00:00+08:00"),
        event(cid, "result_notified", "2020-03-24T11:00:00+08:00"),
    ]


def test_point_nine_is_superseded_for_complaints_received_from_2020_03_01():
    """A complaint received on 2020-02-28 is still judged by point 九 (15 working days); one
    received on 2020-03-02 is not: Order 2020 No. 3 prevails (its Art. 45), and the 2012
    decision clock is not computed. Both are decided on 2020-03-24: after the 15th working day
    after 02-28 (2020-03-20) and after the one after 03-02 (2020-03-23)."""
    from datetime import date

    module = load_module(module_2012_path())
    p9 = [rule for rule in module.rules if rule.citation.get("point") == "九"]
    assert {rule.id for rule in p9} == {
        "p9-decision-late",
        "p9-decision-overdue",
        "p9-extension-notice-late",
        "p9-extension-no-reason",
        "p9-extension-not-notified",
        "p9-extension-beyond-cap",
        "p9-extension-channel",
    }
    for rule in p9:
        assert rule.in_force_on(date(2020, 2, 29)) and not rule.in_force_on(date(2020, 3, 1)), rule.id
        assert "银保监会令2020年第3号" in rule.superseded_by and "第四十五条" in rule.superseded_by
    p9_ids = {rule.id for rule in p9}
    assert all(
        rule.in_force_on(date(2030, 1, 1)) and rule.superseded_by is None
        for rule in module.rules
        if rule.id not in p9_ids
    )
    assert [r.id for r in module.rules_in("complaint", date(2020, 3, 1))] == [
        r.id for r in module.rules_in("complaint") if r.id not in p9_ids
    ]

    events = decided_2020_03_24("C-FEB", "2020-02-28") + decided_2020_03_24("C-MAR", "2020-03-02")
    evaluator = Evaluator([MODULE_2012])
    before, after = evaluator.evaluate(events, "2020-06-30")
    assert (before.complaint_id, after.complaint_id) == ("C-FEB", "C-MAR")
    [late_finding] = before.findings
    assert late_finding.code == "CBRC2012.P9.DECISION_LATE"
    assert late_finding.due == "2020-03-21T00:00:00+08:00"
    decision = next(c for c in before.clocks if c.name == "decision")
    assert decision.describe(evaluator.calendar)["due_date"] == "2020-03-20"
    assert after.findings == [] and after.status == "compliant"
    assert [c.name for c in after.clocks] == [c.name for c in before.clocks if c.name != "decision"]
    assert "decision" in module.clocks  # the clock exists; it is simply not computed for C-MAR
    # With every registered module, the 2020-03-02 complaint is also judged by Order 2020 No. 3
    # (in force from 2020-03-01); the 2020-02-28 one by the 2012 notice alone.
    judged = {}
    for result in Evaluator().evaluate(events, "2020-06-30"):
        judged.setdefault(result.complaint_id, set()).add(result.module.id)
    assert judged["C-FEB"] == {MODULE_2012}
    assert judged["C-MAR"] == {MODULE_2012, "cbirc-2020-3"}


def test_selection_by_receipt_date_applicability_and_newest_version(tmp_path):
    """A complaint is judged by the modules in force on its receipt date that apply to it, one
    version per module id: the newest in force."""
    import shutil

    from cppolicy.evaluation import modules_for

    base = module_2012_path()
    newer = tmp_path / "cbrc-2012-13" / "1.1.0"
    shutil.copytree(base, newer)
    text = (newer / "module.yaml").read_text(encoding="utf-8")
    (newer / "module.yaml").write_text(
        text.replace("version: 1.0.0", "version: 1.1.0").replace(
            'effective_from: "2012-04-03"', 'effective_from: "2019-03-05"'
        ),
        encoding="utf-8",
    )
    old, new = load_module(base), load_module(newer)
    before = [to_event(e) for e in late("C-1")]  # received 2019-03-04
    after = [to_event(e) for e in late("C-2")]
    after[0] = to_event({**late("C-2")[0], "time": "2019-03-06T10:00:00+08:00"})
    assert modules_for([old, new], before) == ([old], None)
    assert modules_for([old, new], after) == ([new], None)
    ancient = [to_event({**late("C-3")[0], "time": "2011-05-05T10:00:00+08:00"})]
    assert modules_for([old, new], ancient) == ([], "no_module_in_force")
    # applies_to: a module for PBoC-forwarded complaints only
    data = dict(
        new.data, applies_to={"field": "forwarded_by.regulator", "in": {"param": "forwarding_regulators"}}
    )
    picky = type(new)(path=new.path, data=data, digest=new.digest, rules=new.rules, clocks=new.clocks)
    assert modules_for([picky], after) == ([], "no_module_applies")


from cppolicy.host import to_event  # noqa: E402
