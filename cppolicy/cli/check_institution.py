"""``cppolicy check-institution``: findings on an institution profile (points 一 三 五 六 十二 十三 十四)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import orjson
import typer
from rich.console import Console
from rich.table import Table

from cppolicy.cli.options import AS_OF_HELP, CalendarData, Policy, calendar_from, modules_from, parse_as_of
from cppolicy.engine import Engine
from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.institution import check_institution as run_check
from cppolicy.institution import default_as_of, describe, load_profile
from cppolicy.plugins import Plugins


def check_institution(
    profile: Path = typer.Argument(..., help="Institution profile (JSON or YAML; schemas/institution-profile/v1.json)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP + " Default: the end of the profile's as_of date."),
    policy: Optional[list[str]] = Policy,
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    lang: str = typer.Option("en", "--lang", help="zh or en."),
    calendar_data: Optional[list[Path]] = CalendarData,
) -> None:
    """Check an institution profile against the institution-scope rules of the modules in force
    on the as-of date. Exit 0 clean, 1 violations, 2 bad input, 3 engine error."""
    from cppolicy.cli import fail

    try:
        if fmt not in ("table", "json"):
            raise InputError(f"--format: {fmt!r} is not table or json")
        if lang not in ("zh", "en"):
            raise InputError(f"--lang: {lang!r} is not zh or en")
        doc = load_profile(profile)
        moment = parse_as_of(as_of) if as_of else default_as_of(doc)
        plugins = Plugins()
        calendar = calendar_from(calendar_data, plugins)
        modules = [m for m in modules_from(policy, plugins) if m.in_force_on(moment.date()) and m.rules_in("institution")]
        if not modules:
            raise InputError(f"no selected rule module has institution rules in force on {moment.date().isoformat()}")
        results = [run_check(doc, Engine(module, calendar), moment) for module in modules]
    except CppolicyError as error:
        raise fail(error) from None
    findings = [f for r in results for f in r.findings]
    if fmt == "json":
        out = {"profile": describe(doc), "as_of": moment.isoformat(),
               "modules": [{"id": m.id, "version": m.version, "digest": m.digest} for m in modules],
               "findings": [f.to_dict() for f in findings]}
        sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        console = Console(width=160) if not sys.stdout.isatty() else Console()
        console.print(f"{doc['institution']['name']} ({doc['institution']['id']}) as of {moment.isoformat()} — "
                      + ", ".join(m.ref for m in modules))
        table = Table(title="Institution findings")
        for column in ("institution", "severity", "code", "point"):
            table.add_column(column, no_wrap=True)
        table.add_column("message", overflow="fold")
        for f in findings:
            table.add_row(f.institution_id or "", f.severity, f.code,
                          f.citation.get("point") or f.citation.get("article") or "",
                          f.message[lang] + (f" ({f.detail})" if f.detail else ""))
        console.print(table)
        console.print(f"{len(findings)} finding(s) on {sum(describe(doc)['nodes'].values())} institution node(s)")
    severities = {f.severity for f in findings}
    code = (ExitCode.EVALUATION_ERROR if "error" in severities
            else ExitCode.FINDINGS if "violation" in severities else ExitCode.OK)
    raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    app.command("check-institution")(check_institution)
