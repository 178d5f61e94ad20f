"""The plugin manager: a small typed facade over pluggy, one method per hook.

The rest of cppolicy never calls ``pm.hook.…`` itself. Built-in behaviour (the bundled rule
modules, the mainland-China calendar) is registered as plugins exactly like third-party ones
(datasette's DEFAULT_PLUGINS); external plugins come from the ``cppolicy`` entry-point group
unless ``CPPOLICY_DISABLE_PLUGINS`` is set to a non-empty value other than ``0``.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from cppolicy.calendar import WorkingDayCalendar
from cppolicy.errors import CppolicyError, RuleModuleError
from cppolicy.evaluation import Alert, Finding
from cppolicy.events import Event, EventError, Invalid
from cppolicy.plugin import hookspecs
from cppolicy.plugin.builtin import calendar as builtin_calendar
from cppolicy.plugin.builtin import masking as builtin_masking
from cppolicy.plugin.builtin import rule_modules as builtin_rule_modules
from cppolicy.plugin.builtin.masking import MaskSettings
from cppolicy.plugin.markers import PROJECT

#: The built-in masker: each ``Plugins`` registers its own ``Masker`` (it holds that
#: ``Plugins``' settings) under this name.
MASKING_PLUGIN = "cppolicy.builtin.masking"
#: The built-in plugins, by the names they are registered (and listed) under.
DEFAULT_PLUGINS: dict[str, ModuleType] = {
    "cppolicy.builtin.policies": builtin_rule_modules,
    "cppolicy.builtin.calendar": builtin_calendar,
    MASKING_PLUGIN: builtin_masking,
}
DISABLE_ENV = "CPPOLICY_DISABLE_PLUGINS"


def external_plugins_disabled() -> bool:
    return os.environ.get(DISABLE_ENV, "") not in ("", "0")


@dataclass(frozen=True)
class RegisteredModule:
    """A rule-module folder a plugin registered, and the plugin's name."""

    path: Path
    plugin: str


@dataclass(frozen=True)
class RegisteredImporter:
    name: str
    importer: hookspecs.Importer
    help: str
    plugin: str


@dataclass
class SinkError:
    hook: str
    plugin: str
    error: BaseException


@dataclass
class Plugins:
    """Loaded plugins. Cheap to create; create one per host or command, nothing is global.

    ``mask_data``: whether the built-in masker masks personal data (None: on unless
    ``CPPOLICY_NO_MASK`` is set); ``mask_fields`` and ``mask_text_fields``: its JSON paths
    (None: ``CPPOLICY_MASK_FIELDS`` / ``CPPOLICY_MASK_TEXT_FIELDS``, else the defaults).
    See docs/privacy.md."""

    load_entry_points: bool | None = None
    extra: Sequence[object] = ()
    mask_data: bool | None = None
    mask_fields: Sequence[str] | None = None
    mask_text_fields: Sequence[str] | None = None
    pm: pluggy.PluginManager = field(init=False)
    masking: MaskSettings = field(init=False)
    sink_errors: list[SinkError] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.masking = MaskSettings.from_env(self.mask_data, self.mask_fields, self.mask_text_fields)
        for name, module in DEFAULT_PLUGINS.items():
            self.pm.register(
                builtin_masking.Masker(self.masking) if name == MASKING_PLUGIN else module, name=name
            )
        load = not external_plugins_disabled() if self.load_entry_points is None else self.load_entry_points
        if load:
            try:
                self.pm.load_setuptools_entrypoints(PROJECT)
            except Exception as exc:  # noqa: BLE001 — a broken plugin must name itself, not crash
                raise CppolicyError(
                    f"a cppolicy plugin failed to load: {type(exc).__name__}: {exc} "
                    f"(set {DISABLE_ENV}=1 to run without external plugins)"
                ) from None
        for plugin in self.extra:
            self.pm.register(plugin)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise CppolicyError(f"plugin {self.pm.get_name(exc.plugin)}: {exc}") from None

    # -- introspection ----------------------------------------------------------------------

    def _name(self, plugin: object) -> str:
        return self.pm.get_name(plugin) or repr(plugin)

    def describe(self) -> list[dict[str, Any]]:
        """Each loaded plugin: its name, where it comes from, and the hooks it implements."""
        dists = {id(plugin): dist for plugin, dist in self.pm.list_plugin_distinfo()}
        out = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            dist = dists.get(id(plugin))
            if name in DEFAULT_PLUGINS:
                source = "built-in"
            elif dist is not None:
                source = f"{dist.project_name} {dist.version} (entry point)"
            else:
                source = "registered in process"
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            out.append({"name": name, "source": source, "hooks": hooks})
        return out

    # -- loading hooks ----------------------------------------------------------------------

    def rule_modules(self) -> list[RegisteredModule]:
        """Every rule-module folder the plugins register (``cppolicy_register_rule_modules``, and
        its former name ``cppolicy_register_policies``), built-in ones included."""
        found: list[RegisteredModule] = []
        impls = [
            *self.pm.hook.cppolicy_register_rule_modules.get_hookimpls(),
            *self.pm.hook.cppolicy_register_policies.get_hookimpls(),
        ]
        for impl in impls:
            impl.function(register=self._registrar(impl.plugin_name, found))
        return found

    @staticmethod
    def _registrar(plugin: str, found: list[RegisteredModule]) -> Callable[[str | os.PathLike[str]], None]:
        def register(path: str | os.PathLike[str]) -> None:
            folder = Path(path)
            if not (folder / "module.yaml").is_file():
                raise RuleModuleError(f"plugin {plugin} registered {folder}, which has no module.yaml")
            found.append(RegisteredModule(folder, plugin))

        return register

    def rule_module_paths(self) -> list[Path]:
        """The folders of :meth:`rule_modules`."""
        return [entry.path for entry in self.rule_modules()]

    def calendar(self, name: str = "cn", data_files: Sequence[Path] = ()) -> WorkingDayCalendar:
        calendar: WorkingDayCalendar | None = self.pm.hook.cppolicy_provide_calendar(
            name=name, data_files=list(data_files)
        )
        if calendar is None:
            raise CppolicyError(f"no plugin provides a calendar named {name!r}")
        return calendar

    def importers(self) -> dict[str, RegisteredImporter]:
        found: dict[str, RegisteredImporter] = {}
        for impl in self.pm.hook.cppolicy_register_importers.get_hookimpls():
            plugin = impl.plugin_name

            # importer: whatever the plugin passed (checked to be callable)
            def register(name: str, importer: Any, help: str = "", _plugin: str = plugin) -> None:
                if name in found:
                    raise CppolicyError(
                        f"importer {name!r} registered by both {found[name].plugin} and {_plugin}"
                    )
                if not callable(importer):
                    raise CppolicyError(f"plugin {_plugin}: importer {name!r} is not callable")
                found[name] = RegisteredImporter(name, importer, help, _plugin)

            impl.function(register=register)
        return found

    # -- outbound hooks -----------------------------------------------------------------------

    def mask(self, payload: dict[str, Any], kind: str) -> dict[str, Any]:
        """A masked deep copy of ``payload`` (the original is left alone)."""
        private = copy.deepcopy(payload)
        self.pm.hook.cppolicy_mask_payload(payload=private, kind=kind)
        return private

    def mask_event(self, event: Event) -> Event:
        """The event as an output shows it: its data and extras masked (``kind="event"``). For
        outputs only: the engine and every digest read the event itself."""
        masked = self.mask(event.raw, "event")
        return dataclasses.replace(
            event,
            institution=masked.get("institution", event.institution),
            data=masked.get("data", {}),
            raw=masked,
        )

    def mask_invalid(self, invalid: Invalid) -> Invalid:
        """A quarantined line as its record is written and reported (``kind="quarantine"``)."""
        masked = self.mask(invalid.to_dict(), "quarantine")
        errors = tuple(
            EventError(str(e.get("path", "")), str(e.get("keyword", "")), str(e.get("message", "")))
            for e in masked.get("errors", ())
        )
        return dataclasses.replace(invalid, errors=errors, text=str(masked.get("text", "")))

    def _each(self, hook_name: str, **kwargs: Any) -> None:
        # Sinks are isolated: one failing sink must neither stop evaluation nor starve the others.
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            try:
                impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
            except Exception as exc:  # noqa: BLE001
                self.sink_errors.append(SinkError(hook_name, impl.plugin_name, exc))

    def handle_alert(self, alert: Alert) -> None:
        self._each("cppolicy_handle_alert", alert=alert)

    def handle_finding(self, finding: Finding) -> None:
        self._each("cppolicy_handle_finding", finding=finding)

    def record_trail(self, record: dict[str, Any]) -> None:
        self._each("cppolicy_record_trail", record=record)

    def has_impl(self, hook_name: str) -> bool:
        return bool(getattr(self.pm.hook, hook_name).get_hookimpls())


def entry_point_names() -> Iterable[str]:
    return [ep.name for ep in metadata.entry_points(group=PROJECT)]
