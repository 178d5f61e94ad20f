"""Disk-backed state for audits of archives larger than memory (standard library ``sqlite3``).

* :class:`Spill` holds the complaint events of an archive that is not sorted by complaint: each
  accepted line is written with its complaint id and its position, and read back complaint by
  complaint, in complaint-id order and, within a complaint, in input order. Memory stays bounded
  by SQLite's page cache whatever the archive's size.
* :class:`ResultSpill` keeps an audit's results (one per complaint and module) in memory up to
  ``memory_limit`` of them, then on disk, pickled in batches; the report reads them back in order.
* :class:`StreamedResults` only counts them (their observers saw them as they came).
"""

from __future__ import annotations

import itertools
import os
import pickle
import weakref
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NoReturn, overload

from cppolicy.audit.scratch import Scratch

if TYPE_CHECKING:
    from cppolicy.evaluation.findings import ComplaintResult

#: One line of a complaint, as it travels: (index of its source, 1-based line, its UTF-8 bytes).
Row = tuple[int, int, bytes]


class Spill:
    """Complaint events on disk, read back grouped by complaint id (ascending), in input order."""

    def __init__(self, directory: str | os.PathLike[str] | None = None, batch: int = 5_000) -> None:
        self._scratch = Scratch("spill.sqlite", directory)
        self._scratch.db.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, cid TEXT NOT NULL, src INTEGER, line INTEGER, data BLOB)"
        )
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
        count: int = self._scratch.db.execute("SELECT COUNT(DISTINCT cid) FROM events").fetchone()[0]
        return count

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

    def add(self, result: ComplaintResult) -> None:
        self.statuses[result.status] += 1
        for finding in result.findings:
            self.severities[finding.severity] += 1
        self.findings += len(result.findings)


class StreamedResults(Sequence["ComplaintResult"]):
    """The results of an audit whose report was written while it ran (``audit_archive`` with
    ``keep_results=False``): counted as they come, not kept. Reading them is an error, not an
    empty list."""

    def __init__(self) -> None:
        self.tally = ResultTally()
        self._length = 0

    def append(self, result: ComplaintResult) -> None:
        self.tally.add(result)
        self._length += 1

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int | slice) -> NoReturn:
        raise LookupError(
            "this audit's results were written to its report as they came and not kept "
            "(audit_archive(keep_results=False))"
        )

    def __iter__(self) -> Iterator[ComplaintResult]:
        return self[0]


class ResultSpill(Sequence["ComplaintResult"]):
    """An append-only list of results that moves to a temporary SQLite database once it holds
    more than ``memory_limit`` of them (pickled in batches), and reads them back in order.

    An audit of millions of complaints keeps every result until its report is written; on disk
    they cost no memory, and the report reads them back one batch at a time. ``tally`` counts
    statuses and severities as results come, so counting needs no pass over the disk.
    """

    def __init__(
        self, memory_limit: int = 50_000, directory: str | os.PathLike[str] | None = None, batch: int = 512
    ) -> None:
        self.memory_limit = memory_limit
        self.directory = directory
        self.batch = batch
        self.tally = ResultTally()
        self._memory: list[ComplaintResult] = []
        self._pending: list[ComplaintResult] = []
        self._rows = 0
        self._scratch: Scratch | None = None
        self._length = 0

    @property
    def on_disk(self) -> bool:
        return self._scratch is not None

    def append(self, result: ComplaintResult) -> None:
        self.tally.add(result)
        self._length += 1
        if self._scratch is None:
            self._memory.append(result)
            if len(self._memory) > self.memory_limit:
                self._scratch = Scratch("results.sqlite", self.directory)
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
        chunk, self._pending = self._pending[: self.batch], self._pending[self.batch :]
        self._scratch.db.execute(
            "INSERT INTO results VALUES (?, ?)",
            (self._rows, pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)),
        )
        self._rows += 1

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[ComplaintResult]:
        if self._scratch is None:
            yield from list(self._memory)
            return
        rows = self._rows
        pending = list(self._pending)
        for n in range(rows):
            (blob,) = self._scratch.db.execute("SELECT batch FROM results WHERE n = ?", (n,)).fetchone()
            yield from pickle.loads(blob)
        yield from pending

    @overload
    def __getitem__(self, index: int) -> ComplaintResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[ComplaintResult]: ...

    def __getitem__(self, index: int | slice) -> ComplaintResult | list[ComplaintResult]:
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
        batch: list[ComplaintResult] = pickle.loads(blob)  # a chunk _flush pickled
        return batch[offset]

    def close(self) -> None:
        if self._scratch is not None:
            self._finalizer()
            self._scratch = None
