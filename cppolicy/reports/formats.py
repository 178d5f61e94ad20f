"""The one registry of output formats: every command's ``--format`` reads it.

A format is registered for a *subject* — what is being written: ``audit`` (an
:class:`~cppolicy.audit.AuditReport`), ``semiannual``, ``explain``, ``impact``, ``institution``,
``modules.show``… — under a name (``table``, ``json``, ``csv``…) with the function that writes it.
A command builds its ``--format`` choices from the registry (:meth:`FormatRegistry.choices`, the
first registered is the default) and writes through it (:meth:`FormatRegistry.render`); an unknown
name is one error (:meth:`FormatRegistry.get`). A later format (parquet, xlsx, sarif, junit) is one
registration: ``@FORMATS.register("audit", "xlsx", binary=True)``.

What a text format writes is escaped on the way out (:mod:`cppolicy.reports.escape`): control and
bidi characters become visible escapes in text formats and ``\\uXXXX`` escapes in JSON ones; a CSV
writer and a table drawn with rich escape cell by cell (``escape="cells"``).

Results are computed first, then written: a writer never computes what it writes (the
check-jsonschema habit: a named reporter registry over a computed result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import IO, Any, Generic, Literal, TypeVar, cast

from cppolicy.errors import InputError
from cppolicy.reports.escape import VisibleWriter

_T = TypeVar("_T")
_W = TypeVar("_W", bound=Callable[..., None])

#: A writer: ``write(result, out, lang)`` writes ``result`` to ``out`` (text, or bytes for a binary
#: format), messages in ``lang`` (``zh`` or ``en``) where the format has any.
Writer = Callable[[Any, IO[Any], str], None]

#: how what a format writes is escaped: ``text`` (control and bidi characters made visible), ``json``
#: (as JSON escapes), ``cells`` (the writer escapes each cell itself: CSV, rich tables, binary)
Escape = Literal["text", "json", "cells"]


@dataclass(frozen=True)
class OutputFormat(Generic[_T]):
    """One registered format: what it writes, its name, how."""

    subject: str
    name: str
    write: Writer
    help: str = ""
    #: written as bytes (``out`` is a binary stream), e.g. parquet or xlsx
    binary: bool = False
    #: for a format that can be written while an audit runs, result by result: ``stream(out, lang)``
    #: gives the writer (see :class:`~cppolicy.reports.audit.FindingStream`)
    stream: Callable[[IO[Any], str], Any] | None = None
    escape: Escape = "text"

    def output(self, out: IO[Any]) -> IO[Any]:
        """``out`` as the writer is to write to it: escaping what it writes, unless it escapes
        its cells itself."""
        if self.escape == "cells":
            return out
        return cast(IO[Any], VisibleWriter(out, json=self.escape == "json"))


class FormatRegistry:
    """Formats by subject and name, in the order they were registered."""

    def __init__(self) -> None:
        self._formats: dict[str, dict[str, OutputFormat[Any]]] = {}

    def register(
        self,
        subject: str,
        name: str,
        *,
        help: str = "",
        binary: bool = False,
        stream: Callable[[IO[Any], str], Any] | None = None,
        default: bool = False,
        escape: Escape | None = None,
    ) -> Callable[[_W], _W]:
        """Register ``write(result, out, lang)`` as the format ``name`` of ``subject`` (a decorator);
        ``default``: put it first, as the subject's default. ``escape`` defaults to ``json`` for
        ``json`` and ``jsonl``, ``cells`` for ``csv`` and binary formats, ``text`` otherwise."""
        if escape is None:
            escape = "json" if name in ("json", "jsonl") else "cells" if binary or name == "csv" else "text"

        def add(write: _W) -> _W:
            formats = self._formats.setdefault(subject, {})
            if name in formats:
                raise ValueError(f"format {name!r} of {subject!r} is already registered")
            entry: OutputFormat[Any] = OutputFormat(subject, name, write, help, binary, stream, escape)
            self._formats[subject] = {name: entry, **formats} if default else {**formats, name: entry}
            return write

        return add

    def names(self, subject: str) -> list[str]:
        """The formats of ``subject``, the default first."""
        return list(self._formats.get(subject, {}))

    def get(self, subject: str, name: str) -> OutputFormat[Any]:
        """The format ``name`` of ``subject``; an unknown name is a one-line
        :class:`~cppolicy.errors.InputError` naming the choices."""
        formats = self._formats.get(subject, {})
        if name not in formats:
            raise InputError(f"--format: unknown format {name!r} (choose from {', '.join(formats)})")
        return formats[name]

    def choices(self, subject: str) -> type[Enum]:
        """An Enum of ``subject``'s format names, for a command's ``--format`` option."""
        names = self.names(subject)
        if not names:
            raise LookupError(f"no format is registered for {subject!r}")
        title = "".join(part.capitalize() for part in subject.replace("-", ".").split("."))
        return Enum(f"{title}Format", {name: name for name in names}, type=str)  # type: ignore[return-value]

    def help(self, subject: str) -> str:
        """``table, json or csv (default: table)``: the option's help text."""
        names = self.names(subject)
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        return f"{listed} (default: {names[0]})."

    def render(self, subject: str, name: str | Enum, result: Any, out: IO[Any], lang: str = "en") -> None:
        """Write ``result`` in the format ``name`` of ``subject``."""
        fmt = self.get(subject, name.value if isinstance(name, Enum) else name)
        fmt.write(result, fmt.output(out), lang)


#: The registry every command reads.
FORMATS = FormatRegistry()
