"""Reading JSON Lines: files, gzip files (recognised by their magic bytes) and ``-`` (stdin).

:func:`iter_lines` yields one :class:`~cppolicy.events.model.RawLine` per non-blank physical line.
Blank lines are not events: they are skipped and never counted, but line numbers stay physical.
:func:`iter_raw_blocks` gives many undecoded lines at a time, for the pre-scan of an audit.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from cppolicy.errors import InputError
from cppolicy.events.model import RawLine

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


def iter_lines(paths: Iterable[str]) -> Iterator[RawLine]:
    """Yield the non-blank lines of JSONL files, gzip files and ``-`` (stdin), in order.

    Every named file is checked before anything is yielded, so a missing or unreadable file
    raises :class:`InputError` (one line naming the file) at call time. A gzip stream that turns
    out to be corrupt raises InputError while iterating.
    """
    paths = list(paths)
    for path in paths:
        if path != "-":
            _check_readable(path)
    return _generate(paths)


def _check_readable(path: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _generate(paths: list[str]) -> Iterator[RawLine]:
    for path in paths:
        yield from _decoded(path, _physical_lines(path))


#: How much :func:`iter_raw_blocks` reads at a time.
RAW_BLOCK_SIZE = 1 << 22


def iter_raw_blocks(paths: Iterable[str], size: int | None = None) -> Iterator[tuple[bytearray, int]]:
    """The physical lines of files (gzip or not) as bytes, undecoded and unstripped, many at a
    time: ``(buffer, end)`` where ``buffer[:end]`` holds whole lines (the last line of a file may
    have no newline; a block never spans two files). The buffer (``size`` bytes, default
    :data:`RAW_BLOCK_SIZE`; doubled for a line longer than that) is filled again for the next
    block: read it in place (``find``, a pattern's ``findall(buffer, 0, end)``) before asking for
    the next, which costs no copy. For scans that only look for a key and can treat a line they
    cannot read as a match (no ``-``: stdin cannot be read twice). Errors as :func:`iter_lines`."""
    paths = list(paths)
    size = size or RAW_BLOCK_SIZE
    for path in paths:
        _check_readable(path)
    for path in paths:
        with _opened(path) as stream:
            buffer = bytearray(size)
            kept = 0  # bytes of a line begun in the last block, at the start of the buffer
            while True:
                if kept == len(buffer):  # a line longer than the buffer
                    buffer.extend(bytes(len(buffer)))
                with memoryview(buffer) as view, view[kept:] as free:
                    read = stream.readinto(free)
                if not read:
                    if kept:
                        yield buffer, kept
                    break
                end = kept + read
                cut = buffer.rfind(b"\n", 0, end) + 1
                if cut:
                    yield buffer, cut
                    buffer[: end - cut] = buffer[cut:end]
                    kept = end - cut
                else:
                    kept = end


def _physical_lines(path: str) -> Iterator[bytes]:
    """The lines of one file, or of stdin for ``-``, as bytes (a gzip stream is unpacked);
    a read error or a corrupt gzip stream is an InputError naming the file."""
    with _opened(path) as stream:
        yield from stream


@contextmanager
def _opened(path: str) -> Iterator[io.BufferedIOBase]:
    """One file, or stdin for ``-``, unpacked if it is gzip; errors while it is open or read
    become an InputError naming the file."""
    try:
        if path == "-":
            yield _unpacked(_peekable(sys.stdin.buffer))
        else:
            with open(path, "rb") as handle:
                yield _unpacked(handle)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: not a valid gzip file: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _peekable(stream: BinaryIO) -> io.BufferedReader:
    # stdin's buffer is typed BinaryIO: at run time a BufferedReader (it has peek), else a raw
    # stream that BufferedReader wraps; mypy sees neither what hasattr proves nor a raw stream.
    return stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[return-value, arg-type]


def _unpacked(stream: io.BufferedReader) -> io.BufferedIOBase:
    if stream.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb")
    return stream


def _decoded(source: str, lines: Iterable[bytes]) -> Iterator[RawLine]:
    for number, data in enumerate(lines, start=1):
        shift = 0
        if number == 1 and data.startswith(_BOM):
            data, shift = data[3:], 3
        if not data or data.isspace():  # blank (ASCII whitespace only, as bytes.strip() strips)
            continue
        if data.endswith(b"\n"):
            data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
        try:
            yield RawLine(source, number, data.decode("utf-8"), None, data)
        except UnicodeDecodeError as exc:
            text = data.decode("utf-8", "backslashreplace")
            # 1-based byte offset in the physical line (a stripped BOM counts)
            yield RawLine(source, number, text, f"invalid UTF-8 at byte {exc.start + shift + 1}")
