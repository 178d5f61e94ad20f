"""The marker plugins decorate their hook implementations with: ``from cppolicy import hookimpl``."""

from __future__ import annotations

import pluggy

#: the pluggy project name: the markers' and the entry-point group's
PROJECT = "cppolicy"

hookimpl = pluggy.HookimplMarker(PROJECT)
