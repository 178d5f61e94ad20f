"""The csv importer: the shipped example, mappings, timestamps, value maps, and bad rows."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from cppolicy.events import Event, Invalid, RawLine, parse_and_validate
from cppolicy.plugin import Plugins

import cppolicy_csv_import
from cppolicy_csv_import import CsvImportError, MappingError, build_mapping, import_csv, load_mapping

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_CSV = EXAMPLES / "complaints.csv"
EXAMPLE_MAPPING = EXAMPLES / "mapping.yaml"
HEADER = EXAMPLE_CSV.read_text(encoding="utf-8-sig").splitlines()[0].split(",")


def validate(doc: dict) -> Event | Invalid:
    return parse_and_validate(RawLine("test", 1, json.dumps(doc, ensure_ascii=False)))


def mapping_doc() -> dict:
    return yaml.safe_load(EXAMPLE_MAPPING.read_text(encoding="utf-8"))


def row(**cells: str) -> dict[str, str]:
    """A complete, compliant row of the example table, with some cells replaced."""
    # fmt: off
    values = ["C-1", "BR-SH", "上海分行", "分行", "HO-001", "2025-03-03 10:00", "电话", "信用卡", "年费",
              "1", "2025-03-03 15:00", "短信", "是", "是", "是", "2025-03-10 16:00", "支持", "否",
              "2025-03-11 09:30", "短信"]
    # fmt: on
    return {**dict(zip(HEADER, values, strict=True)), **cells}


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    header: list[str] = HEADER,
    encoding: str = "utf-8-sig",
    extra_lines: list[str] = (),
) -> Path:
    lines = [",".join(header)] + [",".join(r.get(h, "") for h in header) for r in rows] + list(extra_lines)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_mapping(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def table(tmp_path):
    """``table(rows, mapping=None)`` → the CsvImport run over a fresh file (example mapping by default)."""

    def run(rows, mapping: dict | None = None, **options):
        csv_path = write_csv(tmp_path / "table.csv", rows)
        mapping_path = write_mapping(tmp_path / "mapping.yaml", mapping) if mapping else EXAMPLE_MAPPING
        return import_csv(csv_path, {"mapping": str(mapping_path), **options})

    return run


# -- the shipped example ----------------------------------------------------------------------------


def test_example_csv_is_utf8_with_bom_and_chinese_headers():
    data = EXAMPLE_CSV.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert HEADER[0] == "投诉编号" and "结果告知方式" in HEADER


def test_example_becomes_events_that_all_validate():
    run = import_csv(EXAMPLE_CSV, {"mapping": str(EXAMPLE_MAPPING)})
    events = list(run)
    assert run.rows == 4 and run.skipped == []
    assert len(events) == 14
    for event in events:
        result = validate(event)
        assert isinstance(result, Event), (event, result)
    assert {e["type"] for e in events} == {"received", "acknowledged", "decided", "result_notified"}
    first = events[0]
    assert first == {
        "event_id": "TS-2025-0001-received",
        "complaint_id": "TS-2025-0001",
        "type": "received",
        "time": "2025-03-03T10:00:00+08:00",
        "institution": {"id": "BR-SH", "level": "branch", "parent": "HO-001", "name": "上海分行"},
        "data": {"channel": "phone", "product": "信用卡", "issue": "年费争议", "complainants": 1},
    }


def test_example_ids_are_deterministic():
    def ids():
        return [e["event_id"] for e in import_csv(EXAMPLE_CSV, {"mapping": str(EXAMPLE_MAPPING)})]

    assert ids() == ids()
    assert ids()[:4] == [
        "TS-2025-0001-received",
        "TS-2025-0001-acknowledged",
        "TS-2025-0001-decided",
        "TS-2025-0001-result_notified",
    ]
    events = list(import_csv(EXAMPLE_CSV, {"mapping": str(EXAMPLE_MAPPING)}))
    assert all(e["event_id"] == f"{e['complaint_id']}-{e['type']}" for e in events)


def test_example_variety():
    events = {e["event_id"]: e for e in import_csv(EXAMPLE_CSV, {"mapping": str(EXAMPLE_MAPPING)})}
    # 2025/3/5 14:05 (slashes, no padding, no offset) gets the default +08:00
    assert events["TS-2025-0002-received"]["time"] == "2025-03-05T14:05:00+08:00"
    assert events["TS-2025-0002-acknowledged"]["data"]["states_contact"] is False
    assert events["TS-2025-0002-result_notified"]["data"]["channel"] == "letter"
    # an explicit offset is kept; a head office has no parent
    assert events["TS-2025-0003-received"]["time"] == "2025-09-26T16:30:00+08:00"
    assert events["TS-2025-0003-received"]["institution"]["parent"] is None
    assert events["TS-2025-0003-received"]["data"]["issue"] == "销售误导,未揭示风险"  # a quoted comma
    # an empty 机构层级 takes the mapping's default level; an open complaint has two events
    assert events["TS-2025-0004-received"]["institution"]["level"] == "branch"
    assert "complainants" not in events["TS-2025-0004-received"]["data"]
    assert not any(k.startswith("TS-2025-0004-decided") for k in events)


def test_the_run_reports_the_row_of_each_event():
    run = import_csv(EXAMPLE_CSV, {"mapping": str(EXAMPLE_MAPPING)})
    rows = [(run.row, e["complaint_id"]) for e in run]  # run.row is read after each event
    assert sorted(set(rows)) == [
        (2, "TS-2025-0001"),
        (3, "TS-2025-0002"),
        (4, "TS-2025-0003"),
        (5, "TS-2025-0004"),
    ]


def test_registered_through_the_hook():
    importers = Plugins(load_entry_points=False, extra=[cppolicy_csv_import]).importers()
    assert importers["csv"].importer is import_csv
    assert "mapping" in importers["csv"].help


# -- encodings --------------------------------------------------------------------------------------


def test_bom_is_optional(table, tmp_path):
    path = write_csv(tmp_path / "nobom.csv", [row()], encoding="utf-8")
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(list(import_csv(path, {"mapping": str(EXAMPLE_MAPPING)}))) == 4


def test_bom_read_as_plain_utf8_is_still_stripped():
    events = list(import_csv(EXAMPLE_CSV, {"mapping": str(EXAMPLE_MAPPING), "encoding": "utf-8"}))
    assert events[0]["complaint_id"] == "TS-2025-0001"


def test_gb18030_needs_the_encoding_option(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", [row()], encoding="gb18030")
    assert len(list(import_csv(path, {"mapping": str(EXAMPLE_MAPPING), "encoding": "gb18030"}))) == 4
    with pytest.raises(CsvImportError, match="gb18030.csv|encoding=gb18030"):
        list(import_csv(path, {"mapping": str(EXAMPLE_MAPPING)}))


def test_semicolon_delimiter_option(tmp_path):
    text = "\r\n".join([";".join(HEADER), ";".join(row().values())]) + "\r\n"
    path = tmp_path / "semi.csv"
    path.write_text(text, encoding="utf-8")
    assert len(list(import_csv(path, {"mapping": str(EXAMPLE_MAPPING), "delimiter": ";"}))) == 4


# -- timestamps -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2025-03-03 10:00", "2025-03-03T10:00:00+08:00"),
        ("2025-03-03 10:00:59", "2025-03-03T10:00:59+08:00"),
        ("2025/3/3 9:05", "2025-03-03T09:05:00+08:00"),
        ("2025-03-03T10:00:00+08:00", "2025-03-03T10:00:00+08:00"),
        ("2025-03-03T02:00:00Z", "2025-03-03T02:00:00+00:00"),
        ("2025-03-03T10:00:00+0530", "2025-03-03T10:00:00+05:30"),
    ],
)
def test_timestamp_formats(table, cell, expected):
    [received, *_] = list(table([row(接收时间=cell)]))
    assert received["time"] == expected
    assert isinstance(validate(received), Event)


def test_default_offset_is_configurable(table):
    doc = mapping_doc()
    doc["timestamps"]["default_offset"] = "+00:00"
    [received, *_] = list(table([row()], doc))
    assert received["time"] == "2025-03-03T10:00:00+00:00"


def test_bad_timestamp_row_is_skipped_and_reported(table):
    run = table([row(投诉编号="C-1"), row(投诉编号="C-2", 办结时间="2025-13-40 10:00"), row(投诉编号="C-3")])
    events = list(run)
    assert {e["complaint_id"] for e in events} == {"C-1", "C-3"}  # nothing at all from C-2
    assert run.rows == 3
    [problem] = run.skipped
    assert problem.row == 3 and problem.column == "办结时间"
    assert problem.reason.startswith(
        "column 办结时间: '2025-13-40 10:00' is not a date-time in any of the formats"
    )


def test_every_problem_of_a_row_is_reported(table):
    run = table([row(接收时间="yesterday", 渠道="传真", 告知受理="maybe")])
    assert list(run) == []
    assert [(p.row, p.column) for p in run.skipped] == [(2, "接收时间"), (2, "渠道"), (2, "告知受理")]
    assert "'传真' is not in value map 'channel' (电话, 短信" in run.skipped[1].reason
    assert "'maybe' is neither true" in run.skipped[2].reason


# -- value maps, booleans, institution --------------------------------------------------------------


def test_channel_map_and_schema_values_pass(table):
    events = list(table([row(渠道="信函", 告知方式="邮件", 结果告知方式="sms")]))
    channels = [e["data"]["channel"] for e in events if "channel" in e.get("data", {})]
    assert channels == ["letter", "email", "sms"]


@pytest.mark.parametrize(
    ("cell", "value"),
    [("是", True), ("否", False), ("Y", True), ("n", False), ("TRUE", True), ("0", False), ("√", True)],
)
def test_booleans(table, cell, value):
    events = list(table([row(告知时限=cell)]))
    assert events[1]["data"]["states_time_limit"] is value


def test_custom_boolean_words(table):
    doc = mapping_doc()
    doc["booleans"] = {"true": ["已告知"], "false": ["未告知"]}
    events = list(
        table([row(告知受理="已告知", 告知时限="未告知", 告知联系方式="已告知", 发现产品问题="未告知")], doc)
    )
    assert events[1]["data"]["states_time_limit"] is False
    run = table([row(告知受理="是")], doc)
    assert list(run) == [] and run.skipped[0].column == "告知受理"


def test_default_institution_level_and_level_map(table):
    events = list(table([row(机构层级=""), row(投诉编号="C-2", 机构层级="网点", 上级机构="SB-1")]))
    assert events[0]["institution"]["level"] == "branch"
    assert events[-1]["institution"] == {
        "id": "BR-SH",
        "level": "outlet",
        "parent": "SB-1",
        "name": "上海分行",
    }


def test_branch_without_parent_is_a_problem_head_office_is_not(table):
    run = table([row(上级机构=""), row(投诉编号="C-2", 机构层级="总行", 上级机构="")])
    events = list(run)
    assert {e["complaint_id"] for e in events} == {"C-2"}
    assert events[0]["institution"]["parent"] is None
    [problem] = run.skipped
    assert (
        problem.row == 2
        and problem.column == "上级机构"
        and "branch institution needs its parent" in problem.reason
    )


# -- rows that cannot be read ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"投诉编号": ""}, "投诉编号", "every row needs a complaint id"),
        ({"投诉编号": "C 1"}, "投诉编号", "contains whitespace"),
        ({"受理机构": ""}, "受理机构", "institution's id"),
        ({"接收时间": ""}, "接收时间", "every complaint needs its received time"),
        ({"办结时间": ""}, "处理结果", "filled, but 办结时间 (the time of decided) is empty"),
        ({"告知方式": ""}, "告知方式", "empty, but acknowledged needs data.channel"),
        ({"投诉人数": "两人"}, "投诉人数", "'两人' is not a whole number"),
        ({"处理结果": "驳回"}, "处理结果", "'驳回' is not in value map 'outcome'"),
    ],
)
def test_bad_rows(table, cells, column, words):
    run = table([row(**cells), row(投诉编号="C-OK")])
    assert {e["complaint_id"] for e in run} == {"C-OK"}
    assert run.skipped[0].row == 2 and run.skipped[0].column == column, run.skipped
    assert words in run.skipped[0].reason


def test_duplicate_complaint_id(table):
    run = table([row(), row()])
    assert len(list(run)) == 4
    [problem] = run.skipped
    assert problem.row == 3 and problem.reason == "column 投诉编号: complaint 'C-1' is already on row 2"


def test_extra_cells_would_lose_data(tmp_path):
    path = write_csv(
        tmp_path / "t.csv", [row()], extra_lines=[",".join(row(投诉编号="C-2").values()) + ",多余"]
    )
    run = import_csv(path, {"mapping": str(EXAMPLE_MAPPING)})
    assert len(list(run)) == 4
    [problem] = run.skipped
    assert problem.row == 3 and "'多余' would be lost" in problem.reason


def test_blank_rows_are_ignored_and_not_counted(tmp_path):
    path = write_csv(
        tmp_path / "t.csv", [row()], extra_lines=["", ",,,,", ",".join(row(投诉编号="C-2").values())]
    )
    run = import_csv(path, {"mapping": str(EXAMPLE_MAPPING)})
    events = list(run)
    assert len(events) == 8 and run.rows == 2 and run.skipped == []
    assert run.row == 5  # spreadsheet row numbers count the blank rows


def test_row_without_any_event(table):
    doc = mapping_doc()
    doc["events"]["received"]["required"] = False
    run = table(
        [
            row(
                接收时间="",
                渠道="",
                产品="",
                问题="",
                投诉人数="",
                告知受理时间="",
                告知方式="",
                告知受理="",
                告知时限="",
                告知联系方式="",
                办结时间="",
                处理结果="",
                发现产品问题="",
                结果告知时间="",
                结果告知方式="",
            )
        ],
        doc,
    )
    assert list(run) == []
    assert run.skipped[0].reason == "no event: every event's time cell is empty"


# -- the mapping ------------------------------------------------------------------------------------


def test_json_mapping_is_equivalent(tmp_path):
    json_path = tmp_path / "mapping.json"
    json_path.write_text(json.dumps(mapping_doc(), ensure_ascii=False), encoding="utf-8")
    from_json = list(import_csv(EXAMPLE_CSV, {"mapping": str(json_path)}))
    assert from_json == list(import_csv(EXAMPLE_CSV, {"mapping": str(EXAMPLE_MAPPING)}))


def test_mapping_option_is_required_and_options_are_checked():
    with pytest.raises(CsvImportError, match="needs --option mapping=FILE"):
        import_csv(EXAMPLE_CSV, {})
    with pytest.raises(
        CsvImportError, match=r"unknown option\(s\) mapp \(known: mapping, encoding, delimiter\)"
    ):
        import_csv(EXAMPLE_CSV, {"mapp": "x"})
    with pytest.raises(CsvImportError, match="unknown encoding 'klingon'"):
        import_csv(EXAMPLE_CSV, {"mapping": str(EXAMPLE_MAPPING), "encoding": "klingon"})
    with pytest.raises(MappingError, match="nope.yaml: cannot read mapping"):
        import_csv(EXAMPLE_CSV, {"mapping": "nope.yaml"})
    with pytest.raises(CsvImportError, match="missing.csv: cannot read"):
        import_csv(Path("missing.csv"), {"mapping": str(EXAMPLE_MAPPING)})


def _broken(change) -> dict:
    doc = mapping_doc()
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("complaint_id"), "complaint_id: required key is missing"),
        (lambda d: d.update(colums={}), "colums: unknown key"),
        (
            lambda d: d["events"].update(complained={"time": "接收时间"}),
            "events.complained: 'complained' is not a complaint event type",
        ),
        (
            lambda d: d["events"].update(report={"type": "periodic_report_submitted", "time": "接收时间"}),
            "events.report.type: 'periodic_report_submitted' is not a complaint event type",
        ),
        (
            lambda d: d["events"]["received"]["data"].update(colour="产品"),
            "events.received.data.colour: unknown key (allowed: channel, product",
        ),
        (
            lambda d: d["events"]["acknowledged"]["data"].pop("channel"),
            "events.acknowledged.data: channel required for acknowledged events but not mapped",
        ),
        (
            lambda d: d["events"]["received"]["data"]["channel"].update(values="channels"),
            (
                "events.received.data.channel.values: no value map 'channels' "
                "(defined under values: channel, level, outcome)"
            ),
        ),
        (
            lambda d: d["events"]["received"]["data"].update(
                complainants={"column": "投诉人数", "type": "int"}
            ),
            "events.received.data.complainants.type: 'int' is not one of: string, integer",
        ),
        (
            lambda d: d["events"]["received"]["data"].update(product={"column": "产品", "value": "x"}),
            "events.received.data.product: give exactly one of 'column' or 'value'",
        ),
        (
            lambda d: d["timestamps"].update(default_offset="CST"),
            "timestamps.default_offset: 'CST' is not a UTC offset like +08:00",
        ),
        (
            lambda d: d["booleans"].update({"true": ["是", True]}),
            "booleans.true[1]: YAML read this as true/false/null",
        ),
        (lambda d: d["institution"].pop("level"), "institution.level: required key is missing"),
        (
            lambda d: d["events"]["received"].update(time={"value": "2025-01-01 00:00"}),
            "events.received.time: must be a column",
        ),
    ],
)
def test_mapping_errors_name_the_file_and_key(change, message):
    with pytest.raises(MappingError) as caught:
        build_mapping(_broken(change), "m.yaml")
    assert str(caught.value).startswith(f"m.yaml: {message}"), str(caught.value)


def test_mapping_that_is_not_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("events: [unclosed", encoding="utf-8")
    with pytest.raises(MappingError, match="bad.yaml: not valid YAML"):
        load_mapping(path)


def test_mapped_column_missing_from_the_header(tmp_path):
    path = write_csv(tmp_path / "t.csv", [row()], header=[h for h in HEADER if h != "渠道"])
    with pytest.raises(
        CsvImportError, match=r"t.csv: column\(s\) 渠道 named in .*mapping.yaml are not in the header"
    ):
        list(import_csv(path, {"mapping": str(EXAMPLE_MAPPING)}))


def test_nested_list_date_and_constant_fields(tmp_path):
    header = [
        "编号",
        "机构",
        "接收",
        "转办机构",
        "转办单位",
        "延期时间",
        "延期原因",
        "新期限",
        "办结",
        "救济途径",
    ]
    doc = {
        "values": {
            "regulator": {"银保监会": "CBIRC", "金融监管总局": "NFRA"},
            "remedy": {"复核": "review", "调解": "mediation", "仲裁": "arbitration", "诉讼": "litigation"},
        },
        "complaint_id": "编号",
        "institution": {"id": "机构", "level": {"value": "head_office"}},
        "events": {
            "received": {
                "time": "接收",
                "data": {
                    "channel": {"value": "letter"},
                    "product": {"value": "理财"},
                    "issue": {"value": "转办"},
                    "forwarded_by": {
                        "fields": {
                            "regulator": {"column": "转办机构", "values": "regulator"},
                            "office": "转办单位",
                        }
                    },
                },
            },
            "extended": {
                "time": "延期时间",
                "data": {"reason": "延期原因", "new_due_date": {"column": "新期限", "type": "date"}},
            },
            "decided": {
                "time": "办结",
                "data": {
                    "outcome": {"value": "settled"},
                    "product_problem_found": {"value": False},
                    "remedies_offered": {
                        "column": "救济途径",
                        "type": "list",
                        "separator": "、",
                        "values": "remedy",
                    },
                },
            },
        },
    }
    mapping = write_mapping(tmp_path / "m.yaml", doc)
    csv_path = tmp_path / "t.csv"
    csv_path.write_text(
        ",".join(header)
        + "\n"
        + "F-1,HO,2025-03-03 10:00,金融监管总局,上海监管局,2025-03-20 10:00,需要鉴定,2025年4月30日,"
        "2025-04-28 10:00,复核、仲裁\n" + "F-2,HO,2025-03-03 10:00,,,,,,,\n",
        encoding="utf-8",
    )
    events = list(import_csv(csv_path, {"mapping": str(mapping)}))
    by_id = {e["event_id"]: e for e in events}
    assert by_id["F-1-received"]["data"]["forwarded_by"] == {"regulator": "NFRA", "office": "上海监管局"}
    assert by_id["F-1-extended"]["data"] == {"reason": "需要鉴定", "new_due_date": "2025-04-30"}
    assert by_id["F-1-decided"]["data"]["remedies_offered"] == ["review", "arbitration"]
    assert "forwarded_by" not in by_id["F-2-received"]["data"]  # no part filled: no object
    assert by_id["F-2-received"]["institution"] == {"id": "HO", "level": "head_office", "parent": None}
    assert sorted(by_id) == ["F-1-decided", "F-1-extended", "F-1-received", "F-2-received"]
    for event in events:
        assert isinstance(validate(event), Event), event


def test_the_mapping_is_not_modified_by_a_run():
    doc = mapping_doc()
    before = copy.deepcopy(doc)
    build_mapping(doc, "m.yaml")
    assert doc == before
