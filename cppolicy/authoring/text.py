"""Text for policy owners: parameter values, citations, aligned tables (CJK-aware), Markdown."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

_UNIT_NAMES = {
    "working_day": ("working day", "working days"),
    "calendar_day": ("calendar day", "calendar days"),
    "hour": ("hour", "hours"),
    "day": ("day", "days"),
    "month": ("month", "months"),
}


def format_value(value: Any) -> str:
    """A parameter value for people: ``15 working days``, ``[sms, phone]``, ``false``."""
    if isinstance(value, dict) and set(value) == {"value", "unit"}:
        number, unit = value["value"], value["unit"]
        names = _UNIT_NAMES.get(unit)
        return f"{number} {(names[0] if number == 1 else names[1]) if names else unit}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, (int, float, str)):
        return str(value)
    return compact(value)


def compact(value: Any) -> str:
    """JSON on one line, keys sorted, for a value that is neither scalar nor a period."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def citation_text(citation: dict[str, Any] | None) -> str:
    if not citation:
        return ""
    parts = [f"{kind} {citation[kind]}" for kind in ("point", "article", "paragraph") if citation.get(kind)]
    return ", ".join(parts)


def short_digest(digest: str) -> str:
    return digest[: len("sha256:") + 12]


def markdown_cell(value: Any) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return " ".join(text.split()).replace("|", "\\|")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def display_width(text: str) -> int:
    return sum(
        2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
        for ch in text
    )


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns aligned by display width (a CJK character takes two cells); a cell holding
    several lines spans several rows."""
    cells = [[str(c).split("\n") for c in headers]] + [[str(c).split("\n") for c in row] for row in rows]
    widths = [max(display_width(text) for row in cells for text in row[i]) for i in range(len(headers))]

    def lines(row: Sequence[list[str]]) -> list[str]:
        height = max(len(cell) for cell in row)
        out = []
        for n in range(height):
            texts = [cell[n] if n < len(cell) else "" for cell in row]
            out.append(
                "  ".join(
                    t + " " * (w - display_width(t)) for t, w in zip(texts, widths, strict=True)
                ).rstrip()
            )
        return out

    rule = ["  ".join("-" * w for w in widths)]
    return "\n".join(lines(cells[0]) + rule + [text for row in cells[1:] for text in lines(row)]) + "\n"


def json_text(value: Any) -> str:
    """Indented JSON, non-ASCII as is, with a final newline."""
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def describe_text(value: Any) -> str:
    """A ``{zh, en}`` description as ``zh / en``; anything else as text."""
    if isinstance(value, dict):
        return " / ".join(str(value[k]) for k in ("zh", "en") if k in value)
    return "" if value is None else str(value)


def flatten_fields(node: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted fields; lists and scalars are leaves."""
    if isinstance(node, dict) and node:
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(flatten_fields(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: node}


def writes(text: Callable[[Any], str]) -> Callable[[Any, IO[str], str], None]:
    """A format writer from a function that returns the whole text."""

    def write(value: Any, out: IO[str], lang: str) -> None:
        out.write(text(value))

    return write
