"""The half-yearly complaint statistics and analysis report (银监发〔2012〕13号 point 十六), computed
(:mod:`~cppolicy.reports.semiannual.compute`) apart from how it is written
(:mod:`~cppolicy.reports.semiannual.sections`, :mod:`~cppolicy.reports.semiannual.render`).
See docs/reports.md."""

from __future__ import annotations

from cppolicy.reports.semiannual import render as _render  # noqa: F401 — registers the formats
from cppolicy.reports.semiannual.compute import compute_semiannual
from cppolicy.reports.semiannual.model import Period, SemiannualReport, parse_period
from cppolicy.reports.semiannual.sections import HeaderItem, Section, header_items
from cppolicy.reports.semiannual.tables import report_sections

__all__ = [
    "HeaderItem",
    "Period",
    "SemiannualReport",
    "Section",
    "compute_semiannual",
    "header_items",
    "parse_period",
    "report_sections",
]
