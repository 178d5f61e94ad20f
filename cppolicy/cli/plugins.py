"""``cppolicy plugins``: what is loaded, from where, implementing which hooks."""

from __future__ import annotations

import sys

import orjson
import typer
from rich.console import Console
from rich.table import Table

from cppolicy.errors import CppolicyError, InputError
from cppolicy.plugins import DISABLE_ENV, Plugins, external_plugins_disabled

group = typer.Typer(help="Inspect loaded plugins.", no_args_is_help=True)


@group.command("list")
def list_plugins(fmt: str = typer.Option("table", "--format", "-f", help="table or json.")) -> None:
    """List loaded plugins (built-in and entry points) and the hooks each implements."""
    from cppolicy.cli import fail

    try:
        if fmt not in ("table", "json"):
            raise InputError(f"--format: {fmt!r} is not table or json")
        rows = Plugins().describe()
    except CppolicyError as error:
        raise fail(error) from None
    if fmt == "json":
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table(title="cppolicy plugins")
    for column in ("name", "source", "hooks"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["source"], "\n".join(row["hooks"]))
    console = Console(width=160) if not sys.stdout.isatty() else Console()
    console.print(table)
    if external_plugins_disabled():
        console.print(f"external plugins disabled by {DISABLE_ENV}")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="plugins")
