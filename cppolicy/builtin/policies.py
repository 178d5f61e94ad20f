"""Built-in plugin: the rule modules bundled with cppolicy."""

from __future__ import annotations

from cppolicy.plugins import hookimpl
from cppolicy.rule_module import bundled_module_paths


@hookimpl
def cppolicy_register_policies(register):
    for path in bundled_module_paths():
        register(path)
