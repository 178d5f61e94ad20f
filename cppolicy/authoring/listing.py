"""``cppolicy modules list``: every registered rule module, a row each (one that does not load is
a row with its error, not a missing row)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cppolicy.authoring.cases import module_cases
from cppolicy.authoring.text import json_text, short_digest, text_table, writes
from cppolicy.errors import CppolicyError
from cppolicy.plugin import RegisteredModule
from cppolicy.reports.formats import FORMATS
from cppolicy.rules import resolve_module


def list_modules(registered: Sequence[RegisteredModule]) -> list[dict[str, Any]]:
    """One row per registered module (:class:`~cppolicy.plugin.RegisteredModule`: path, plugin). A module that does not
    load is a row with ``error`` set rather than a missing row."""
    known = [entry.path for entry in registered]
    rows = []
    for entry in registered:
        row: dict[str, Any] = {"path": str(entry.path), "plugin": entry.plugin}
        try:
            module = resolve_module(entry.path, known)
            cases = module_cases(module)
        except CppolicyError as error:
            name = {"id": entry.path.parent.name, "version": entry.path.name}
            rows.append({**row, **name, "error": error.message})
            continue
        rows.append(
            {
                **row,
                "id": module.id,
                "version": module.version,
                "instrument": module.data["instrument"]["number"],
                "effective_from": module.data["effective_from"],
                "effective_to": module.data.get("effective_to"),
                "digest": module.digest,
                "rules": len(module.rules),
                "cases": len(cases),
                "error": None,
            }
        )
    return rows


def _list_table(rows: list[dict[str, Any]]) -> str:
    headers = ["ID", "VERSION", "INSTRUMENT", "FROM", "TO", "DIGEST", "PLUGIN", "RULES", "CASES"]
    body = []
    for r in rows:
        if r["error"]:
            body.append([r["id"], r["version"], "(does not load)", "", "", "", r["plugin"], "", ""])
        else:
            body.append(
                [
                    r["id"],
                    r["version"],
                    r["instrument"],
                    r["effective_from"],
                    r["effective_to"] or "open",
                    short_digest(r["digest"]),
                    r["plugin"],
                    str(r["rules"]),
                    str(r["cases"]),
                ]
            )
    return text_table(headers, body) + f"{len(rows)} rule module{'' if len(rows) == 1 else 's'}\n"


FORMATS.register("modules.list", "table")(writes(_list_table))
FORMATS.register("modules.list", "json")(writes(json_text))
