"""Checking the output: every event's fields (:func:`validate_all`), every line through
``cppolicy.events.parse_and_validate`` when importable (:func:`validate_with_cppolicy`), and an
archive and manifest re-read and recomputed by the independent evaluator (:func:`check_files`).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from .dates import AS_OF, CALENDAR_YEARS, Calendar, parse_time
from .design import check_archive_design
from .eval_archive import evaluate_archive
from .eval_complaint import evaluate
from .field_check import check_event
from .manifest import cluster_summary
from .output import manifest_path_for

REPO_ROOT = Path(__file__).resolve().parents[2]


def validate_all(events: list[dict]) -> None:
    ids = set()
    for ev in events:
        problems = check_event(ev)
        if problems:
            raise SystemExit(f"{ev['event_id']}: {'; '.join(problems)}")
        if ev["event_id"] in ids:
            raise SystemExit(f"duplicate event_id {ev['event_id']}")
        ids.add(ev["event_id"])
        if parse_time(ev["time"]) >= AS_OF:
            raise SystemExit(f"{ev['event_id']}: after the as-of time")


def validate_with_cppolicy(lines: list[str]) -> str:
    """Run every line through cppolicy.events when that module is importable; report what ran."""
    sys.path.insert(0, str(REPO_ROOT))
    try:
        from cppolicy import events as cp_events  # optional, may not exist yet
    except Exception as exc:  # noqa: BLE001 — any import failure just means "not available"
        return f"cppolicy.events not available ({type(exc).__name__}: {exc})"
    parse = getattr(cp_events, "parse_and_validate", None)
    raw_cls = getattr(cp_events, "RawLine", None)
    invalid_cls = getattr(cp_events, "Invalid", None)
    if parse is None or raw_cls is None:
        return "cppolicy.events has no parse_and_validate/RawLine: skipped"
    bad = []
    for n, text in enumerate(lines, 1):
        try:
            result = parse(raw_cls(source="archive", line=n, text=text))
        except TypeError:
            result = parse(text)
        if invalid_cls is not None and isinstance(result, invalid_cls):
            bad.append((n, result))
    if bad:
        for n, result in bad[:10]:
            print(f"line {n}: {result}", file=sys.stderr)
        raise SystemExit(f"cppolicy.events rejected {len(bad)} line(s)")
    return f"cppolicy.events.parse_and_validate accepted all {len(lines)} lines"


def check_files(out: Path) -> None:
    """Re-read archive + manifest and recompute every complaint's findings."""
    cal = Calendar(CALENDAR_YEARS)
    manifest = json.loads(manifest_path_for(out).read_text(encoding="utf-8"))
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        lines = [line.rstrip("\n") for line in fh if line.strip()]
    events = [json.loads(line) for line in lines]
    validate_all(events)
    keys = [(parse_time(e["time"]), e["event_id"]) for e in events]
    if keys != sorted(keys):
        raise SystemExit("events are not sorted by time then event_id")
    grouped: dict[str, list[dict]] = {}
    for ev in events:
        if "complaint_id" in ev:
            grouped.setdefault(ev["complaint_id"], []).append(ev)
    as_of = parse_time(manifest["as_of"])
    if set(grouped) != set(manifest["complaints"]):
        raise SystemExit("complaints in the archive and the manifest differ")
    for cid, entry in manifest["complaints"].items():
        codes, info = evaluate(cal, grouped[cid], as_of)
        if (
            codes != entry["expected"]
            or list(codes) != entry["modules"]
            or info["decision_due"] != entry["decision_due"]
        ):
            raise SystemExit(f"{cid}: manifest says {entry['expected']}, events call for {codes}")
    archive_expected, clusters = evaluate_archive(cal, events, as_of)
    if archive_expected != manifest.get("archive_expected"):
        raise SystemExit(
            f"archive scope: manifest says {manifest.get('archive_expected')}, "
            f"events call for {archive_expected}"
        )
    if cluster_summary(clusters) != manifest.get("archive_clusters"):
        raise SystemExit(
            f"archive scope: manifest lists clusters {manifest.get('archive_clusters')}, "
            f"events make {cluster_summary(clusters)}"
        )
    if as_of == AS_OF:
        check_archive_design(events, archive_expected, clusters)
    print(validate_with_cppolicy(lines), file=sys.stderr)
    print(
        f"ok: {len(events)} events, {len(grouped)} complaints and {len(archive_expected)} archive-scope "
        f"findings match {manifest_path_for(out).name}",
        file=sys.stderr,
    )
