"""Scratch databases: a private temporary folder holding one SQLite database tuned as scratch space.

Each database is created in a private temporary folder (``TMPDIR`` or the folder given) whose
name is removed as soon as the database is open (on POSIX; elsewhere on :meth:`Scratch.close`),
so that an audit that is killed leaves nothing behind; it is written without a journal or fsync:
scratch space, rebuilt by the next run.

A database that fails — most often a full temporary folder, SQLite's "database or disk is full" —
is a :class:`~cppolicy.errors.CppolicyError` naming the folder (exit 2), wherever it happens.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from cppolicy.errors import CppolicyError


@contextmanager
def _translated(where: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
            problem = f"no room for the temporary database ({exc})"
        else:
            problem = f"the temporary database failed ({exc})"
        raise CppolicyError(
            f"{where}: {problem}; free space there or set TMPDIR to a folder with room"
        ) from None


class _Cursor(sqlite3.Cursor):
    where = ""

    def fetchone(self) -> Any:
        with _translated(self.where):
            return super().fetchone()

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        with _translated(self.where):
            return super().fetchmany(size)

    def fetchall(self) -> list[Any]:
        with _translated(self.where):
            return super().fetchall()

    def __next__(self) -> Any:
        with _translated(self.where):
            return super().__next__()


class _Connection(sqlite3.Connection):
    """A connection whose failures name the temporary folder (see the module docstring)."""

    where = ""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        cursor = _Cursor(self)
        cursor.where = self.where
        with _translated(self.where):
            return cursor.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        cursor = _Cursor(self)
        cursor.where = self.where
        with _translated(self.where):
            return cursor.executemany(sql, parameters)


class Scratch:
    """A private temporary folder holding one SQLite database tuned as scratch space."""

    def __init__(self, name: str, directory: str | os.PathLike[str] | None) -> None:
        self.folder = tempfile.mkdtemp(prefix="cppolicy-", dir=directory)
        self.path = os.path.join(self.folder, name)
        where = f"{directory}" if directory is not None else f"{tempfile.gettempdir()} (TMPDIR)"
        with _translated(where):
            self.db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, factory=_Connection
            )
        self.db.where = where
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
