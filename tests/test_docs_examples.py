"""The documentation's example outputs are generated from the code (tests/docs_examples.py) and
kept in sync: a figure that moves fails here until `python -m tests.docs_examples --update`."""

from __future__ import annotations

import pytest

from tests.docs_examples import DOCS, EXAMPLES, ROOT, regenerate, stale


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    """The examples, each generated once for this module's tests."""
    return {}


def test_documentation_examples_are_what_the_commands_print_now(generated):
    assert stale(cache=generated) == {}, (
        "stale documentation examples: run python -m tests.docs_examples --update"
    )


def test_every_example_is_in_a_document_and_a_changed_figure_is_caught(generated):
    texts = {doc: (ROOT / doc).read_text(encoding="utf-8") for doc in DOCS}
    for name in EXAMPLES:
        marker = f"<!-- docs-example: {name} -->\n```"
        assert any(marker in text for text in texts.values()), name
    readme = texts["README.md"]
    edited = readme.replace("452 complaints", "453 complaints", 1)
    assert edited != readme
    assert regenerate(edited, "README.md", generated) == readme


def test_an_unknown_example_name_is_an_error():
    with pytest.raises(KeyError, match="unknown docs-example 'nope'"):
        regenerate("<!-- docs-example: nope -->\n```text\nold\n```\n", "x.md", {})
