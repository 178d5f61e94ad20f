"""Renderers for audit reports: a named registry the ``--format`` option reads.

Results are computed first (:class:`cppolicy.audit.AuditReport`); each renderer only writes.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from collections import Counter
from typing import Callable, TextIO

import orjson
from rich.console import Console
from rich.table import Table

from cppolicy.audit import AuditReport

CSV_FIELDS = ["complaint_id", "institution_id", "severity", "code", "rule_id", "module", "due",
              "observed", "evidence", "citation", "message_en", "message_zh", "detail", "as_of"]


def report_header(report: AuditReport) -> dict:
    return {
        "as_of": report.as_of.isoformat(),
        "modules": [{"id": m.id, "version": m.version, "digest": m.digest} for m in report.modules],
        "calendar": report.calendar_version,
        "engine": report.engine,
        "counts": report.counts(),
    }


def _json(report: AuditReport, out: TextIO, lang: str) -> None:
    complaints = ({"complaint_id": r.complaint_id, "module": f"{r.module.id}@{r.module.version}",
                   "status": r.status, "events": r.events} for r in report.results)
    write_indented_json(out, {
        **report_header(report),
        "complaints": complaints,
        # orjson writes a Finding (a dataclass) exactly as Finding.to_dict() reads, much faster
        "findings": iter(report.findings),
        "quarantined": (q.to_dict() for q in report.contents.quarantined),
    })


def write_indented_json(out: TextIO, doc: dict) -> None:
    """Write ``doc`` as ``orjson.dumps(doc, option=OPT_INDENT_2)`` would, byte for byte, plus a
    newline, except that a value that is an iterator is written as a list one item at a time:
    an archive's results and findings are never all in memory (they are read back from disk)."""
    def indented(value, depth: int) -> str:
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


class _FindingStream:
    """A format written finding by finding: ``result`` for each complaint result in report
    order, then ``finish`` for the archive-scope findings."""

    def result(self, result) -> None:
        raise NotImplementedError

    def finish(self, report: AuditReport) -> None:
        for archive_result in report.archive_results:
            self.result(archive_result)


class _JsonlStream(_FindingStream):
    """``jsonl``: one finding a line, as ``finding.to_dict()`` (orjson writes the dataclass)."""

    def __init__(self, out: TextIO, lang: str) -> None:
        self.out = out

    def result(self, result) -> None:
        for finding in result.findings:
            self.out.write(orjson.dumps(finding).decode() + "\n")


def _streamed(stream: Callable[[TextIO, str], _FindingStream]) -> Callable[[AuditReport, TextIO, str], None]:
    """The renderer of a whole report by a stream: its results in order, then ``finish``."""
    def render(report: AuditReport, out: TextIO, lang: str) -> None:
        writer = stream(out, lang)
        for result in report.results:
            writer.result(result)
        writer.finish(report)

    return render


_jsonl = _streamed(_JsonlStream)


def _csv_row(finding) -> dict:
    c = finding.citation
    where = c.get("point") or c.get("article") or ""
    return {
        "complaint_id": finding.complaint_id, "institution_id": finding.institution_id,
        "severity": finding.severity, "code": finding.code, "rule_id": finding.rule_id,
        "module": f"{finding.module.id}@{finding.module.version}", "due": finding.due,
        "observed": finding.observed, "evidence": " ".join(finding.evidence),
        "citation": f"{c.get('instrument', '')} {where}".strip(),
        "message_en": finding.message["en"], "message_zh": finding.message["zh"],
        "detail": finding.detail or "", "as_of": finding.as_of,
    }


class _CsvStream(_FindingStream):
    """``csv``: a header, then one finding a row."""

    def __init__(self, out: TextIO, lang: str) -> None:
        self.writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
        self.writer.writeheader()

    def result(self, result) -> None:
        for finding in result.findings:
            self.writer.writerow(_csv_row(finding))


_csv = _streamed(_CsvStream)


def human_time(iso: str | None) -> str:
    """Minutes precision; an exclusive end at midnight reads as 24:00 of the last day."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return f"{(moment - timedelta(days=1)).date().isoformat()} 24:00"
    return moment.strftime("%Y-%m-%d %H:%M")


_SEVERITY_STYLE = {"error": "bold red", "violation": "red", "undetermined": "yellow", "warning": "cyan"}


def _table(report: AuditReport, out: TextIO, lang: str) -> None:
    probe = Console(file=out)
    # On a terminal use its width; in a file or pipe, wide enough that codes never wrap.
    console = Console(file=out, width=probe.width if probe.is_terminal else 180, highlight=False)
    header = report_header(report)
    modules = ", ".join(f"{m['id']}@{m['version']}" for m in header["modules"])
    console.print(f"cppolicy audit as of {header['as_of']} — {modules}; calendar {header['calendar']}; "
                  f"{header['engine']}")
    findings = report.findings
    if findings:
        table = Table(title="Findings", show_lines=False)
        for column in ("complaint", "severity", "code", "point", "due", "observed"):
            table.add_column(column, no_wrap=True)
        table.add_column("message", overflow="fold")
        for f in findings:
            where = f.citation.get("point") or f.citation.get("article") or ""
            table.add_row(f.complaint_id or "", f"[{_SEVERITY_STYLE[f.severity]}]{f.severity}[/]", f.code,
                          where, human_time(f.due), human_time(f.observed),
                          f.message[lang] + (f" ({f.detail})" if f.detail else ""))
        console.print(table)
    by_code = Counter((f.code, f.severity) for f in findings)
    summary = Table(title="Summary by code")
    summary.add_column("code")
    summary.add_column("severity")
    summary.add_column("count", justify="right")
    for (code, severity), count in sorted(by_code.items()):
        summary.add_row(code, severity, str(count))
    console.print(summary)
    counts = header["counts"]
    console.print(
        f"read {counts['lines']} lines from {counts['files']} file(s): {counts['accepted']} accepted, "
        f"{counts['quarantined']} quarantined; {counts['complaints']} complaints, "
        f"{counts['institution_events']} institution-level events; "
        f"{counts['violations']} violations, {counts['warnings']} warnings, "
        f"{counts['undetermined']} undetermined, {counts['errors']} errors"
    )
    statuses = {k.removeprefix("complaints_"): v for k, v in counts.items()
                if k.startswith("complaints_")}
    console.print("complaints by status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    skipped = {k.removeprefix("skipped_"): v for k, v in counts.items() if k.startswith("skipped_")}
    notes = {"no_module_in_force": "complaints received when no selected module was in force: {n}",
             "no_module_applies": "complaints to which no selected module applies: {n}",
             "archive_rules_no_institution_events": "points judged over the whole archive (e.g. reports to the "
                                                    "regulator) were not judged: the input has no institution-level "
                                                    "events ({n} module(s))"}
    for key, n in skipped.items():
        console.print("not judged: " + notes.get(key, key.replace("_", " ") + " {n}").format(n=n))


FORMATS: dict[str, Callable[[AuditReport, TextIO, str], None]] = {
    "table": _table,
    "json": _json,
    "jsonl": _jsonl,
    "csv": _csv,
}

#: Formats that can be written while the audit runs, complaint by complaint (then ``finish``
#: writes the archive-scope findings): the same bytes as the format's renderer, which is built
#: from the stream. ``cppolicy audit -o FILE`` uses them, so results need not be kept for the end.
STREAMS: dict[str, Callable[[TextIO, str], _FindingStream]] = {
    "jsonl": _JsonlStream,
    "csv": _CsvStream,
}
