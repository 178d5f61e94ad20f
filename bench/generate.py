"""Generate a large archive of complaint events for the benchmark (fixed seed, realistic shapes).

Each generated complaint is a copy of one complaint of the bundled example archive
(``examples/archive-2024-2025.jsonl.gz``, which covers every scenario the rule module encodes)
with fresh complaint and event ids, moved by a whole number of days so that receipts spread
over 2021-01-01 … 2025-06-30 (every deadline falls in a year the calendar knows). The example's
institution-level events are included once, so the archive-scope rules run as well.

``order="complaint"`` writes the events grouped by complaint id, ascending (the archive streams
in bounded memory); ``order="time"`` writes them by time, as a host's export usually is (the
audit spills to a temporary database).
"""

from __future__ import annotations

import gzip
import heapq
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "archive-2024-2025.jsonl.gz"
FIRST, LAST = date(2021, 1, 1), date(2025, 6, 30)
AS_OF = "2026-01-31T00:00:00+08:00"


def _templates() -> tuple[list[list[dict]], list[dict]]:
    complaints: dict[str, list[dict]] = {}
    institution: list[dict] = []
    with gzip.open(EXAMPLE, "rb") as handle:
        for line in handle:
            event = orjson.loads(line)
            if "complaint_id" in event:
                complaints.setdefault(event["complaint_id"], []).append(event)
            else:
                institution.append(event)
    return [complaints[key] for key in sorted(complaints)], institution


def _shift(text: str, days: int) -> str:
    return (datetime.fromisoformat(text) + timedelta(days=days)).isoformat()


def _copy(template: list[dict], number: int, days: int) -> list[dict]:
    complaint_id = f"C-B{number:08d}"
    out = []
    for k, source in enumerate(template, start=1):
        event = dict(source)
        event["event_id"] = f"E-B{number:08d}-{k:02d}"
        event["complaint_id"] = complaint_id
        event["time"] = _shift(source["time"], days)
        if "recorded_at" in source:
            event["recorded_at"] = _shift(source["recorded_at"], days)
        data = source.get("data")
        if data and "new_due_date" in data:
            event["data"] = {
                **data,
                "new_due_date": (date.fromisoformat(data["new_due_date"]) + timedelta(days=days)).isoformat(),
            }
        out.append(event)
    return out


def complaints(n_events: int, seed: int) -> Iterator[list[dict]]:
    """Complaints (lists of events, in time order) until about ``n_events`` events, in id order."""
    templates, _ = _templates()
    rng = random.Random(seed)
    span = (LAST - FIRST).days
    made, number = 0, 0
    while made < n_events:
        number += 1
        template = rng.choice(templates)
        received = datetime.fromisoformat(template[0]["time"]).date()
        target = FIRST + timedelta(days=rng.randrange(span))
        events = _copy(template, number, (target - received).days)
        made += len(events)
        yield events


def generate(path: str | Path, n_events: int, seed: int = 20261101, order: str = "complaint") -> int:
    """Write the archive (plain JSONL) and return the number of lines written."""
    _, institution = _templates()
    lines = 0
    with open(path, "wb") as out:

        def write(event: dict) -> None:
            nonlocal lines
            out.write(orjson.dumps(event) + b"\n")
            lines += 1

        for event in institution:
            write(event)
        if order == "complaint":
            for events in complaints(max(0, n_events - len(institution)), seed):
                for event in events:
                    write(event)
        elif order == "time":
            # sort by time with bounded memory: chunks sorted in memory, merged from disk
            runs, chunk = [], []
            for events in complaints(max(0, n_events - len(institution)), seed):
                chunk.extend((e["time"], orjson.dumps(e)) for e in events)
                if len(chunk) >= 500_000:
                    runs.append(_spill_run(path, len(runs), chunk))
                    chunk = []
            if chunk:
                runs.append(_spill_run(path, len(runs), chunk))
            for _, data in heapq.merge(*(_read_run(r) for r in runs)):
                out.write(data + b"\n")
                lines += 1
            for r in runs:
                Path(r).unlink()
        else:
            raise ValueError(f"order: {order!r}")
    return lines


def _spill_run(path, index, chunk) -> str:
    # times all carry +08:00 offsets, so their text order is their time order
    chunk.sort(key=lambda item: item[0])
    run = f"{path}.run{index}"
    with open(run, "wb") as handle:
        for key, data in chunk:
            handle.write(key.encode() + b"\t" + data + b"\n")
    return run


def _read_run(run: str):
    with open(run, "rb") as handle:
        for line in handle:
            key, _, data = line.rstrip(b"\n").partition(b"\t")
            yield key.decode(), data
