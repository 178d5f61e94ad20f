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

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cppolicy.calendar import SHANGHAI
from cppolicy.evaluation import Alert, ModuleRef
from cppolicy.host.store import PendingDelivery, StateStore
from cppolicy.plugin import Plugins, SinkError

ALERT_HOOK = "cppolicy_handle_alert"


def alert_from_dict(data: dict[str, Any]) -> Alert:
    """An :class:`Alert` from its ``to_dict()`` form."""
    module = data["module"]
    return Alert(
        **{
            **data,
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

    def delay(self, failures: int) -> float:
        return float(min(self.maximum, self.initial * 2 ** max(0, failures - 1)))


def sink_names(plugins: Plugins) -> list[str]:
    """The alert sinks installed: one name per ``cppolicy_handle_alert`` implementation."""
    return [impl.plugin_name for impl in plugins.pm.hook.cppolicy_handle_alert.get_hookimpls()]


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
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def sinks(self) -> dict[str, Callable[..., Any]]:
        return {
            impl.plugin_name: impl.function
            for impl in self.plugins.pm.hook.cppolicy_handle_alert.get_hookimpls()
        }

    def deliver_due(self, limit: int = 100) -> int:
        """One pass: every delivery due now (at most ``limit``); returns how many were made."""
        sinks = self.sinks
        with self.store.transaction():
            due = self.store.pending(list(sinks), self.clock(), limit)
        made = 0
        for delivery in due:
            made += self._deliver(delivery, sinks[delivery.sink])
        self.delivered += made
        return made

    def _deliver(self, delivery: PendingDelivery, sink: Callable[..., Any]) -> int:
        alert = delivery.alert
        payload = orjson.loads(alert.payload)
        try:
            masked = alert_from_dict(payload if alert.masked else self.plugins.mask(payload, "alert"))
        except Exception as exc:  # noqa: BLE001 - a broken mask plugin must not stop the monitor
            self.plugins.sink_errors.append(SinkError("cppolicy_mask_payload", "mask", exc))
            return self._failed(delivery, f"masking alert {alert.key} failed: {type(exc).__name__}: {exc}")
        try:
            sink(alert=masked)
        except Exception as exc:  # noqa: BLE001 - a broken sink must neither stop nor starve the others
            self.plugins.sink_errors.append(SinkError(ALERT_HOOK, delivery.sink, exc))
            return self._failed(
                delivery, f"alert sink {delivery.sink} failed on {alert.key}: {type(exc).__name__}: {exc}"
            )
        with self.store.transaction():
            self.store.mark_delivered(alert.seq, delivery.sink, datetime.now(SHANGHAI).isoformat())
        return 1

    def _failed(self, delivery: PendingDelivery, problem: str) -> int:
        line = " ".join(problem.split())[:500]
        wait = self.backoff.delay(delivery.attempts + 1)
        with self.store.transaction():
            self.store.mark_failed(delivery.alert.seq, delivery.sink, line, self.clock() + wait)
        self.report(f"{line}; pending, next attempt in {wait:g} s")
        return 0

    def pending_due_in(self) -> float | None:
        """Seconds until the next pending delivery is due (0 if now), or None when none is pending."""
        with self.store.transaction():
            when = self.store.next_attempt(list(self.sinks))
        return None if when is None else max(0.0, when - self.clock())

    def drain(self, seconds: float) -> None:
        """Deliver what is due, then go on until nothing is pending or ``seconds`` have passed."""
        deadline = time.monotonic() + seconds
        while True:
            self.deliver_due()
            wait = self.pending_due_in()
            left = deadline - time.monotonic()
            if wait is None or left <= 0 or wait > left:
                return
            if wait > 0:
                time.sleep(min(wait, left))

    # -- the background thread -------------------------------------------------------------------

    def start(self) -> None:
        """Deliver in a background thread until :meth:`stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cppolicy-relay", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            made = self.deliver_due()
            wait = self.pending_due_in() if not made else 0.0
            self.wake.wait(0.5 if wait is None else min(wait, 0.5))
            self.wake.clear()

    def stop(self) -> None:
        """Stop the background thread (after the delivery under way)."""
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def describe_pending(counts: dict[str, int], sinks: Sequence[str]) -> str:
    """``"2 for webhook, 1 for stdout"`` for the installed sinks with pending deliveries."""
    return ", ".join(f"{n} for {sink}" for sink, n in sorted(counts.items()) if sink in sinks and n)
