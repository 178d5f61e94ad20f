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
from pathlib import Path
from typing import Any

import yaml

from cppolicy.errors import CppolicyError, RuleModuleError


class StrictLoader(yaml.SafeLoader):
    """safe_load, but dates stay strings and a duplicated key is an error. (Not libyaml's
    CSafeLoader, although it parses in a tenth of the time: it accepts what this parser refuses,
    e.g. a tab after ``key:``, and its error messages say less, e.g. no alias name.)"""


# Drop the implicit timestamp resolver: "2012-04-03" must stay the string the author wrote.
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
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


def load_yaml(path: Path, error: type[CppolicyError] = RuleModuleError) -> Any:
    """Parse a YAML data file safely; a problem raises ``error`` naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 — StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{where}: invalid YAML: {problem}") from None


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
