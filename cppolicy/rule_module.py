"""Rule modules: loading, validating and compiling them — data only, never code.

A rule module is a folder ``policies/<id>/<version>/`` holding ``module.yaml`` (metadata,
dated parameters, clocks, rules, coverage) and optional ``cases/*.yaml`` (golden cases).
``module.yaml`` is read with ``yaml.safe_load`` through a loader that keeps dates as strings
and rejects duplicate keys, then validated against ``schemas/rule-module/v1.json``. Nothing in
a module is ever imported, evaluated or executed: its conditions are durable_rules ruleset
JSON, which the C engine interprets, plus the macros documented in docs/rule-modules.md.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Sequence

import jsonschema
import yaml

from cppolicy._resources import policies_dir, schemas_dir
from cppolicy.errors import RuleModuleError
from cppolicy.events import json_path

MODULE_FILE = "module.yaml"
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
SEVERITIES = ("violation", "warning")
#: complaint: one complaint's events; institution: an institution profile (check-institution);
#: archive: institution-level events, schedules and detectors over a whole archive (audit).
SCOPES = ("complaint", "institution", "archive")


class _StrictLoader(yaml.SafeLoader):
    """safe_load, but dates stay strings and a duplicated key is an error. (Not libyaml's
    CSafeLoader, although it parses in a tenth of the time: it accepts what this parser refuses,
    e.g. a tab after ``key:``, and its error messages say less, e.g. no alias name.)"""


# Drop the implicit timestamp resolver: "2012-04-03" must stay the string the author wrote.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = 1
    return yaml.SafeLoader.construct_mapping(loader, node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse a YAML data file safely; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleModuleError(f"{path}: cannot read: {exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 — _StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RuleModuleError(f"{where}: invalid YAML: {problem}") from None


def _module_schema() -> dict:
    return json.loads((schemas_dir() / "rule-module" / "v1.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Rule:
    """One rule of a module, as written (uncompiled)."""

    id: str
    code: str
    severity: str
    citation: dict
    message: dict
    when: dict
    clocks: tuple[str, ...] = ()
    due: str | None = None
    observed: str | None = None
    evidence: tuple[str, ...] = ()
    scope: str = "complaint"
    subject: str | None = None
    #: last day the rule applies (by receipt date), when a later instrument supersedes it
    in_force_to: date | None = None
    superseded_by: str | None = None

    def in_force_on(self, day: date) -> bool:
        return self.in_force_to is None or day <= self.in_force_to


@dataclass(frozen=True)
class ClockSpec:
    """A clock: what starts it, its period (a parameter with unit), what meets it."""

    name: str
    description: dict
    start_event: str
    period_param: str
    met_by: str | None
    cite: str | None
    extension: dict | None = None
    applies_if: dict | None = None
    pauses: dict | None = None
    restart: dict | None = None


@dataclass
class RuleModule:
    """A loaded, validated rule module. Immutable in use; compile() is cached per parameter set."""

    path: Path
    data: dict
    digest: str
    rules: tuple[Rule, ...]
    clocks: dict[str, ClockSpec]
    _compiled: dict = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def version(self) -> str:
        return self.data["version"]

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def timezone(self) -> str:
        return self.data.get("timezone", "Asia/Shanghai")

    @cached_property
    def effective_from(self) -> date:
        return date.fromisoformat(self.data["effective_from"])

    @cached_property
    def effective_to(self) -> date | None:
        value = self.data.get("effective_to")
        return date.fromisoformat(value) if value else None

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def parameter(self, name: str, on: date) -> tuple[Any, str, str]:
        """The value of a parameter in force on a date, with its start date and legal reference."""
        starts = self._parameter_starts.get(name)
        if starts is None:
            raise RuleModuleError(f"{self.path}: unknown parameter {name!r}")
        days, texts = starts
        index = bisect_right(days, on)
        if index == 0:
            raise RuleModuleError(
                f"{self.path}: parameter {name!r} has no value in force on {on.isoformat()}"
            )
        chosen = texts[index - 1]
        entry = self.data["parameters"][name]["values"][chosen]
        return entry["value"], chosen, entry["reference"]

    @cached_property
    def _parameter_starts(self) -> dict[str, tuple[list[date], list[str]]]:
        """Per parameter, the start dates of its values in order (as dates, and as written)."""
        out = {}
        for name, spec in self.data.get("parameters", {}).items():
            ordered = sorted((date.fromisoformat(text), text) for text in spec["values"])
            out[name] = ([day for day, _ in ordered], [text for _, text in ordered])
        return out

    def parameters_on(self, on: date) -> dict[str, Any]:
        """Every parameter's value in force on ``on`` (cached per date: the module is immutable;
        dates with the same values in force share one dict)."""
        cache = self._compiled.setdefault("parameters_on", {})
        if on not in cache:
            picked = {name: self.parameter(name, on) for name in self.data["parameters"]}
            starts = tuple(start for _, start, _ in picked.values())
            by_starts = self._compiled.setdefault("parameters_by_starts", {})
            if starts not in by_starts:
                by_starts[starts] = {name: value for name, (value, _, _) in picked.items()}
            cache[on] = by_starts[starts]
        return cache[on]

    def rules_in(self, scope: str, on: date | None = None) -> tuple[Rule, ...]:
        """The rules of a scope; with ``on``, only those in force that day (not superseded)."""
        cache = self._compiled.setdefault("rules_in", {})
        if (scope, on) not in cache:
            cache[(scope, on)] = tuple(rule for rule in self.rules
                                       if rule.scope == scope and (on is None or rule.in_force_on(on)))
        return cache[(scope, on)]

    @cached_property
    def referenced_fields(self) -> frozenset[str]:
        """Every field name a condition of this module reads (compared, tested or {$m: …})."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, list):
                for item in node:
                    walk(item)
            elif isinstance(node, dict):
                for key, value in node.items():
                    if not key.startswith("$"):
                        found.add(key)
                    if isinstance(value, dict) and set(value) == {"$m"}:
                        found.add(value["$m"])
                    walk(value)

        for rule in self.rules:
            walk(rule.when)
        for rule in self.rules:  # due / observed / subject / evidence read fields too
            for ref in (rule.due, rule.observed, rule.subject, *rule.evidence):
                if ref and "." in ref:
                    found.add(ref.split(".", 1)[1])
        return frozenset(found)

    def compile(self, on: date, scope: str = "complaint", *, supersede: bool = True) -> dict:
        """durable_rules ruleset JSON of one scope's rules in force on ``on``, with the
        parameter values in force that day (``supersede=False``: superseded rules too, as the
        instrument itself reads — for ``cppolicy impact``).

        The result is cached by scope, rules and parameter values, so a module whose parameters
        never change compiles once per scope (and once more per supersession date). Rule names
        in the ruleset are the rule ids.
        """
        by_date = self._compiled.setdefault("by_date", {})
        if (on, scope, supersede) in by_date:
            return by_date[(on, scope, supersede)]
        params = self.parameters_on(on)
        rules = self.rules_in(scope, on if supersede else None)
        texts = self._compiled.setdefault("params_text", {})  # parameters_on's dicts live as long
        text = texts.get(id(params))
        if text is None:
            text = texts[id(params)] = json.dumps(params, sort_keys=True, ensure_ascii=False)
        key = scope + ",".join(r.id for r in rules) + text
        if key not in self._compiled:
            self._compiled[key] = {rule.id: {"all": _compile_all(rule, params, self.path)} for rule in rules}
        by_date[(on, scope, supersede)] = self._compiled[key]
        return self._compiled[key]


def _compile_all(rule: Rule, params: dict, path: Path) -> list:
    out = []
    for index, clause in enumerate(rule.when["all"]):
        ((alias, condition),) = clause.items()
        where = f"{path}: rule {rule.id}: when.all[{index}]"
        out.append({alias: _guard_same_fact(_expand(copy.deepcopy(condition), params, where))})
    return out


def _same_fact_fields(node: Any) -> set[str]:
    """Fields a comparison node reads from its own fact: the left field and any {$m: field}."""
    fields: set[str] = set()
    for key, value in node.items():
        if key in _COMPARISONS and isinstance(value, dict):
            for left, right in value.items():
                if isinstance(right, dict) and set(right) == {"$m"}:
                    fields.update((left, right["$m"]))
    return fields


def _guard_same_fact(node: Any, wrap: bool = True) -> Any:
    """Add ``$ex`` guards for both sides of every same-fact ({$m: …}) comparison.

    Measured on durable_rules 2.0.28 (docs/cross-check.md): in some ruleset layouts a
    comparison with a *missing* {$m: …} field evaluated true, e.g. a decision "late" against a
    deadline that was never computed. An explicit presence test beside the comparison (in the
    same ``$and``) makes the answer the same in every layout.
    """
    if isinstance(node, list):
        return [_guard_same_fact(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"$and"}:
        items = [_guard_same_fact(item, wrap=False) for item in node["$and"]]
        needed = set().union(set(), *(_same_fact_fields(i) for i in items if isinstance(i, dict)))
        present = {next(iter(i["$ex"])) for i in items if isinstance(i, dict) and set(i) == {"$ex"}}
        return {"$and": items + [{"$ex": {f: 1}} for f in sorted(needed - present)]}
    fields = _same_fact_fields(node)
    if fields:
        return {"$and": [node] + [{"$ex": {f: 1}} for f in sorted(fields)]} if wrap else node
    return {key: _guard_same_fact(value) for key, value in node.items()}


_TAUTOLOGY = {"$ex": {"f": 1}}
_CONTRADICTION = {"$nex": {"f": 1}}


def _param(name: str, params: dict, where: str) -> Any:
    if name not in params:
        raise RuleModuleError(f"{where}: $param names unknown parameter {name!r}")
    return params[name]


def _expand(node: Any, params: dict, where: str) -> Any:
    """Expand the module macros ($param, $in, $nin, $lacks_any, $param_is) into plain
    durable_rules JSON."""
    if isinstance(node, list):
        return [_expand(item, params, where) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"$param"}:
        return _param(node["$param"], params, where)
    if len(node) == 1:
        ((key, value),) = node.items()
        if key in ("$in", "$nin"):
            ((fieldname, options),) = value.items()
            options = _expand(options, params, where)
            if not isinstance(options, list) or not options:
                raise RuleModuleError(f"{where}: {key} needs a non-empty list")
            if key == "$in":
                return {"$or": [{fieldname: option} for option in options]}
            return {"$and": [{"$neq": {fieldname: option}} for option in options]}
        if key == "$lacks_any":
            ((fieldname, options),) = value.items()
            options = _expand(options, params, where)
            if not isinstance(options, list) or not options:
                raise RuleModuleError(f"{where}: $lacks_any needs a non-empty list")
            return {"$or": [{"$nex": {f"{fieldname}__{option}": 1}} for option in options]}
        if key == "$param_is":
            ((name, expected),) = value.items()
            return _TAUTOLOGY if _param(name, params, where) == expected else _CONTRADICTION
    return {key: _expand(value, params, where) for key, value in node.items()}


def _digest(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_COMPARISONS = {"$lt", "$lte", "$gt", "$gte", "$eq", "$neq"}


def _cross_fact_reference(node: Any, aliases: set[str]) -> str | None:
    """The first ``{ALIAS: FIELD}`` operand in a condition, if any (``$m`` is the fact itself)."""
    if isinstance(node, list):
        return next((r for r in (_cross_fact_reference(item, aliases) for item in node) if r), None)
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if key in _COMPARISONS and isinstance(value, dict):
            for operand in value.values():
                if isinstance(operand, dict) and len(operand) == 1:
                    ((ref_alias, ref_field),) = operand.items()
                    if not ref_alias.startswith("$"):
                        return f"{ref_alias}.{ref_field}"
        elif not key.startswith("$") and isinstance(value, dict) and len(value) == 1:
            ((ref_alias, ref_field),) = value.items()
            if ref_alias in aliases:
                return f"{ref_alias}.{ref_field}"
        found = _cross_fact_reference(value, aliases)
        if found:
            return found
    return None


def _binds_asof(condition: Any) -> bool:
    if condition == {"f": "asof"}:
        return True
    return isinstance(condition, dict) and {"f": "asof"} in condition.get("$and", [])


def version_key(version: str) -> tuple:
    """Sort key for ``MAJOR.MINOR.PATCH`` (numeric parts before any other text)."""
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in version.split("."))


def _check_dates(data: dict, path: Path) -> None:
    """Dates that match the schema's pattern must also be calendar dates."""
    places: list[tuple[str, Any]] = [("$.effective_from", data.get("effective_from")),
                                     ("$.effective_to", data.get("effective_to"))]
    parameters = data.get("parameters")
    if isinstance(parameters, dict):
        for name, spec in parameters.items():
            values = spec.get("values") if isinstance(spec, dict) else None
            if isinstance(values, dict):
                places.extend((f"$.parameters.{name}.values", start) for start in values)
    for where, value in places:
        if isinstance(value, str) and _DATE_RE.match(value):
            try:
                date.fromisoformat(value)
            except ValueError as exc:
                raise RuleModuleError(f"{path}: {where}: {value!r} is not a calendar date ({exc})") from None
    start, end = data.get("effective_from"), data.get("effective_to")
    if isinstance(start, str) and isinstance(end, str) and end < start:
        raise RuleModuleError(f"{path}: $.effective_to: {end} is before effective_from {start}")


def _param_refs(node: Any, where: str) -> Iterable[tuple[str, str]]:
    if isinstance(node, dict):
        if set(node) == {"param"} and isinstance(node["param"], str):
            yield where, node["param"]
            return
        for key, value in node.items():
            yield from _param_refs(value, f"{where}.{key}")


def _check_param_references(data: dict, path: Path) -> None:
    """Every ``{param: NAME}`` outside the rules (clocks, applies_if, windows, archive) names a
    parameter, so a typo fails at load rather than mid-audit."""
    params = data["parameters"]
    for section, value in data.items():
        if section in ("parameters", "rules", "coverage"):
            continue
        for where, name in _param_refs(value, f"$.{section}"):
            if name not in params:
                raise RuleModuleError(f"{path}: {where}: unknown parameter {name!r}")


def _check_semantics(data: dict, path: Path) -> None:
    """Cross-references the schema cannot express: every name a rule or clock uses exists."""
    clocks = data.get("clocks", {})
    rule_ids = set()
    for index, rule in enumerate(data["rules"]):
        where = f"{path}: $.rules[{index}] ({rule['id']})"
        if rule["id"] in rule_ids:
            raise RuleModuleError(f"{where}: duplicate rule id")
        rule_ids.add(rule["id"])
        aliases = []
        for clause in rule["when"]["all"]:
            if len(clause) != 1:
                raise RuleModuleError(f"{where}: each when.all item must bind exactly one alias")
            aliases.extend(clause)
        if len(set(aliases)) != len(aliases):
            raise RuleModuleError(f"{where}: duplicate alias in when.all")
        bound = {alias for alias in aliases if "$" not in alias}
        # durable_rules never retracts a firing, so an absence ($not) is only meaningful once
        # every fact is in: such a rule must wait for the as-of fact, which is asserted last.
        if any(alias.endswith("$not") for alias in aliases) and not any(
            _binds_asof(next(iter(clause.values()))) for clause in rule["when"]["all"]
        ):
            raise RuleModuleError(f"{where}: a rule with a $not condition must also bind the as-of fact {{f: asof}}")
        archive = data.get("archive") or {}
        generators = {name for kind in ("schedules", "obligations", "clusters") for name in archive.get(kind) or {}}
        for clock in rule.get("clocks", []):
            known = generators if rule.get("scope") == "archive" else clocks
            if clock not in known:
                raise RuleModuleError(f"{where}: unknown clock {clock!r}")
        for key in ("due", "observed", "subject"):
            if rule.get(key) and rule[key].split(".")[0] not in bound:
                raise RuleModuleError(f"{where}: {key} refers to unbound alias {rule[key]!r}")
        for ref in rule.get("evidence", []):
            if ref.split(".")[0] not in bound:
                raise RuleModuleError(f"{where}: evidence names unbound alias {ref!r}")
        for index, clause in enumerate(rule["when"]["all"]):
            ((alias, condition),) = clause.items()
            reference = _cross_fact_reference(condition, set(aliases))
            if reference:
                raise RuleModuleError(
                    f"{where}: when.all[{index}] ({alias}) compares with another fact ({reference}); conditions may "
                    f"compare a fact only with constants, parameters and its own fields ($m). durable_rules 2.0.28 "
                    f"reads out of bounds on cross-fact comparisons (measured: segfaults), so the engine projects "
                    f"clock numbers and receipt data onto each fact instead (docs/rule-modules.md)")
    for point, entry in data.get("coverage", {}).items():
        for rule_id in entry.get("rules", []):
            if rule_id not in rule_ids:
                raise RuleModuleError(f"{path}: $.coverage.{point}: unknown rule {rule_id!r}")


def load_module(folder: Path | str) -> RuleModule:
    """Load and validate one rule-module folder (or its module.yaml)."""
    folder = Path(folder)
    path = folder if folder.is_file() else folder / MODULE_FILE
    if not path.is_file():
        raise RuleModuleError(f"{path}: no such rule module file")
    return module_from_data(path, load_yaml(path))


def module_from_data(path: Path, data: Any) -> RuleModule:
    """Validate and build the module whose ``module.yaml`` at ``path`` parsed to ``data``: every
    check of :func:`load_module` but the YAML parse (which takes most of its time). Worker
    processes build their modules from the audit's parsed data this way."""
    if not isinstance(data, dict):
        raise RuleModuleError(f"{path}: a rule module must be a mapping")
    validator = jsonschema.Draft202012Validator(_module_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise RuleModuleError(
            f"{path}: {json_path(first.absolute_path)}: {first.message} [{first.validator}]"
        )
    _check_dates(data, path)
    _check_param_references(data, path)
    _check_semantics(data, path)
    rules = tuple(
        Rule(
            id=r["id"],
            code=r["code"],
            severity=r["severity"],
            citation=r["citation"],
            message=r["message"],
            when=r["when"],
            clocks=tuple(r.get("clocks", ())),
            due=r.get("due"),
            observed=r.get("observed"),
            evidence=tuple(r.get("evidence", ())),
            scope=r.get("scope", "complaint"),
            subject=r.get("subject"),
            in_force_to=date.fromisoformat(r["superseded"]["from"]) - timedelta(days=1) if r.get("superseded") else None,
            superseded_by=r["superseded"]["by"] if r.get("superseded") else None,
        )
        for r in data["rules"]
    )
    clocks = {
        name: ClockSpec(
            name=name,
            description=c["description"],
            start_event=c["start"]["event"],
            period_param=c["period"]["param"],
            met_by=c.get("met_by"),
            cite=c.get("cite"),
            extension=c.get("extension"),
            applies_if=c.get("applies_if"),
            pauses=c.get("pauses"),
            restart=c.get("restart"),
        )
        for name, c in data.get("clocks", {}).items()
    }
    module = RuleModule(path=path, data=data, digest=_digest(data), rules=rules, clocks=clocks)
    # Compile once for every parameter start date so a bad macro fails at load, not mid-audit.
    try:
        for start in {s for p in data["parameters"].values() for s in p["values"]}:
            for scope in SCOPES:
                module.compile(date.fromisoformat(start), scope)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # a malformed macro (e.g. $in over a list) slips past the schema into the compiler
        raise RuleModuleError(f"{path}: does not compile: {type(exc).__name__}: {exc}") from None
    return module


def bundled_module_paths() -> list[Path]:
    """Folders of the rule modules shipped with cppolicy, sorted by id and version."""
    root = policies_dir()
    return sorted(p.parent for p in root.glob(f"*/*/{MODULE_FILE}"))


def resolve_folder(spec: str | Path, known: Sequence[Path] | None = None) -> Path:
    """The folder (or module.yaml) a spec names: an existing path, or ``ID`` / ``ID@VERSION``
    among ``known`` folders (default: the bundled ones), named ``<id>/<version>``; the highest
    version wins when none is pinned."""
    candidate = Path(spec)
    if candidate.exists():
        return candidate
    known = list(bundled_module_paths() if known is None else known)
    ident, _, version = str(spec).partition("@")
    matches = [p for p in known if p.parent.name == ident and (not version or p.name == version)]
    if not matches:
        names = ", ".join(f"{p.parent.name}@{p.name}" for p in known) or "none"
        raise RuleModuleError(f"no rule module {str(spec)!r} (known: {names})")
    return max(matches, key=lambda p: version_key(p.name))


def resolve_module(spec: str | Path, known: Sequence[Path] | None = None) -> RuleModule:
    """Load a module by folder path, or by ``ID`` / ``ID@VERSION`` among ``known`` folders."""
    return load_module(resolve_folder(spec, known))
