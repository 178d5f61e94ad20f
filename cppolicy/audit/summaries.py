"""What the archive-scope rules need of complaints that streamed past, and sharing what repeats.

:class:`ComplaintSummaries` keeps, while the complaints themselves stream past, what
:func:`~cppolicy.evaluation.archive_scope.evaluate_archive_scope` reads of them: per complaint its
earliest event time, its first ``received`` event at or before the as-of time, and the institutions
it names. :class:`Interner` shares equal dicts and strings between the results an audit keeps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import orjson

from cppolicy.evaluation import ComplaintResult
from cppolicy.events import Event


class _Stand:
    """An Event stand-in carrying what archive-scope evaluation reads of a complaint."""

    __slots__ = ("event_id", "type", "time", "epoch", "institution", "data", "source", "line")

    def __init__(
        self,
        event_id: str,
        type: str,
        time: datetime,
        epoch: float,
        institution: dict[str, Any],
        data: dict[str, Any],
    ) -> None:
        self.event_id, self.type, self.time, self.epoch = event_id, type, time, epoch
        self.institution, self.data, self.source, self.line = institution, data, "", 0


_NO_DATA: dict[str, Any] = {}  # a stand-in's data when it is not a receipt (read, never written)

#: the fields of a receipt that archive-scope rules read (clusters of large-scale complaints)
_RECEIPT_FIELDS = ("product", "issue", "complainants", "major")


class ComplaintSummaries(Mapping[str, list[_Stand]]):
    """What archive-scope evaluation needs of each complaint, kept while the complaints
    themselves stream past: per complaint its earliest event time, its first ``received`` event
    at or before the as-of time (the fields clusters read), and the first occurrence of each
    institution it names, in input order.

    As a mapping (complaint id → stand-in events, ids in sorted order) it gives
    :func:`~cppolicy.archive_scope.evaluate_archive_scope` exactly what it reads of the full
    events: the institution tree in the same order, the same first day, the same receipts.
    """

    def __init__(self, as_of: datetime) -> None:
        self.as_of = as_of
        #: complaint id -> [earliest time, its epoch, receipt (_Stand arguments) or None, institution...]
        self._by_id: dict[str, list[Any]] = {}
        self._shared: dict[Any, Any] = {}
        self._last: dict[Any, dict[str, Any]] = {}  # institution id -> the shared dict last seen with it
        self._keys: list[str] | None = None
        #: what institutions_and_earliest() walked
        self._walked: tuple[list[dict[str, Any]], list[datetime]] | None = None

    def _share(self, key: Any, value: Any) -> Any:
        return self._shared.setdefault(key, value)

    def _time(self, moment: datetime) -> datetime:
        zone = self._share(("tz", moment.utcoffset()), moment.tzinfo)
        return moment if moment.tzinfo is zone else moment.replace(tzinfo=zone)

    def add(self, event: Event) -> None:
        self._walked = None
        complaint_id: str = event.complaint_id  # type: ignore[assignment]  # complaint events only: never None
        entry = self._by_id.get(complaint_id)  # [earliest time, its epoch, receipt, institution...]
        if entry is None:
            entry = self._by_id[complaint_id] = [self._time(event.time), event.epoch, None]
            self._keys = None
        elif event.epoch < entry[1]:
            entry[0], entry[1] = self._time(event.time), event.epoch
        institution = event.institution
        ident = institution.get("id")
        known = self._last.get(ident)
        if known is not None and known == institution:
            institution = known
        else:
            institution = self._share(
                ("inst", orjson.dumps(institution, option=orjson.OPT_SORT_KEYS)), institution
            )
            self._last[ident] = institution
        # the institution of the complaint's previous event, most often (the object is shared)
        if entry[-1] is not institution and not any(known.get("id") == ident for known in entry[3:]):
            entry.append(institution)
        if entry[2] is None and event.type == "received" and event.time <= self.as_of:
            data = {k: event.data[k] for k in _RECEIPT_FIELDS if k in event.data}
            data = self._share(("data", orjson.dumps(data, option=orjson.OPT_SORT_KEYS)), data)
            entry[2] = (event.event_id, "received", self._time(event.time), event.epoch, institution, data)

    def institutions_and_earliest(self) -> tuple[list[dict[str, Any]], list[datetime]]:
        """What archive-scope evaluation reads of every stand-in, in the same order, without
        making the stand-ins: each complaint's institutions (in complaint id order) and its
        earliest time (the receipt's is never earlier). Walked once for all the modules (0.14 s
        of each module's archive scope on a million events): callers must not change the lists."""
        if self._walked is not None:
            return self._walked
        institutions: list[dict[str, Any]] = []
        earliest: list[datetime] = []
        for complaint_id in self:
            entry = self._by_id[complaint_id]
            institutions.extend(entry[3:])
            earliest.append(entry[0])
        self._walked = (institutions, earliest)
        return self._walked

    def forget_walk(self) -> None:
        """Drop what :meth:`institutions_and_earliest` keeps, once the modules that read it are
        judged: its memory back (it is walked again if asked)."""
        self._walked = None

    def receipts(
        self, as_of: datetime
    ) -> list[tuple[str, datetime, float, dict[str, Any], dict[str, Any]]] | None:
        """What cluster facts read of each complaint's first ``received`` event at or before
        ``as_of``: ``(complaint id, time, epoch, institution, data)``, in any order; None when
        ``as_of`` is not the time these summaries kept receipts for (the caller then reads the
        stand-ins). Without it, archive scope makes every complaint's stand-ins to find one."""
        if as_of != self.as_of:
            return None
        return [
            (complaint_id, receipt[2], receipt[3], receipt[4], receipt[5])
            for complaint_id, entry in self._by_id.items()
            if (receipt := entry[2]) is not None
        ]

    def __getitem__(self, complaint_id: str) -> list[_Stand]:
        earliest, epoch, receipt, *institutions = self._by_id[complaint_id]
        out = [_Stand("", "", earliest, epoch, institution, _NO_DATA) for institution in institutions]
        if receipt is not None:
            out.append(_Stand(*receipt))
        return out

    def __iter__(self) -> Iterator[str]:
        if self._keys is None:
            self._keys = sorted(self._by_id)
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._by_id)


class Interner:
    """Shares equal citation and message dicts and repeated strings between findings: an audit
    of millions of complaints keeps every result until the report is written."""

    def __init__(self) -> None:
        self._shared: dict[Any, Any] = {}

    def result(self, result: ComplaintResult) -> ComplaintResult:
        share = self._shared.setdefault
        for finding in result.findings:
            for name in ("citation", "message"):
                value = getattr(finding, name)
                # the same rule gives the same dicts: a cheap key, checked by equality
                shared = share((name, finding.module, finding.rule_id, finding.code), value)
                if shared is not value:
                    if shared != value:
                        shared = share((name, orjson.dumps(value, option=orjson.OPT_SORT_KEYS)), value)
                    object.__setattr__(finding, name, shared)
            for name in ("code", "rule_id", "severity", "as_of", "institution_id"):
                value = getattr(finding, name)
                if value is not None:
                    object.__setattr__(finding, name, share(value, value))
            object.__setattr__(finding, "module", share(finding.module, finding.module))
        result.module = share(result.module, result.module)
        return result
