"""First occurrences of event ids, for telling duplicates from conflicts in archives of millions.

:class:`EventIds` remembers the first occurrence of every accepted event id — a 16-byte digest of
its canonical content, where it was read — so that a later line with the same id is told apart as
a ``duplicate`` (same content) or a ``conflict`` (different content). It keeps up to
``table_limit`` ids in a compact hash table (:class:`IdTable`: 8-byte slots in memory, the records
in a temporary file), and those past it in a temporary SQLite database.
"""

from __future__ import annotations

import os
import struct
import sys
import tempfile
from array import array
from typing import IO

from cppolicy.audit.scratch import Scratch

#: A slot of :class:`IdTable`: the top ``TAG_BITS`` bits of an id's hash, then one more than the
#: offset of its record in the records file (so that no slot in use is 0).
TAG_BITS = 28
OFFSET_BITS = 64 - TAG_BITS
_OFFSET_MASK = (1 << OFFSET_BITS) - 1
_HASH_MASK = (1 << 64) - 1
_HASH_BITS = sys.hash_info.width
#: A record's head: source index, line, the digest's length and the id's (UTF-8) length.
_RECORD = struct.Struct("<IQHI")


class IdTable:
    """Event ids in an open-addressing hash table of 8-byte slots (``array('Q')``, linear probing,
    at most two-thirds full), their records appended to a temporary file.

    A slot keeps the top bits of the id's hash (Python's ``hash``: stable within the process,
    which is all the table lives for) and where its record is. The slot an id starts probing at
    is given by the top bits of its hash too, so the table doubles without reading a record.
    A probe compares the stored bits first and reads a record only when they match: for an id
    not kept, about once in 250 ids at a million of them and once in 25 at ten million (the bits
    left beyond those naming the first slot: 7, then 4). Memory: 8 bytes a slot, 12 to 24 bytes
    an id, and while the table doubles the old slots and the new (192 MiB as it reaches its
    largest at ten million ids); the records stay on disk except the last ``buffer`` bytes.
    After :meth:`close` it keeps nothing and takes nothing (``open`` is False).

    Python's ``hash`` of a str is 64 bits on 64-bit builds; on a build where it is 32, the tags
    would crowd into a few runs of slots, so :class:`EventIds` then uses SQLite alone.
    """

    def __init__(
        self, directory: str | os.PathLike[str] | None, limit: int, bits: int = 12, buffer: int = 1 << 20
    ) -> None:
        if not 0 <= limit <= (2 << TAG_BITS) // 3:
            raise ValueError(f"an id table holds 0 to {(2 << TAG_BITS) // 3} ids, not {limit}")
        self.limit = limit
        self.open = limit > 0  # whether it takes more ids
        self._resize(bits)
        self._count = 0
        self._directory = directory
        self._file: IO[bytes] | None = None  # made when the records outgrow the buffer
        self._tail = bytearray()  # records not yet written to the file
        self._written = 0  # the file's length
        self._buffer = buffer

    def __len__(self) -> int:
        return self._count

    def _find(self, event_id: str) -> tuple[int, int, tuple[bytes, int, int] | None]:
        """``(tag, slot, record)``: the id's record if it is kept, else None and the empty slot
        where it goes."""
        tag = (hash(event_id) & _HASH_MASK) >> OFFSET_BITS
        slots, mask = self._slots, self._mask
        index = tag >> self._home_shift
        while value := slots[index]:
            if value >> OFFSET_BITS == tag:
                record = self._record((value & _OFFSET_MASK) - 1)
                if record[0] == event_id:
                    return tag, index, record[1:]
            index = (index + 1) & mask
        return tag, index, None

    def get(self, event_id: str) -> tuple[bytes, int, int] | None:
        """The record of ``event_id``: ``(digest, source, line)``; None if it is not kept."""
        return self._find(event_id)[2]

    def seen(self, event_id: str, digest: bytes, source: int, line: int) -> tuple[bytes, int, int] | None:
        """:meth:`get`, and if the id is not kept, keep it with this record (one probe for both)."""
        tag, index, found = self._find(event_id)
        if found is not None:
            return found
        tail = self._tail
        offset = self._written + len(tail)
        if offset >= _OFFSET_MASK:
            raise OverflowError("the event ids' records file is full")
        encoded = event_id.encode("utf-8", "surrogatepass")
        tail += _RECORD.pack(source, line, len(digest), len(encoded))
        tail += digest
        tail += encoded
        if len(tail) >= self._buffer:
            self._flush()
        self._slots[index] = tag << OFFSET_BITS | (offset + 1)
        self._count += 1
        if self._count > self._most:
            self._grow()
        if self._count >= self.limit:
            self.open = False
        return None

    def _resize(self, bits: int) -> None:
        self._bits = bits
        self._slots = array("Q", [0]) * (1 << bits)
        self._mask = (1 << bits) - 1
        self._home_shift = TAG_BITS - bits  # a tag's first slot: its top ``bits`` bits
        self._most = (2 << bits) // 3

    def _grow(self) -> None:
        """Double the table: each slot is probed into the new one from the top bits of its tag,
        so no record is read. (Taking them in sorted order, without probing, is no faster in
        Python, and the sorted list would cost 40 bytes an id while it lasts.)"""
        old = self._slots
        self._resize(self._bits + 1)
        slots, mask, shift = self._slots, self._mask, OFFSET_BITS + self._home_shift
        for value in old:
            if value:
                index = value >> shift
                while slots[index]:
                    index = (index + 1) & mask
                slots[index] = value

    def _flush(self) -> None:
        if self._file is None:  # unnamed (POSIX) or removed on close
            self._file = tempfile.TemporaryFile(prefix="cppolicy-ids-", dir=self._directory)
        self._file.seek(0, os.SEEK_END)
        self._file.write(self._tail)
        self._written += len(self._tail)
        self._tail = bytearray()

    def _record(self, offset: int) -> tuple[str, bytes, int, int]:
        data: bytes | bytearray
        if offset >= self._written:
            data, start = self._tail, offset - self._written
            source, line, digest_length, id_length = _RECORD.unpack_from(data, start)
            start += _RECORD.size
        else:
            assert self._file is not None  # the record is before _written: it was flushed to the file
            self._file.seek(offset)
            source, line, digest_length, id_length = _RECORD.unpack(self._file.read(_RECORD.size))
            data, start = self._file.read(digest_length + id_length), 0
        digest = bytes(data[start : start + digest_length])
        start += digest_length
        event_id = bytes(data[start : start + id_length]).decode("utf-8", "surrogatepass")
        return event_id, digest, source, line

    def close(self) -> None:
        self._tail = bytearray()
        self.open = False
        self._count = 0
        self._resize(0)  # one empty slot: get() finds nothing
        if self._file is not None:
            self._file.close()
            self._file = None


class EventIds:
    """First occurrences of event ids: ``id -> (digest, source index, line)``.

    Up to ``table_limit`` ids are kept in an :class:`IdTable` (about 1.5 µs an id, 12-24 bytes
    of memory an id; 128 MiB at most at the default limit, 192 MiB while it doubles to that); ids
    past it go to a temporary SQLite database keyed by id (about 4 µs an id, its page cache as
    memory), looked up after the table. So memory is bounded whatever the archive's size, and a
    million ids cost 1.5 s, not 3.9. (SQLite alone where ``hash`` is not 64 bits: see
    :class:`IdTable`.)
    """

    def __init__(
        self,
        table_limit: int = 10_000_000,
        directory: str | os.PathLike[str] | None = None,
        batch: int = 10_000,
    ) -> None:
        self.table_limit = table_limit if _HASH_BITS >= 64 else 0
        self.directory = directory
        self.batch = batch
        self._table = IdTable(directory, limit=self.table_limit)
        self._memory: dict[str, tuple[bytes, int, int]] = {}  # past the table: not yet in SQLite
        self._scratch: Scratch | None = None

    @property
    def on_disk(self) -> bool:
        """Whether ids went past the table, to SQLite."""
        return self._scratch is not None

    def first(self, event_id: str) -> tuple[bytes, int, int] | None:
        found = self._table.get(event_id)
        if found is not None or self._table.open:  # nothing past the table yet
            return found
        found = self._memory.get(event_id)
        if found is not None or self._scratch is None:
            return found
        row = self._scratch.db.execute(
            "SELECT digest, src, line FROM ids WHERE id = ?", (event_id,)
        ).fetchone()
        return (bytes(row[0]), row[1], row[2]) if row else None

    def seen(self, event_id: str, digest: bytes, source: int, line: int) -> tuple[bytes, int, int] | None:
        """The first occurrence of ``event_id`` if there was one (:meth:`first`); if not, this is
        it, and it is kept (:meth:`add`). One probe of the table for both."""
        if self._table.open:
            return self._table.seen(event_id, digest, source, line)
        found = self.first(event_id)
        if found is None:
            self.add(event_id, digest, source, line)
        return found

    def add(self, event_id: str, digest: bytes, source: int, line: int) -> None:
        """Keep the first occurrence of an id that :meth:`first` does not know."""
        if self._table.open:
            self._table.seen(event_id, digest, source, line)
            return
        self._memory[event_id] = (digest, source, line)
        if len(self._memory) >= self.batch:
            if self._scratch is None:
                self._scratch = Scratch("ids.sqlite", self.directory)
                self._scratch.db.execute(
                    "CREATE TABLE ids (id TEXT PRIMARY KEY, digest BLOB, src INTEGER, line INTEGER) WITHOUT ROWID"
                )
            self._flush()

    def _flush(self) -> None:
        assert self._scratch is not None
        db = self._scratch.db
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO ids VALUES (?, ?, ?, ?)",
            ((key, digest, src, line) for key, (digest, src, line) in self._memory.items()),
        )
        db.execute("COMMIT")
        self._memory.clear()

    def close(self) -> None:
        self._memory.clear()
        self._table.close()
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None
