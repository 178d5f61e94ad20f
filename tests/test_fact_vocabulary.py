"""The fact vocabulary (cppolicy.rules.vocabulary) cannot drift from the facts really built, and
docs/rule-modules.md shows the table generated from it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from cppolicy.calendar import load_calendar
from cppolicy.evaluation import Engine
from cppolicy.evaluation.institution import check_institution, default_as_of, load_profile
from cppolicy.rules import bundled_module_paths, load_module
from cppolicy.rules.vocabulary import module_vocabulary, vocabulary_table
from tests.helpers import cli

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- fact-vocabulary: begin -->", "<!-- fact-vocabulary: end -->"


@pytest.fixture
def asserted(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str], set[str]]:
    """Every field of every fact any engine asserts, by (module ref, scope)."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    original = Engine.run_facts

    def recording(
        self: Engine, scope: str, on: Any, facts: list[dict[str, Any]], as_of: Any, **kw: Any
    ) -> Any:
        for fact in facts:
            seen[(self.module.ref, scope)].update(fact)
        return original(self, scope, on, facts, as_of, **kw)

    monkeypatch.setattr(Engine, "run_facts", recording)
    return seen


def _unknown(seen: dict[tuple[str, str], set[str]]) -> dict[tuple[str, str], list[str]]:
    modules = {m.ref: m for m in map(load_module, bundled_module_paths())}
    out = {}
    for (ref, scope), fields in seen.items():
        module = modules[ref]
        vocabulary = module_vocabulary(scope, module.clocks, module.data.get("windows") or {})
        missing = sorted(f for f in fields if not vocabulary.knows(f))
        if missing:
            out[(ref, scope)] = missing
    return out


def test_every_field_of_every_fact_built_is_in_the_vocabulary(asserted, tmp_path):
    """Golden cases (complaint scope), the example archive (complaint and archive scopes) and
    the example profile (institution scope): no fact holds a field the vocabulary lacks."""
    for folder in bundled_module_paths():
        assert cli("modules", "test", folder).exit_code == 0
    result = cli(
        "audit",
        ROOT / "examples/archive-2024-2025.jsonl.gz",
        "--as-of",
        "2026-01-31",
        "-o",
        tmp_path / "r.json",
    )
    assert result.exit_code in (0, 1, 4), result.output
    doc = load_profile(ROOT / "examples/institution-profile.json")
    for folder in bundled_module_paths():
        check_institution(doc, Engine(load_module(folder), load_calendar()), default_as_of(doc))
    scopes = {scope for _, scope in asserted}
    assert scopes == {"complaint", "archive", "institution"}
    assert _unknown(asserted) == {}


def test_a_field_the_builders_do_not_know_is_caught_by_the_drift_check(asserted):
    asserted[("cbrc-2012-13@1.0.0", "complaint")].add("decison_due")
    assert _unknown(asserted) == {("cbrc-2012-13@1.0.0", "complaint"): ["decison_due"]}


def test_docs_show_the_generated_vocabulary_table():
    text = (ROOT / "docs/rule-modules.md").read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "docs/rule-modules.md lost its fact-vocabulary markers"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == vocabulary_table().strip(), (
        "docs/rule-modules.md#fact-vocabulary is stale: paste cppolicy.rules.vocabulary.vocabulary_table()"
    )
