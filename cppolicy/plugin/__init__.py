"""The plugin interface (pluggy, project ``cppolicy``; docs/plugins.md).

* :mod:`~cppolicy.plugin.hookspecs` — every hook, ``cppolicy_<verb>_<noun>``, with its calling convention;
* :mod:`~cppolicy.plugin.markers` — ``hookimpl``, the marker plugins use;
* :mod:`~cppolicy.plugin.manager` — :class:`Plugins`, the typed facade one method per hook;
* :mod:`~cppolicy.plugin.builtin` — the built-in plugins (bundled rule modules, the calendar).
"""

from __future__ import annotations

from cppolicy.plugin.hookspecs import Importer
from cppolicy.plugin.manager import (
    DEFAULT_PLUGINS,
    DISABLE_ENV,
    Plugins,
    RegisteredImporter,
    RegisteredModule,
    SinkError,
    entry_point_names,
    external_plugins_disabled,
)
from cppolicy.plugin.markers import PROJECT, hookimpl

__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_ENV",
    "PROJECT",
    "Importer",
    "Plugins",
    "RegisteredImporter",
    "RegisteredModule",
    "SinkError",
    "entry_point_names",
    "external_plugins_disabled",
    "hookimpl",
]
