"""Finding rule modules: the bundled ones, and a module named by id, version or folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cppolicy.errors import RuleModuleError
from cppolicy.resources import policies_dir
from cppolicy.rules.loading import load_module
from cppolicy.rules.model import MODULE_FILE, RuleModule, version_key


def bundled_module_paths() -> list[Path]:
    """Folders of the rule modules shipped with cppolicy, sorted by id and version."""
    root = policies_dir()
    return sorted(p.parent for p in root.glob(f"*/*/{MODULE_FILE}"))


def looks_like_path(spec: str) -> bool:
    """A module spec names a folder only when it looks like one: it holds a path separator or
    starts with ``.`` or ``~`` (``./cbrc-2012-13``, ``policies/x/1.0.0``, ``~/m``). A bare word
    is always a registered id, so a folder of that name in the working directory can never
    stand in for the registered module."""
    return any(sep in spec for sep in {"/", os.sep, os.altsep or "/"}) or spec.startswith((".", "~"))


def resolve_folder(spec: str | Path, known: Sequence[Path] | None = None) -> Path:
    """The folder (or module.yaml) a spec names: a :class:`~pathlib.Path`, or a text that
    :func:`looks_like_path`; otherwise ``ID`` / ``ID@VERSION`` among ``known`` folders (default:
    the bundled ones), named ``<id>/<version>``; the highest version wins when none is pinned."""
    if isinstance(spec, Path) or looks_like_path(spec):
        candidate = Path(spec).expanduser()
        if not candidate.exists():
            raise RuleModuleError(f"{spec}: no such rule module folder")
        return candidate
    known = list(bundled_module_paths() if known is None else known)
    ident, _, version = spec.partition("@")
    matches = [p for p in known if p.parent.name == ident and (not version or p.name == version)]
    if not matches:
        names = ", ".join(f"{p.parent.name}@{p.name}" for p in known) or "none"
        hint = f"; to load the folder {spec!r}, name it by a path: ./{spec}" if Path(spec).exists() else ""
        raise RuleModuleError(f"no rule module {spec!r} (known: {names}){hint}")
    return max(matches, key=lambda p: version_key(p.name))


def resolve_module(spec: str | Path, known: Sequence[Path] | None = None) -> RuleModule:
    """Load a module by folder path, or by ``ID`` / ``ID@VERSION`` among ``known`` folders."""
    return load_module(resolve_folder(spec, known))
