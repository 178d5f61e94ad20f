"""The cppolicy plugin hooks (pluggy project ``cppolicy``).

Every hook is named ``cppolicy_<verb>_<noun>``; its docstring says how it is called. Plugins
implement them with the public marker::

    from cppolicy import hookimpl

    @hookimpl
    def cppolicy_handle_alert(alert):
        ...

and are found through the ``cppolicy`` entry-point group (``[project.entry-points.cppolicy]``).
Setting ``CPPOLICY_DISABLE_PLUGINS=1`` loads the built-in plugins only.

Hooks grow by gaining keyword arguments (old implementations keep working); a hook is retired
with ``warn_on_impl``, never removed without notice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pluggy

from cppolicy.calendar import WorkingDayCalendar
from cppolicy.evaluation import Alert, Finding
from cppolicy.plugin.markers import PROJECT

_hookspec = pluggy.HookspecMarker(PROJECT)

#: An importer turns a host's native file into complaint-event dicts.
Importer = Callable[[Path, Mapping[str, str]], Iterator[dict[str, Any]]]


# -- loading: what a plugin contributes ---------------------------------------------------------


@_hookspec
def cppolicy_register_rule_modules(register: Callable[[Path], None]) -> None:
    """Register rule-module folders by calling ``register(path)`` once per folder.

    Called once when the plugins are loaded; results are ignored. The host loads and validates
    each folder (a module that does not validate is an error naming the plugin), and records
    which plugin registered it.
    """


@_hookspec(
    warn_on_impl=DeprecationWarning(
        "cppolicy_register_policies is the former name of cppolicy_register_rule_modules (same calling "
        "convention): rename the implementation"
    )
)
def cppolicy_register_policies(register: Callable[[Path], None]) -> None:
    """Deprecated: the former name of :func:`cppolicy_register_rule_modules`, still honoured
    (called the same way; results are ignored). Implementing it warns (``DeprecationWarning``)
    when the plugin is registered.
    """


@_hookspec(firstresult=True)
def cppolicy_provide_calendar(name: str, data_files: Sequence[Path]) -> WorkingDayCalendar | None:
    """Return the working-day calendar called ``name`` (e.g. ``"cn"``), or None to pass.

    Stops at the first non-None result; the built-in plugin provides ``"cn"`` and is called
    last, so a plugin can replace it. ``data_files`` are user-supplied year arrangements.
    """


@_hookspec
def cppolicy_register_importers(register: Callable[[str, Importer, str], None]) -> None:
    """Register importers by calling ``register(name, importer, help)``.

    An importer normalises a host's native records (a CSV export of its complaint table, a
    database dump…) into complaint-event dicts: ``importer(path, options) -> Iterator[dict]``.
    Called once when the plugins are loaded; results are ignored. ``cppolicy import NAME``
    runs it and validates every event it yields.
    """


# -- evaluation: what leaves the process --------------------------------------------------------


@_hookspec
def cppolicy_mask_payload(payload: dict[str, Any], kind: str) -> None:
    """Mask personal data in ``payload`` in place before it leaves the process.

    Called on a private deep copy of every alert (``kind="alert"``) and audit-trail record
    (``kind="trail"``) before the sinks below see it, of every event an output shows
    (``kind="event"``: ``explain``, the half-yearly report, the monitor's conflicts table) and of
    every quarantined line (``kind="quarantine"``: ``{source, line, reason, errors, text}``, as the
    quarantine file and the reports show it). Every implementation is called (the built-in
    masker ``cppolicy.builtin.masking`` first, so the others see its result and have the last
    word; then pluggy's order: last registered first); results are ignored. The engine never
    sees a masked payload, and digests are taken as docs/privacy.md says (input digests and
    event ids over the raw input, trail hashes over what is written).
    """


@_hookspec
def cppolicy_handle_alert(alert: Alert) -> None:
    """Receive one alert (at risk, breach, met, met late, retracted), already masked.

    Each implementation is a sink: the monitor's relay calls it for each alert of its outbox
    until it returns (an exception leaves the alert pending for this sink, retried after a
    back-off, across restarts); results are ignored. Never called on the ingest path. At least
    once: ``alert.key`` is a stable idempotency key (docs/monitor.md).
    """


@_hookspec
def cppolicy_handle_finding(finding: Finding) -> None:
    """Receive each finding of an audit or evaluation as it is produced.

    Called for every implementation, once per finding of ``cppolicy audit`` (complaint and
    archive findings, in report order, with any ``--jobs``), of ``audit_archive(plugins=…)``
    and of ``Evaluator.evaluate`` / ``evaluate_complaint``; results are ignored. The live monitor
    re-evaluates complaints many times and sends alerts instead (``cppolicy_handle_alert``).
    The finding is not masked (it carries no personal data beyond ids); mask in the sink if your
    ids are personal. An exception raised here is reported and does not stop the audit.
    """


@_hookspec
def cppolicy_record_trail(record: dict[str, Any]) -> None:
    """Receive each audit-trail record after it was appended (and masked).

    Called for every implementation; results are ignored. ``record`` carries ``seq``,
    ``prev`` and ``hash`` as written to the trail file.
    """
