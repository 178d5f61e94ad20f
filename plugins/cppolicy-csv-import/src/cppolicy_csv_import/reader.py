"""Rows of a host's complaint table → complaint events, following a :mod:`mapping`.

One row is one complaint. Each event of the mapping whose time cell is filled becomes one
event with the id ``<complaint id>-<event name>`` (the same row always gives the same ids), in
mapping order.

A row that cannot be read — an empty complaint id, a time that matches no format, a channel
missing from its value map, a data cell filled for an event whose time is empty… — yields
**nothing** and is recorded in :attr:`CsvImport.skipped` with its row number and every problem
found in it (``column 办结时间: '2025-13-01' is not a date-time …``). A problem with the whole
file (unreadable, wrong encoding, a mapped column missing from the header) raises
:class:`CsvImportError` instead.

Row numbers are spreadsheet rows: the header is row 1, the first record row 2 (a cell with a
line break inside quotes still counts as one row). Blank rows are ignored and not counted.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from cppolicy.errors import InputError

from cppolicy_csv_import.mapping import _MISSING, CellError, ColumnMapping, EventSpec, read_field

_BAD: Any = object()  # a field whose cell was already reported as a problem


class CsvImportError(InputError):
    """A problem with the whole file (one line naming it); no row-level problem raises this."""


class RowProblem(NamedTuple):
    """One problem in one skipped row. ``reason`` names the column when there is one."""

    row: int
    reason: str
    column: str | None = None


@dataclass
class CsvImport:
    """An iterator over the events of one CSV file, with where they came from.

    Besides yielding event dicts it keeps, for ``cppolicy import``:

    - ``row``: the row the last yielded event came from;
    - ``rows``: the number of non-blank record rows read so far (skipped ones included);
    - ``skipped``: a :class:`RowProblem` for every problem of every row that yielded nothing.
    """

    path: Path
    mapping: ColumnMapping
    encoding: str | None = None
    delimiter: str | None = None
    row: int | None = field(default=None, init=False)
    rows: int = field(default=0, init=False)
    skipped: list[RowProblem] = field(default_factory=list, init=False)
    _reading: int = field(default=0, init=False, repr=False)  # the last row read, for file-level errors

    def __post_init__(self) -> None:
        self._events = self._generate()

    def __iter__(self) -> CsvImport:
        return self

    def __next__(self) -> dict[str, Any]:
        return next(self._events)

    @property
    def skipped_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.skipped})

    # -- reading ------------------------------------------------------------------------------

    def _generate(self) -> Iterator[dict[str, Any]]:
        encoding = self.encoding or self.mapping.encoding
        try:
            handle = open(self.path, encoding=encoding, newline="")  # noqa: SIM115 — closed below
        except OSError as exc:
            raise CsvImportError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        with handle:
            try:
                yield from self._rows(csv.reader(handle, delimiter=self.delimiter or self.mapping.delimiter))
            except UnicodeDecodeError as exc:
                # Decoding runs ahead in blocks, so the row being read says nothing about where.
                hint = (
                    " (Excel on Chinese Windows writes GB18030: try --option encoding=gb18030)"
                    if encoding.lower().replace("_", "-").startswith("utf")
                    else ""
                )
                raise CsvImportError(f"{self.path}: not {encoding} text ({exc.reason}){hint}") from None
            except csv.Error as exc:
                raise CsvImportError(f"{self.path}: row {self._reading + 1}: malformed CSV: {exc}") from None

    def _rows(self, reader) -> Iterator[dict[str, Any]]:
        header = next(reader, None)
        self._reading = 1
        if header is None:
            raise CsvImportError(f"{self.path}: the file is empty (no header row)")
        header = [name.strip() for name in header]
        if header:  # a BOM read as text (encoding=utf-8 on an Excel file) is not part of the name
            header[0] = header[0].lstrip("\ufeff").strip()
        self._check_header(header)
        seen: dict[str, int] = {}
        for number, cells in enumerate(reader, start=2):
            self._reading = number
            if not any(cell.strip() for cell in cells):
                continue
            self.rows += 1
            events, problems = self._read_row(number, header, cells, seen)
            if problems:
                self.skipped.extend(problems)
                continue
            self.row = number
            yield from events

    def _check_header(self, header: list[str]) -> None:
        wanted = self.mapping.columns()
        missing = [name for name in wanted if name not in header]
        if missing:
            raise CsvImportError(
                f"{self.path}: column(s) {', '.join(missing)} named in {self.mapping.source} "
                f"are not in the header ({', '.join(h for h in header if h) or 'empty'})"
            )
        doubled = [name for name in wanted if header.count(name) > 1]
        if doubled:
            raise CsvImportError(
                f"{self.path}: column(s) {', '.join(doubled)} appear more than once in the header"
            )

    def _read_row(
        self, number: int, header: list[str], cells: list[str], seen: dict[str, int]
    ) -> tuple[list[dict[str, Any]], list[RowProblem]]:
        problems: list[RowProblem] = []

        def problem(column: str | None, message: str) -> None:
            reason = f"column {column}: {message}" if column else message
            problems.append(RowProblem(number, reason, column))

        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            problem(
                None,
                f"{len(cells)} cells but the header has {len(header)}: "
                f"{extra[0]!r} would be lost (a stray delimiter or quote?)",
            )
            return [], problems
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}

        mapping = self.mapping

        def read(part) -> Any:
            """The field's value, ``_MISSING`` when empty, ``_BAD`` when its cell was reported."""
            try:
                return read_field(part, row, mapping)
            except CellError as exc:
                problem(exc.column, exc.message)
                return _BAD

        complaint_id = read(mapping.complaint_id)
        id_column = mapping.complaint_id.column
        if complaint_id is _MISSING:
            problem(id_column, "empty: every row needs a complaint id")
        elif isinstance(complaint_id, str):
            if re.search(r"\s", complaint_id):
                problem(
                    id_column, f"{complaint_id!r} contains whitespace (event ids are <complaint>-<event>)"
                )
            elif complaint_id in seen:
                problem(id_column, f"complaint {complaint_id!r} is already on row {seen[complaint_id]}")
            else:
                seen[complaint_id] = number

        institution: dict[str, Any] = {}
        parent_value: Any = _MISSING
        for key in ("id", "level", "parent", "name"):
            part = mapping.institution.get(key)
            if part is None:
                continue
            value = read(part)
            if key == "parent":
                parent_value = value
            if value is _MISSING and key in ("id", "level"):
                problem(part.column, f"empty: every row needs the institution's {key}")
            elif value is not _MISSING and value is not _BAD:
                institution[key] = value
        level = institution.get("level")
        if isinstance(level, str) and level != "head_office" and parent_value is _MISSING:
            part = mapping.institution.get("parent")
            if part is None:
                problem(
                    None, f"a {level} institution needs a parent, and the mapping has no institution.parent"
                )
            else:
                problem(part.column, f"empty, but a {level} institution needs its parent's id")
        if level == "head_office":
            institution.setdefault("parent", None)

        events = []
        for spec in mapping.events:
            event = self._read_event(spec, row, read, problem)
            if event is not None and isinstance(complaint_id, str):
                time, recorded_at, data = event
                out = {
                    "event_id": f"{complaint_id}-{spec.name}",
                    "complaint_id": complaint_id,
                    "type": spec.type,
                    "time": time,
                    "institution": dict(institution),
                }
                if recorded_at is not None:
                    out["recorded_at"] = recorded_at
                if data:
                    out["data"] = data
                events.append(out)
        if not problems and not events:
            problem(None, "no event: every event's time cell is empty")
        return events, problems

    def _read_event(
        self, spec: EventSpec, row: dict[str, str], read, problem
    ) -> tuple[str, str | None, dict[str, Any]] | None:
        """``(time, recorded_at, data)`` when the event's time cell is filled, else None."""
        time_column = spec.time.column
        if not row.get(time_column):
            if spec.required:
                problem(time_column, f"empty, but every complaint needs its {spec.name} time")
            filled = [c for c in spec.data_columns() if row.get(c)]
            if filled:
                problem(filled[0], f"filled, but {time_column} (the time of {spec.name}) is empty")
            return None
        time = read(spec.time)
        recorded_at = read(spec.recorded_at) if spec.recorded_at is not None else None
        data: dict[str, Any] = {}
        for key, part in spec.data.items():
            value = read(part)
            if value is _MISSING and key in spec.required_data:
                columns = part.columns()
                problem(columns[0] if columns else None, f"empty, but {spec.type} needs data.{key}")
            elif value is not _MISSING and value is not _BAD:
                data[key] = value
        if time is _BAD or recorded_at is _BAD:
            return None  # already reported; the row is skipped
        return time, (None if recorded_at is _MISSING else recorded_at), data
