"""Built-in plugin: the rule modules bundled with cppolicy (registered as ``cppolicy.builtin.policies``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cppolicy.plugin.markers import hookimpl
from cppolicy.rules import bundled_module_paths


@hookimpl
def cppolicy_register_rule_modules(register: Callable[[Path], None]) -> None:
    for path in bundled_module_paths():
        register(path)
