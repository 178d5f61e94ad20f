"""The ``cppolicy`` command line: one module per command group, mounted here."""

from __future__ import annotations

import sys

import typer

from cppolicy.errors import CppolicyError

app = typer.Typer(
    name="cppolicy",
    help="Rules-as-code for Chinese financial consumer-protection complaint handling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_mounted = False


def get_app() -> typer.Typer:
    """The application with every command group mounted (once)."""
    global _mounted
    if not _mounted:
        _mount()
        _mounted = True
    return app


#: Command modules, each providing ``register(app)``; mounted in this order.
COMMAND_MODULES = (
    "validate",
    "calendar",
    "audit",
    "trail",
    "explain",
    "plugins",
    "monitor",
    "importer",
    "check_institution",
    "report",
    "policies",
    "impact",
)


def _mount() -> None:
    # Imported here so that `import cppolicy.cli` stays cheap and each group stays in its module.
    from importlib import import_module

    for name in COMMAND_MODULES:
        import_module(f"cppolicy.cli.{name}").register(app)


def fail(error: CppolicyError) -> typer.Exit:
    """Print an expected error as one line on stderr and return the Exit to raise."""
    print(f"cppolicy: error: {error.message}", file=sys.stderr)
    return typer.Exit(int(error.exit_code))


def main() -> None:
    try:
        get_app()()
    except CppolicyError as error:  # raised outside a command body (e.g. during parsing)
        print(f"cppolicy: error: {error.message}", file=sys.stderr)
        sys.exit(int(error.exit_code))
