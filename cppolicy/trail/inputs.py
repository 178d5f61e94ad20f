"""What a run read: the digest of each input file, and of stdin as it was read.

The ``inputs`` of a ``run_started`` record name each file with its SHA-256 and size; stdin
(``-``) is hashed while the audit reads it (:func:`hashing_stdin`), so the trail records exactly
what was read without holding it in memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, cast

from cppolicy.errors import TrailError
from cppolicy.events import file_to_read


def file_digest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``{source, sha256, bytes}`` of a file's bytes as they are on disk."""
    digest, size = hashlib.sha256(), 0
    try:  # (a pipe's copy while the audit holds one: the bytes the audit read)
        with open(file_to_read(str(path)), "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise TrailError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return {"source": str(path), "sha256": digest.hexdigest(), "bytes": size}


class StdinDigest:
    """The running SHA-256 of the bytes read from stdin while :func:`hashing_stdin` is active."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.bytes = 0

    def update(self, data: bytes) -> None:
        self._digest.update(data)
        self.bytes += len(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()

    def as_input(self, source: str = "-") -> dict[str, Any]:
        return {"source": source, "sha256": self.hexdigest(), "bytes": self.bytes}


class _HashingReader(io.RawIOBase):
    def __init__(self, inner: IO[bytes], digest: StdinDigest) -> None:
        self._inner = inner
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        read = getattr(self._inner, "read1", self._inner.read)
        data = read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._digest.update(data)
        return size


@contextmanager
def hashing_stdin() -> Iterator[StdinDigest]:
    """Within the block, ``sys.stdin`` reads the same bytes while hashing them, so the trail
    can record the digest of exactly what an audit read from ``-`` without holding it in memory."""
    original = sys.stdin
    digest = StdinDigest()
    # a stdin without .buffer is taken to be a binary stream already (typed TextIO all the same)
    source = original.buffer if hasattr(original, "buffer") else cast("IO[bytes]", original)
    sys.stdin = io.TextIOWrapper(io.BufferedReader(_HashingReader(source, digest)), encoding="utf-8")
    try:
        yield digest
    finally:
        sys.stdin = original


def input_digests(paths: Sequence[str], stdin: StdinDigest | None = None) -> list[dict[str, Any]]:
    """The ``inputs`` of a ``run_started`` record: each file's digest, and stdin's (``-``)
    from the :class:`StdinDigest` that watched it being read."""
    out = []
    for path in paths:
        if path == "-":
            unknown = {"source": "-", "sha256": None, "bytes": None}
            out.append(stdin.as_input() if stdin is not None else unknown)
        else:
            out.append(file_digest(path))
    return out
