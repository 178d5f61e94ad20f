from __future__ import annotations

import pytest

from cppolicy.calendar import load_calendar


@pytest.fixture(scope="session")
def calendar():
    return load_calendar()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test run with ``jobs`` above 1 starts worker processes: it is slow (``make test-fast``
    leaves it out) whether or not its author remembered to say so."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and int(callspec.params.get("jobs", 1)) > 1:
            item.add_marker(pytest.mark.slow)
