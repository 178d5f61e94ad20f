"""Formats the command line registers: those drawn with rich for a person at a terminal (the
audit's findings table, the institution findings table, the plugins table: registered here because
the command line is the only layer that draws with rich's console; each is its subject's default),
and the JSON documents of results only a command makes. A table escapes each value it draws
(:func:`cell`): control and bidi characters made visible, never read as rich markup."""

from __future__ import annotations

from collections import Counter
from typing import IO, Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cppolicy.audit import AuditReport
from cppolicy.reports import FORMATS
from cppolicy.reports.audit import citation_point, human_time, report_header
from cppolicy.reports.escape import visible, visible_cell

_SEVERITY_STYLE = {"error": "bold red", "violation": "red", "undetermined": "yellow", "warning": "cyan"}

_NOT_JUDGED = {
    "no_module_in_force": "complaints received when no selected module was in force: {n}",
    "no_module_applies": "complaints to which no selected module applies: {n}",
    "archive_rules_no_institution_events": "points judged over the whole archive (e.g. reports to the "
    "regulator) were not judged: the input has no institution-level "
    "events ({n} module(s))",
}


class OutputConsole(Console):
    """rich's console for a command's output, except when the reader closes the pipe: rich would
    exit 1 in silence (the code of "violations found"); this raises BrokenPipeError, which the
    command line reports as every command's (cppolicy.cli._OneLineErrors)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError("standard output")


def cell(value: str | None, lines: bool = False) -> Text:
    """A value from the data for a table cell or a printed line: its control and bidi characters
    escaped (newlines kept with ``lines``), never read as markup (``[/]`` would be an error,
    ``[8]`` a style)."""
    return Text(visible(value or "") if lines else visible_cell(value or ""))


def console_for(out: IO[str], width: int = 180) -> Console:
    """On a terminal its width; in a file or pipe, wide enough that codes never wrap."""
    probe = Console(file=out)
    return OutputConsole(file=out, width=probe.width if probe.is_terminal else width, highlight=False)


@FORMATS.register(
    "audit", "table", help="findings, a summary by code, the counts", default=True, escape="cells"
)
def write_audit_table(report: AuditReport, out: IO[str], lang: str) -> None:
    console = console_for(out)
    header = report_header(report)
    modules = ", ".join(f"{m['id']}@{m['version']}" for m in header["modules"])
    console.print(
        cell(
            f"cppolicy audit as of {header['as_of']} — {modules}; calendar {header['calendar']}; "
            f"{header['engine']}"
        )
    )
    findings = report.findings
    if findings:
        table = Table(title="Findings", show_lines=False)
        for column in ("complaint", "severity", "code", "point", "due", "observed"):
            table.add_column(column, no_wrap=True)
        table.add_column("message", overflow="fold")
        for f in findings:
            table.add_row(
                cell(f.complaint_id),
                Text(f.severity, style=_SEVERITY_STYLE[f.severity]),
                cell(f.code),
                cell(citation_point(f)),
                human_time(f.due),
                human_time(f.observed),
                cell(f.message[lang] + (f" ({f.detail})" if f.detail else ""), lines=True),
            )
        console.print(table)
    by_code = Counter((f.code, f.severity) for f in findings)
    summary = Table(title="Summary by code")
    summary.add_column("code")
    summary.add_column("severity")
    summary.add_column("count", justify="right")
    for (code, severity), count in sorted(by_code.items()):
        summary.add_row(cell(code), severity, str(count))
    console.print(summary)
    _print_counts(console, header["counts"])


def _print_counts(console: Console, counts: dict[str, int]) -> None:
    console.print(
        f"read {counts['lines']} lines from {counts['files']} file(s): {counts['accepted']} accepted, "
        f"{counts['quarantined']} quarantined; {counts['complaints']} complaints, "
        f"{counts['institution_events']} institution-level events; "
        f"findings: {counts['violations']} violations, {counts['warnings']} warnings, "
        f"{counts['undetermined']} undetermined, {counts['errors']} errors"
    )
    for prefix, text in (
        ("complaints_", f"{counts['complaints']} complaints by status (each by its worst evaluation): "),
        ("evaluations_", f"{counts['evaluations']} evaluations (complaint × rule module) by status: "),
    ):
        statuses = {k.removeprefix(prefix): v for k, v in counts.items() if k.startswith(prefix)}
        console.print(text + (", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) or "none"))
    skipped = {k.removeprefix("skipped_"): v for k, v in counts.items() if k.startswith("skipped_")}
    for key, n in skipped.items():
        console.print("not judged: " + _NOT_JUDGED.get(key, key.replace("_", " ") + " {n}").format(n=n))


@FORMATS.register(
    "institution", "table", help="the findings on the institution's nodes", default=True, escape="cells"
)
def write_institution_table(result: dict[str, Any], out: IO[str], lang: str) -> None:
    console = OutputConsole(file=out, width=160) if not out.isatty() else OutputConsole(file=out)
    profile = result["profile"]
    console.print(
        cell(
            f"{profile['institution']['name']} ({profile['institution']['id']}) as of {result['as_of']} — "
            + ", ".join(f"{m['id']}@{m['version']}" for m in result["modules"])
        )
    )
    table = Table(title="Institution findings")
    for column in ("institution", "severity", "code", "point"):
        table.add_column(column, no_wrap=True)
    table.add_column("message", overflow="fold")
    for f in result["findings"]:
        table.add_row(
            cell(f["institution_id"]),
            f["severity"],
            cell(f["code"]),
            cell(f["citation"].get("point") or f["citation"].get("article")),
            cell(f["message"][lang] + (f" ({f['detail']})" if f["detail"] else ""), lines=True),
        )
    console.print(table)
    console.print(
        f"{len(result['findings'])} finding(s) on {sum(profile['nodes'].values())} institution node(s)"
    )


@FORMATS.register(
    "plugins", "table", help="each plugin, where it comes from, its hooks", default=True, escape="cells"
)
def write_plugins_table(rows: list[dict[str, Any]], out: IO[str], lang: str) -> None:
    table = Table(title="cppolicy plugins")
    for column in ("name", "source", "hooks"):
        table.add_column(column)
    for row in rows:
        table.add_row(cell(row["name"]), cell(row["source"]), cell("\n".join(row["hooks"]), lines=True))
    console = OutputConsole(file=out, width=160) if not out.isatty() else OutputConsole(file=out)
    console.print(table)


def write_json_document(value: Any, out: IO[str], lang: str) -> None:
    """One JSON document, indented by two spaces, non-ASCII as is."""
    out.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


FORMATS.register("institution", "json", help="profile, as-of time, modules and findings")(write_json_document)
FORMATS.register("plugins", "json", help="each plugin with its source and hooks")(write_json_document)
