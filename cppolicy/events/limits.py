"""The limits on one line of an archive: its length and its nesting depth (docs/events.md, "Limits").

A line longer than :attr:`ReadLimits.max_line_bytes` is never held in memory: it is read in
chunks and discarded, and quarantined (``too_long``) with its length; the rest of the file is
read on. A line nested deeper than :attr:`ReadLimits.max_depth` is quarantined (``too_deep``)
before it is parsed: every layer above the reader (the content digest, the trail's canonical
form, the engine's facts) serialises events with a bounded recursion. Both can be set with
environment variables, read when a reader starts; a bad value is one :class:`InputError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from cppolicy.errors import InputError

#: 16 MiB: a real event is a few kilobytes; a line this long is kept whole (the reader holds it and
#: its parsed document), and no string in it can reach the 16,777,216 characters at which the
#: rule engine drops facts silently.
DEFAULT_MAX_LINE_BYTES = 1 << 24
#: An event's own structure is 4 levels deep (the event, ``data``, an array, an object in it);
#: 64 leaves room for any host's ``ext``.
DEFAULT_MAX_DEPTH = 64
#: The largest depth that may be configured: orjson serialises at most 254 levels, and an event
#: is serialised inside trail records and monitor states a few levels down.
MOST_DEPTH = 200
#: The smallest line limit that may be configured (an event's required fields need more).
LEAST_LINE_BYTES = 1024

LINE_VARIABLE = "CPPOLICY_MAX_LINE_BYTES"
DEPTH_VARIABLE = "CPPOLICY_MAX_DEPTH"


@dataclass(frozen=True)
class ReadLimits:
    """How long and how deep one line of an archive may be."""

    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH

    def __post_init__(self) -> None:
        if not LEAST_LINE_BYTES <= self.max_line_bytes:
            raise InputError(f"max_line_bytes: {self.max_line_bytes} is below {LEAST_LINE_BYTES}")
        if not 1 <= self.max_depth <= MOST_DEPTH:
            raise InputError(f"max_depth: {self.max_depth} is not within 1-{MOST_DEPTH}")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ReadLimits:
        """The limits set by ``CPPOLICY_MAX_LINE_BYTES`` and ``CPPOLICY_MAX_DEPTH`` (the defaults
        where unset)."""
        line = _integer(environ, LINE_VARIABLE, DEFAULT_MAX_LINE_BYTES)
        depth = _integer(environ, DEPTH_VARIABLE, DEFAULT_MAX_DEPTH)
        if line < LEAST_LINE_BYTES:
            raise InputError(f"{LINE_VARIABLE}: {line} is below {LEAST_LINE_BYTES}")
        if not 1 <= depth <= MOST_DEPTH:
            raise InputError(f"{DEPTH_VARIABLE}: {depth} is not within 1-{MOST_DEPTH}")
        return cls(line, depth)


def _integer(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a whole number") from None
