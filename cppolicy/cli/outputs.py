"""Outputs that cannot be turned against the inputs: every command checks the files it will write
(``-o``, ``--quarantine``, ``--trail``, ``--state``, ``--junit``, and standard output when it is
a regular file) against the files it reads, before anything is opened for writing.

An output is refused — one line, exit 2, nothing written — when it is the same file as an input
(same device and inode: a symbolic or hard link to the archive is the archive) or as another
output (also by its resolved path, for outputs that do not exist yet). The check is repeated on
the file actually opened (:meth:`OutputGuard.open`: opened without truncation, checked, then
truncated), so an input swapped in under an output's name after the first check is still never
truncated. docs/exit-codes.md lists the refusal.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cppolicy.errors import InputError
from cppolicy.rules import RuleModule

#: (device, inode): a file's identity, whatever name or link reaches it
Identity = tuple[int, int]


def _identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino)


def _stat(path: str | os.PathLike[str]) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):  # missing, unreachable or an unusable name: nothing to protect
        return None


def _resolved(path: str | os.PathLike[str]) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a symbolic link loop: the open will report it
        return Path(os.path.abspath(path))


@dataclass
class OutputGuard:
    """The inputs of a command (their identities, with how to name them) and the outputs already
    claimed; :meth:`claim` refuses an output that would overwrite either."""

    inputs: dict[Identity, str] = field(default_factory=dict)
    claimed: dict[object, str] = field(default_factory=dict)

    def read(self, label: str, paths: Iterable[str | os.PathLike[str] | None]) -> OutputGuard:
        """Record input files, e.g. ``read("the archive", archives)``; ``-`` (stdin) and files that
        do not exist (the command will report those) are skipped."""
        for path in paths:
            if path is None or str(path) == "-":
                continue
            st = _stat(path)
            if st is not None:
                self.inputs.setdefault(_identity(st), f"{label} {path}")
        return self

    def claim(self, option: str, path: str | os.PathLike[str] | None) -> OutputGuard:
        """Check the output ``path`` given by ``option`` (``--quarantine``); a one-line
        :class:`InputError` if it is an input or an output already claimed."""
        if path is None:
            return self
        place = f"{option} {path}"
        st = _stat(path)
        if st is not None:
            self._refuse_input(place, _identity(st))
        keys: list[object] = [_resolved(path)]
        if st is not None:
            keys.append(_identity(st))
        for key in keys:
            if key in self.claimed:
                raise InputError(
                    f"{place}: the same file as {self.claimed[key]}: give each output its own file"
                )
        for key in keys:
            self.claimed[key] = place
        return self

    def claim_stdout(self) -> OutputGuard:
        """Standard output redirected into an input (``>> archive.jsonl``) is refused, as ``cat``
        refuses ``cat f >> f``; a terminal or a pipe has nothing to overwrite."""
        try:
            st = os.fstat(sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # no file descriptor (e.g. captured in tests)
            return self
        if stat.S_ISREG(st.st_mode):
            self._refuse_input("standard output", _identity(st))
        return self

    def _refuse_input(self, place: str, identity: Identity) -> None:
        if identity in self.inputs:
            raise InputError(
                f"{place}: the same file as {self.inputs[identity]}: an output never overwrites an "
                f"input (nothing was written)"
            )

    def _open_fd(self, option: str, path: str | os.PathLike[str]) -> int:
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags, 0o666)
        try:
            st = os.fstat(fd)
            self._refuse_input(f"{option} {path}", _identity(st))
            if stat.S_ISREG(st.st_mode):
                os.ftruncate(fd, 0)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def open(self, option: str, path: str | os.PathLike[str]) -> IO[bytes]:
        """Open the output ``path`` for writing, checked again on the file actually opened: it is
        opened without truncation, compared with the inputs, and only then truncated."""
        return os.fdopen(self._open_fd(option, path), "wb")

    def open_text(self, option: str, path: str | os.PathLike[str]) -> IO[str]:
        """:meth:`open`, as UTF-8 text."""
        return os.fdopen(self._open_fd(option, path), "w", encoding="utf-8")

    def check_replace(self, option: str, path: str | os.PathLike[str]) -> None:
        """Before a temporary file is renamed onto ``path``: ``path`` is still not an input."""
        st = _stat(path)
        if st is not None:
            self._refuse_input(f"{option} {path}", _identity(st))


def guard_inputs(
    archives: Iterable[str | os.PathLike[str]],
    calendar_data: Iterable[str | os.PathLike[str]] | None = None,
    modules: Iterable[RuleModule] = (),
    label: str = "the archive",
) -> OutputGuard:
    """The guard of a command that reads ``archives`` (``label`` names them), calendar data files
    and rule modules (their ``module.yaml``)."""
    return (
        OutputGuard()
        .read(label, archives)
        .read("--calendar-data", calendar_data or [])
        .read("the rule module", [module.path for module in modules])
    )
