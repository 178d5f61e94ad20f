"""Values from an archive, a rule module or a calendar data file reach a person's terminal and a
spreadsheet; these make them unable to act there (docs/reports.md, "Escaping").

* :func:`visible` writes control characters (C0 but tab and newline, DEL, C1) and the invisible
  bidirectional controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) and the line and
  paragraph separators (U+2028/9) as visible escapes, ``\\x1b`` or ``\\u202e``: an id holding
  ``ESC[8m`` cannot hide the text after it, an OSC sequence cannot retitle the terminal, U+202E
  cannot reverse what follows. Every text format goes through it (:class:`VisibleWriter`), and
  every cell of a table drawn with rich (which would also read ``[...]`` as markup).
* :func:`json_safe` writes the same characters, except the C0 controls JSON already escapes, as
  JSON escapes ``\\u001b``: the document decodes to exactly the same values.
* :func:`csv_cell` escapes a text cell as :func:`visible` (tab and newline kept: the CSV quotes
  them) and neutralises a cell a spreadsheet would evaluate as a formula (OWASP, CSV injection).
* :func:`markdown_text` writes ``&``, ``<`` and ``>`` as HTML entities: Markdown passes raw HTML
  through, so ``<img src=x onerror=…>`` from an archive would run in a viewer that renders it.
"""

from __future__ import annotations

import re
from typing import IO, Any

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
#: every character escaped in text, tab and newline aside
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
#: ... and in a table cell, where a newline or a tab would break the row
_UNSAFE_CELL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
#: what JSON leaves as is (it escapes U+0000–U+001F itself)
_UNSAFE_JSON = re.compile(f"[\x7f-\x9f{_BIDI}]")
#: the first characters of a cell a spreadsheet evaluates (OWASP: = + - @ tab carriage return)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: a plain number is read as a number, never a formula: kept as it is
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape_json(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def visible(text: str) -> str:
    """``text`` with its control and bidi characters escaped (tab and newline kept)."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def visible_cell(text: str) -> str:
    """``text`` for one table cell: every control and bidi character escaped, tab and newline too."""
    return _UNSAFE_CELL.sub(_escape, text) if _UNSAFE_CELL.search(text) else text


def json_safe(text: str) -> str:
    """JSON text with DEL, the C1 controls and the bidi characters as ``\\uXXXX`` escapes. Outside
    strings JSON holds none of them, so the document means exactly what it meant."""
    return _UNSAFE_JSON.sub(_escape_json, text) if _UNSAFE_JSON.search(text) else text


_MARKDOWN_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_UNSAFE = re.compile("[&<>]")


def markdown_text(text: str) -> str:
    """Text for Markdown with ``&``, ``<`` and ``>`` as entities: no raw HTML (a tag, a comment)
    passes through to the page a viewer renders, and it reads the same."""
    return _MARKDOWN_UNSAFE.sub(lambda m: _MARKDOWN_HTML[m.group()], text)


def csv_cell(value: Any) -> Any:
    """A CSV cell: text escaped as :func:`visible` and, when it starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return and is not a plain number, prefixed with ``'`` so that a
    spreadsheet shows it as text instead of evaluating it. Numbers (and ``None``) are kept as they
    are: a negative number stays a number."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA) and not _NUMBER.fullmatch(value):
        value = "'" + value
    return visible(value)


class VisibleWriter:
    """A text stream that escapes what is written to it, with :func:`visible` or, for JSON,
    :func:`json_safe`; what a format writer needs of its ``out`` (``write``, ``flush``,
    ``isatty``) is passed on."""

    def __init__(self, out: IO[str], json: bool = False) -> None:
        self.out = out
        self.escape = json_safe if json else visible

    def write(self, text: str) -> int:
        self.out.write(self.escape(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return self.out.isatty()
