"""Every command's ``--format`` is read from the one format registry (cppolicy.reports.FORMATS):
the same spelling (``--format`` / ``-f``), the registry's choices, and one usage error."""

from __future__ import annotations

import pytest
import typer.main

from cppolicy.cli import get_app
from tests.helpers import cli


def commands(group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        if hasattr(command, "commands"):  # a group
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


WITH_FORMAT = [
    (path, option)
    for path, command in commands(typer.main.get_command(get_app()))
    for option in command.params
    if "--format" in getattr(option, "opts", ())
]


def test_the_commands_with_formats_are_the_ones_users_know():
    names = {" ".join(path) for path, _ in WITH_FORMAT}
    assert {
        "audit",
        "explain",
        "impact",
        "report semiannual",
        "modules list",
        "validate",
        "calendar show",
    } <= names


@pytest.mark.parametrize(("path", "option"), WITH_FORMAT, ids=[" ".join(p) for p, _ in WITH_FORMAT])
def test_every_format_option_is_spelled_the_same_and_refuses_alike(path, option):
    assert sorted(option.opts) == ["--format", "-f"]
    result = cli(*path, "-f", "no-such-format")
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        f"cppolicy: error: cppolicy {' '.join(path)}: Invalid value for '--format' / '-f'"
    ), line
    assert "'no-such-format' is not one of" in line
