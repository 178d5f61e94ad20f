"""``cppolicy monitor``: feed events one at a time; alerts out as they arise; state in SQLite."""

from __future__ import annotations

import queue
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import orjson
import typer

from cppolicy.calendar import SHANGHAI
from cppolicy.cli import fail
from cppolicy.cli.options import CalendarData, ModuleOption, NoMaskOption, calendar_from, modules_from
from cppolicy.cli.outputs import guard_inputs
from cppolicy.errors import CppolicyError, InputError
from cppolicy.evaluation import Alert
from cppolicy.events import Invalid, RawLine, iter_lines, parse_and_validate
from cppolicy.host import Evaluator, Monitor
from cppolicy.plugin import Plugins, hookimpl
from cppolicy.reports.escape import json_safe, visible
from cppolicy.trail import TrailWriter


class _StdoutSink:
    """The command's own alert sink: one JSON line per alert on stdout (DEL, C1 and bidi
    characters as JSON escapes, like every JSON format)."""

    @hookimpl
    def cppolicy_handle_alert(self, alert: Alert) -> None:
        sys.stdout.write(json_safe(orjson.dumps(alert.to_dict()).decode()) + "\n")
        sys.stdout.flush()


def monitor(
    source: str = typer.Argument(
        "-", metavar="[FILE]", help="JSONL events (plain or gzip); - or nothing for stdin."
    ),
    state: Path = typer.Option(..., "--state", help="SQLite state file (created on first use)."),
    clock: str = typer.Option(
        "event", "--clock", help="event: time is the latest event time; wall: the wall clock."
    ),
    tick_seconds: float = typer.Option(
        60.0, "--tick-seconds", help="With --clock wall: seconds between ticks."
    ),
    follow: bool = typer.Option(
        False, "--follow", help="With --clock wall: keep ticking after the input ends, until interrupted."
    ),
    at_risk_days: int = typer.Option(
        2, "--at-risk-days", min=0, help="Alert when this many working days or fewer remain."
    ),
    module: list[str] | None = ModuleOption,
    calendar_data: list[Path] | None = CalendarData,
    trail: Path | None = typer.Option(
        None, "--trail", help="Append evaluation records to this hash-chained trail."
    ),
    no_mask: bool = NoMaskOption,
) -> None:
    """Ingest complaint events and print new alerts (at risk, breach, cleared) as JSON lines.

    Alerts also go to every installed alert plugin (e.g. cppolicy-webhook). Re-running over the
    same state emits no alert twice. Exit 0, or 2 on usage errors or invalid input lines (each
    reported on stderr and skipped)."""
    invalid = 0
    try:
        if clock not in ("event", "wall"):
            raise InputError(f"--clock: {clock!r} is not event or wall")
        plugins = Plugins(extra=[_StdoutSink()], mask_data=False if no_mask else None)
        evaluator = Evaluator(
            modules_from(module, plugins), calendar=calendar_from(calendar_data, plugins), plugins=plugins
        )
        guard = guard_inputs([source], calendar_data, evaluator.modules, label="the input")
        guard.claim("--state", state).claim("--trail", trail).claim_stdout()
        with ExitStack() as stack:
            # The trail writer's context closes an unfinished run with an error record, so a
            # failure here never leaves the trail unappendable.
            writer = stack.enter_context(_trail_writer(trail, plugins, evaluator)) if trail else None
            live = stack.enter_context(
                Monitor(state, evaluator, clock=clock, at_risk_working_days=at_risk_days, trail=writer)
            )
            lines = iter_lines([source])
            if clock == "event":
                for raw in lines:
                    invalid += _ingest(live, raw)
            else:
                invalid += _run_wall(live, lines, tick_seconds, follow)
            counts = live.counts()
            if writer is not None:
                writer.finish_run(counts, 2 if invalid else 0)
        for error in plugins.sink_errors:
            print(f"cppolicy: warning: alert sink {error.plugin} failed: {error.error}", file=sys.stderr)
    except CppolicyError as error:
        raise fail(error) from None
    print(
        f"cppolicy: monitor: {counts['events']} events, {counts['complaints']} complaints, "
        f"{counts['alerts']} alerts emitted in total, {counts['conflicts']} conflicts, {invalid} invalid lines",
        file=sys.stderr,
    )
    raise typer.Exit(2 if invalid else 0)


def _trail_writer(path: Path, plugins: Plugins, evaluator: Evaluator) -> TrailWriter:
    writer = TrailWriter(path, plugins)
    writer.start_run(
        command="monitor",
        as_of=None,
        modules=evaluator.modules,
        calendar=evaluator.calendar.version,
        inputs=[],
    )
    return writer


def _ingest(live: Monitor, raw: RawLine) -> int:
    parsed = parse_and_validate(raw)
    if isinstance(parsed, Invalid):
        for line in live.plugins.mask_invalid(parsed).format_lines():
            print(visible(f"cppolicy: invalid: {line}"), file=sys.stderr)
        return 1
    outcome = live.ingest(parsed)
    if outcome.status == "conflict":
        print(
            f"cppolicy: conflict: {raw.source}:{raw.line}: event_id {outcome.event_id!r} "
            f"was seen before with different content; not applied",
            file=sys.stderr,
        )
    return 0


def _run_wall(live: Monitor, lines: Iterator[RawLine], tick_seconds: float, follow: bool) -> int:
    inbox: queue.Queue[RawLine | None] = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        try:
            for raw in lines:
                inbox.put(raw)
        finally:
            inbox.put(None)

    threading.Thread(target=read, daemon=True).start()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    invalid = 0
    live.tick(datetime.now(SHANGHAI))
    while not stop.is_set():
        try:
            raw = inbox.get(timeout=tick_seconds)
        except queue.Empty:
            live.tick(datetime.now(SHANGHAI))
            continue
        if raw is None:
            live.tick(datetime.now(SHANGHAI))
            if not follow:
                break
            while not stop.wait(tick_seconds):
                live.tick(datetime.now(SHANGHAI))
            break
        live.tick(datetime.now(SHANGHAI))
        invalid += _ingest(live, raw)
    return invalid


def register(app: typer.Typer) -> None:
    app.command("monitor")(monitor)
