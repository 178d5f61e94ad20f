"""What ships with cppolicy besides its code: the version, the bundled schemas and rule modules.

In a source checkout the schemas and rule modules are the top-level ``schemas/`` and
``policies/`` folders; in an installed wheel they are copied to ``cppolicy/_data/`` (see
pyproject's force-include).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

#: The package version (also in pyproject.toml; tests/test_packaging.py checks they agree).
VERSION = "0.1.0"

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder holding the bundled ``schemas`` or ``policies``."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"bundled {name}/ not found next to the cppolicy package")


def schemas_dir() -> Path:
    return data_dir("schemas")


def policies_dir() -> Path:
    return data_dir("policies")
