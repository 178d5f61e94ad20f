"""Built-in plugin: masks personal data in everything a person or a sink reads (docs/privacy.md).

On by default. It implements ``cppolicy_mask_payload`` for every kind cppolicy masks:

- ``event`` — an event dict shown in an output (``explain``'s timeline, the half-yearly report's
  tables, the monitor's conflicts table): the **personal fields** (JSON paths, ``*`` matching
  any run of characters, dots included) are masked whole; the **text fields** keep their text
  with mainland mobile numbers, resident ID numbers and bank account or card numbers masked;
- ``quarantine`` — a quarantined line ``{source, line, reason, errors, text}``: the raw text may
  not be JSON, so the numbers are masked wherever they are and the string value of every key a
  personal field ends with (``"handler": "…"``) is masked in the text; error messages likewise;
- ``alert`` and ``trail`` — numbers masked in every string that is not an id, a digest, a time or
  a chain field (alerts and trail records carry no event payload; a host's own record types may).

Masking keeps what an auditor needs to recognise a value: ``张三`` → ``张*``,
``13812341234`` → ``138****1234``, ``110101199003071234`` → ``110101********1234``,
``6222021234567890123`` → ``6222***********0123``. It never empties a non-empty string, so a
masked output still shows that a field was filled in. The engine never sees masked data, and
every digest (input digests, trail hashes, event ids) is taken before masking.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cppolicy.plugin.markers import hookimpl

#: ``CPPOLICY_NO_MASK=1`` turns masking off (the command lines' ``--no-mask`` does the same).
NO_MASK_ENV = "CPPOLICY_NO_MASK"
#: Comma-separated JSON paths replacing :data:`PERSONAL_FIELDS` (a leading ``+`` adds to them).
FIELDS_ENV = "CPPOLICY_MASK_FIELDS"
#: Comma-separated JSON paths replacing :data:`TEXT_FIELDS` (a leading ``+`` adds to them).
TEXT_FIELDS_ENV = "CPPOLICY_MASK_TEXT_FIELDS"

#: Fields whose whole value is personal: masked to their first character (or, for a number,
#: its first and last digits). ``handler``: the member of staff handling the complaint;
#: ``ext``: a host's extras, whose names say what they hold.
PERSONAL_FIELDS: tuple[str, ...] = (
    "data.handler",
    "ext.*name*",
    "ext.*phone*",
    "ext.*mobile*",
    "ext.*tel*",
    "ext.*contact*",
    "ext.*id_card*",
    "ext.*idcard*",
    "ext.*id_no*",
    "ext.*identity*",
    "ext.*certificate*",
    "ext.*passport*",
    "ext.*account*",
    "ext.*card*",
    "ext.*address*",
    "ext.*email*",
    "ext.*wechat*",
)
#: Free-text fields: kept, with phone, ID and account numbers masked inside them.
TEXT_FIELDS: tuple[str, ...] = (
    "data.cause",
    "data.contact",
    "data.evidence",
    "data.findings",
    "data.basis_and_reasons",
    "data.remediation",
    "data.reason",
    "data.description",
    "data.contents",
    "data.approval.by",
    "ext.*",
)

#: What identifies an event and places it in time: never masked, whatever the field lists say.
EVENT_KEYS = frozenset(
    {"schema", "event_id", "complaint_id", "type", "time", "recorded_at", "institution.id",
     "institution.level", "institution.parent", "data.complaint_ids"}
)  # fmt: skip

_ID = r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
#: a resident ID number, a mainland mobile number, a card or account number (12 to 19 digits, or
#: groups of four separated by spaces or hyphens); never inside a longer run of digits (the
#: leading look-ahead makes the search skip other characters at half the cost)
NUMBERS = re.compile(
    rf"(?=[0-9])(?<![0-9])(?:(?P<id>{_ID})(?![0-9Xx])|(?P<phone>1[3-9][0-9]{{9}})(?![0-9])"
    r"|(?P<account>[0-9]{12,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?)(?![0-9]))"
)
#: strings a trail record or an alert holds that are not personal: digests and chain fields
_KEEP_KEYS = frozenset(
    {"seq", "prev", "hash", "type", "decision_time", "complaint_id", "institution_id", "evidence",
     "input_digest", "result_digest", "digest", "sha256", "key", "as_of", "event_time", "due",
     "observed", "code", "severity", "status", "module", "calendar", "engine", "tool", "kind",
     "clock", "version", "id", "citation", "message", "inputs"}
)  # fmt: skip
_DIGEST = re.compile(r"^(?:sha256:)?[0-9a-f]{32,}$")


def mask_number(digits: str) -> str:
    """A number kept recognisable: an 18-character ID keeps its first 6 and last 4, an 11-digit
    mobile number its first 3 and last 4, a longer number its first 4 and last 4, a shorter one
    its last quarter; separators (spaces, hyphens) are kept."""
    count = sum(c.isdigit() or c in "Xx" for c in digits)
    if count == 18:
        head, tail = 6, 4
    elif count == 11:
        head, tail = 3, 4
    elif count >= 12:
        head, tail = 4, 4
    else:
        head, tail = 0, count // 4
    out, seen = [], 0
    for c in digits:
        if c.isdigit() or c in "Xx":
            out.append(c if seen < head or seen >= count - tail else "*")
            seen += 1
        else:
            out.append(c)
    return "".join(out)


def mask_numbers(text: str) -> str:
    """``text`` with every resident ID, mobile and card or account number in it masked."""
    return NUMBERS.sub(lambda m: mask_number(m.group(0)), text)


def mask_whole(value: str) -> str:
    """A personal value: a number as :func:`mask_number`; other text keeps its first character
    and every other character becomes ``*`` (``张三`` → ``张*``); blank text is left blank."""
    text = value.strip()
    if not text:
        return value
    if re.fullmatch(r"[0-9Xx+()\- ]+", text) and sum(c.isdigit() for c in text) >= 4:
        return mask_number(text)
    return text[0] + "*" * max(len(text) - 1, 1)


@dataclass(frozen=True)
class MaskSettings:
    """Whether masking is on, and which JSON paths are personal or free text."""

    enabled: bool = True
    fields: tuple[str, ...] = PERSONAL_FIELDS
    text_fields: tuple[str, ...] = TEXT_FIELDS

    @classmethod
    def from_env(
        cls,
        enabled: bool | None = None,
        fields: Sequence[str] | None = None,
        text_fields: Sequence[str] | None = None,
    ) -> MaskSettings:
        """The settings given, the rest from the environment (:data:`NO_MASK_ENV`,
        :data:`FIELDS_ENV`, :data:`TEXT_FIELDS_ENV`), the rest the defaults."""
        if enabled is None:
            enabled = os.environ.get(NO_MASK_ENV, "") in ("", "0")
        return cls(
            enabled,
            tuple(fields) if fields is not None else _paths(os.environ.get(FIELDS_ENV), PERSONAL_FIELDS),
            tuple(text_fields)
            if text_fields is not None
            else _paths(os.environ.get(TEXT_FIELDS_ENV), TEXT_FIELDS),
        )


def _paths(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None or not value.strip():
        return default
    add = value.lstrip().startswith("+")
    given = tuple(p.strip() for p in value.lstrip().lstrip("+").split(",") if p.strip())
    return default + given if add else given


class Masker:
    """The built-in masking plugin (registered as ``cppolicy.builtin.masking``)."""

    def __init__(self, settings: MaskSettings) -> None:
        self.settings = settings
        self._personal = _compile(settings.fields)
        self._text = _compile(settings.text_fields)
        self._key = _compile({p.rsplit(".", 1)[-1] for p in settings.fields})

    @hookimpl(tryfirst=True)  # first: the other masks see its result and have the last word
    def cppolicy_mask_payload(self, payload: dict[str, Any], kind: str) -> None:
        if not self.settings.enabled:
            return
        if kind == "event":
            self.mask_event(payload)
        elif kind == "quarantine":
            self.mask_quarantine(payload)
        elif kind in ("alert", "trail"):
            _mask_loose(payload)

    # -- events ---------------------------------------------------------------------------

    def mask_event(self, event: dict[str, Any]) -> None:
        """Mask an event dict in place by the field lists (its ids, type and times never)."""
        for key, value in event.items():
            event[key] = self._walk(value, key, personal=False)

    def _walk(self, value: Any, path: str, personal: bool) -> Any:
        if path in EVENT_KEYS:
            return value
        personal = personal or self._personal.match(path) is not None
        if isinstance(value, dict):
            return {k: self._walk(v, f"{path}.{k}", personal) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, path, personal) for v in value]
        if personal and isinstance(value, str):
            return mask_whole(value)
        if personal and isinstance(value, int) and not isinstance(value, bool):
            return mask_whole(str(value))
        if isinstance(value, str) and self._text.match(path) is not None:
            return mask_numbers(value)
        return value

    # -- raw text -------------------------------------------------------------------------

    def mask_text(self, text: str) -> str:
        """A raw line (perhaps not JSON): numbers masked everywhere, and the string value of
        every key a personal field ends with."""
        return mask_numbers(_JSON_STRING_MEMBER.sub(self._member, text))

    def _member(self, match: re.Match[str]) -> str:
        if self._key.match(match.group("key")) is None:
            return match.group(0)
        try:
            value = json.loads(f'"{match.group("value")}"')
        except ValueError:
            return match.group(0)
        masked = json.dumps(mask_whole(value), ensure_ascii=False)[1:-1]
        return f'{match.group("head")}"{masked}"'

    def mask_quarantine(self, record: dict[str, Any]) -> None:
        if isinstance(record.get("text"), str):
            record["text"] = self.mask_text(record["text"])
        for error in record.get("errors") or ():
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                error["message"] = self._message(error["message"], str(error.get("path", "")))

    def _message(self, message: str, path: str) -> str:
        """An error message: quoted values masked whole when the error is about a personal field."""
        dotted = path.lstrip("$").lstrip(".").replace("[", ".").replace("]", "")
        dotted = re.sub(r"\.[0-9]+(?=\.|$)", "", dotted)
        if dotted and self._personal.match(dotted) is not None:
            message = _QUOTED.sub(lambda m: repr(mask_whole(m.group(1) or m.group(2) or "")), message)
        return mask_numbers(message)


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_JSON_STRING_MEMBER = re.compile(r'(?P<head>"(?P<key>[^"\\]{1,200})"\s*:\s*)"(?P<value>(?:[^"\\]|\\.)*)"')


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regular expression matching what any of the shell-style ``patterns`` matches whole
    (``fnmatch``'s ``*``, ``?``, ``[…]``, case-sensitive); none: a pattern that never matches."""
    translated = [fnmatch.translate(p) for p in sorted(set(patterns))]
    return re.compile("|".join(f"(?:{t})" for t in translated) if translated else r"(?!)")


def _mask_loose(value: Any, key: str = "") -> Any:
    """Numbers masked in every string of an alert or trail record except ids, digests and the
    chain (in place for dicts and lists; the new value for a string)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in _KEEP_KEYS:
                value[k] = _mask_loose(v, k)
        return value
    if isinstance(value, list):
        value[:] = [_mask_loose(v, key) for v in value]
        return value
    if isinstance(value, str) and not _DIGEST.match(value):
        return mask_numbers(value)
    return value
