"""One vocabulary for what leaves cppolicy (issue 18, problem 7): alerts cite like findings
(``article`` where the module's findings do), and results, findings and alerts have
``to_dict()`` and a published JSON Schema each under schemas/."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from cppolicy.host import Evaluator
from cppolicy.host.monitor import Monitor, ingest_all
from cppolicy.plugin import Plugins
from tests.helpers import MODULE_2012, event

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("finding", "alert", "complaint-result")


def schema(name: str) -> dict:
    return json.loads((ROOT / "schemas" / name / "v1.json").read_text(encoding="utf-8"))


def validator(name: str) -> Draft202012Validator:
    registry = Registry().with_resources((schema(n)["$id"], Resource.from_contents(schema(n))) for n in NAMES)
    return Draft202012Validator(schema(name), registry=registry)


def article_complaint(cid: str = "A-1") -> list[dict]:
    """Received 2025-03-03 (Order 2020 No. 3 applies: Art. 18, 15 days), decided on day 20."""
    return [
        event(cid, "received", "2025-03-03T10:00:00+08:00"),
        event(cid, "acknowledged", "2025-03-03T11:00:00+08:00"),
        event(cid, "decided", "2025-03-23T10:00:00+08:00"),
        event(cid, "result_notified", "2025-03-23T11:00:00+08:00"),
    ]


def test_alert_citations_use_the_field_the_modules_findings_use(tmp_path):
    """Before: every clock alert cited ``"point": "第十八条"`` where findings cite ``article``."""
    evaluator = Evaluator(["cbirc-2020-3"], plugins=Plugins(load_entry_points=False))
    with Monitor(tmp_path / "s.db", evaluator, lateness=timedelta(0), at_risk_working_days=5) as live:
        alerts = ingest_all(
            live, [event("B-1", "received", "2025-03-12T09:00:00+08:00"), *article_complaint()]
        )
    decision = [a for a in alerts if a.complaint_id == "A-1" and a.clock == "decision"]
    assert {a.kind for a in decision} >= {"at_risk", "breach", "met_late"}
    for alert in decision:
        assert alert.citation.get("article") == "第十八条" and "point" not in alert.citation, alert.kind
    [result] = evaluator.evaluate(article_complaint("A-2"), "2025-03-31T00:00:00+08:00")
    assert all("article" in f.citation and "point" not in f.citation for f in result.findings)

    old_style = Evaluator([MODULE_2012], plugins=Plugins(load_entry_points=False))
    with Monitor(tmp_path / "p.db", old_style, lateness=timedelta(0)) as live:
        points = ingest_all(
            live,
            [
                event("P-1", "received", "2019-03-04T10:00:00+08:00"),
                *[event("P-2", "received", "2019-03-26T10:00:00+08:00")],
            ],
        )
    assert points and all(a.citation.get("point") and "article" not in a.citation for a in points)


@pytest.mark.parametrize("name", NAMES)
def test_published_schemas_are_valid_json_schemas(name):
    Draft202012Validator.check_schema(schema(name))
    assert schema(name)["$id"] == f"https://cppolicy.example/schemas/{name}/v1.json"


def test_results_findings_and_alerts_validate_against_their_schemas(tmp_path):
    evaluator = Evaluator(plugins=Plugins(load_entry_points=False))
    events = article_complaint() + [event("C-1", "received", "2019-03-04T10:00:00+08:00")]
    results = evaluator.evaluate(events, "2025-04-30T00:00:00+08:00")
    assert results and any(r.findings for r in results)
    for result in results:
        data = result.to_dict()
        validator("complaint-result").validate(data)
        assert data["status"] == result.status and len(data["findings"]) == len(result.findings)
        for finding in result.findings:
            validator("finding").validate(finding.to_dict())
    with Monitor(tmp_path / "s.db", evaluator, lateness=timedelta(0)) as live:
        feed = [
            event("C-1", "received", "2019-03-04T10:00:00+08:00"),
            event("C-2", "received", "2019-03-08T09:00:00+08:00"),
            event("C-1", "acknowledged", "2019-03-05T10:00:00+08:00"),
            event("C-3", "received", "2019-03-13T08:00:00+08:00"),
            event("C-2", "acknowledged", "2019-03-13T09:00:00+08:00"),
        ]
        alerts = ingest_all(live, feed)
        emitted = live.emitted()
    assert {"breach", "retracted", "met", "met_late"} <= {a.kind for a in alerts}
    for alert in alerts:
        validator("alert").validate(alert.to_dict())
    for stored in emitted:
        validator("alert").validate(stored)
    bad = {**alerts[0].to_dict(), "point": "九"}
    assert not validator("alert").is_valid(bad)
