"""Reports: the one registry of output formats, the audit report's formats, the half-yearly report.

* :mod:`~cppolicy.reports.formats` — :data:`FORMATS`, the registry every ``--format`` reads;
* :mod:`~cppolicy.reports.audit` — an audit report as ``json``, ``jsonl``, ``csv``;
* :mod:`~cppolicy.reports.semiannual` — the half-yearly report (point 十六), computed, then written.
"""

from __future__ import annotations

from cppolicy.reports.audit import FindingStream, ReportStream, report_header, write_indented_json
from cppolicy.reports.formats import FORMATS, FormatRegistry, OutputFormat
from cppolicy.reports.semiannual import Period, SemiannualReport, compute_semiannual, parse_period

__all__ = [
    "FORMATS",
    "FindingStream",
    "FormatRegistry",
    "OutputFormat",
    "Period",
    "ReportStream",
    "SemiannualReport",
    "compute_semiannual",
    "parse_period",
    "report_header",
    "write_indented_json",
]
