"""Audit of event archives: read → validate → group per complaint → evaluate → report.

Every non-blank input line ends up in exactly one place: accepted (and evaluated as part of
its complaint, or counted as an institution-level event) or quarantined with its reason.
``AuditReport.counts`` reconciles: ``lines == accepted + quarantined``.

Two ways in:

* :func:`read_archive` + :func:`evaluate_archive` hold the whole archive in memory (the API of
  ``report``, ``explain`` and host code; fine for archives of thousands of complaints);
* :func:`audit_archive` (``cppolicy audit``) streams: memory is bounded by the open complaints,
  not by the archive. An archive sorted by complaint id is evaluated complaint by complaint as it
  is read; any other is first spilled to a temporary SQLite database and read back complaint by
  complaint (:mod:`cppolicy.spill`). Complaints are evaluated in this process (``jobs=1``) or in
  worker processes (:mod:`cppolicy.parallel`); the report is the same, in the same order, either way.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Sequence

import orjson

from cppolicy.archive_scope import ArchiveResult, evaluate_archive_scope
from cppolicy.calendar import WorkingDayCalendar, local_date
from cppolicy.engine import Engine, engine_version
from cppolicy.errors import ExitCode, InputError
from cppolicy.events import Event, EventError, Invalid, RawLine, iter_lines, iter_raw_blocks, parse_and_validate
from cppolicy.findings import ComplaintResult, Finding, ModuleRef
from cppolicy import parallel
from cppolicy.parallel import Crashed, Pool, WorkerSpec, evaluate_complaint, fewer_collections, slim_result
from cppolicy.rule_module import RuleModule
from cppolicy.selection import modules_for
from cppolicy.spill import EventIds, ResultSpill, Row, Spill, StreamedResults, content_digest, revive


@dataclass
class ArchiveContents:
    """What reading the archive produced: events grouped per complaint, and the rest."""

    complaints: dict[str, list[Event]] = field(default_factory=dict)
    institution_events: list[Event] = field(default_factory=list)
    quarantined: list[Invalid] = field(default_factory=list)
    lines: int = 0
    files: int = 0

    @property
    def accepted(self) -> int:
        return self.complaint_event_count + len(self.institution_events)

    @property
    def complaint_count(self) -> int:
        return len(self.complaints)

    @property
    def complaint_event_count(self) -> int:
        return sum(map(len, self.complaints.values()))


@dataclass
class StreamedContents(ArchiveContents):
    """What :func:`audit_archive` read: the complaints were evaluated as they were read (or
    read back from the spill), so ``complaints`` stays empty and their numbers are counted."""

    streamed_complaints: int = 0
    streamed_events: int = 0
    #: ``sorted`` (streamed as read) or ``spilled`` (through a temporary database)
    mode: str = ""

    @property
    def complaint_count(self) -> int:
        return self.streamed_complaints

    @property
    def complaint_event_count(self) -> int:
        return self.streamed_events


def read_archive(
    paths: Sequence[str],
    on_quarantine: Callable[[Invalid], None] | None = None,
    on_line: Callable[[], None] | None = None,
) -> ArchiveContents:
    """Read, validate and group events. Duplicate ids: identical content is quarantined as a
    duplicate; different content as a conflict (the first occurrence is kept)."""
    contents = ArchiveContents(files=len(paths))
    seen: dict[str, tuple[bytes, str, int]] = {}
    grouped: dict[str, list[Event]] = defaultdict(list)

    def quarantine(item: Invalid) -> None:
        contents.quarantined.append(item)
        if on_quarantine:
            on_quarantine(item)

    for raw in iter_lines(list(paths)):
        contents.lines += 1
        if on_line:
            on_line()
        parsed = parse_and_validate(raw)
        if isinstance(parsed, Invalid):
            quarantine(parsed)
            continue
        canonical = orjson.dumps(parsed.raw, option=orjson.OPT_SORT_KEYS)
        previous = seen.get(parsed.event_id)
        if previous is not None:
            quarantine(_repeated(raw, parsed.event_id, previous[0] == canonical, f"{previous[1]}:{previous[2]}"))
            continue
        seen[parsed.event_id] = (canonical, raw.source, raw.line)
        if parsed.complaint_id is None:
            contents.institution_events.append(parsed)
        else:
            grouped[parsed.complaint_id].append(parsed)
    contents.complaints = dict(sorted(grouped.items()))
    return contents


def _repeated(raw: RawLine, event_id: str, same: bool, seen_at: str) -> Invalid:
    """The quarantine record of a line whose event id came before, at ``seen_at`` (file:line):
    a duplicate when the content is the same, else a conflict (the first occurrence is kept)."""
    message = f"event_id {event_id!r} already seen at {seen_at}" + ("" if same else " with different content")
    return Invalid(raw.source, raw.line, (EventError("$.event_id", "duplicate" if same else "conflict", message),),
                   raw.text)


@dataclass
class AuditReport:
    as_of: datetime
    modules: list[RuleModule]
    calendar_version: str
    engine: str
    results: list[ComplaintResult]
    contents: ArchiveContents
    skipped: Counter = field(default_factory=Counter)
    archive_results: list[ArchiveResult] = field(default_factory=list)

    @property
    def findings(self) -> Sequence[Finding]:
        """Per-complaint findings (by complaint), then archive-scope findings (by institution).
        A list; for results kept on disk (:class:`~cppolicy.spill.ResultSpill`) a view that
        reads them again on each pass."""
        if isinstance(self.results, (ResultSpill, StreamedResults)):
            return _Findings(self)
        return [f for r in self.results for f in r.findings] + [f for r in self.archive_results for f in r.findings]

    def counts(self) -> dict[str, int]:
        c = self.contents
        tally = getattr(self.results, "tally", None)
        if tally is None:
            by_severity = Counter(f.severity for f in self.findings)
            statuses = Counter(r.status for r in self.results)
        else:  # counted as the results were stored: no pass over the disk
            by_severity = tally.severities + Counter(f.severity for r in self.archive_results for f in r.findings)
            statuses = tally.statuses
        return {
            "files": c.files,
            "lines": c.lines,
            "accepted": c.accepted,
            "quarantined": len(c.quarantined),
            "complaint_events": c.complaint_event_count,
            "institution_events": len(c.institution_events),
            "complaints": c.complaint_count,
            "evaluations": len(self.results),
            "violations": by_severity["violation"],
            "warnings": by_severity["warning"],
            "undetermined": by_severity["undetermined"],
            "errors": by_severity["error"],
            **{f"complaints_{status}": n for status, n in sorted(statuses.items())},
            **{f"skipped_{why}": n for why, n in sorted(self.skipped.items())},
        }

    def exit_code(self) -> ExitCode:
        """Most serious first: input problems, engine errors, violations, undetermined."""
        counts = self.counts()
        if counts["quarantined"]:
            return ExitCode.USAGE
        if counts["errors"]:
            return ExitCode.EVALUATION_ERROR
        if counts["violations"]:
            return ExitCode.FINDINGS
        if counts["undetermined"]:
            return ExitCode.UNDETERMINED
        return ExitCode.OK


class _Findings(Sequence):
    """The findings of a report whose results are on disk, read again on each pass."""

    def __init__(self, report: AuditReport) -> None:
        self._report = report

    def __iter__(self) -> Iterator[Finding]:
        for result in self._report.results:
            yield from result.findings
        for archive_result in self._report.archive_results:
            yield from archive_result.findings

    def __len__(self) -> int:
        results = self._report.results
        return results.tally.findings + sum(len(r.findings) for r in self._report.archive_results)  # type: ignore[attr-defined]

    def __getitem__(self, index):
        return list(self)[index]


def evaluate_archive(
    contents: ArchiveContents,
    modules: Sequence[RuleModule],
    calendar: WorkingDayCalendar,
    as_of: datetime,
    on_complaint: Callable[[], None] | None = None,
    on_result: Callable[[ComplaintResult, list[Event]], None] | None = None,
    on_archive_result: Callable[[ArchiveResult], None] | None = None,
) -> AuditReport:
    """Evaluate every complaint under the modules in force on its receipt date.

    ``on_result(result, events)`` is called after each evaluation (one per complaint and
    module) with the complaint's events as read; ``on_complaint()`` after each complaint."""
    engines = {m.ref: Engine(m, calendar) for m in modules}
    report = AuditReport(as_of=as_of, modules=list(modules), calendar_version=calendar.version,
                         engine=engine_version(), results=[], contents=contents)
    for complaint_id, events in contents.complaints.items():
        chosen, skipped = modules_for(modules, events)
        if skipped:
            report.skipped[skipped] += 1
        for module in chosen:
            result = engines[module.ref].evaluate(complaint_id, events, as_of)
            report.results.append(result)
            if on_result:
                on_result(result, events)
        if on_complaint:
            on_complaint()
    # Obligations that span complaints or bind the institution (reports, large-scale complaints)
    # are judged only when the input carries institution-level events: an export of complaint
    # events alone says nothing about reports made to the regulator, and absence of data is not
    # a breach. The summary says they were not judged.
    archive_modules = [m for m in modules if m.rules_in("archive")]
    if archive_modules and not contents.institution_events:
        report.skipped["archive_rules_no_institution_events"] += len(archive_modules)
        archive_modules = []
    for module in archive_modules:
        if module.rules_in("archive"):
            archive_result = evaluate_archive_scope(engines[module.ref], contents.complaints,
                                                    contents.institution_events, as_of)
            report.archive_results.append(archive_result)
            if on_archive_result:
                on_archive_result(archive_result)
    return report


# --------------------------------------------------------------------------- streaming audit


class _Stand:
    """An Event stand-in carrying what archive-scope evaluation reads of a complaint."""

    __slots__ = ("event_id", "type", "time", "epoch", "institution", "data", "source", "line")

    def __init__(self, event_id, type, time, epoch, institution, data) -> None:
        self.event_id, self.type, self.time, self.epoch = event_id, type, time, epoch
        self.institution, self.data, self.source, self.line = institution, data, "", 0


_NO_DATA: dict = {}  # a stand-in's data when it is not a receipt (read, never written)

#: the fields of a receipt that archive-scope rules read (clusters of large-scale complaints)
_RECEIPT_FIELDS = ("product", "issue", "complainants", "major")


class ComplaintSummaries(Mapping):
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
        self._by_id: dict[str, list] = {}
        self._shared: dict[Any, Any] = {}
        self._last: dict[Any, dict] = {}  # institution id -> the shared dict last seen with it
        self._keys: list[str] | None = None
        self._walked: tuple[list[dict], list[datetime]] | None = None  # institutions_and_earliest()

    def _share(self, key: Any, value: Any) -> Any:
        return self._shared.setdefault(key, value)

    def _time(self, moment: datetime) -> datetime:
        zone = self._share(("tz", moment.utcoffset()), moment.tzinfo)
        return moment if moment.tzinfo is zone else moment.replace(tzinfo=zone)

    def add(self, event: Event) -> None:
        self._walked = None
        entry = self._by_id.get(event.complaint_id)  # [earliest time, its epoch, receipt, institution...]
        if entry is None:
            entry = self._by_id[event.complaint_id] = [self._time(event.time), event.epoch, None]
            self._keys = None
        elif event.epoch < entry[1]:
            entry[0], entry[1] = self._time(event.time), event.epoch
        institution = event.institution
        ident = institution.get("id")
        known = self._last.get(ident)
        if known is not None and known == institution:
            institution = known
        else:
            institution = self._share(("inst", orjson.dumps(institution, option=orjson.OPT_SORT_KEYS)), institution)
            self._last[ident] = institution
        # the institution of the complaint's previous event, most often (the object is shared)
        if entry[-1] is not institution and not any(known.get("id") == ident for known in entry[3:]):
            entry.append(institution)
        if entry[2] is None and event.type == "received" and event.time <= self.as_of:
            data = {k: event.data[k] for k in _RECEIPT_FIELDS if k in event.data}
            data = self._share(("data", orjson.dumps(data, option=orjson.OPT_SORT_KEYS)), data)
            entry[2] = (event.event_id, "received", self._time(event.time), event.epoch, institution, data)

    def institutions_and_earliest(self) -> tuple[list[dict], list[datetime]]:
        """What archive-scope evaluation reads of every stand-in, in the same order, without
        making the stand-ins: each complaint's institutions (in complaint id order) and its
        earliest time (the receipt's is never earlier). Walked once for all the modules (0.14 s
        of each module's archive scope on a million events): callers must not change the lists."""
        if self._walked is not None:
            return self._walked
        institutions: list[dict] = []
        earliest = []
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

    def receipts(self, as_of: datetime) -> list[tuple] | None:
        """What cluster facts read of each complaint's first ``received`` event at or before
        ``as_of``: ``(complaint id, time, epoch, institution, data)``, in any order; None when
        ``as_of`` is not the time these summaries kept receipts for (the caller then reads the
        stand-ins). Without it, archive scope makes every complaint's stand-ins to find one."""
        if as_of != self.as_of:
            return None
        return [(complaint_id, receipt[2], receipt[3], receipt[4], receipt[5])
                for complaint_id, entry in self._by_id.items() if (receipt := entry[2]) is not None]

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


class _Interner:
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


class _WorkerCrash(Exception):
    """Stands for a worker process that died (the detail names the signal)."""


_CID = re.compile(rb'"complaint_id"\s*:\s*"([^"\\]*)"')
#: _CID within one line of a block of lines (``\s`` and ``[^"\\]`` would run on into the next line)
_BLOCK_CID = re.compile(rb'"complaint_id"[ \t\r\x0b\x0c]*:[ \t\r\x0b\x0c]*"([^"\\\n]*)"')


def sorted_by_complaint(paths: Sequence[str]) -> bool:
    """Whether the complaint events of these files come in complaint-id order (a cheap pre-scan
    that decides streaming over spilling; the streaming pass verifies it again). Every line that
    names a complaint id counts, valid or not (even one that is not UTF-8), so a yes is never
    wrong. It works on bytes: UTF-8 orders byte strings as their code points.

    A block of lines without a backslash is read whole: every ``"complaint_id": "..."`` in it,
    in order. That is the complaint id of each line that names one, plus any other the line
    names (nested, or the key repeated): those can only turn a yes into a no (the audit then
    spills), never a no into a yes, because the ids of the line-by-line reading are among them
    in the same order. A block with a backslash (the key may be written with an escape) is read
    line by line, parsing the lines that need it. (The benchmark's million lines: 0.45 s, against
    1.5 s line by line; the workers wait for it.)"""
    previous: bytes | None = None
    for block, end in iter_raw_blocks(paths):
        if block.find(b"\\", 0, end) < 0:
            ids = _BLOCK_CID.findall(block, 0, end)
        else:
            ids = _line_ids(bytes(block[:end]).split(b"\n"))
        if not ids:
            continue
        if previous is not None and ids[0] < previous or ids != sorted(ids):
            return False
        previous = ids[-1]
    return True


def _line_ids(lines: Iterable[bytes]) -> list[bytes]:
    """The complaint id of each line that names one as a string, in order (as bytes)."""
    key = b'"complaint_id"'
    out = []
    for data in lines:
        escaped = b"\\" in data  # the key itself may be written with an escape: parse those lines
        if key not in data and not escaped:
            continue
        found = _CID.findall(data) if not escaped else None
        if found is not None and len(found) == 1:
            out.append(found[0])
            continue
        # escapes, or the key more than once (nested, or repeated): parse it
        try:
            doc = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))  # a BOM, as iter_lines drops it
        except orjson.JSONDecodeError:
            continue  # not JSON: quarantined by the streaming pass, never an event
        complaint_id = doc.get("complaint_id") if isinstance(doc, dict) else None
        if isinstance(complaint_id, str):
            out.append(complaint_id.encode("utf-8", "surrogatepass"))
    return out


class _Reader:
    """Reads, validates and de-duplicates lines; quarantines what is not accepted."""

    def __init__(self, paths: Sequence[str], contents: StreamedContents, summaries: ComplaintSummaries | None,
                 on_quarantine, on_line, spill_dir) -> None:
        self.sources = list(paths)
        self.index = {path: i for i, path in reversed(list(enumerate(self.sources)))}
        self.contents = contents
        self.summaries = summaries
        self.on_quarantine = on_quarantine
        self.on_line = on_line
        self.ids = EventIds(directory=spill_dir)
        self._lines = iter_lines(self.sources)  # checks that every file is readable, now

    def quarantine(self, item: Invalid) -> None:
        self.contents.quarantined.append(item)
        if self.on_quarantine:
            self.on_quarantine(item)

    def accepted(self) -> Iterator[tuple[Event, RawLine]]:
        """Accepted complaint events with their line; institution events are kept aside."""
        contents, ids, index = self.contents, self.ids, self.index
        for raw in self._lines:
            contents.lines += 1
            if self.on_line:
                self.on_line()
            parsed = parse_and_validate(raw)
            if isinstance(parsed, Invalid):
                self.quarantine(parsed)
                continue
            digest = content_digest(parsed.raw)
            previous = ids.seen(parsed.event_id, digest, index[raw.source], raw.line)
            if previous is not None:
                self.quarantine(_repeated(raw, parsed.event_id, previous[0] == digest,
                                          f"{self.sources[previous[1]]}:{previous[2]}"))
                continue
            if parsed.complaint_id is None:
                contents.institution_events.append(parsed)
                continue
            contents.streamed_events += 1
            if self.summaries is not None:
                self.summaries.add(parsed)
            yield parsed, raw

    def close(self) -> None:
        self.ids.close()


Group = tuple[str, "list[Event] | None", "list[Row] | None"]


def _sorted_groups(reader: _Reader, keep_events: bool, keep_rows: bool) -> Iterator[Group]:
    current: str | None = None
    events: list[Event] = []
    rows: list[Row] = []
    index = reader.index
    for event, raw in reader.accepted():
        complaint_id = event.complaint_id
        assert complaint_id is not None
        if complaint_id != current:
            if current is not None:
                if complaint_id < current:
                    raise InputError(
                        f"{raw.source}:{raw.line}: the input is not sorted by complaint id ({complaint_id!r} "
                        f"after {current!r}); audit it without --sorted to spill it to a temporary database")
                yield current, events if keep_events else None, rows if keep_rows else None
            current, events, rows = complaint_id, [], []
        if keep_events:
            events.append(event)
        if keep_rows:
            rows.append((index[raw.source], raw.line, raw.data))
    if current is not None:
        yield current, events if keep_events else None, rows if keep_rows else None


@fewer_collections()
def audit_archive(
    paths: Sequence[str],
    modules: Sequence[RuleModule],
    calendar: WorkingDayCalendar,
    as_of: datetime,
    *,
    jobs: int = 1,
    isolate: bool = False,
    order: str = "auto",
    spill_dir: str | None = None,
    calendar_files: Sequence[str] = (),
    trail: Any = None,
    on_quarantine: Callable[[Invalid], None] | None = None,
    on_line: Callable[[], None] | None = None,
    on_start: Callable[[StreamedContents], None] | None = None,
    on_complaint: Callable[[], None] | None = None,
    on_archive_result: Callable[[ArchiveResult], None] | None = None,
    on_result: Callable[[ComplaintResult], None] | None = None,
    keep_results: bool = True,
) -> AuditReport:
    """Audit archives with memory bounded by the open complaints (see the module docstring).

    ``order``: ``sorted`` streams and fails (InputError) at the first complaint event out of
    complaint-id order; ``unsorted`` always spills; ``auto`` streams files that a pre-scan finds
    sorted and spills the rest (stdin is always spilled: it cannot be read twice).
    ``jobs``: 1 evaluates in this process (unless ``isolate``), more in that many worker
    processes; ``calendar_files`` are the calendar's data files, for the workers.
    ``trail``: an open :class:`~cppolicy.trail.TrailWriter` whose run ``on_start`` starts; one
    ``evaluation`` record per complaint and module is appended, in report order.
    ``on_start(contents)`` is called once, before the first complaint is evaluated (after the
    whole input is read when it is spilled). Results keep no clock details (:func:`slim_result`);
    ``report.results`` is a :class:`~cppolicy.spill.ResultSpill` (past 50,000 results, on disk).
    ``on_result(result)`` is called for each complaint result in report order, as it comes; with
    ``keep_results=False`` the results are only counted (``report.results`` is a
    :class:`~cppolicy.spill.StreamedResults`): for a caller that writes them as they come.
    """
    if order not in ("auto", "sorted", "unsorted"):
        raise ValueError(f"order: {order!r}")
    paths = list(paths)
    contents = StreamedContents(files=len(paths))
    archive_modules = [m for m in modules if m.rules_in("archive")]
    summaries = ComplaintSummaries(as_of) if archive_modules else None
    reader = _Reader(paths, contents, summaries, on_quarantine, on_line, spill_dir)
    workers = jobs > 1 or isolate
    pool: Pool | None = None
    if workers:  # started now: they load their modules while the archive is pre-scanned and read
        pool = Pool(WorkerSpec(
            modules=tuple((str(m.path), m.data, m.digest) for m in modules),
            calendar_files=tuple(str(f) for f in calendar_files), calendar_version=calendar.version,
            as_of=as_of, sources=tuple(paths),
            trail=(calendar.version, engine_version()) if trail is not None else None,
            crash=tuple(sorted(parallel._TEST_CRASH.items()))), jobs)
    spill: Spill | None = None
    engines: dict[str, Engine] = {}
    early: list[ArchiveResult] | None = None  # judged while the workers finish (see Pool.run)

    def judge_archive() -> list[ArchiveResult]:
        """The archive-scope rules, once every line is read (not when there are no institution
        events: see evaluate_archive)."""
        if not contents.institution_events:
            return []
        judged = [evaluate_archive_scope(engines.get(module.ref) or Engine(module, calendar), summaries,  # type: ignore[arg-type]
                                         contents.institution_events, as_of) for module in archive_modules]
        if summaries is not None:
            summaries.forget_walk()
        return judged

    try:
        if pool is not None:
            pool.start()
        if order == "auto":
            order = "unsorted" if "-" in paths or not sorted_by_complaint(paths) else "sorted"
        contents.mode = "sorted" if order == "sorted" else "spilled"
        report = AuditReport(as_of=as_of, modules=list(modules), calendar_version=calendar.version,
                             engine=engine_version(),
                             results=ResultSpill(directory=spill_dir) if keep_results else StreamedResults(),  # type: ignore[arg-type]
                             contents=contents)
        if order == "sorted":
            groups: Iterable[Group] = _sorted_groups(reader, keep_events=not workers, keep_rows=workers)
            if on_start:
                on_start(contents)
        else:
            spill = Spill(spill_dir)
            for event, raw in reader.accepted():
                spill.add(event.complaint_id, reader.index[raw.source], raw.line, raw.data)  # type: ignore[arg-type]
            reader.close()
            if on_start:
                on_start(contents)
            groups = ((cid, None, rows) for cid, rows in spill.groups())
        interner = _Interner()

        def keep(complaint_id: str, skipped: str | None, results: list[ComplaintResult], slim: bool = False) -> None:
            contents.streamed_complaints += 1
            if skipped:
                report.skipped[skipped] += 1
            for result in results:
                result = result if slim else slim_result(result)
                if keep_results:  # kept until the report is written: equal dicts shared
                    result = interner.result(result)
                report.results.append(result)
                if on_result:
                    on_result(result)
            if on_complaint:
                on_complaint()

        def events_of(rows: list[Row]) -> list[Event]:
            return [revive(data, paths[src], line) for src, line, data in rows]

        if not workers:
            engines = {m.ref: Engine(m, calendar) for m in modules}
            for complaint_id, events, rows in groups:
                if events is None:
                    events = events_of(rows or [])
                skipped, results = evaluate_complaint(modules, engines, complaint_id, events, as_of)
                if trail is not None:
                    for result in results:
                        trail.evaluation(result, events)
                keep(complaint_id, skipped, results)
        else:
            assert pool is not None

            def judge_archive_now() -> None:  # the input is all read: the summaries are complete
                nonlocal early
                reader.close()  # the event ids are not needed any more: their memory first
                early = judge_archive()

            for complaint_id, rows, outcome in pool.run(((cid, rows) for cid, _, rows in groups),
                                                        on_exhausted=judge_archive_now):
                if isinstance(outcome, Crashed):
                    events = events_of(rows)
                    skipped, results = _crashed(modules, complaint_id, events, as_of, outcome)
                    if trail is not None:
                        for result in results:
                            trail.evaluation(result, events)
                else:
                    skipped, results, fields = outcome
                    if trail is not None:
                        for record in fields:
                            trail.append_evaluation(record)
                keep(complaint_id, skipped, results, slim=True)
            pool.close()  # (idempotent)
    finally:
        reader.close()
        if spill is not None:
            spill.close()
        if pool is not None:
            pool.close()
    if archive_modules and not contents.institution_events:
        report.skipped["archive_rules_no_institution_events"] += len(archive_modules)
    for archive_result in early if early is not None else judge_archive():
        report.archive_results.append(archive_result)
        if on_archive_result:
            on_archive_result(archive_result)
    return report


def _crashed(modules: Sequence[RuleModule], complaint_id: str, events: list[Event], as_of: datetime,
             crashed: Crashed) -> tuple[str | None, list[ComplaintResult]]:
    """``error`` results, one per module that would have judged the complaint, for a complaint
    that killed the worker evaluating it twice: its result is unknown, never compliant."""
    from cppolicy.calendar import SHANGHAI

    chosen, skipped = modules_for(modules, events)
    visible = sorted((e for e in events if e.time <= as_of), key=lambda e: (e.epoch, e.source or "", e.line or 0))
    institution = visible[0].institution.get("id") if visible else None
    as_of_text = as_of.astimezone(SHANGHAI).isoformat()
    results = []
    for module in chosen:
        ref = ModuleRef(module.id, module.version, module.digest)
        finding = Engine.error_finding(SimpleNamespace(ref=ref, module=module), complaint_id,  # type: ignore[arg-type]
                                       institution, as_of_text, _WorkerCrash(crashed.detail()))
        results.append(ComplaintResult(complaint_id=complaint_id, module=ref, institution_id=institution,
                                       findings=[finding], events=len(visible)))
    return skipped, results
