"""Disk-backed state for audits of archives larger than memory (standard library ``sqlite3``).

* :class:`EventIds` remembers the first occurrence of every accepted event id — a 16-byte
  digest of its canonical content, where it was read — so that a later line with the same id is
  told apart as a ``duplicate`` (same content) or a ``conflict`` (different content). It keeps
  up to ``table_limit`` ids in a compact hash table (:class:`_IdTable`: 8-byte slots in memory,
  the records in a temporary file), and those past it in a temporary SQLite database.
* :class:`Spill` holds the complaint events of an archive that is not sorted by complaint: each
  accepted line is written with its complaint id and its position, and read back complaint by
  complaint, in complaint-id order and, within a complaint, in input order. Memory stays bounded
  by SQLite's page cache whatever the archive's size.
* :class:`ResultSpill` keeps an audit's results (one per complaint and module) in memory up to
  ``memory_limit`` of them, then on disk, pickled in batches; the report reads them back in order.
* :func:`revive` rebuilds the :class:`~cppolicy.events.Event` of a line that already passed
  :func:`~cppolicy.events.parse_and_validate` (in a worker process, or read back from a spill)
  without validating it again.

Each database is created in a private temporary folder (``TMPDIR`` or the folder given) whose
name is removed as soon as the database is open (on POSIX; elsewhere on :meth:`close`), so that
an audit that is killed leaves nothing behind; they are written without a journal or fsync:
scratch space, rebuilt by the next run. The id table's records file is a
:func:`tempfile.TemporaryFile` in the same place: unnamed on POSIX, removed on close elsewhere.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import shutil
import sqlite3
import struct
import sys
import tempfile
import weakref
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence

import orjson

from cppolicy.events import Event, _parse_datetime, event_from

#: One line of a complaint, as it travels: (index of its source, 1-based line, its UTF-8 bytes).
Row = tuple[int, int, bytes]


def content_digest(raw: dict) -> bytes:
    """The digest of an event's canonical content (keys sorted): equal contents, equal digests."""
    return hashlib.blake2b(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def revive(data: bytes | str, source: str, line: int) -> Event:
    """The Event of a line known to be valid (its bytes, or its text): what
    ``parse_and_validate`` returned for it."""
    doc = orjson.loads(data)
    time = _parse_datetime(doc["time"])
    if time is None:  # cannot happen for a line that passed parse_and_validate
        raise ValueError(f"{source}:{line}: not a validated event line")
    return event_from(doc, time, source, line)


class _Scratch:
    """A private temporary folder holding one SQLite database tuned as scratch space."""

    def __init__(self, name: str, directory: str | os.PathLike[str] | None) -> None:
        self.folder = tempfile.mkdtemp(prefix="cppolicy-", dir=directory)
        self.path = os.path.join(self.folder, name)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE",
                       "locking_mode=EXCLUSIVE", "cache_size=-32768"):  # 32 MiB page cache
            self.db.execute(f"PRAGMA {pragma}")
        # One connection, no journal, an exclusive lock: SQLite never opens the file again, so its
        # name can go now (POSIX) and an audit that is killed leaves no gigabytes behind.
        self.db.execute("CREATE TABLE _lock (x)")
        try:
            os.unlink(self.path)
            os.rmdir(self.folder)
        except OSError:
            pass  # removed on close instead

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


#: A slot of :class:`_IdTable`: the top ``_TAG_BITS`` bits of an id's hash, then one more than the
#: offset of its record in the records file (so that no slot in use is 0).
_TAG_BITS = 28
_OFFSET_BITS = 64 - _TAG_BITS
_OFFSET_MASK = (1 << _OFFSET_BITS) - 1
_HASH_MASK = (1 << 64) - 1
_HASH_BITS = sys.hash_info.width
#: A record's head: source index, line, the digest's length and the id's (UTF-8) length.
_RECORD = struct.Struct("<IQHI")


class _IdTable:
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

    def __init__(self, directory: str | os.PathLike[str] | None, limit: int, bits: int = 12,
                 buffer: int = 1 << 20) -> None:
        if not 0 <= limit <= (2 << _TAG_BITS) // 3:
            raise ValueError(f"an id table holds 0 to {(2 << _TAG_BITS) // 3} ids, not {limit}")
        self.limit = limit
        self.open = limit > 0  # whether it takes more ids
        self._resize(bits)
        self._count = 0
        self._directory = directory
        self._file = None  # made when the records outgrow the buffer
        self._tail = bytearray()  # records not yet written to the file
        self._written = 0  # the file's length
        self._buffer = buffer

    def __len__(self) -> int:
        return self._count

    def _find(self, event_id: str) -> tuple[int, int, tuple[bytes, int, int] | None]:
        """``(tag, slot, record)``: the id's record if it is kept, else None and the empty slot
        where it goes."""
        tag = (hash(event_id) & _HASH_MASK) >> _OFFSET_BITS
        slots, mask = self._slots, self._mask
        index = tag >> self._home_shift
        while value := slots[index]:
            if value >> _OFFSET_BITS == tag:
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
        self._slots[index] = tag << _OFFSET_BITS | (offset + 1)
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
        self._home_shift = _TAG_BITS - bits  # a tag's first slot: its top ``bits`` bits
        self._most = (2 << bits) // 3

    def _grow(self) -> None:
        """Double the table: each slot is probed into the new one from the top bits of its tag,
        so no record is read. (Taking them in sorted order, without probing, is no faster in
        Python, and the sorted list would cost 40 bytes an id while it lasts.)"""
        old = self._slots
        self._resize(self._bits + 1)
        slots, mask, shift = self._slots, self._mask, _OFFSET_BITS + self._home_shift
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
        if offset >= self._written:
            data, start = self._tail, offset - self._written
            source, line, digest_length, id_length = _RECORD.unpack_from(data, start)
            start += _RECORD.size
        else:
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

    Up to ``table_limit`` ids are kept in an :class:`_IdTable` (about 1.5 µs an id, 12-24 bytes
    of memory an id; 128 MiB at most at the default limit, 192 MiB while it doubles to that); ids
    past it go to a temporary SQLite database keyed by id (about 4 µs an id, its page cache as
    memory), looked up after the table. So memory is bounded whatever the archive's size, and a
    million ids cost 1.5 s, not 3.9. (SQLite alone where ``hash`` is not 64 bits: see
    :class:`_IdTable`.)
    """

    def __init__(self, table_limit: int = 10_000_000, directory: str | os.PathLike[str] | None = None,
                 batch: int = 10_000) -> None:
        self.table_limit = table_limit if _HASH_BITS >= 64 else 0
        self.directory = directory
        self.batch = batch
        self._table = _IdTable(directory, limit=self.table_limit)
        self._memory: dict[str, tuple[bytes, int, int]] = {}  # past the table: not yet in SQLite
        self._scratch: _Scratch | None = None

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
        row = self._scratch.db.execute("SELECT digest, src, line FROM ids WHERE id = ?", (event_id,)).fetchone()
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
                self._scratch = _Scratch("ids.sqlite", self.directory)
                self._scratch.db.execute(
                    "CREATE TABLE ids (id TEXT PRIMARY KEY, digest BLOB, src INTEGER, line INTEGER) WITHOUT ROWID")
            self._flush()

    def _flush(self) -> None:
        assert self._scratch is not None
        db = self._scratch.db
        db.execute("BEGIN")
        db.executemany("INSERT INTO ids VALUES (?, ?, ?, ?)",
                       ((key, digest, src, line) for key, (digest, src, line) in self._memory.items()))
        db.execute("COMMIT")
        self._memory.clear()

    def close(self) -> None:
        self._memory.clear()
        self._table.close()
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None


class Spill:
    """Complaint events on disk, read back grouped by complaint id (ascending), in input order."""

    def __init__(self, directory: str | os.PathLike[str] | None = None, batch: int = 5_000) -> None:
        self._scratch = _Scratch("spill.sqlite", directory)
        self._scratch.db.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, cid TEXT NOT NULL, src INTEGER, line INTEGER, data BLOB)")
        self._pending: list[tuple[str, int, int, bytes]] = []
        self.batch = batch
        self.events = 0

    @property
    def path(self) -> str:
        return self._scratch.path

    def add(self, complaint_id: str, source: int, line: int, data: bytes) -> None:
        self._pending.append((complaint_id, source, line, data))
        self.events += 1
        if len(self._pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        db = self._scratch.db
        db.execute("BEGIN")
        db.executemany("INSERT INTO events (cid, src, line, data) VALUES (?, ?, ?, ?)", self._pending)
        db.execute("COMMIT")
        self._pending.clear()

    def complaint_count(self) -> int:
        self._flush()
        return self._scratch.db.execute("SELECT COUNT(DISTINCT cid) FROM events").fetchone()[0]

    def groups(self) -> Iterator[tuple[str, list[Row]]]:
        """``(complaint_id, rows)`` in complaint-id order (the order of Python's ``sorted``:
        SQLite compares text as UTF-8 bytes, which orders as code points), rows in input order."""
        self._flush()
        cursor = self._scratch.db.execute("SELECT cid, src, line, data FROM events ORDER BY cid, seq")
        current: str | None = None
        rows: list[Row] = []
        while True:
            fetched = cursor.fetchmany(2_000)
            if not fetched:
                break
            for cid, src, line, data in fetched:
                if cid != current:
                    if current is not None:
                        yield current, rows
                    current, rows = cid, []
                rows.append((src, line, data))
        if current is not None:
            yield current, rows

    def close(self) -> None:
        self._pending.clear()
        self._scratch.close()


class ResultTally:
    """Counts kept as results are stored, so that a report's counts need no pass over them."""

    def __init__(self) -> None:
        self.severities: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.findings = 0

    def add(self, result) -> None:
        self.statuses[result.status] += 1
        for finding in result.findings:
            self.severities[finding.severity] += 1
        self.findings += len(result.findings)


class StreamedResults(Sequence):
    """The results of an audit whose report was written while it ran (``audit_archive`` with
    ``keep_results=False``): counted as they come, not kept. Reading them is an error, not an
    empty list."""

    def __init__(self) -> None:
        self.tally = ResultTally()
        self._length = 0

    def append(self, result) -> None:
        self.tally.add(result)
        self._length += 1

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        raise LookupError("this audit's results were written to its report as they came and not kept "
                          "(audit_archive(keep_results=False))")

    def __iter__(self):
        return self[0]


class ResultSpill(Sequence):
    """An append-only list of results that moves to a temporary SQLite database once it holds
    more than ``memory_limit`` of them (pickled in batches), and reads them back in order.

    An audit of millions of complaints keeps every result until its report is written; on disk
    they cost no memory, and the report reads them back one batch at a time. ``tally`` counts
    statuses and severities as results come, so counting needs no pass over the disk.
    """

    def __init__(self, memory_limit: int = 50_000, directory: str | os.PathLike[str] | None = None,
                 batch: int = 512) -> None:
        self.memory_limit = memory_limit
        self.directory = directory
        self.batch = batch
        self.tally = ResultTally()
        self._memory: list = []
        self._pending: list = []
        self._rows = 0
        self._scratch: _Scratch | None = None
        self._length = 0

    @property
    def on_disk(self) -> bool:
        return self._scratch is not None

    def append(self, result) -> None:
        self.tally.add(result)
        self._length += 1
        if self._scratch is None:
            self._memory.append(result)
            if len(self._memory) > self.memory_limit:
                self._scratch = _Scratch("results.sqlite", self.directory)
                self._scratch.db.execute("CREATE TABLE results (n INTEGER PRIMARY KEY, batch BLOB)")
                # the report reads the results after the audit returns: removed when it is gone
                self._finalizer = weakref.finalize(self, self._scratch.close)
                self._pending, self._memory = self._memory, []
                while len(self._pending) >= self.batch:
                    self._flush()
            return
        self._pending.append(result)
        if len(self._pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        assert self._scratch is not None
        chunk, self._pending = self._pending[: self.batch], self._pending[self.batch:]
        self._scratch.db.execute("INSERT INTO results VALUES (?, ?)",
                                 (self._rows, pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)))
        self._rows += 1

    def __len__(self) -> int:
        return self._length

    def __iter__(self):
        if self._scratch is None:
            yield from list(self._memory)
            return
        rows = self._rows
        pending = list(self._pending)
        for n in range(rows):
            (blob,) = self._scratch.db.execute("SELECT batch FROM results WHERE n = ?", (n,)).fetchone()
            yield from pickle.loads(blob)
        yield from pending

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(itertools.islice(self, *index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if self._scratch is None:
            return self._memory[index]
        row, offset = divmod(index, self.batch)
        if row >= self._rows:
            return self._pending[offset]
        (blob,) = self._scratch.db.execute("SELECT batch FROM results WHERE n = ?", (row,)).fetchone()
        return pickle.loads(blob)[offset]

    def close(self) -> None:
        if self._scratch is not None:
            self._finalizer()
            self._scratch = None
