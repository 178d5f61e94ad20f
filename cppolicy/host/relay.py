"""The relay: delivers the outbox's pending alerts to every sink, off the ingest path.

A sink is one implementation of ``cppolicy_handle_alert`` (named by its plugin). For each
pending ``(alert, sink)`` delivery the relay calls that sink alone and marks the delivery made
only when the call returns. An alert whose masking failed when it was raised is masked
(``cppolicy_mask_payload``) before each delivery. A mask or a sink that raises leaves the
delivery pending, reports one line through ``report`` and schedules the next attempt after an
exponential back-off (``initial`` seconds, doubled per failure, at most ``maximum``). Pending
deliveries survive restarts: they are rows of the state.

Delivery is therefore *at least once*: a crash after a sink accepted an alert and before the
relay marked it delivered repeats that alert (same ``key``: sinks use it as an idempotency key).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cppolicy.calendar import SHANGHAI
from cppolicy.errors import InputError
from cppolicy.evaluation import Alert, ModuleRef
from cppolicy.evaluation.findings import failure_detail
from cppolicy.host.store import PendingDelivery, StateError, StateStore
from cppolicy.plugin import Plugins, SinkError

ALERT_HOOK = "cppolicy_handle_alert"
#: seconds a stopping relay waits for a delivery under way (a sink should bound its own calls:
#: the webhook's deadline is 10 s by default) before leaving it behind, pending
GRACE = 15.0
#: how many delivery failures are kept in ``Plugins.sink_errors``
KEPT_ERRORS = 1000


class SinkClosed(Exception):
    """Raised by a sink whose destination is gone for good (the reader of standard output
    closed it): the relay stops using that sink, leaves its alerts pending and reports nothing
    (the command ends with its own one line)."""


def decode_row(store: StateStore, raw: bytes | str, row: str) -> Any:
    """The JSON of a stored row; a row damaged so that it cannot be decoded (bytes overwritten
    that ``PRAGMA quick_check`` does not see) is a :class:`StateError` naming the state and
    the row, not a traceback."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        where = getattr(store, "where", "--state")
        raise StateError(f"{where}: damaged: {row} cannot be decoded ({exc})") from None


#: the fields of an :class:`Alert`: a key a mask plugin adds to a payload is not one of them
ALERT_FIELDS = frozenset(Alert.__dataclass_fields__)


def alert_from_dict(data: dict[str, Any], report: Callable[[str], None] | None = None) -> Alert:
    """An :class:`Alert` from its ``to_dict()`` form. Keys that are not alert fields (a mask
    plugin may add one) are dropped, with one line through ``report`` naming them."""
    extra = sorted(str(name) for name in data if name not in ALERT_FIELDS)
    if extra and report is not None:
        shown = " ".join(", ".join(extra).split())[:200]
        report(
            f"alert {data.get('key')}: dropped keys that are not alert fields (added by a mask plugin?): {shown}"
        )
    module = data["module"]
    return Alert(
        **{
            **{name: value for name, value in data.items() if name in ALERT_FIELDS},
            "module": ModuleRef(**module) if isinstance(module, dict) else module,
            "evidence": tuple(data.get("evidence", ())),
        }
    )


@dataclass(frozen=True)
class Backoff:
    """Seconds before the next attempt after ``failures`` failed ones: ``initial`` doubled per
    failure, at most ``maximum``. The default (1 s, at most 5 min) retries a sink that blips at
    once and one that is down for hours a dozen times an hour."""

    initial: float = 1.0
    maximum: float = 300.0

    def __post_init__(self) -> None:
        if not (0 < self.initial <= self.maximum):  # also rejects nan; 0 would retry in a busy loop
            raise InputError(f"retry back-off: need 0 < initial ({self.initial}) <= maximum ({self.maximum})")

    def delay(self, failures: int) -> float:
        return float(min(self.maximum, self.initial * 2 ** max(0, failures - 1)))


def sink_names(plugins: Plugins) -> list[str]:
    """The alert sinks installed: one name per ``cppolicy_handle_alert`` implementation."""
    return [impl.plugin_name for impl in plugins.pm.hook.cppolicy_handle_alert.get_hookimpls()]


def unready(plugin: object) -> str | None:
    """Why the sink ``plugin`` cannot deliver now (its ``sink_unready()``, e.g. the webhook's
    "CPPOLICY_WEBHOOK_URL is not set"), or None when it can or says nothing. A plugin whose
    check itself fails is treated as ready: its hook will raise and the delivery stay pending."""
    check = getattr(plugin, "sink_unready", None)
    if not callable(check):
        return None
    try:
        reason = check()
    except Exception:  # noqa: BLE001 - the hook call reports the failure itself
        return None
    return None if reason is None else " ".join(str(reason).split())[:300]


def _caller(function: Callable[..., Any], takes_alert: bool) -> Callable[[Alert], Any]:
    return (lambda alert: function(alert=alert)) if takes_alert else (lambda alert: function())


def problem_line(exc: BaseException) -> str:
    """An exception a plugin or relay thread raised, as part of one warning line: its name and
    message, whitespace folded, at most 300 characters."""
    return " ".join(failure_detail(exc).split())[:300]


class Relay:
    """Delivers pending alerts from ``store`` to the sinks of ``plugins``."""

    def __init__(
        self,
        store: StateStore,
        plugins: Plugins,
        *,
        backoff: Backoff | None = None,
        report: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.plugins = plugins
        self.backoff = backoff or Backoff()
        #: the lines reported, when no ``report`` callable is given
        self.failures: list[str] = []
        self.report = report or self.failures.append
        self.clock = clock
        self.delivered = 0
        self._count = threading.Lock()
        self._stop = threading.Event()
        self._wakes: dict[str, threading.Event] = {}
        self._threads: list[threading.Thread] = []
        #: a damaged state met by a relay thread: raised by :meth:`check`, :meth:`drain`, :meth:`stop`
        self.fatal: StateError | None = None
        #: the sinks that raised :class:`SinkClosed`: not called again by this relay
        self.closed: set[str] = set()

    @property
    def sinks(self) -> dict[str, Callable[[Alert], Any]]:
        """Each sink ready to deliver by name, as a call with the alert (an implementation may
        take no argument). A sink whose plugin says it is not configured (see :func:`unready`)
        is left out: its deliveries stay pending, never counted as made."""
        return {
            impl.plugin_name: _caller(impl.function, "alert" in impl.argnames)
            for impl in self.plugins.pm.hook.cppolicy_handle_alert.get_hookimpls()
            if unready(impl.plugin) is None and impl.plugin_name not in self.closed
        }

    def check_pending(self) -> None:
        """Decode every pending alert's payload before anything is delivered: a damaged row is a
        :class:`StateError` at once, not after the alerts before it were sent."""
        with self.store.transaction():
            rows = self.store.pending(sink_names(self.plugins), math.inf, 2**62)
        seen: set[int] = set()
        for row in rows:
            if row.alert.seq not in seen:
                seen.add(row.alert.seq)
                decode_row(self.store, row.alert.payload, f"alert row {row.alert.seq} ({row.alert.key})")

    def report_unready(self) -> None:
        """One line per installed sink that is not configured and has deliveries pending: they
        stay pending (a sink with nothing pending is not mentioned)."""
        reasons = {
            impl.plugin_name: reason
            for impl in self.plugins.pm.hook.cppolicy_handle_alert.get_hookimpls()
            if (reason := unready(impl.plugin)) is not None
        }
        if not reasons:
            return
        with self.store.transaction():
            counts = self.store.pending_by_sink()
        for name, reason in reasons.items():
            if counts.get(name):
                self.report(
                    f"alert sink {name} is not used: {reason}; its {counts[name]} deliveries stay pending"
                )

    def deliver_due(
        self,
        limit: int = 100,
        until: float | None = None,
        only: str | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """One pass: every delivery due now (at most ``limit``; to the sink ``only``, or to every
        sink), none begun after the monotonic time ``until`` or once ``stop`` is set; returns how
        many were made."""
        sinks = self.sinks
        names = [name for name in sinks if only is None or name == only]
        with self.store.transaction():
            due = self.store.pending(names, self.clock(), limit)
        made = 0
        for delivery in due:
            if (stop is not None and stop.is_set()) or (until is not None and time.monotonic() > until):
                break
            if delivery.sink not in self.closed:
                made += self._deliver(delivery, sinks[delivery.sink])
        with self._count:
            self.delivered += made
        return made

    def _deliver(self, delivery: PendingDelivery, sink: Callable[[Alert], Any]) -> int:
        alert = delivery.alert
        payload = decode_row(self.store, alert.payload, f"alert row {alert.seq} ({alert.key})")
        try:
            masked = alert_from_dict(
                payload if alert.masked else self.plugins.mask(payload, "alert"), self.report
            )
        except Exception as exc:  # noqa: BLE001 - a broken mask plugin must not stop the monitor
            self._keep(SinkError("cppolicy_mask_payload", "mask", exc))
            return self._failed(delivery, f"masking alert {alert.key} failed: {type(exc).__name__}: {exc}")
        try:
            sink(masked)
        except SinkClosed:
            self.closed.add(delivery.sink)
            return 0
        except Exception as exc:  # noqa: BLE001 - a broken sink must neither stop nor starve the others
            self._keep(SinkError(ALERT_HOOK, delivery.sink, exc))
            return self._failed(
                delivery, f"alert sink {delivery.sink} failed on {alert.key}: {type(exc).__name__}: {exc}"
            )
        with self.store.transaction():
            self.store.mark_delivered(alert.seq, delivery.sink, datetime.now(SHANGHAI).isoformat())
        return 1

    def _keep(self, error: SinkError) -> None:
        """Record a failure in ``plugins.sink_errors`` too (the first :data:`KEPT_ERRORS`: a sink
        that fails for days must not grow the list without bound; each is reported anyway)."""
        if len(self.plugins.sink_errors) < KEPT_ERRORS:
            self.plugins.sink_errors.append(error)

    def _failed(self, delivery: PendingDelivery, problem: str) -> int:
        line = " ".join(problem.split())[:500]
        wait = self.backoff.delay(delivery.attempts + 1)
        with self.store.transaction():
            self.store.mark_failed(delivery.alert.seq, delivery.sink, line, self.clock() + wait)
        self.report(f"{line}; pending, next attempt in {wait:g} s")
        return 0

    def pending_due_in(self, only: str | None = None) -> float | None:
        """Seconds until the next pending delivery (to ``only``, or to any sink) is due (0 if
        now), or None when none is pending."""
        names = [name for name in self.sinks if only is None or name == only]
        with self.store.transaction():
            when = self.store.next_attempt(names)
        return None if when is None else max(0.0, when - self.clock())

    def drain(self, seconds: float, eager: bool = False) -> None:
        """Deliver what is due, then go on until nothing is pending or ``seconds`` have passed;
        one thread per sink, so that a slow sink does not hold the others up. ``eager``
        (``--deliver-only``: an operator asks to deliver now): the first round tries every
        pending delivery at once, whatever its back-off; later rounds respect it."""
        deadline = time.monotonic() + seconds
        self.report_unready()
        workers = [
            threading.Thread(target=self._guarded, args=(self._drain_one, sink, deadline, eager), daemon=True)
            for sink in self.sinks
        ]
        for worker in workers:
            worker.start()
        for worker in workers:  # a sink that hangs past the deadline is left behind (its alert stays pending)
            worker.join(max(0.0, deadline - time.monotonic()) + GRACE)
        self.check()

    def check(self) -> None:
        """Raise the :class:`StateError` a relay thread met (a damaged row), if any."""
        if self.fatal is not None:
            raise self.fatal

    def _guarded(self, work: Callable[..., None], *args: Any) -> None:
        """Run ``work`` in a thread: a failure of the relay itself (the state closed under a sink
        that hung past the deadline, a damaged state) is one reported line, not a traceback."""
        try:
            work(*args)
        except StateError as exc:  # a damaged row: the command ends with it (exit 2)
            self.fatal = self.fatal or exc
            self._stop.set()
        except Exception as exc:  # noqa: BLE001
            self.report(f"alert relay stopped: {problem_line(exc)}")

    def _drain_one(self, sink: str, deadline: float, eager: bool = False) -> None:
        if eager:
            self._every_pending(sink, deadline)
        while True:
            self.deliver_due(until=deadline, only=sink)
            wait = self.pending_due_in(sink)
            left = deadline - time.monotonic()
            if wait is None or left <= 0 or wait > left:
                return
            if wait > 0:
                time.sleep(min(wait, left))

    def _every_pending(self, sink: str, until: float) -> None:
        """Try each delivery pending to ``sink`` once, due or not (oldest first, in pages)."""
        tried: set[int] = set()
        call = self.sinks.get(sink)
        while call is not None and time.monotonic() <= until:
            with self.store.transaction():
                rows = self.store.pending([sink], math.inf, len(tried) + 100)
            fresh = [row for row in rows if row.alert.seq not in tried]
            if not fresh:
                return
            for delivery in fresh:
                if time.monotonic() > until or sink in self.closed:
                    return
                tried.add(delivery.alert.seq)
                made = self._deliver(delivery, call)
                with self._count:
                    self.delivered += made

    # -- the background threads ------------------------------------------------------------------

    def start(self) -> None:
        """Deliver in background threads, one per sink, until :meth:`stop`."""
        if not self._threads:
            self.report_unready()
            self._stop.clear()
            for name in self.sinks:
                wake = self._wakes.setdefault(name, threading.Event())
                thread = threading.Thread(
                    target=self._guarded,
                    args=(self._run, name, wake),
                    name=f"cppolicy-relay-{name}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()

    def notify(self) -> None:
        """New alerts are in the outbox: wake the background threads."""
        for wake in self._wakes.values():
            wake.set()

    def _run(self, sink: str, wake: threading.Event) -> None:
        while not self._stop.is_set() and sink not in self.closed:
            made = self.deliver_due(only=sink, stop=self._stop)
            wait = self.pending_due_in(sink) if not made else 0.0
            wake.wait(0.5 if wait is None else min(wait, 0.5))
            wake.clear()

    def stop(self) -> None:
        """Stop the background threads (each after the delivery under way)."""
        self._stop.set()
        self.notify()
        for thread in self._threads:  # a sink that hangs is left behind after a grace period
            thread.join(GRACE)
        self._threads = []
        self.check()


def describe_pending(counts: dict[str, int], sinks: Sequence[str]) -> str:
    """``"2 for webhook, 1 for stdout"`` for the installed sinks with pending deliveries."""
    return ", ".join(f"{n} for {sink}" for sink, n in sorted(counts.items()) if sink in sinks and n)
