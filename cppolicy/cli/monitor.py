"""``cppolicy monitor``: feed events one at a time; alerts out as they arise; state in SQLite."""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import typer

from cppolicy.calendar import SHANGHAI
from cppolicy.cli import fail
from cppolicy.cli.options import CalendarData, ModuleOption, NoMaskOption, calendar_from, modules_from
from cppolicy.cli.outputs import guard_inputs
from cppolicy.errors import CppolicyError, InputError
from cppolicy.evaluation import Alert
from cppolicy.events import Invalid, RawLine, iter_lines, parse_and_validate
from cppolicy.host import Backoff, Evaluator, Monitor, Relay, SQLiteStore
from cppolicy.host.relay import ALERT_HOOK, SinkClosed, describe_pending, sink_names
from cppolicy.plugin import Plugins, hookimpl
from cppolicy.reports.escape import json_safe, visible
from cppolicy.trail import TrailWriter


class _StdoutSink:
    """The command's own alert sink: one JSON line per alert on stdout (DEL, C1 and bidi
    characters as JSON escapes, like every JSON format)."""

    def __init__(self) -> None:
        self.__name__ = "stdout"  # the sink's name in the state's delivery rows

    @hookimpl
    def cppolicy_handle_alert(self, alert: Alert) -> None:
        try:
            sys.stdout.write(json_safe(orjson.dumps(alert.to_dict()).decode()) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the reader is gone (| head): the command ends, exit 2
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SinkClosed("standard output") from None


def _stdout_closed(relay: Relay) -> None:
    """End the command as every command does when its reader closes standard output (one line,
    exit 2: cppolicy.cli._OneLineErrors); the alerts not printed stay pending for stdout."""
    if "stdout" in relay.closed:
        raise BrokenPipeError("standard output")


# The delivery and clock options (docs/monitor.md says why each default is what it is).
LatenessOption = typer.Option(
    "24h",
    "--allowed-lateness",
    help="With --clock event: the watermark is the latest event time less this (e.g. 24h, 90m, 0).",
)
InitOption = typer.Option(
    False, "--init", help="Create the state's tables in an existing file that lacks them."
)
DeliverOnlyOption = typer.Option(
    False, "--deliver-only", help="Read no events: deliver the state's pending alerts, then exit."
)
DrainOption = typer.Option(
    30.0, "--drain-seconds", min=0, help="At the end, keep delivering pending alerts for at most this long."
)
RetryInitialOption = typer.Option(
    1.0, "--retry-initial", min=0.01, help="Seconds before retrying a failed delivery; doubled per failure."
)
RetryMaxOption = typer.Option(300.0, "--retry-max", min=0.01, help="The longest wait between two attempts.")


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
    lateness: str = LatenessOption,
    init: bool = InitOption,
    no_mask: bool = NoMaskOption,
    deliver_only: bool = DeliverOnlyOption,
    drain_seconds: float = DrainOption,
    retry_initial: float = RetryInitialOption,
    retry_max: float = RetryMaxOption,
) -> None:
    """Ingest complaint events and print new alerts (at risk, breach, met, met late, retracted)
    as JSON lines.

    Alerts also go to every installed alert plugin (e.g. cppolicy-webhook), from an outbox in
    the state: each is delivered to each sink until it accepts it, across restarts. Exit 0, or
    2 on usage errors, a state that is locked, damaged or foreign, or invalid input lines (each
    reported on stderr and skipped). See docs/monitor.md."""
    try:
        if clock not in ("event", "wall"):
            raise InputError(f"--clock: {clock!r} is not event or wall")
        allowed = parse_duration(lateness, "--allowed-lateness")
        _seconds(drain_seconds, "--drain-seconds", zero=True)
        _seconds(retry_initial, "--retry-initial")
        _seconds(retry_max, "--retry-max")
        backoff = Backoff(retry_initial, max(retry_max, retry_initial))
        plugins = Plugins(extra=[_StdoutSink()], mask_data=False if no_mask else None)
        if deliver_only:
            _deliver_only(state, plugins, backoff, drain_seconds, init)
            return
        evaluator = Evaluator(
            modules_from(module, plugins), calendar=calendar_from(calendar_data, plugins), plugins=plugins
        )
        guard = guard_inputs([source], calendar_data, evaluator.modules, label="the input")
        guard.claim("--state", state).claim("--trail", trail).claim_stdout()
        settings: dict[str, Any] = {
            "clock": clock,
            "at_risk_working_days": at_risk_days,
            "lateness": allowed,
            "init": init,
            "backoff": backoff,
            "drain_seconds": drain_seconds,
            "report": _warn,
        }
        invalid, counts, left = _feed(source, state, evaluator, trail, settings, tick_seconds, follow)
        for error in plugins.sink_errors:
            if error.hook in (ALERT_HOOK, "cppolicy_mask_payload"):
                continue  # reported by the relay as it happened
            print(
                visible(f"cppolicy: warning: plugin {error.plugin} failed in {error.hook}: {error.error}"),
                file=sys.stderr,
            )
    except CppolicyError as error:
        raise fail(error) from None
    print(
        f"cppolicy: monitor: {counts['events']} events, {counts['complaints']} complaints, "
        f"{counts['alerts']} alerts raised in total, {counts['conflicts']} conflicts, {invalid} invalid lines"
        + (f"; deliveries pending: {left}" if left else ""),
        file=sys.stderr,
    )
    raise typer.Exit(2 if invalid else 0)


def _feed(
    source: str,
    state: Path,
    evaluator: Evaluator,
    trail: Path | None,
    settings: dict[str, Any],
    tick_seconds: float,
    follow: bool,
) -> tuple[int, dict[str, int], str]:
    """Run the monitor over ``source``: (invalid lines, the state's counts, what is still pending)."""
    invalid = 0
    with ExitStack() as stack:
        # The trail writer's context closes an unfinished run with an error record, so a
        # failure here never leaves the trail unappendable.
        writer = stack.enter_context(_trail_writer(trail, evaluator.plugins, evaluator)) if trail else None
        live = stack.enter_context(Monitor(state, evaluator, trail=writer, **settings))
        lines = iter_lines([source])
        if settings["clock"] == "event":
            for raw in lines:
                _stdout_closed(live.relay)
                invalid += _ingest(live, raw)
        else:
            invalid += _run_wall(live, lines, tick_seconds, follow)
        counts = live.counts()
        _stdout_closed(live.relay)
        if live.retracted:
            _warn(
                f"{live.retracted} breach alert(s) retracted by later evidence: is the input sorted "
                "by time? Sort it by time or raise --allowed-lateness (docs/monitor.md)"
            )
        if writer is not None:
            writer.finish_run(counts, 2 if invalid else 0)
    _stdout_closed(live.relay)  # closed while the outbox drained
    return invalid, counts, describe_pending(live.pending_at_close, live.sinks)


def _warn(line: str) -> None:
    print(visible(f"cppolicy: warning: {line}"), file=sys.stderr, flush=True)


#: the longest --drain-seconds, --retry-initial and --retry-max: a day (a longer wait is no
#: longer a drain or a retry, and a huge number overflows the timers)
MAX_SECONDS = 86400.0


def _seconds(value: float, option: str, zero: bool = False) -> None:
    """Refuse a number of seconds outside 0 (or just above) ..MAX_SECONDS; nan and inf too."""
    low = 0 <= value if zero else 0 < value
    if not (low and value <= MAX_SECONDS):
        bound = "0" if zero else "above 0"
        raise InputError(f"{option}: {value:g} is not a number of seconds from {bound} to {MAX_SECONDS:g}")


def parse_duration(text: str, option: str) -> timedelta:
    """``24h``, ``90m``, ``30s``, ``2d`` or a number of seconds."""
    value = text.strip().lower()
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    scale = units.get(value[-1:], 1) if value else 1
    number = value[:-1] if value[-1:] in units else value
    try:
        seconds = float(number) * scale
    except ValueError:
        raise InputError(f"{option}: {text!r} is not a duration (e.g. 24h, 90m, 30s, 0)") from None
    if not 0 <= seconds <= 366 * 86400:  # also rejects nan
        raise InputError(f"{option}: {text!r} is outside 0..366d")
    return timedelta(seconds=seconds)


def _deliver_only(state: Path, plugins: Plugins, backoff: Backoff, drain_seconds: float, init: bool) -> None:
    store = SQLiteStore(state, init=init)
    try:
        relay = Relay(store, plugins, backoff=backoff, report=_warn)
        relay.check_pending()
        relay.drain(drain_seconds, eager=True)  # asked to deliver now: back-offs do not wait
        _stdout_closed(relay)
        with store.transaction():
            left = describe_pending(store.pending_by_sink(), sink_names(plugins))
    finally:
        store.close()
    print(
        f"cppolicy: monitor: {relay.delivered} deliveries made"
        + (f"; still pending: {left}" if left else ""),
        file=sys.stderr,
    )


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
