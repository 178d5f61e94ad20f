"""Inputs that can be read only once — pipes, FIFOs, ``<(…)`` process substitution, devices —
copied to a temporary file once, so that everything that reads an archive twice (the audit's
sortedness pre-scan, then its reading; the trail's digest of its inputs) reads the same bytes.

:func:`readable_twice` makes the copies for the duration of a block and records them; the readers
(:mod:`cppolicy.events.reading`, the trail's digests) open :func:`file_to_read` of a path, which
is the copy while one exists. The name a user gave stays the name of the source in every message,
report and quarantine record. ``-`` (stdin) is not copied: every reader of it reads it once (the
audit spills its events, and the trail hashes it as it is read).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from cppolicy.errors import InputError

_copies: dict[str, str] = {}
_lock = threading.Lock()


def is_regular(path: str) -> bool:
    """Whether ``path`` is a regular file (following links); a path that cannot be examined
    counts as regular, so that opening it reports why."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return True


def file_to_read(path: str) -> str:
    """The file to open for the input named ``path``: its copy while :func:`readable_twice` holds
    one, else ``path`` itself."""
    return _copies.get(path, path)


@contextmanager
def readable_twice(paths: Iterable[str], directory: str | None = None) -> Iterator[list[str]]:
    """Within the block, every path that is not a regular file (nor ``-``) is read from a copy
    made now, in one read, in a private temporary folder (``directory`` or ``TMPDIR``) removed on
    exit. Yields the paths copied. A path already copied by an enclosing block is not copied
    again. A read or write error is one :class:`InputError` naming the input."""
    made: list[str] = []
    folder: str | None = None
    try:
        for path in dict.fromkeys(paths):
            if path == "-" or path in _copies or is_regular(path):
                continue
            if folder is None:
                folder = tempfile.mkdtemp(prefix="cppolicy-input-", dir=directory)
            copy = os.path.join(folder, f"input-{len(made)}")
            _copy(path, copy)
            with _lock:
                _copies[path] = copy
            made.append(path)
        yield made
    finally:
        with _lock:
            for path in made:
                _copies.pop(path, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _copy(path: str, copy: str) -> None:
    try:
        source = open(path, "rb")  # noqa: SIM115 — closed below, errors named apart from the copy's
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with source:
        try:
            with open(copy, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
        except OSError as exc:
            raise InputError(
                f"{path}: cannot copy this input, which can be read only once, to a temporary file "
                f"({os.path.dirname(copy)}): {exc.strerror or exc}"
            ) from None
