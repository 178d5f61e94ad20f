#!/usr/bin/env python3
"""Benchmark ``cppolicy audit`` end to end, against two baselines measured in the same run.

    .venv/bin/python bench/bench_audit.py [N] [--seed 20261101] [--order complaint|time]
                                          [--jobs 1,2] [--sample 30000] [--keep FILE] [--rounds 1]

1. Generates N events with a fixed seed (:mod:`bench.generate`: copies of the example archive's
   complaints, every scenario the rule modules encode, plus institution-level events).
2. **Parse-only baseline**: reading, JSON parsing and schema validation of every line, in this
   process (``iter_lines`` + ``parse_and_validate``).
3. **Raw engine baselines** on pre-built facts — the very facts the audit hands the engine for the
   first ``--sample`` events' complaints, captured while the audit's own code builds them — in this
   process, one session per complaint and module, deleted after: (a) durable_rules through its own
   Python API (``Host.assert_facts`` / ``assert_fact`` with recording actions: the library as
   shipped, the target's baseline); (b) cppolicy's driver alone (``Engine.run_facts``: its own
   call sequence into the same C core). Reported as facts/s and as the events/s that means here.
4. **End to end**: ``cppolicy audit FILE --as-of … -f jsonl -o /dev/null --jobs J`` for each J,
   each in a fresh process; events/s, peak RSS of the audit process (``VmHWM``: its own) and of
   its largest worker (``getrusage``: an upper bound, since Linux counts in it the audit
   process's memory when it started the worker).

With ``--rounds R`` steps 2-4 are repeated R times, interleaved (a slow spell of a shared machine
then falls on every measure alike, not on one): each round's figures are printed, the ratios use
each measure's best round (the machine only ever slows a run down), and the spread of the
round-by-round ratios is printed beside them.

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
# VmHWM is this process's own peak; ru_maxrss also counts the memory of the process that started
# it (the benchmark's own, hundreds of MiB: Linux keeps the larger across fork and exec)
try:
    own = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    own = me.ru_maxrss
print(json.dumps({"exit": code, "seconds": elapsed, "rss_kib": own, "children_rss_kib": kids.ru_maxrss,
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
    """Capture the facts the engine is handed for the first ``sample`` events' complaints (each
    ``Engine.run_facts`` call of the audit's own code: the complaint's history, built), then time
    two ways of asserting exactly those facts, one session per complaint and module, deleted after:

    - ``stock``: durable_rules as its documentation uses it — a ``durable.engine.Host`` with the
      same rulesets and a Python action per rule that records the match, ``Host.assert_facts``
      for the history and ``Host.assert_fact`` for the as-of fact, ``Host.delete_state``;
    - ``driver``: ``Engine.run_facts`` itself — cppolicy's own call sequence into the C core
      (orjson encoding, its dispatch loop), with nothing else around it.
    """
    import durable.engine

    from cppolicy.audit import audit_archive
    from cppolicy.calendar import parse_moment
    from cppolicy.cli.options import calendar_from, modules_from
    from cppolicy.evaluation.engine import Engine
    from cppolicy.plugin import Plugins

    head = tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False)
    with open(path, "rb") as source, head:
        for n, line in enumerate(source):
            if n >= sample:
                break
            head.write(line)
    plugins = Plugins()
    modules, calendar = modules_from(None, plugins), calendar_from(None, plugins)
    calls: list[tuple] = []  # (engine, scope, on, facts, as_of)
    original = Engine.run_facts

    def capture(self, scope, on, facts, as_of, **options):
        calls.append(
            (
                self,
                scope,
                on,
                [{k: v for k, v in f.items() if k not in ("sid", "asof_t")} for f in facts],
                as_of,
            )
        )
        return original(self, scope, on, facts, as_of, **options)

    Engine.run_facts = capture
    try:
        report = audit_archive([head.name], modules, calendar, parse_moment(AS_OF), order="unsorted")
    finally:
        Engine.run_facts = original
        os.unlink(head.name)
    events = report.contents.accepted
    if not calls:
        raise SystemExit("bench: no facts were captured at Engine.run_facts (has the engine changed?)")

    # stock durable_rules: one Host, each ruleset the engine registered, actions recording matches
    fired: list = []

    def recorder(rule: str):
        def action(c):  # one parameter: durable_rules runs it synchronously (two would mean async)
            fired.append((rule, c._m))

        return action

    host = durable.engine.Host()
    host._run = lambda: None  # no wall-clock timer threads (as cppolicy's own Host)
    names: dict[tuple, str] = {}
    prepared = []
    for engine, scope, on, facts, as_of in calls:
        compiled = engine._ruleset_for(on, scope)
        name = names.get((id(engine), compiled.ruleset))
        if name is None:
            definition = engine._host.get_ruleset(compiled.ruleset).get_definition()
            name = names[(id(engine), compiled.ruleset)] = f"stock-{len(names)}"
            host.register_rulesets(
                {name: {rule: {**body, "run": recorder(rule)} for rule, body in definition.items()}}
            )
        sid = f"s{len(prepared)}"
        t = as_of.timestamp()
        prepared.append(
            (name, sid, [{**f, "sid": sid, "asof_t": t} for f in facts], {"sid": sid, "f": "asof", "t": t})
        )
    n_facts = sum(len(facts) + 1 for _, _, facts, _ in prepared)
    fired.clear()
    started = time.perf_counter()
    for name, sid, facts, asof in prepared:
        try:
            if facts:
                try:
                    host.assert_facts(name, facts)
                except durable.engine.MessageNotHandledException:
                    pass
            try:
                host.assert_fact(name, asof)
            except durable.engine.MessageNotHandledException:
                pass
        finally:
            host.delete_state(name, sid)
    stock = time.perf_counter() - started
    if not fired:
        raise SystemExit("bench: durable_rules' own API fired no rule on the captured facts")

    fresh = [
        (engine, scope, on, [dict(f) for f in facts], as_of) for engine, scope, on, facts, as_of in calls
    ]
    driver_firings = 0
    started = time.perf_counter()
    for engine, scope, on, facts, as_of in fresh:
        driver_firings += len(engine.run_facts(scope, on, facts, as_of, owned=True)) + 1  # + the sentinel
    driver = time.perf_counter() - started
    if driver_firings != len(fired):
        raise SystemExit(
            f"bench: the two baselines disagree ({len(fired)} firings through durable_rules' API, "
            f"{driver_firings} through cppolicy's driver)"
        )
    return {
        "events": events,
        "facts": n_facts,
        "sessions": len(calls),
        "firings": driver_firings,
        "stock_events_per_s": events / stock,
        "stock_facts_per_s": n_facts / stock,
        "driver_events_per_s": events / driver,
        "driver_facts_per_s": n_facts / driver,
    }


def end_to_end(path: str, jobs: int, extra: list[str]) -> dict:
    args = [
        sys.executable,
        "-c",
        _RUN,
        "audit",
        path,
        "--as-of",
        AS_OF,
        "-f",
        "jsonl",
        "-o",
        os.devnull,
        "--no-progress",
        "--jobs",
        str(jobs),
        *extra,
    ]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    stats = json.loads(done.stderr.strip().splitlines()[-1])
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "events", nargs="?", type=int, default=200_000, help="number of events (default 200000)"
    )
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument(
        "--order",
        choices=("complaint", "time"),
        default="complaint",
        help="complaint: sorted by complaint id (streams); time: as exported (spills)",
    )
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    parser.add_argument(
        "--sample", type=int, default=30_000, help="events whose facts the raw baseline asserts"
    )
    parser.add_argument("--keep", type=Path, help="write the generated archive here and keep it")
    parser.add_argument("--extra", default="", help="extra audit options, e.g. '--isolate'")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure everything this many times, interleaved; the ratios use each measure's "
        "best round, and print the spread of the round-by-round ratios (default 1)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds: at least 1")
    jobs = [int(j) for j in args.jobs.split(",") if j]

    folder = tempfile.mkdtemp(prefix="cppolicy-bench-")
    path = str(args.keep or Path(folder) / f"bench-{args.events}.jsonl")
    try:
        started = time.perf_counter()
        lines = generate(path, args.events, args.seed, args.order)
        size = os.path.getsize(path)
        print(
            f"archive: {lines} lines, {size / 2**20:.0f} MiB, order by {args.order}, seed {args.seed} "
            f"(generated in {time.perf_counter() - started:.0f} s); {os.cpu_count()} CPUs; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        parse_rates: list[float] = []
        stock_rates: list[float] = []
        driver_rates: list[float] = []
        results: dict[int, list[float]] = {j: [] for j in jobs}
        for round_ in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {round_} of {args.rounds}:")
            n, seconds = parse_only(path)
            parse_rates.append(n / seconds)
            print(f"parse only (read + JSON + schema validation): {n / seconds:,.0f} events/s")
            raw = raw_engine(path, args.sample)
            stock_rates.append(raw["stock_events_per_s"])
            driver_rates.append(raw["driver_events_per_s"])
            print(
                f"raw engine on pre-built facts ({raw['events']} events, {raw['sessions']} sessions, "
                f"{raw['facts'] / raw['events']:.2f} facts per event, the same {raw['firings']} firings both ways):"
            )
            print(
                f"  durable_rules' own API (Host.assert_facts, Python actions): {raw['stock_facts_per_s']:,.0f} "
                f"facts/s = {raw['stock_events_per_s']:,.0f} events/s"
            )
            print(
                f"  cppolicy's driver alone (Engine.run_facts): {raw['driver_facts_per_s']:,.0f} facts/s"
                f" = {raw['driver_events_per_s']:,.0f} events/s"
            )
            for j in jobs:
                stats = end_to_end(path, j, args.extra.split())
                rate = lines / stats["seconds"]
                results[j].append(rate)
                print(
                    f"end to end, --jobs {j}: {rate:,.0f} events/s ({stats['seconds']:.1f} s, exit {stats['exit']}, "
                    f"CPU {stats['cpu']:.0f} s = {stats['cpu'] / lines * 1e6:.0f} µs an event, cores busy "
                    f"{stats['cpu'] / stats['seconds'] / min(j, os.cpu_count() or 1):.0%}); peak RSS: audit process "
                    f"{stats['rss_kib'] / 1024:,.0f} MiB, largest worker {stats['children_rss_kib'] / 1024:,.0f} MiB"
                )
        # each measure's best round: the machine only ever slows a run down
        parse_rate, stock, driver = max(parse_rates), max(stock_rates), max(driver_rates)
        best_of = {j: max(rates) for j, rates in results.items()}

        def spread(ratios: list[float], fmt: str) -> str:
            return "" if len(ratios) < 2 else f"; round by round {min(ratios):{fmt}} to {max(ratios):{fmt}}"

        print("ratios" + (f" (each measure's best of {args.rounds} rounds)" if args.rounds > 1 else "") + ":")
        if 1 in results:
            print(
                f"  end to end (1 job) / raw durable_rules (its own API): {best_of[1] / stock:.0%}  (target >= 60%"
                f"{spread([a / b for a, b in zip(results[1], stock_rates, strict=True)], '.0%')})"
            )
            print(f"  end to end (1 job) / cppolicy's driver alone: {best_of[1] / driver:.0%}")
            print(f"  end to end (1 job) / parse only: {best_of[1] / parse_rate:.0%}")
        if 1 in results and 2 in results:
            print(
                f"  2 jobs / 1 job: {best_of[2] / best_of[1]:.2f}x  (target >= 1.8x"
                f"{spread([a / b for a, b in zip(results[2], results[1], strict=True)], '.2f')})"
            )
        best = max(best_of.values()) if best_of else 0
        if best:
            print(
                f"  one million events at the best rate: {1e6 / best:.0f} s  (target < 60 s on two cores, "
                "that is at most 120 µs of CPU an event with both cores busy)"
            )
    finally:
        if not args.keep:
            for item in Path(folder).iterdir():
                item.unlink()
            os.rmdir(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
