"""Scratch databases: a private temporary folder holding one SQLite database tuned as scratch space.

Each database is created in a private temporary folder (``TMPDIR`` or the folder given) whose
name is removed as soon as the database is open (on POSIX; elsewhere on :meth:`Scratch.close`),
so that an audit that is killed leaves nothing behind; it is written without a journal or fsync:
scratch space, rebuilt by the next run.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile


class Scratch:
    """A private temporary folder holding one SQLite database tuned as scratch space."""

    def __init__(self, name: str, directory: str | os.PathLike[str] | None) -> None:
        self.folder = tempfile.mkdtemp(prefix="cppolicy-", dir=directory)
        self.path = os.path.join(self.folder, name)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "temp_store=FILE",
            "locking_mode=EXCLUSIVE",
            "cache_size=-32768",
        ):  # 32 MiB page cache
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
