"""Finding rule modules: the bundled ones, and a module named by id, version or folder."""

from __future__ import annotations

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


def resolve_folder(spec: str | Path, known: Sequence[Path] | None = None) -> Path:
    """The folder (or module.yaml) a spec names: an existing path, or ``ID`` / ``ID@VERSION``
    among ``known`` folders (default: the bundled ones), named ``<id>/<version>``; the highest
    version wins when none is pinned."""
    candidate = Path(spec)
    if candidate.exists():
        return candidate
    known = list(bundled_module_paths() if known is None else known)
    ident, _, version = str(spec).partition("@")
    matches = [p for p in known if p.parent.name == ident and (not version or p.name == version)]
    if not matches:
        names = ", ".join(f"{p.parent.name}@{p.name}" for p in known) or "none"
        raise RuleModuleError(f"no rule module {str(spec)!r} (known: {names})")
    return max(matches, key=lambda p: version_key(p.name))


def resolve_module(spec: str | Path, known: Sequence[Path] | None = None) -> RuleModule:
    """Load a module by folder path, or by ``ID`` / ``ID@VERSION`` among ``known`` folders."""
    return load_module(resolve_folder(spec, known))
