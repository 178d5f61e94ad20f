"""``cppolicy policies``: the policy owner's commands — list, show, coverage, diff, test, validate.

The work and the output formats live in :mod:`cppolicy.policy_tools` (compute, then render
through its ``RENDERERS`` registry); this module parses options, resolves MODULE among the
folders the plugins register (built-in ones included) and maps outcomes to exit codes:
0 success, 1 ``diff``: the modules differ / ``test``: a case failed, 2 an unloadable module,
case file or bad option — one line ``cppolicy: error: FILE: $.json.path: problem`` on stderr.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from cppolicy import policy_tools as tools
from cppolicy.cli import fail
from cppolicy.cli.options import CalendarData
from cppolicy.errors import CppolicyError, ExitCode, InputError
from cppolicy.plugins import Plugins

MODULE_HELP = "Rule module: ID, ID@VERSION or a folder path."


def _formats(tool: str) -> type[Enum]:
    """The --format choices of a tool: exactly the keys of its renderer registry."""
    return Enum(f"{tool.capitalize()}Format", {name: name for name in tools.RENDERERS[tool]}, type=str)


ListFormat, ShowFormat, CoverageFormat = _formats("list"), _formats("show"), _formats("coverage")
DiffFormat, TestFormat, ValidateFormat = _formats("diff"), _formats("test"), _formats("validate")


def _default(enum: type[Enum]) -> Enum:
    return next(iter(enum))


def _format_option(enum: type[Enum]) -> object:
    names = [member.value for member in enum]
    choices = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return typer.Option("--format", help=f"{choices} (default: {names[0]}).", show_default=False)


ListFormatOption = Annotated[ListFormat, _format_option(ListFormat)]
ShowFormatOption = Annotated[ShowFormat, _format_option(ShowFormat)]
CoverageFormatOption = Annotated[CoverageFormat, _format_option(CoverageFormat)]
DiffFormatOption = Annotated[DiffFormat, _format_option(DiffFormat)]
TestFormatOption = Annotated[TestFormat, _format_option(TestFormat)]
ValidateFormatOption = Annotated[ValidateFormat, _format_option(ValidateFormat)]


def _known(plugins: Plugins) -> list[Path]:
    return [entry.path for entry in plugins.policies()]


def _emit(tool: str, fmt: Enum, result) -> None:
    sys.stdout.write(tools.render(tool, fmt.value, result))


def _answer(tool: str, fmt: Enum, compute: Callable[[list[Path]], Any]) -> Any:
    """``compute(the registered modules' paths)``, rendered in ``fmt``; a CppolicyError is
    the command's one-line error and exit code."""
    try:
        result = compute(_known(Plugins()))
    except CppolicyError as error:
        raise fail(error) from None
    _emit(tool, fmt, result)
    return result


def list_modules(
    fmt: ListFormatOption = _default(ListFormat),
) -> None:
    """List every registered rule module (built-in and plugins).

    Id, version, instrument, effective dates, digest, registering plugin, numbers of rules and
    golden cases. Exit 2 when one does not load: it is still listed, and its error printed.
    """
    try:
        rows = tools.list_modules(Plugins().policies())
    except CppolicyError as error:
        raise fail(error) from None
    _emit("list", fmt, rows)
    broken = [row for row in rows if row["error"]]
    for row in broken:
        print(f"cppolicy: error: {row['error']}", file=sys.stderr)
    if broken:
        raise typer.Exit(int(ExitCode.USAGE))


def show(
    module: Annotated[str, typer.Argument(metavar="MODULE", help=MODULE_HELP)],
    fmt: ShowFormatOption = _default(ShowFormat),
) -> None:
    """Show a module: metadata, parameters, clocks, rules.

    Each parameter value with its start date and legal reference; each clock with its period
    resolved; each rule with its citation (original text) and messages in zh and en.
    """
    _answer("show", fmt, lambda known: tools.describe_module(tools.load_checked(module, known)))


def coverage(
    module: Annotated[str, typer.Argument(metavar="MODULE", help=MODULE_HELP)],
    fmt: CoverageFormatOption = _default(CoverageFormat),
) -> None:
    """Show how each point / article of the instrument is covered.

    In the instrument's order: status (encoded, institution_data, planned,
    not_machine_checkable), the rules encoding it and the note, then a summary.
    """
    _answer("coverage", fmt, lambda known: tools.coverage_report(tools.load_checked(module, known)))


def diff(
    a: Annotated[str, typer.Argument(metavar="A", help=MODULE_HELP)],
    b: Annotated[str, typer.Argument(metavar="B", help=MODULE_HELP)],
    fmt: DiffFormatOption = _default(DiffFormat),
) -> None:
    """Show what changed from module A to module B.

    Metadata, parameters (per start date), clocks, rules (condition, severity, citation,
    messages, code) and coverage. Exit 0 when identical, 1 when they differ, 2 on errors.
    """
    result = _answer("diff", fmt, lambda known: tools.diff_modules(tools.load_checked(a, known),
                                                                  tools.load_checked(b, known)))
    if not result["identical"]:
        raise typer.Exit(int(ExitCode.FINDINGS))


def test(
    modules: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Module folders (or IDs) whose cases/*.yaml to run.")],
    junit: Annotated[Optional[Path], typer.Option(
        "--junit", metavar="FILE", help="Also write a JUnit XML report to FILE.")] = None,
    fmt: TestFormatOption = _default(TestFormat),
    calendar_data: Optional[list[Path]] = CalendarData,
) -> None:
    """Run the golden cases of rule modules.

    PASS / FAIL per case, named by its legal sentence, with the mismatches; --junit writes a
    JUnit XML report. Exit 0 all pass, 1 any fails, 2 a module or case file does not load.
    """
    try:
        plugins = Plugins()
        known = _known(plugins)
        suites = []
        for spec in modules:
            module = tools.load_checked(spec, known)
            suites.append((module, tools.load_module_cases(module)))
        run = tools.run_tests(
            suites, lambda m: plugins.calendar(m.data.get("calendar") or "cn", list(calendar_data or [])))
        if junit is not None:
            try:
                junit.write_bytes(tools.junit_xml(run))
            except OSError as exc:
                raise InputError(f"--junit {junit}: cannot write: {exc.strerror or exc}") from None
    except CppolicyError as error:
        raise fail(error) from None
    _emit("test", fmt, run)
    for outcome in run.modules:
        if not outcome.outcomes:
            print(f"cppolicy: warning: {outcome.module.ref} has no golden cases "
                  f"(add {outcome.module.path.parent / 'cases'}/*.yaml)", file=sys.stderr)
    if run.failed:
        raise typer.Exit(int(ExitCode.FINDINGS))


def validate(
    modules: Annotated[list[str], typer.Argument(metavar="PATH", help="Module folders (or IDs) to check.")],
    fmt: ValidateFormatOption = _default(ValidateFormat),
) -> None:
    """Load and check rule modules and their case files.

    One line per module, "ok: ID@VERSION (N rules, M cases, DIGEST)", or an error line naming
    the file and JSON path (exit 2).
    """
    try:
        known = _known(Plugins())
    except CppolicyError as error:
        raise fail(error) from None
    failed = False
    for spec in modules:
        try:
            result = tools.validate_module(spec, known)
        except CppolicyError as error:
            fail(error)  # prints the one line; the exit comes after the other modules
            failed = True
            continue
        _emit("validate", fmt, result)
        for warning in result["warnings"]:
            print(f"cppolicy: warning: {warning}", file=sys.stderr)
    if failed:
        raise typer.Exit(int(ExitCode.USAGE))


def register(app: typer.Typer) -> None:
    """Mount the ``policies`` command group on ``app``."""
    group = typer.Typer(
        name="policies",
        help="Rule modules for policy owners: list, show, coverage, diff, test, validate.",
        no_args_is_help=True,
    )
    group.command("list")(list_modules)
    group.command("show")(show)
    group.command("coverage")(coverage)
    group.command("diff")(diff)
    group.command("test")(test)
    group.command("validate")(validate)
    app.add_typer(group, name="policies")
