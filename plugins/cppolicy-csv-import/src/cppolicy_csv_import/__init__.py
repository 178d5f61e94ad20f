"""cppolicy plugin: the ``csv`` importer — a host's complaint table (one row per complaint) as
complaint events.

``cppolicy import csv complaints.csv --option mapping=mapping.yaml`` reads the CSV with the
columns named in the mapping file (YAML or JSON; see ``examples/mapping.yaml`` and the
README). Options:

``mapping=PATH`` (required)
    the mapping file.
``encoding=NAME``
    overrides the mapping's ``csv.encoding`` (default ``utf-8-sig``: UTF-8 with or without the
    BOM Excel writes; ``gb18030`` for Excel on Chinese Windows).
``delimiter=C``
    overrides the mapping's ``csv.delimiter`` (default ``,``; ``tab`` for a tab).

Rows that cannot be read yield nothing and are listed with their reasons (see
:mod:`cppolicy_csv_import.reader`); ``cppolicy import`` reports each and exits 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cppolicy import hookimpl

from cppolicy_csv_import.mapping import ColumnMapping, MappingError, build_mapping, load_mapping
from cppolicy_csv_import.reader import CsvImport, CsvImportError, RowProblem

__all__ = [
    "ColumnMapping",
    "CsvImport",
    "CsvImportError",
    "MappingError",
    "RowProblem",
    "build_mapping",
    "cppolicy_register_importers",
    "import_csv",
    "load_mapping",
]

__version__ = "0.1.0"

OPTIONS = ("mapping", "encoding", "delimiter")
HELP = "A complaint table as CSV (one row per complaint); --option mapping=FILE.yaml|json names its columns."


def import_csv(path: Path, options: Mapping[str, str]) -> CsvImport:
    """The ``csv`` importer: an iterator of event dicts that also records skipped rows."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise CsvImportError(
            f"csv importer: unknown option(s) {', '.join(unknown)} (known: {', '.join(OPTIONS)})"
        )
    if not options.get("mapping"):
        raise CsvImportError(
            "csv importer: needs --option mapping=FILE (a YAML or JSON column mapping; "
            "see examples/mapping.yaml of cppolicy-csv-import)"
        )
    mapping = load_mapping(options["mapping"])
    delimiter = options.get("delimiter")
    if delimiter is not None:
        delimiter = "\t" if delimiter.lower() in ("tab", "\\t") else delimiter
        if len(delimiter) != 1:
            raise CsvImportError(
                f"csv importer: delimiter must be one character (or 'tab'), got {delimiter!r}"
            )
    encoding = options.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CsvImportError(f"csv importer: unknown encoding {encoding!r}") from None
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise CsvImportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return CsvImport(Path(path), mapping, encoding=encoding, delimiter=delimiter)


@hookimpl
def cppolicy_register_importers(register) -> None:
    register("csv", import_csv, HELP)
