"""Reading JSON Lines: files, gzip files (recognised by their magic bytes) and ``-`` (stdin).

:func:`iter_lines` yields one :class:`~cppolicy.events.model.RawLine` per non-blank physical line.
Blank lines are not events: they are skipped and never counted, but line numbers stay physical.
A line longer than the limit (:class:`~cppolicy.events.limits.ReadLimits`) is read in chunks and
discarded, never held whole, and one nested deeper than the limit is not parsed: each is yielded
as a line with its error, to be quarantined. An input that is not a regular file (a pipe, a FIFO)
is opened once; while :func:`~cppolicy.events.unseekable.readable_twice` holds a copy of it, the
copy is read. :func:`iter_raw_blocks` gives many undecoded lines at a time, for the pre-scan of an
audit.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from cppolicy.errors import InputError
from cppolicy.events.limits import ReadLimits
from cppolicy.events.model import RawLine
from cppolicy.events.unseekable import file_to_read, is_regular

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


def iter_lines(paths: Iterable[str], limits: ReadLimits | None = None) -> Iterator[RawLine]:
    """Yield the non-blank lines of JSONL files, gzip files and ``-`` (stdin), in order.

    Every named file is checked before anything is yielded, so a missing or unreadable file
    raises :class:`InputError` (one line naming the file) at call time. A gzip stream that turns
    out to be corrupt raises InputError while iterating. ``limits``: default
    :meth:`ReadLimits.from_environment` (a bad setting raises InputError now).
    """
    paths = list(paths)
    limits = limits or ReadLimits.from_environment()
    for path in paths:
        if path != "-":
            _check_readable(path)
    return _generate(paths, limits)


def _check_readable(path: str) -> None:
    """A regular file is opened and closed; anything else (a FIFO would block until a writer came,
    and lose what it wrote when closed) is only examined."""
    file = file_to_read(path)
    try:
        if is_regular(file):
            with open(file, "rb"):
                pass
        elif stat.S_ISDIR(os.stat(file).st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        elif not os.access(file, os.R_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _generate(paths: list[str], limits: ReadLimits) -> Iterator[RawLine]:
    for path in paths:
        yield from _decoded(path, _physical_lines(path, limits.max_line_bytes), limits)


#: How much :func:`iter_raw_blocks` reads at a time.
RAW_BLOCK_SIZE = 1 << 22


def iter_raw_blocks(
    paths: Iterable[str], size: int | None = None, limits: ReadLimits | None = None
) -> Iterator[tuple[bytearray, int]]:
    """The physical lines of files (gzip or not) as bytes, undecoded and unstripped, many at a
    time: ``(buffer, end)`` where ``buffer[:end]`` holds whole lines (the last line of a file may
    have no newline; a block never spans two files). The buffer (``size`` bytes, default
    :data:`RAW_BLOCK_SIZE`; doubled for a line longer than that) is filled again for the next
    block: read it in place (``find``, a pattern's ``findall(buffer, 0, end)``) before asking for
    the next, which costs no copy. A line longer than the limit (``limits``, default
    :meth:`ReadLimits.from_environment`), which the reader quarantines, is read on in chunks and
    left out: the buffer never grows past twice the limit. For scans that only look for a key and
    can treat a line they cannot read as a match (no ``-``: stdin cannot be read twice). Errors as
    :func:`iter_lines`."""
    paths = list(paths)
    size = size or RAW_BLOCK_SIZE
    most = (limits or ReadLimits.from_environment()).max_line_bytes
    for path in paths:
        _check_readable(path)  # (a pipe must be copied first: see readable_twice)
    for path in paths:
        with _opened(path) as stream:
            buffer = bytearray(size)
            kept = 0  # bytes of a line begun in the last block, at the start of the buffer
            while True:
                if kept == len(buffer):  # a line longer than the buffer
                    if kept > most:  # and than the limit: never an event
                        while (chunk := stream.readline(_CHUNK)) and chunk[-1] != 10:
                            pass
                        kept = 0
                        continue
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


#: How much of a line longer than the limit is read at a time (and then dropped).
_CHUNK = 1 << 20


def _physical_lines(path: str, limit: int) -> Iterator[bytes | int]:
    """The lines of one file, or of stdin for ``-``, as bytes (a gzip stream is unpacked); a line
    longer than ``limit`` bytes (its line end not counted) as its length in bytes, read in chunks
    and dropped. A read error or a corrupt gzip stream is an InputError naming the file."""
    with _opened(path) as stream:
        readline = stream.readline
        most = limit + 1
        while line := readline(most):
            if len(line) == most and line[-1] != 10:  # no newline within the limit
                length, previous = len(line), line
                while chunk := readline(_CHUNK):
                    length += len(chunk)
                    if chunk[-1] == 10:  # the line end is not counted: \n, or \r\n
                        length -= 2 if (chunk[-2] if len(chunk) > 1 else previous[-1]) == 13 else 1
                        break
                    previous = chunk
                if length > limit:
                    yield length
                    continue
                line += b"\n"  # (only its \r\n went past the limit: a line of exactly the limit)
            yield line


@contextmanager
def _opened(path: str) -> Iterator[io.BufferedIOBase]:
    """One file, or stdin for ``-``, unpacked if it is gzip; errors while it is open or read
    become an InputError naming the file."""
    try:
        if path == "-":
            yield _unpacked(_peekable(sys.stdin.buffer))
        else:
            with open(file_to_read(path), "rb") as handle:
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


def _decoded(source: str, lines: Iterable[bytes | int], limits: ReadLimits) -> Iterator[RawLine]:
    max_depth = limits.max_depth
    for number, data in enumerate(lines, start=1):
        if isinstance(data, int):
            most = number_of_bytes(limits.max_line_bytes)
            message = f"the line is {data} bytes long, more than the limit of {most}"
            yield RawLine(source, number, "", message, None, "too_long")
            continue
        shift = 0
        if number == 1 and data.startswith(_BOM):
            data, shift = data[3:], 3
        if not data or data.isspace():  # blank (ASCII whitespace only, as bytes.strip() strips)
            continue
        if data.endswith(b"\n"):
            data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
        if (
            data.count(b"{") + data.count(b"[") > max_depth
            and (depth := nesting(data, max_depth)) > max_depth
        ):
            message = f"the line is nested more than {max_depth} levels deep ({depth} or more)"
            text = data[:_SHOWN].decode("utf-8", "backslashreplace")
            yield RawLine(source, number, text, message, None, "too_deep")
            continue
        try:
            yield RawLine(source, number, data.decode("utf-8"), None, data)
        except UnicodeDecodeError as exc:
            text = data.decode("utf-8", "backslashreplace")
            # 1-based byte offset in the physical line (a stripped BOM counts)
            yield RawLine(source, number, text, f"invalid UTF-8 at byte {exc.start + shift + 1}")


#: How much of a line too deep is kept as its text in the quarantine record.
_SHOWN = 1024
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting(data: bytes, most: int) -> int:
    """How deep the arrays and objects of a JSON text nest, counted up to ``most + 1`` (brackets
    inside strings are not counted; in text that is not JSON, an overestimate)."""
    depth = deepest = 0
    for token in _TOKENS.findall(data):
        first = token[0]
        if first == 34:  # a string
            continue
        if first in (91, 123):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > most:
                    break
        else:
            depth -= 1
    return deepest


def number_of_bytes(count: int) -> str:
    """``16 MiB`` for a whole number of MiB, else ``N bytes``."""
    return f"{count >> 20} MiB" if count % (1 << 20) == 0 else f"{count} bytes"
