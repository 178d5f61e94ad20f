"""``cppolicy check-institution``: findings on an institution profile (points 一 三 五 六 十二 十三 十四)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from cppolicy.cli import fail
from cppolicy.cli import formats as _formats  # noqa: F401 — registers the institution formats
from cppolicy.cli.options import (
    AS_OF_HELP,
    LANG_HELP,
    CalendarData,
    ModuleOption,
    as_of_option,
    calendar_from,
    format_name,
    format_option,
    language,
    modules_from,
)
from cppolicy.cli.outputs import guard_inputs
from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.evaluation import Engine, load_profile, newest_versions
from cppolicy.evaluation import check_institution as run_check
from cppolicy.evaluation.institution import default_as_of, describe
from cppolicy.plugin import Plugins
from cppolicy.reports import FORMATS

InstitutionFormat = FORMATS.choices("institution")


def check_institution(
    profile: Path = typer.Argument(
        ..., help="Institution profile (JSON or YAML; schemas/institution-profile/v1.json)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help=AS_OF_HELP + " Default: the end of the profile's as_of date."
    ),
    module: list[str] | None = ModuleOption,
    fmt: InstitutionFormat = format_option("institution"),  # type: ignore[valid-type]
    lang: str = typer.Option("en", "--lang", help=LANG_HELP),
    calendar_data: list[Path] | None = CalendarData,
) -> None:
    """Check an institution profile against the institution-scope rules of the modules in force
    on the as-of date. Exit 0 clean, 1 violations, 2 bad input, 3 engine error."""
    try:
        lang = language(lang)
        guard_inputs([profile], calendar_data, label="the profile").claim_stdout()
        doc = load_profile(profile)
        moment = as_of_option(as_of) if as_of else default_as_of(doc)
        plugins = Plugins()
        calendar = calendar_from(calendar_data, plugins)
        modules = newest_versions(
            m
            for m in modules_from(module, plugins)
            if m.in_force_on(moment.date()) and m.rules_in("institution")
        )
        if not modules:
            raise InputError(
                f"no selected rule module has institution rules in force on {moment.date().isoformat()}"
            )
        findings = [f for m in modules for f in run_check(doc, Engine(m, calendar), moment).findings]
    except CppolicyError as error:
        raise fail(error) from None
    result: dict[str, Any] = {
        "profile": describe(doc),
        "as_of": moment.isoformat(),
        "modules": [{"id": m.id, "version": m.version, "digest": m.digest} for m in modules],
        "findings": [f.to_dict() for f in findings],
    }
    FORMATS.render("institution", format_name(fmt), result, sys.stdout, lang)
    severities = {f.severity for f in findings}
    code = (
        ExitCode.EVALUATION_ERROR
        if "error" in severities
        else ExitCode.FINDINGS
        if "violation" in severities
        else ExitCode.OK
    )
    raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    app.command("check-institution")(check_institution)
