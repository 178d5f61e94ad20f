"""`cppolicy report semiannual`: the half-yearly statistics report of point 十六."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cppolicy.audit import read_archive
from cppolicy.calendar import SHANGHAI
from cppolicy.errors import InputError
from cppolicy.reports import FORMATS
from cppolicy.reports.semiannual import compute_semiannual, parse_period, report_sections
from cppolicy.rules import bundled_module_paths, load_module
from tests.helpers import cli, event, write_jsonl

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "archive-2024-2025.jsonl.gz"

HO = {"id": "HO", "level": "head_office", "parent": None, "name": "总行"}
BR_SH = {"id": "BR-SH", "level": "branch", "parent": "HO", "name": "上海分行"}
BR_BJ = {"id": "BR-BJ", "level": "branch", "parent": "HO", "name": "北京分行"}
SB_SH = {"id": "SB-SH-1", "level": "sub_branch", "parent": "BR-SH", "name": "浦东支行"}
OT_SH = {"id": "OT-SH-1", "level": "outlet", "parent": "SB-SH-1", "name": "陆家嘴网点"}
PBOC_OFFICE = "中国人民银行上海市分行"
BJ_OFFICE = "国家金融监督管理总局北京监管局"


def at(institution: dict, events: list[dict]) -> list[dict]:
    for e in events:
        e["institution"] = institution
    return events


def handled(
    cid: str,
    received: str,
    decided: str | None,
    *,
    product="credit_card",
    issue="fees",
    channel="phone",
    **received_data,
) -> list[dict]:
    """Received, acknowledged the same hour, decided and notified (when ``decided`` is given)."""
    out = [
        event(
            cid,
            "received",
            f"{received}T10:00:00+08:00",
            product=product,
            issue=issue,
            channel=channel,
            **received_data,
        ),
        event(cid, "acknowledged", f"{received}T11:00:00+08:00"),
    ]
    if decided:
        # with the decision notice's contents (Order 2020 No. 3 Art. 19)
        out += [
            event(
                cid,
                "decided",
                f"{decided}T10:00:00+08:00",
                findings="已核实",
                basis_and_reasons="合同约定",
                remedies_offered=["review", "mediation", "arbitration", "litigation"],
            ),
            event(cid, "result_notified", f"{decided}T11:00:00+08:00"),
        ]
    return out


def institution_event(event_id: str, type_: str, time: str, institution: dict, data: dict) -> dict:
    return {"event_id": event_id, "type": type_, "time": time, "institution": institution, "data": data}


def small_archive() -> list[dict]:
    """Eight complaints received in 2025H1 (C-1 … C-8), two in 2024H2 (C-9, C-13), and three that
    are left out: C-10 (2025H2), C-11 (no received event), C-12 (received after the as-of time)."""
    events = []
    # C-1 within the limit, 1 working day; BR-SH
    events += at(BR_SH, handled("C-1", "2025-03-03", "2025-03-04"))
    # C-2 decided late: limit ends 2025-03-25 (15 calendar days after 2025-03-10), decided 04-01
    events += at(SB_SH, handled("C-2", "2025-03-10", "2025-04-01", channel="app"))
    # C-3 never decided: limit 2025-07-05 passed at the as-of time -> overdue
    events += at(OT_SH, handled("C-3", "2025-06-20", None, product="wealth_management", issue="marketing"))
    # C-4 extended in time to 40 calendar days (2025-08-09) with a head-office senior manager's
    # approval and notice (Order 2020 No. 3 Art. 18's second tier) -> still open; it takes effect
    events += at(
        BR_SH,
        handled("C-4", "2025-06-30", None, issue="interest", channel="online")
        + [
            event(
                "C-4",
                "extended",
                "2025-07-01T09:00:00+08:00",
                reason="需调取交易记录核实",
                new_limit={"value": 40, "unit": "calendar_day"},
                notice_channel="sms",
                approval={"by": "总行副行长", "level": "head_office_senior_manager"},
            )
        ],
    )
    # C-5 withdrawn two days after receipt
    events += at(
        BR_BJ,
        handled("C-5", "2025-04-07", None, product="deposit", issue="service_attitude", channel="letter")
        + [event("C-5", "withdrawn", "2025-04-09T10:00:00+08:00", reason="客户撤诉")],
    )
    # C-6 forwarded by the PBOC (point 十 does not apply), reported back all the same
    events += at(
        BR_SH,
        handled(
            "C-6",
            "2025-02-10",
            "2025-02-11",
            product="mortgage",
            issue="interest",
            channel="other",
            forwarded_by={"regulator": "PBOC", "office": PBOC_OFFICE},
        )
        + [
            event(
                "C-6",
                "reported_to_regulator",
                "2025-02-12T10:00:00+08:00",
                regulator="PBOC",
                office=PBOC_OFFICE,
                contents=[
                    "basic_facts",
                    "dispute_focus",
                    "findings_and_evidence",
                    "basis",
                    "communication",
                    "extension",
                    "satisfaction",
                ],
            )
        ],
    )
    # C-7 forwarded by the Beijing bureau, never reported back (P10.REPORT_BACK_MISSING)
    events += at(
        BR_BJ,
        handled(
            "C-7",
            "2025-02-17",
            "2025-02-18",
            product="mortgage",
            issue="interest",
            channel="letter",
            forwarded_by={"regulator": "NFRA", "office": BJ_OFFICE},
        ),
    )
    # C-8 at the head office: an extension to 30 working days (2025-06-24) needs Order No. 3's second
    # tier, unapproved: it stands as the first tier, 30 calendar days (2025-06-11; cbirc-2020-3@1.1.0,
    # Art. 18 needs no approval up to 30 days), so the decision of 2025-06-05 is in time
    events += at(
        HO,
        handled("C-8", "2025-05-12", "2025-06-05", product="payment")
        + [
            event(
                "C-8",
                "extended",
                "2025-05-20T09:00:00+08:00",
                reason="",
                new_limit={"value": 30, "unit": "working_day"},
                notice_channel="sms",
            )
        ],
    )
    # previous half-year 2024H2 (the first receipt is its first day: fully covered)
    events += at(BR_SH, handled("C-9", "2024-07-01", "2024-07-02"))
    events += at(BR_BJ, handled("C-13", "2024-12-02", "2024-12-03", product="mortgage", issue="interest"))
    # left out
    events += at(BR_SH, handled("C-10", "2025-07-02", "2025-07-03"))
    events += at(BR_SH, [event("C-11", "decided", "2025-03-05T10:00:00+08:00")])
    events += at(BR_SH, handled("C-12", "2025-08-05", None))
    events += [
        institution_event(
            "I-1",
            "complaint_contact_changed",
            "2025-03-15T10:00:00+08:00",
            HO,
            {"change": "channels", "description": "新增在线投诉入口"},
        ),
        institution_event(
            "I-2",
            "complaint_contact_changed",
            "2024-11-15T10:00:00+08:00",
            HO,
            {"change": "rules", "description": "上期变动"},
        ),
        institution_event(
            "I-3",
            "periodic_report_submitted",
            "2025-07-25T10:00:00+08:00",
            HO,
            {"period": "2025H1", "regulator": "NFRA", "office": "国家金融监督管理总局"},
        ),
    ]
    return events


@pytest.fixture(scope="module")
def small_path(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("report") / "small.jsonl", small_archive())


@pytest.fixture(scope="module")
def modules():
    return [load_module(p) for p in bundled_module_paths()]


@pytest.fixture(scope="module")
def small(small_path, modules, calendar):
    return compute_semiannual(read_archive([str(small_path)]), parse_period("2025H1"), modules, calendar)


def section(report, section_id: str) -> dict[str, dict]:
    [found] = [s for s in report_sections(report) if s.id == section_id]
    return {row.key: row.values for row in found.rows}


def values(report, section_id: str, column: str = "value") -> dict:
    return {key: vals[column] for key, vals in section(report, section_id).items()}


# -- periods ------------------------------------------------------------------------------------


def test_period_parsing_and_due_dates():
    h1, h2 = parse_period("2025H1"), parse_period("2025h2")
    assert (h1.start, h1.end, h1.due) == (date(2025, 1, 1), date(2025, 6, 30), date(2025, 7, 30))
    assert (h2.start, h2.end, h2.due) == (date(2025, 7, 1), date(2025, 12, 31), date(2026, 1, 30))
    assert h1.previous.label == "2024H2" and h2.previous.label == "2025H1"
    assert h2.months() == [f"2025-{m:02d}" for m in range(7, 13)]
    for bad in ("2025H3", "2025", "2025-H1", "H1 2025", "25H1", ""):
        with pytest.raises(InputError):
            parse_period(bad)


# -- the small archive: exact numbers per section ---------------------------------------------


def test_header_and_reconciliation(small):
    assert small.as_of == datetime(2025, 7, 31, tzinfo=SHANGHAI)  # end of the due date 2025-07-30
    assert small.total == 8
    assert small.complaint_ids == [f"C-{i}" for i in range(1, 9)]
    assert small.excluded == {
        "no_receipt_event": 1,
        "received_after_as_of": 1,
        "other_period": 3,
        "other_institution": 0,
    }
    assert small.complaints_in_archive == 13 == small.total + sum(small.excluded.values())
    assert small.lines == small.accepted == 48 and small.quarantined == 0
    h = small.handling
    assert (h.within_limit, h.late, h.open, h.overdue, h.withdrawn, h.undetermined, h.not_evaluated) == (
        4,
        1,
        1,
        1,
        1,
        0,
        0,
    )
    assert h.total == small.total
    buffer = io.StringIO()
    FORMATS.render("semiannual", "markdown", small, buffer)
    text = buffer.getvalue()
    assert (
        "8 complaints = 4 decided within the limit + 1 decided late + 1 open + 1 overdue undecided"
        " + 1 withdrawn + 0 undetermined + 0 not evaluated"
    ) in text
    assert "48 events read from 1 file(s) = 48 accepted + 0 quarantined" in text
    assert "2025-07-30" in text and "cbrc-2012-13@1.0.0 sha256:" in text and small.calendar_version in text


def test_counts_by_dimension(small):
    assert values(small, "totals") == {
        "complaints": 8,
        "complainants": 8,
        "major": 0,
        "forwarded": 2,
        "extended": 2,
    }
    assert values(small, "by_product", "count") == {
        "credit_card": 3,
        "mortgage": 2,
        "deposit": 1,
        "payment": 1,
        "wealth_management": 1,
    }
    assert values(small, "by_issue", "count") == {
        "fees": 3,
        "interest": 3,
        "marketing": 1,
        "service_attitude": 1,
    }
    assert values(small, "by_channel", "count") == {
        "phone": 3,
        "letter": 2,
        "app": 1,
        "online": 1,
        "other": 1,
    }
    assert values(small, "by_month", "count") == {
        "2025-01": 0,
        "2025-02": 2,
        "2025-03": 2,
        "2025-04": 1,
        "2025-05": 1,
        "2025-06": 2,
    }
    # roll-up: SB-SH-1 and OT-SH-1 count under BR-SH; the head office's own complaint under HO
    assert values(small, "by_branch", "count") == {"BR-SH": 5, "BR-BJ": 2, "HO": 1}
    assert values(small, "by_institution", "count") == {
        "BR-SH": 3,
        "BR-BJ": 2,
        "HO": 1,
        "OT-SH-1": 1,
        "SB-SH-1": 1,
    }
    assert section(small, "by_institution")["OT-SH-1"]["level"] == "outlet"


def test_handling(small):
    got = values(small, "handling")
    assert got == {
        "decided_within_limit": 4,
        "decided_late": 1,
        "open": 1,
        "overdue_undecided": 1,
        "withdrawn": 1,
        "withdrawn_after_limit": 0,
        "undetermined": 0,
        "not_evaluated": 0,
        "share_within_limit": pytest.approx(0.8),
        # received from 2020-03-01: judged by Order 2020 No. 3 Art. 18, in calendar days
        "judged_by|cbirc-2020-3|calendar_day": 8,
        "average_days|cbirc-2020-3|calendar_day": pytest.approx(9.8),
        "median_days|cbirc-2020-3|calendar_day": 1.0,
    }
    [basis] = small.handling.bases.values()
    assert sorted(basis.days) == [1, 1, 1, 22, 24]  # C-2 10 March → 1 April, C-8 12 May → 5 June


def test_extensions(small):
    assert values(small, "extensions") == {
        "complaints_extended": 2,
        "extension_events": 2,
        "effective": 2,
        "capped": 0,
        "not_effective": 0,
        "unjudged": 0,
    }
    assert values(small, "extension_reasons", "count") == {"需调取交易记录核实": 1, "(none)": 1}


def test_regulator_forwarded(small):
    assert values(small, "forwarded") == {
        "forwarded": 2,
        "point_10_applies": 1,
        "reported_back": 1,
        "reported_back_on_time": 0,
        "with_p10_finding": 1,
        "report_back_pending": 0,
    }
    assert values(small, "forwarded_by_office", "count") == {f"PBOC|{PBOC_OFFICE}": 1, f"NFRA|{BJ_OFFICE}": 1}


def test_findings(small):
    # 2025 receipts: the time limits are Order 2020 No. 3's (calendar days); the 2012 notice's
    # point 十 still applies to the NFRA-forwarded C-7.
    assert dict(small.findings) == {
        ("CBIRC2020.A18.DECISION_LATE", "violation"): 1,  # C-2 (C-8 is in time under the first tier)
        ("CBIRC2020.A18.RESULT_NOTICE_LATE", "violation"): 1,  # C-2
        ("CBIRC2020.A18.DECISION_OVERDUE", "violation"): 1,  # C-3
        ("CBIRC2020.A18.EXTENSION_NOT_APPROVED", "violation"): 1,  # C-8
        ("CBRC2012.P10.REPORT_BACK_MISSING", "violation"): 1,  # C-7
    }
    table = section(small, "findings")
    assert table["(total findings)"]["violation"] == 5 and table["(total findings)"]["warning"] == 0
    assert table["(complaints)"]["violation"] == 4  # C-2, C-3, C-7, C-8


def test_hot_issues_against_previous_half_year(small):
    assert small.previous_coverage == "full"
    got = [(h.product, h.issue, h.count, h.previous, h.change) for h in small.hot_issues]
    assert got == [
        ("credit_card", "fees", 2, 1, 1),
        ("mortgage", "interest", 2, 1, 1),
        ("credit_card", "interest", 1, 0, 1),
        ("deposit", "service_attitude", 1, 0, 1),
        ("payment", "fees", 1, 0, 1),
    ]
    assert small.hot_issues[0].change_share == pytest.approx(1.0)
    assert small.hot_issues[2].change_share is None  # nothing the half-year before


def test_point_16_changes_and_submissions(small):
    assert [e.event_id for e in small.changes] == ["I-1"]  # the 2024 change belongs to 2024H2
    assert [e.event_id for e in small.submissions] == ["I-3"]
    assert section(small, "submissions")["I-3"]["on_time"] == "yes"


def test_previous_half_year_not_covered_is_na(small_path, modules, calendar):
    # 2024H2's previous half-year (2024H1) precedes every receipt in the archive
    report = compute_semiannual(read_archive([str(small_path)]), parse_period("2024H2"), modules, calendar)
    assert report.total == 2 and report.previous_coverage == "none"
    assert all(h.previous is None and h.change is None for h in report.hot_issues)
    buffer = io.StringIO()
    FORMATS.render("semiannual", "markdown", report, buffer)
    assert "| credit_card 信用卡 × fees 收费 | 1 | 1 | n/a | n/a | n/a |" in buffer.getvalue()


def test_institution_scope(small_path, modules, calendar):
    report = compute_semiannual(
        read_archive([str(small_path)]), parse_period("2025H1"), modules, calendar, institution="BR-SH"
    )
    assert report.complaint_ids == ["C-1", "C-2", "C-3", "C-4", "C-6"]
    assert report.excluded["other_institution"] == 3
    assert dict(report.by_branch) == {"BR-SH": 5}
    assert dict(report.by_institution) == {"BR-SH": 3, "SB-SH-1": 1, "OT-SH-1": 1}
    # the previous half-year is counted in the same scope: C-13 (BR-BJ) is not BR-SH's
    assert [(h.product, h.issue, h.previous) for h in report.hot_issues][:2] == [
        ("credit_card", "fees", 1),
        ("credit_card", "interest", 0),
    ]
    # a head-office change applies to the branch; the head office's own submission is not the branch's
    assert [e.event_id for e in report.changes] == ["I-1"] and report.submissions == []
    sub = compute_semiannual(
        read_archive([str(small_path)]), parse_period("2025H1"), modules, calendar, institution="SB-SH-1"
    )
    assert sub.complaint_ids == ["C-2", "C-3"]
    with pytest.raises(InputError, match="does not occur"):
        compute_semiannual(
            read_archive([str(small_path)]), parse_period("2025H1"), modules, calendar, institution="NOPE"
        )


def test_as_of_inside_the_period(small_path, modules, calendar):
    moment = datetime(2025, 3, 5, 0, 0, tzinfo=SHANGHAI)
    report = compute_semiannual(
        read_archive([str(small_path)]), parse_period("2025H1"), modules, calendar, as_of=moment
    )
    assert report.complaint_ids == ["C-1", "C-6", "C-7"]  # C-2 … C-5, C-8 not received yet
    assert report.handling.within_limit == 3
    assert any("not complete" in note for note in report.notes)


# -- the command ---------------------------------------------------------------------------------


def test_cli_formats_on_small_archive(small_path, tmp_path):
    out = tmp_path / "r.csv"
    result = cli("report", "semiannual", small_path, "--period", "2025H1", "--format", "csv", "--output", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "dimension", "key", "value"]
    assert all(len(r) == 4 for r in rows)
    assert ["handling", "value", "decided_late", "1"] in rows
    assert ["handling", "value", "share_within_limit", "0.8000"] in rows
    assert ["hot_issues", "change", "mortgage|interest", "1"] in rows
    assert ["header", "due_date", "", next(r[3] for r in rows if r[1] == "due_date")] in rows
    result = cli("report", "semiannual", small_path, "--period", "2025H1")
    assert result.exit_code == 0 and result.stdout.startswith("# 金融消费者投诉统计分析半年报告")


def test_period_without_complaints_is_a_report_of_zero(small_path):
    result = cli("report", "semiannual", small_path, "--period", "2023H1", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert ["totals", "value", "complaints", "0"] in rows
    assert ["handling", "value", "share_within_limit", "n/a"] in rows
    assert any(r[0] == "notes" and "report of 0 complaints" in r[3] for r in rows)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--period", "2025H3"], "--period: '2025H3' is not a half-year"),
        (["--period", "2025"], "--period"),
        (["--period", "2025H1", "--format", "pdf"], "'pdf' is not one of 'markdown', 'csv', 'html'"),
        (["--period", "2025H1", "--institution", "NOPE"], "--institution: 'NOPE' does not occur"),
        (["--period", "2025H1", "--as-of", "2025-07-30T10:00"], "--as-of"),
    ],
)
def test_usage_errors_are_one_line_exit_2(small_path, args, message):
    result = cli("report", "semiannual", small_path, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cppolicy: error: ") and message in lines[0]


def test_quarantined_lines_still_give_a_report_and_exit_2(tmp_path):
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        handled("C-1", "2025-03-03", "2025-03-04"),
        extra_lines=['{"event_id": "broken"'],
    )
    result = cli("report", "semiannual", path, "--period", "2025H1", "--format", "csv")
    assert result.exit_code == 2
    assert [
        "header",
        "reconciliation_events",
        "",
        "5 events read from 1 file(s) = 4 accepted + 1 quarantined",
    ] in list(csv.reader(io.StringIO(result.stdout)))
    assert "1 invalid line(s)" in result.stderr


# -- the example archive --------------------------------------------------------------------------


def example_receipts() -> dict[str, dict]:
    """complaint id -> its received event, read straight from the gz file."""
    out = {}
    with gzip.open(EXAMPLE, "rt", encoding="utf-8") as lines:
        for line in lines:
            e = json.loads(line)
            if e["type"] == "received":
                out[e["complaint_id"]] = e
    return out


def received_in_2025h1(e: dict) -> bool:
    day = datetime.fromisoformat(e["time"]).astimezone(SHANGHAI).date()
    return date(2025, 1, 1) <= day <= date(2025, 6, 30)


@pytest.fixture(scope="module")
def example_outputs(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("example-report")
    out = {}
    for fmt in FORMATS.names("semiannual"):
        path = folder / f"report.{fmt}"
        result = cli("report", "semiannual", EXAMPLE, "--period", "2025H1", "--format", fmt, "--output", path)
        assert result.exit_code == 0, result.output
        out[fmt] = path.read_text(encoding="utf-8")
    return out


def test_example_totals_match_an_independent_count(example_outputs):
    expected = sum(received_in_2025h1(e) for e in example_receipts().values())
    assert expected > 0
    rows = list(csv.reader(io.StringIO(example_outputs["csv"])))
    assert rows[0] == ["section", "dimension", "key", "value"] and all(len(r) == 4 for r in rows[1:])
    assert ["totals", "value", "complaints", str(expected)] in rows
    by_product = [int(r[3]) for r in rows if r[0] == "by_product" and r[1] == "count"]
    assert sum(by_product) == expected
    for dimension in ("by_issue", "by_channel", "by_month", "by_branch", "by_institution"):
        assert sum(int(r[3]) for r in rows if r[0] == dimension and r[1] == "count") == expected, dimension
    handling = {r[2]: r[3] for r in rows if r[0] == "handling"}
    parts = (
        "decided_within_limit",
        "decided_late",
        "open",
        "overdue_undecided",
        "withdrawn",
        "undetermined",
        "not_evaluated",
    )
    assert sum(int(handling[k]) for k in parts) == expected
    assert f"| 本期受理投诉 complaints received | {expected} |" in example_outputs["markdown"]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.sections, self.in_section = [], [], {}, None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))
        if tag == "section":
            self.in_section = dict(attrs)["id"]
            self.sections[self.in_section] = []
        elif self.in_section:
            self.sections[self.in_section].append(tag)


def test_example_html_is_self_contained(example_outputs):
    page_text = example_outputs["html"]
    page = _Page()
    page.feed(page_text)
    page.close()
    assert page_text.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "zh-CN"}) in page.attrs
    for chart in ("by_product", "by_issue", "by_channel", "by_month", "by_branch"):
        assert page.sections[chart].count("svg") == 1, chart
    assert page.tags.count("svg") == 5
    assert "http://" not in page_text and "https://" not in page_text
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert "@import" not in page_text and "url(" not in page_text
    assert "按产品" in page_text and "By product" in page_text


def test_example_html_escapes_text(small_path, modules, calendar):
    events = at(
        {"id": "BR-<x>", "level": "branch", "parent": "HO", "name": "<b>&\"'"},
        handled("C-X", "2025-03-03", "2025-03-04", product="<script>alert(1)</script>"),
    )
    path = write_jsonl(small_path.parent / "escape.jsonl", events)
    report = compute_semiannual(read_archive([str(path)]), parse_period("2025H1"), modules, calendar)
    assert report.total == 1
    buffer = io.StringIO()
    FORMATS.render("semiannual", "html", report, buffer)
    page = buffer.getvalue()
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "BR-&lt;x&gt;" in page


def test_example_institution_restricts_to_the_branch_and_below(tmp_path):
    receipts = example_receipts()
    parents = {}
    for e in receipts.values():
        parents[e["institution"]["id"]] = e["institution"].get("parent")

    def under_sh(inst):
        while inst:
            if inst == "BR-SH":
                return True
            inst = parents.get(inst)
        return False

    expected = sorted(
        cid for cid, e in receipts.items() if received_in_2025h1(e) and under_sh(e["institution"]["id"])
    )
    assert expected
    result = cli(
        "report", "semiannual", EXAMPLE, "--period", "2025H1", "--institution", "BR-SH", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert ["totals", "value", "complaints", str(len(expected))] in rows
    assert {r[2] for r in rows if r[0] == "by_branch" and r[1] == "count"} == {"BR-SH"}
    assert {r[2] for r in rows if r[0] == "by_institution" and r[1] == "count"} <= {
        "BR-SH",
        "SB-SH-PD",
        "SB-SH-XH",
        "OT-SH-PD-01",
        "OT-SH-XH-01",
    }
    assert sum(int(r[3]) for r in rows if r[0] == "by_product" and r[1] == "count") == len(expected)


def test_example_forwarded_complaints_match_the_manifest(modules, calendar):
    """Reported back on time = NFRA-forwarded, reported back, and no P10 code in the manifest."""
    manifest = json.loads(EXAMPLE.with_name("archive-2024-2025.scenarios.json").read_text(encoding="utf-8"))

    def p10(cid: str) -> bool:
        return any(".P10." in code for code in manifest["complaints"][cid]["expected"]["cbrc-2012-13"])

    receipts = example_receipts()
    types: dict[str, set] = {}
    with gzip.open(EXAMPLE, "rt", encoding="utf-8") as lines:
        for line in lines:
            e = json.loads(line)
            types.setdefault(e.get("complaint_id"), set()).add(e["type"])
    forwarded = [cid for cid, e in receipts.items() if received_in_2025h1(e) and "forwarded_by" in e["data"]]
    on_time = [
        cid
        for cid in forwarded
        if receipts[cid]["data"]["forwarded_by"]["regulator"] in ("CBRC", "CBIRC", "NFRA")
        and "reported_to_regulator" in types[cid]
        and not p10(cid)
    ]
    report = compute_semiannual(
        read_archive([str(EXAMPLE)]),
        parse_period("2025H1"),
        modules,
        calendar,
        as_of=datetime.fromisoformat(manifest["as_of"]),
    )
    fw = report.forwarded
    assert fw.total == len(forwarded) > 0
    assert fw.reported_back == sum("reported_to_regulator" in types[cid] for cid in forwarded)
    assert fw.reported_back_on_time == len(on_time) > 0
    assert fw.with_p10_finding == sum(p10(cid) for cid in forwarded)


def test_forwarded_reported_back_on_time_and_late(tmp_path, modules, calendar):
    office = "国家金融监督管理总局上海监管局"
    forwarded = {"regulator": "NFRA", "office": office}
    events = at(
        BR_SH,
        handled("F-1", "2025-02-10", "2025-02-11", forwarded_by=forwarded)
        + [
            event(
                "F-1", "reported_to_regulator", "2025-02-12T10:00:00+08:00", regulator="NFRA", office=office
            )
        ],
    )
    # decided Tue 2025-02-18; the 5th working day after it is 2025-02-25: reported on the 26th, late
    events += at(
        BR_SH,
        handled("F-2", "2025-02-17", "2025-02-18", forwarded_by=forwarded)
        + [
            event(
                "F-2", "reported_to_regulator", "2025-02-26T10:00:00+08:00", regulator="NFRA", office=office
            )
        ],
    )
    path = write_jsonl(tmp_path / "forwarded.jsonl", events)
    report = compute_semiannual(read_archive([str(path)]), parse_period("2025H1"), modules, calendar)
    fw = report.forwarded
    assert (
        fw.total,
        fw.point_10_applies,
        fw.reported_back,
        fw.reported_back_on_time,
        fw.with_p10_finding,
        fw.report_back_pending,
    ) == (2, 2, 2, 1, 1, 0)
    assert dict(report.findings) == {("CBRC2012.P10.REPORT_BACK_LATE", "violation"): 1}
    assert dict(fw.by_office) == {("NFRA", office): 2}


# -- streamed JSON ------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.tuples(st.booleans(), _json_values), max_size=5))
def test_streamed_json_is_byte_for_byte_what_orjson_writes_in_one_piece(spec):
    import io

    import orjson

    from cppolicy.reports import write_indented_json

    whole = {k: (v if isinstance(v, list) else [v]) if streamed else v for k, (streamed, v) in spec.items()}
    parts = {k: iter(whole[k]) if streamed else whole[k] for k, (streamed, _) in spec.items()}
    out = io.StringIO()
    write_indented_json(out, parts)
    assert out.getvalue() == orjson.dumps(whole, option=orjson.OPT_INDENT_2).decode() + "\n"
