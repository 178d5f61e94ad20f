"""Every ruleset a module compiles to, built in durable_rules' C core once, before any audit.

The loader compiles a module's conditions to ruleset JSON (:meth:`RuleModule.compile`), but only
the engine knows whether it accepts them: e.g. an ``$or`` nested 20 deep is valid JSON that
durable_rules refuses ("Could not create ruleset, error code: 113"), after which every
evaluation by the module is an ``error`` finding. ``cppolicy modules validate`` builds each
rule's ruleset, for every date its parameters change and every scope, as the engine would, and
names each rule the engine refuses.
"""

from __future__ import annotations

import itertools
import json
from datetime import date

import durable_rules_engine

from cppolicy.documents import locate
from cppolicy.rules import SCOPES, RuleModule

_names = itertools.count()


def _refusal(body: dict[str, object]) -> str | None:
    """None when durable_rules builds the ruleset ``body``, else its error."""
    try:
        handle = durable_rules_engine.create_ruleset(f"cppolicy-check-{next(_names)}", json.dumps(body))
    except Exception as exc:  # noqa: BLE001 — the C core raises its own error type; any is a refusal
        return str(exc) or type(exc).__name__
    durable_rules_engine.delete_ruleset(handle)
    return None


def ruleset_problems(module: RuleModule) -> list[str]:
    """One line per rule durable_rules refuses to build (at its first refusing date and scope),
    and one per whole ruleset it refuses although it builds each of its rules."""
    starts = sorted({date.fromisoformat(s) for p in module.data["parameters"].values() for s in p["values"]})
    index = {rule.id: n for n, rule in enumerate(module.rules)}
    problems: dict[str, str] = {}
    tried: set[str] = set()
    for on, scope, supersede in itertools.product(starts, SCOPES, (True, False)):
        ruleset = module.compile(on, scope, supersede=supersede)
        whole = json.dumps(ruleset, sort_keys=True)
        if not ruleset or whole in tried:
            continue
        tried.add(whole)
        bad = False
        for rule_id, body in ruleset.items():
            refused = None if rule_id in problems else _refusal({rule_id: body})
            if refused:
                where = locate(module.path, ("rules", index[rule_id]))
                problems[rule_id] = (
                    f"{where}: $.rules[{index[rule_id]}] ({rule_id}): durable_rules cannot build it "
                    f"({scope} rules in force on {on.isoformat()}): {refused}"
                )
            bad = bad or rule_id in problems
        refused = None if bad else _refusal(ruleset)
        if refused:
            problems[f"{scope}@{on}"] = (
                f"{module.path}: the {scope} rules in force on {on.isoformat()}: durable_rules cannot build "
                f"their ruleset: {refused}"
            )
    return list(problems.values())
