"""``cppolicy modules``: the policy owner's commands — list, show, coverage, diff, test, validate.

The work lives in :mod:`cppolicy.authoring` (compute, then write through the format registry);
this module parses options, resolves MODULE among the folders the plugins register (built-in ones
included) and maps outcomes to exit codes: 0 success, 1 ``diff``: the modules differ / ``test``:
a case failed, 2 an unloadable module, case file or bad option — one line
``cppolicy: error: FILE: $.json.path: problem`` on stderr. ``cppolicy policies`` is the group's
former name, still accepted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from cppolicy.authoring import (
    Case,
    coverage_report,
    describe_module,
    diff_modules,
    junit_xml,
    list_modules,
    module_cases,
    run_tests,
    validate_module,
)
from cppolicy.authoring.selection import keyword_matcher, pick, split_spec
from cppolicy.cli import fail
from cppolicy.cli.options import CalendarData, format_name, format_option
from cppolicy.cli.outputs import OutputGuard
from cppolicy.errors import CppolicyError, ExitCode, InputError, RuleModuleError
from cppolicy.plugin import Plugins
from cppolicy.reports import FORMATS
from cppolicy.reports.escape import visible
from cppolicy.rules import RuleModule, RuleModuleProblems, resolve_module

MODULE_HELP = "Rule module: ID, ID@VERSION or a folder path (with a / or starting with . or ~)."

ListFormat = FORMATS.choices("modules.list")
ShowFormat = FORMATS.choices("modules.show")
CoverageFormat = FORMATS.choices("modules.coverage")
DiffFormat = FORMATS.choices("modules.diff")
TestFormat = FORMATS.choices("modules.test")
ValidateFormat = FORMATS.choices("modules.validate")


def _emit(tool: str, fmt: str | Enum, result: Any) -> None:
    FORMATS.render(f"modules.{tool}", format_name(fmt), result, sys.stdout)


def _answer(tool: str, fmt: str | Enum, compute: Callable[[list[Path]], Any]) -> Any:
    """``compute(the registered modules' paths)``, written in ``fmt``; a CppolicyError is the
    command's one-line error and exit code."""
    try:
        result = compute(Plugins().rule_module_paths())
    except CppolicyError as error:
        raise fail(error) from None
    _emit(tool, fmt, result)
    return result


def list_command(fmt: ListFormat = format_option("modules.list")) -> None:  # type: ignore[valid-type]
    """List every registered rule module (built-in and plugins).

    Id, version, instrument, effective dates, digest, registering plugin, numbers of rules and
    golden cases. Exit 2 when one does not load: it is still listed, and its error printed.
    """
    try:
        rows = list_modules(Plugins().rule_modules())
    except CppolicyError as error:
        raise fail(error) from None
    _emit("list", fmt, rows)
    broken = [row for row in rows if row["error"]]
    for row in broken:
        print(visible(f"cppolicy: error: {row['error']}"), file=sys.stderr)
    if broken:
        raise typer.Exit(int(ExitCode.USAGE))


def show(
    module: Annotated[str, typer.Argument(metavar="MODULE", help=MODULE_HELP)],
    fmt: ShowFormat = format_option("modules.show"),  # type: ignore[valid-type]
) -> None:
    """Show a module: metadata, parameters, clocks, rules.

    Each parameter value with its start date and legal reference; each clock with its period
    resolved; each rule with its citation (original text) and messages in zh and en.
    """
    _answer("show", fmt, lambda known: describe_module(resolve_module(module, known)))


def coverage(
    module: Annotated[str, typer.Argument(metavar="MODULE", help=MODULE_HELP)],
    fmt: CoverageFormat = format_option("modules.coverage"),  # type: ignore[valid-type]
) -> None:
    """Show how each point / article of the instrument is covered.

    In the instrument's order: status (encoded, institution_data, planned,
    not_machine_checkable), the rules encoding it and the note, then a summary.
    """
    _answer("coverage", fmt, lambda known: coverage_report(resolve_module(module, known)))


def diff(
    a: Annotated[str, typer.Argument(metavar="A", help=MODULE_HELP)],
    b: Annotated[str, typer.Argument(metavar="B", help=MODULE_HELP)],
    fmt: DiffFormat = format_option("modules.diff"),  # type: ignore[valid-type]
) -> None:
    """Show what changed from module A to module B.

    Metadata, parameters (per start date), clocks, rules (condition, severity, citation,
    messages, code) and coverage. Exit 0 when identical, 1 when they differ, 2 on errors.
    """
    result = _answer(
        "diff", fmt, lambda known: diff_modules(resolve_module(a, known), resolve_module(b, known))
    )
    if not result["identical"]:
        raise typer.Exit(int(ExitCode.FINDINGS))


def test(
    modules: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH",
            help="Module folders or IDs whose cases/*.yaml to run; a case file; FILE::CASE or MODULE::CASE "
            "(CASE: index, id such as p9[2], or name).",
        ),
    ],
    keyword: Annotated[
        str | None,
        typer.Option(
            "-k", metavar="EXPR", help="Only cases whose id, file or name match: words, and, or, not, ( )."
        ),
    ] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="List the rules that no case (of those run) fires.")
    ] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", metavar="FILE", help="Also write a JUnit XML report to FILE.")
    ] = None,
    fmt: TestFormat = format_option("modules.test"),  # type: ignore[valid-type]
    calendar_data: list[Path] | None = CalendarData,
) -> None:
    """Run the golden cases of rule modules.

    PASS / FAIL per case, named by its legal sentence, with the mismatches; -k and FILE::CASE
    choose cases; --coverage lists the rules no case fires; --junit writes a JUnit XML report.
    Exit 0 all pass, 1 any fails, 2 a module or case file does not load, or nothing selected.
    """
    try:
        plugins = Plugins()
        suites = _suites(modules, keyword, plugins.rule_module_paths())
        run = run_tests(
            suites,
            lambda m: plugins.calendar(m.data.get("calendar") or "cn", list(calendar_data or [])),
            coverage=coverage,
        )
        if junit is not None:
            guard = OutputGuard().read("the rule module", [suite[0].path for suite in suites])
            guard.read("the case file", [p for m, _ in suites for p in sorted(m.path.parent.glob("cases/*"))])
            try:
                with guard.claim("--junit", junit).open("--junit", junit) as out:
                    out.write(junit_xml(run))
            except OSError as exc:
                raise InputError(f"--junit {junit}: cannot write: {exc.strerror or exc}") from None
    except CppolicyError as error:
        raise fail(error) from None
    _emit("test", fmt, run)
    for outcome in run.modules:
        if not outcome.outcomes and keyword is None:
            print(
                f"cppolicy: warning: {outcome.module.ref} has no golden cases "
                f"(add {outcome.module.path.parent / 'cases'}/*.yaml)",
                file=sys.stderr,
            )
    if run.failed:
        raise typer.Exit(int(ExitCode.FINDINGS))


def _suites(specs: list[str], keyword: str | None, known: list[Path]) -> list[tuple[RuleModule, list[Case]]]:
    """The modules and cases ``modules test`` runs: each argument's (``FILE::CASE`` and
    ``MODULE::CASE`` narrow it), then ``-k``; selecting nothing is a usage error, not a pass."""
    matches = keyword_matcher(keyword) if keyword is not None else None
    suites: dict[str, tuple[RuleModule, list[Case]]] = {}
    for spec in specs:
        target, file, selector = split_spec(spec)
        module = resolve_module(target, known)
        chosen = pick(module_cases(module), spec, file, selector)
        if matches is not None:
            chosen = [case for case in chosen if matches(case)]
        _, cases = suites.setdefault(str(module.path.resolve()), (module, []))
        cases.extend(case for case in chosen if case not in cases)
    if (keyword is not None or any("::" in s for s in specs)) and not any(c for _, c in suites.values()):
        raise InputError(f"no case selected (by {' '.join(specs)}{f' -k {keyword!r}' if keyword else ''})")
    return list(suites.values())


def validate(
    modules: Annotated[list[str], typer.Argument(metavar="PATH", help="Module folders (or IDs) to check.")],
    fmt: ValidateFormat = format_option("modules.validate"),  # type: ignore[valid-type]
) -> None:
    """Load and check rule modules and their case files.

    Every ruleset is also built in durable_rules, as an audit would. One line per module, "ok:
    ID@VERSION (N rules, M cases, DIGEST)", or one error line per problem — every problem of
    every module and case file — naming the file, line:column and JSON path (exit 2).
    """
    try:
        known = Plugins().rule_module_paths()
    except CppolicyError as error:
        raise fail(error) from None
    failed = False
    for spec in modules:
        try:
            result = validate_module(spec, known)
        except RuleModuleProblems as error:
            for problem in error.problems:  # every problem, one line each
                fail(RuleModuleError(problem))
            failed = True
            continue
        except CppolicyError as error:
            fail(error)  # prints the one line; the exit comes after the other modules
            failed = True
            continue
        _emit("validate", fmt, result)
        for warning in result["warnings"]:
            print(visible(f"cppolicy: warning: {warning}"), file=sys.stderr)
    if failed:
        raise typer.Exit(int(ExitCode.USAGE))


def register(app: typer.Typer) -> None:
    """Mount the ``modules`` command group on ``app`` (and, hidden, its former name ``policies``)."""
    group = typer.Typer(
        name="modules",
        help="Rule modules for policy owners: list, show, coverage, diff, test, validate.",
        no_args_is_help=True,
    )
    group.command("list")(list_command)
    group.command("show")(show)
    group.command("coverage")(coverage)
    group.command("diff")(diff)
    group.command("test")(test)
    group.command("validate")(validate)
    app.add_typer(group, name="modules")
    app.add_typer(group, name="policies", hidden=True)
