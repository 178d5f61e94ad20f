"""Data documents read safely: strict YAML, JSON paths in messages, dotted field look-ups.

Rule modules, golden cases and institution profiles are YAML written by people. They are read
with :func:`load_yaml`: ``yaml.safe_load`` through a loader that keeps dates as the strings the
author wrote and refuses duplicate keys, so nothing in a document is ever constructed as an
object, imported or executed. Every problem is one line naming the file and the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from cppolicy.errors import CppolicyError, RuleModuleError

#: Limits on a YAML or JSON data file written by people (rule modules, golden cases, institution
#: profiles, calendar data; docs/rule-modules.md#limits). The largest bundled module is 44 KB,
#: ~2,900 YAML nodes, nested 14 deep: the limits leave 20x room and refuse, in one line, what
#: would otherwise exhaust memory, time or Python's recursion (a 42 KB module of nested aliases
#: expanding to billions of nodes; a value nested 800 deep).
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000


class LimitedLoader(yaml.SafeLoader):
    """``yaml.safe_load`` (no tags, no objects constructed) within the limits above: nesting
    at most :data:`MAX_DEPTH` deep and at most :data:`MAX_NODES` nodes *once every alias is
    expanded* — what the code reading the document will walk — both counted while composing,
    before anything is constructed."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0
        self.measured: dict[int, tuple[int, int]] = {}
        self.open_anchors: list[str | None] = []  # of the nodes being composed, outermost first

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML is untyped here
        if self.check_event(yaml.AliasEvent):
            if event.anchor in self.open_anchors:  # an alias inside its own anchor: an endless value
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{event.anchor} refers to a value that contains it", event.start_mark
                )
            node = super().compose_node(parent, index)
            size, height = _measure(node, self.measured)
            self._count(size, self.depth + height, event.start_mark)
            return node
        self.depth += 1
        self._count(1, self.depth, event.start_mark)
        self.open_anchors.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self.open_anchors.pop()

    def _count(self, nodes: int, depth: int, mark: Any) -> None:
        self.nodes += nodes
        if depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels (the limit)", mark
            )
        if self.nodes > MAX_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_NODES:,} values once aliases are expanded (the limit)", mark
            )


def _measure(node: Any, memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(nodes, height) of a composed node with every alias expanded; linear thanks to ``memo``
    (an alias is the very node object it names)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    size, height = 1, 1
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        children = (
            [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        )
        for child in children:
            child_size, child_height = _measure(child, memo)
            size, height = size + child_size, max(height, child_height + 1)
    memo[id(node)] = (size, height)
    return size, height


def json_too_deep(text: str, limit: int = MAX_DEPTH) -> tuple[int, int] | None:
    """The 1-based (line, column) where JSON ``text`` first nests deeper than ``limit``, or None
    (checked before ``json.loads``, which would raise RecursionError deep enough)."""
    depth, in_string, escaped, line, start = 0, False, False, 1, 0
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return line, index - start + 1
        elif char in "]}":
            depth -= 1
        elif char == "\n":
            line, start = line + 1, index + 1
    return None


class StrictLoader(LimitedLoader):
    """safe_load within the limits, but dates stay strings and a duplicated key is an error.
    (Not libyaml's CSafeLoader, although it parses in a tenth of the time: it accepts what this
    parser refuses, e.g. a tab after ``key:``, and its error messages say less, e.g. no alias
    name.)"""


# Drop the implicit timestamp resolver: "2012-04-03" must stay the string the author wrote.
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in LimitedLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_text(path: Path, error: type[CppolicyError] = RuleModuleError, where: str | None = None) -> str:
    """A data file's UTF-8 text, refused in one line when larger than :data:`MAX_DOCUMENT_BYTES`."""
    where = where or str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise error(f"{where}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise error(f"{where}: larger than {MAX_DOCUMENT_BYTES // 1024} KiB (the limit for a data file)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{where}: cannot read: {exc}") from None


def load_yaml(path: Path, error: type[CppolicyError] = RuleModuleError) -> Any:
    """Parse a YAML data file safely, within the limits; a problem raises ``error`` naming the
    file, line and column."""
    text = read_text(path, error)
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 — StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{where}: invalid YAML: {problem}") from None


@lru_cache(maxsize=4)
def _composed(path: str, size: int, mtime_ns: int) -> Any:
    return yaml.compose(read_text(Path(path)), Loader=StrictLoader)  # noqa: S506 — a SafeLoader


_PATH_PART = re.compile(r"\.([^.\[\]\s:]+)|\[(\d+)\]")


def locate_message(path: Path, message: str) -> str:
    """``message`` (``"FILE: $.a.b[2]…: problem"``) with ``FILE`` given the line and column of
    the JSON path that follows it; unchanged when it does not start so."""
    head = f"{path}: $"
    if not message.startswith(head):
        return message
    parts: list[str | int] = []
    rest = message[len(head) :]
    while match := _PATH_PART.match(rest):
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        rest = rest[match.end() :]
    return locate(path, parts) + message[len(str(path)) :]


def locate(path: Path, parts: Iterable[str | int]) -> str:
    """``FILE:LINE:COLUMN`` of the value at JSON path ``parts`` in the YAML file ``path`` (its key,
    for a mapping entry), or ``FILE`` when it cannot be found. Composed again on demand: only
    an error needs a position (the last few files composed are remembered, by size and time)."""
    try:
        stat = path.stat()
        node = _composed(str(path), stat.st_size, stat.st_mtime_ns)
    except (OSError, CppolicyError, yaml.YAMLError):
        return str(path)
    mark = node.start_mark if node is not None else None
    for part in parts:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        elif isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part or k.value == str(part)), None)
            if found is None:
                break
            mark, node = found[0].start_mark, found[1]
        else:
            break
    return f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(parts: Iterable[str | int]) -> str:
    """``['data', 'channels', 2]`` -> ``$.data.channels[2]``; other keys are quoted: ``$["a b"]``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def dig(data: dict[str, Any], dotted: str) -> Any:
    """``data['a']['b']`` for ``'a.b'``, or None when any part is missing."""
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
