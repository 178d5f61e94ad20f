#!/usr/bin/env python3
"""Benchmark ``cppolicy audit`` end to end, against two baselines measured in the same run.

    .venv/bin/python bench/bench_audit.py [N] [--seed 20261101] [--order complaint|time]
                                          [--jobs 1,2] [--sample 30000] [--keep FILE]

1. Generates N events with a fixed seed (:mod:`bench.generate`: copies of the example archive's
   complaints, every scenario the rule modules encode, plus institution-level events).
2. **Parse-only baseline**: reading, JSON parsing and schema validation of every line, in this
   process (``iter_lines`` + ``parse_and_validate``).
3. **Raw engine baseline**: durable_rules asserting pre-built facts — the very facts the audit
   asserts for the first ``--sample`` events' complaints, captured at the engine's assertion calls
   while the audit's own code builds them, then replayed through the same calls (the JSON
   encoding durable_rules needs included), one session per complaint and module, deleted after —
   in this process. Reported as facts/s and as the events/s that rate means for this archive.
4. **End to end**: ``cppolicy audit FILE --as-of … -f jsonl -o /dev/null --jobs J`` for each J,
   each in a fresh process; events/s, peak RSS of the audit process and of its largest worker.

It prints the figures and the ratios against the targets (end to end with one job ≥ 60% of the
raw engine rate; two jobs ≥ 1.8× one job; one million events in under 60 s on two cores; peak RSS
under 1 GB). It reports; it is not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from generate import AS_OF, generate  # noqa: E402

_RUN = r"""
import json, resource, sys, time
from cppolicy.cli import main
started = time.perf_counter()
sys.argv[0] = "cppolicy"
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
elapsed = time.perf_counter() - started
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"exit": code, "seconds": elapsed, "rss_kib": me.ru_maxrss, "children_rss_kib": kids.ru_maxrss,
                  "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}), file=sys.stderr)
"""


def parse_only(path: str) -> tuple[int, float]:
    from cppolicy.events import iter_lines, parse_and_validate

    started = time.perf_counter()
    n = 0
    for raw in iter_lines([path]):
        parse_and_validate(raw)
        n += 1
    return n, time.perf_counter() - started


def raw_engine(path: str, sample: int) -> dict:
    """Capture the engine's assertion calls for the first ``sample`` events' complaints (the
    facts as the audit builds them: history, then the as-of fact), then time replaying exactly
    those calls into fresh sessions, each deleted after its complaint, as the audit does."""
    from cppolicy.audit import audit_archive
    from cppolicy.cli.options import calendar_from, modules_from, parse_as_of
    from cppolicy.engine import Engine
    from cppolicy.plugins import Plugins

    head = tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False)
    with open(path, "rb") as source, head:
        for n, line in enumerate(source):
            if n >= sample:
                break
            head.write(line)
    plugins = Plugins()
    modules, calendar = modules_from(None, plugins), calendar_from(None, plugins)
    sessions: list[tuple] = []  # (engine, ruleset, sid, [(method, facts)])
    names = [name for name in ("_assert_batch", "_assert") if hasattr(Engine, name)]
    originals = {name: getattr(Engine, name) for name in names}

    def capturing(name):
        def capture(self, ruleset, payload):
            first = payload[0] if isinstance(payload, list) else payload
            if not sessions or sessions[-1][2] != first["sid"] or sessions[-1][0] is not self:
                sessions.append((self, ruleset, first["sid"], []))
            copied = [dict(f) for f in payload] if isinstance(payload, list) else dict(payload)
            sessions[-1][3].append((originals[name], copied))
            return originals[name](self, ruleset, payload)
        return capture

    for name in names:
        setattr(Engine, name, capturing(name))
    try:
        report = audit_archive([head.name], modules, calendar, parse_as_of(AS_OF), order="unsorted")
    finally:
        for name, method in originals.items():
            setattr(Engine, name, method)
        os.unlink(head.name)
    events = report.contents.accepted
    facts = sum(len(p) if isinstance(p, list) else 1 for s in sessions for _, p in s[3])
    started = time.perf_counter()
    for engine, ruleset, sid, calls in sessions:
        try:
            for method, payload in calls:
                method(engine, ruleset, payload)
        finally:
            engine._host.delete_state(ruleset, sid)
    elapsed = time.perf_counter() - started
    return {"events": events, "facts": facts, "sessions": len(sessions), "seconds": elapsed,
            "facts_per_s": facts / elapsed, "events_per_s": events / elapsed}


def end_to_end(path: str, jobs: int, extra: list[str]) -> dict:
    args = [sys.executable, "-c", _RUN, "audit", path, "--as-of", AS_OF, "-f", "jsonl", "-o", os.devnull,
            "--no-progress", "--jobs", str(jobs), *extra]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    stats = json.loads(done.stderr.strip().splitlines()[-1])
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", nargs="?", type=int, default=200_000, help="number of events (default 200000)")
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--order", choices=("complaint", "time"), default="complaint",
                        help="complaint: sorted by complaint id (streams); time: as exported (spills)")
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    parser.add_argument("--sample", type=int, default=30_000, help="events whose facts the raw baseline asserts")
    parser.add_argument("--keep", type=Path, help="write the generated archive here and keep it")
    parser.add_argument("--extra", default="", help="extra audit options, e.g. '--isolate'")
    args = parser.parse_args(argv)
    jobs = [int(j) for j in args.jobs.split(",") if j]

    folder = tempfile.mkdtemp(prefix="cppolicy-bench-")
    path = str(args.keep or Path(folder) / f"bench-{args.events}.jsonl")
    try:
        started = time.perf_counter()
        lines = generate(path, args.events, args.seed, args.order)
        size = os.path.getsize(path)
        print(f"archive: {lines} lines, {size / 2**20:.0f} MiB, order by {args.order}, seed {args.seed} "
              f"(generated in {time.perf_counter() - started:.0f} s); {os.cpu_count()} CPUs; "
              f"load average {os.getloadavg()[0]:.2f}")
        n, seconds = parse_only(path)
        parse_rate = n / seconds
        print(f"parse only (read + JSON + schema validation): {parse_rate:,.0f} events/s")
        raw = raw_engine(path, args.sample)
        print(f"raw durable_rules on pre-built facts ({raw['events']} events, {raw['sessions']} sessions): "
              f"{raw['facts_per_s']:,.0f} facts/s = {raw['events_per_s']:,.0f} events/s "
              f"({raw['facts'] / raw['events']:.2f} facts per event)")
        results = {}
        for j in jobs:
            stats = end_to_end(path, j, args.extra.split())
            rate = lines / stats["seconds"]
            results[j] = rate
            print(f"end to end, --jobs {j}: {rate:,.0f} events/s ({stats['seconds']:.1f} s, exit {stats['exit']}, "
                  f"CPU {stats['cpu']:.0f} s); peak RSS: audit process {stats['rss_kib'] / 1024:,.0f} MiB, "
                  f"largest worker {stats['children_rss_kib'] / 1024:,.0f} MiB")
        print("ratios:")
        if 1 in results:
            print(f"  end to end (1 job) / raw engine: {results[1] / raw['events_per_s']:.0%}  (target >= 60%)")
            print(f"  end to end (1 job) / parse only: {results[1] / parse_rate:.0%}")
        if 1 in results and 2 in results:
            print(f"  2 jobs / 1 job: {results[2] / results[1]:.2f}x  (target >= 1.8x)")
        best = max(results.values()) if results else 0
        if best:
            print(f"  one million events at the best rate: {1e6 / best:.0f} s  (target < 60 s on two cores)")
    finally:
        if not args.keep:
            for item in Path(folder).iterdir():
                item.unlink()
            os.rmdir(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
