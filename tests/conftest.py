from __future__ import annotations

import pytest

from cppolicy.calendar import load_calendar


@pytest.fixture(scope="session")
def calendar():
    return load_calendar()
