"""Choosing golden cases for ``cppolicy modules test``: ``FILE::CASE`` and ``-k EXPR``.

* ``FILE::CASE`` — a case file and one of its cases by index (``p9.yaml::2``), id
  (``p9.yaml::p9[2]``) or exact name; ``MODULE::CASE`` picks every case of the module whose
  index in its file, id or name is CASE (a bare index: that index in every case file).
  A case file alone runs its cases; its module is the folder above ``cases/``.
* ``-k EXPR`` — like pytest's: words matched case-insensitively as substrings of a case's id,
  file name and name (the legal sentence), combined with ``and``, ``or``, ``not`` and
  parentheses (``-k "p9 and not late"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from cppolicy.authoring.cases import Case
from cppolicy.errors import InputError

Matcher = Callable[[str], bool]
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def split_spec(spec: str) -> tuple[str, Path | None, str | None]:
    """``(module spec, case file or None, case selector or None)`` of a ``modules test`` argument."""
    target, sep, selector = spec.partition("::")
    if sep and not selector:
        raise InputError(f"{spec}: nothing after '::' (name a case: its index, id or name)")
    path = Path(target)
    if path.suffix in (".yaml", ".yml") and path.parent.name == "cases":
        if not path.is_file():
            raise InputError(f"{target}: no such case file")
        return str(path.parent.parent), path, selector or None
    return target, None, selector or None


def pick(cases: Sequence[Case], spec: str, file: Path | None, selector: str | None) -> list[Case]:
    """The cases a ``FILE::CASE`` / ``MODULE::CASE`` argument names (all, without a selector)."""
    if file is not None:
        cases = [c for c in cases if c.file.resolve() == file.resolve()]
    if selector is None:
        return list(cases)
    chosen = [c for c in cases if selector in (str(c.index), c.id, c.name)]
    if not chosen:
        ids = ", ".join(c.id for c in cases[:20]) + (", …" if len(cases) > 20 else "")
        raise InputError(f"{spec}: no case {selector!r} (cases: {ids or 'none'})")
    return chosen


def keyword_matcher(expression: str) -> Callable[[Case], bool]:
    """A predicate on cases for a ``-k`` expression; a malformed one is an InputError."""
    tokens = _TOKEN.findall(expression)
    if not tokens:
        raise InputError("-k: an empty expression")
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        token = peek()
        if token is None:
            raise InputError(f"-k {expression!r}: ends too early")
        position += 1
        return token

    def disjunction() -> Matcher:
        parts = [conjunction()]
        while peek() == "or":
            take()
            parts.append(conjunction())
        return lambda text: any(part(text) for part in parts)

    def conjunction() -> Matcher:
        parts = [negation()]
        while peek() == "and":
            take()
            parts.append(negation())
        return lambda text: all(part(text) for part in parts)

    def negation() -> Matcher:
        if peek() == "not":
            take()
            inner = negation()
            return lambda text: not inner(text)
        return atom()

    def atom() -> Matcher:
        token = take()
        if token == "(":
            inner = disjunction()
            if take() != ")":
                raise InputError(f"-k {expression!r}: a '(' is not closed")
            return inner
        if token in (")", "and", "or"):
            raise InputError(f"-k {expression!r}: unexpected {token!r}")
        word = token.lower()
        return lambda text: word in text

    matcher = disjunction()
    if peek() is not None:
        raise InputError(f"-k {expression!r}: unexpected {peek()!r}")
    return lambda case: matcher(f"{case.id} {case.file.name} {case.name}".lower())
