"""The audit report's formats: ``json``, ``jsonl`` and ``csv`` (``table`` is the command line's).

``jsonl`` and ``csv`` can be written while the audit runs, result by result (a
:class:`FindingStream`, watching the audit as :class:`ReportStream`): the same bytes as writing the
finished report, so that an audit of millions of complaints need not keep its results for the end.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import IO, Any, TextIO

import orjson

from cppolicy.audit import AuditObserver, AuditReport, JudgedComplaint
from cppolicy.evaluation import ArchiveResult, ComplaintResult, Finding
from cppolicy.reports.escape import csv_cell
from cppolicy.reports.formats import FORMATS

CSV_FIELDS = [
    "complaint_id",
    "institution_id",
    "severity",
    "code",
    "rule_id",
    "module",
    "due",
    "observed",
    "evidence",
    "citation",
    "message_en",
    "message_zh",
    "detail",
    "as_of",
]


def report_header(report: AuditReport) -> dict[str, Any]:
    """What every format says first: the as-of time, the modules, the calendar, the engine, the counts."""
    return {
        "as_of": report.as_of.isoformat(),
        "modules": [{"id": m.id, "version": m.version, "digest": m.digest} for m in report.modules],
        "calendar": report.calendar_version,
        "engine": report.engine,
        "counts": report.counts(),
    }


def human_time(iso: str | None) -> str:
    """Minutes precision; an exclusive end at midnight reads as 24:00 of the last day."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return f"{(moment - timedelta(days=1)).date().isoformat()} 24:00"
    return moment.strftime("%Y-%m-%d %H:%M")


def citation_point(finding: Finding) -> str:
    """The point or article a finding cites (``九``, ``第十八条``), or empty."""
    c = finding.citation
    where: str = c.get("point") or c.get("article") or ""
    return where


@FORMATS.register(
    "audit", "json", help="one JSON document: header, counts, complaints, findings, quarantined lines"
)
def write_json(report: AuditReport, out: TextIO, lang: str) -> None:
    complaints = (
        {
            "complaint_id": r.complaint_id,
            "module": f"{r.module.id}@{r.module.version}",
            "status": r.status,
            "events": r.events,
        }
        for r in report.results
    )
    write_indented_json(
        out,
        {
            **report_header(report),
            "complaints": complaints,
            # orjson writes a Finding (a dataclass) exactly as Finding.to_dict() reads, much faster
            "findings": iter(report.findings),
            "quarantined": (q.to_dict() for q in report.contents.quarantined),
        },
    )


def write_indented_json(out: TextIO, doc: dict[str, Any]) -> None:
    """Write ``doc`` as ``orjson.dumps(doc, option=OPT_INDENT_2)`` would, byte for byte, plus a
    newline, except that a value that is an iterator is written as a list one item at a time:
    an archive's results and findings are never all in memory (they are read back from disk)."""

    def indented(value: Any, depth: int) -> str:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
        return text.replace("\n", "\n" + "  " * depth) if depth else text

    out.write("{")
    for n, (key, value) in enumerate(doc.items()):
        out.write(("\n" if n == 0 else ",\n") + "  " + orjson.dumps(key).decode() + ": ")
        if not hasattr(value, "__next__"):
            out.write(indented(value, 1))
            continue
        out.write("[")
        empty = True
        for item in value:
            out.write(("\n" if empty else ",\n") + "    " + indented(item, 2))
            empty = False
        out.write("]" if empty else "\n  ]")
    out.write("\n}\n" if doc else "}\n")


class FindingStream:
    """A format written finding by finding: :meth:`result` for each complaint result in report
    order, then :meth:`finish` for the archive-scope findings."""

    def result(self, result: ComplaintResult | ArchiveResult) -> None:
        raise NotImplementedError

    def finish(self, report: AuditReport) -> None:
        for archive_result in report.archive_results:
            self.result(archive_result)


class JsonlStream(FindingStream):
    """``jsonl``: one finding a line, as ``finding.to_dict()`` (orjson writes the dataclass)."""

    def __init__(self, out: IO[str], lang: str) -> None:
        self.out = out

    def result(self, result: ComplaintResult | ArchiveResult) -> None:
        for finding in result.findings:
            self.out.write(orjson.dumps(finding).decode() + "\n")


def csv_row(finding: Finding) -> dict[str, Any]:
    """A finding's CSV row, each cell escaped and neutralised (:func:`~cppolicy.reports.escape.csv_cell`)."""
    c = finding.citation
    row = {
        "complaint_id": finding.complaint_id,
        "institution_id": finding.institution_id,
        "severity": finding.severity,
        "code": finding.code,
        "rule_id": finding.rule_id,
        "module": f"{finding.module.id}@{finding.module.version}",
        "due": finding.due,
        "observed": finding.observed,
        "evidence": " ".join(finding.evidence),
        "citation": f"{c.get('instrument', '')} {citation_point(finding)}".strip(),
        "message_en": finding.message["en"],
        "message_zh": finding.message["zh"],
        "detail": finding.detail or "",
        "as_of": finding.as_of,
    }
    return {key: csv_cell(value) for key, value in row.items()}


class CsvStream(FindingStream):
    """``csv``: a header, then one finding a row."""

    def __init__(self, out: IO[str], lang: str) -> None:
        self.writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
        self.writer.writeheader()

    def result(self, result: ComplaintResult | ArchiveResult) -> None:
        for finding in result.findings:
            self.writer.writerow(csv_row(finding))


def _streamed(stream: Callable[[TextIO, str], FindingStream]) -> Callable[[AuditReport, TextIO, str], None]:
    """The writer of a whole report by a stream: its results in order, then ``finish``."""

    def write(report: AuditReport, out: TextIO, lang: str) -> None:
        writer = stream(out, lang)
        for result in report.results:
            writer.result(result)
        writer.finish(report)

    return write


FORMATS.register("audit", "jsonl", help="one finding a line", stream=JsonlStream)(_streamed(JsonlStream))
FORMATS.register("audit", "csv", help="one finding a row", stream=CsvStream)(_streamed(CsvStream))


class ReportStream(AuditObserver):
    """Writes a streaming format while the audit runs: each complaint's results as they are judged,
    then the archive-scope findings when it is finished."""

    def __init__(self, stream: FindingStream) -> None:
        self.stream = stream

    def complaint_judged(self, judged: JudgedComplaint) -> None:
        for result in judged.results:
            self.stream.result(result)

    def finished(self, report: AuditReport) -> None:
        self.stream.finish(report)
