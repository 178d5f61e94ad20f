"""``cppolicy plugins``: what is loaded, from where, implementing which hooks."""

from __future__ import annotations

import sys

import typer

from cppolicy.cli import fail
from cppolicy.cli import formats as _formats  # noqa: F401 — registers the plugins formats
from cppolicy.cli.options import format_name, format_option
from cppolicy.errors import CppolicyError
from cppolicy.plugin import DISABLE_ENV, Plugins, external_plugins_disabled
from cppolicy.reports import FORMATS

PluginsFormat = FORMATS.choices("plugins")
group = typer.Typer(help="Inspect loaded plugins.", no_args_is_help=True)


@group.command("list")
def list_plugins(fmt: PluginsFormat = format_option("plugins")) -> None:  # type: ignore[valid-type]
    """List loaded plugins (built-in and entry points) and the hooks each implements."""
    try:
        rows = Plugins().describe()
    except CppolicyError as error:
        raise fail(error) from None
    FORMATS.render("plugins", format_name(fmt), rows, sys.stdout)
    if format_name(fmt) == "table" and external_plugins_disabled():
        print(f"external plugins disabled by {DISABLE_ENV}")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="plugins")
