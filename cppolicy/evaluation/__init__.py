"""Evaluation: a complaint's events to findings on durable_rules, by the one judge.

* :mod:`~cppolicy.evaluation.findings` — :class:`Finding`, :class:`ComplaintResult`, severities;
* :mod:`~cppolicy.evaluation.facts` — events as engine facts;
* :mod:`~cppolicy.evaluation.clocks` — deadlines from events, the module and the calendar;
* :mod:`~cppolicy.evaluation.engine` — one module's rules on durable_rules (:class:`Engine`);
* :mod:`~cppolicy.evaluation.selection` — the rule modules in force on a complaint's receipt date;
* :mod:`~cppolicy.evaluation.judge` — the modules that judge a complaint, each evaluated (:class:`Judge`);
* :mod:`~cppolicy.evaluation.alerts` — at-risk, breach, met (late) and retracted alerts from a result;
* :mod:`~cppolicy.evaluation.institution` — institution profiles and the institution-scope rules;
* :mod:`~cppolicy.evaluation.archive_scope` — obligations over a whole archive (reports, clusters);
* :mod:`~cppolicy.evaluation.crosscheck` — the independent cross-check of the engine.
"""

from __future__ import annotations

from cppolicy.evaluation.alerts import (
    MET_KINDS,
    Alert,
    AlertKind,
    derive_alerts,
    relevant_cleared,
    retraction,
)
from cppolicy.evaluation.archive_scope import ArchiveResult, evaluate_archive_scope
from cppolicy.evaluation.clocks import ClockResult, Deadline, compute_clocks, compute_deadline
from cppolicy.evaluation.engine import ENGINE_NAME, SENTINEL_RULE, Engine, engine_version
from cppolicy.evaluation.facts import Prepared, evaluation_order, event_facts, flatten
from cppolicy.evaluation.findings import (
    EVALUATION_ERROR,
    SEVERITY_ORDER,
    ClockState,
    ComplaintResult,
    Finding,
    ModuleRef,
    Severity,
    Status,
    error_finding,
    slim_result,
    worst_status,
)
from cppolicy.evaluation.institution import InstitutionResult, check_institution, load_profile
from cppolicy.evaluation.judge import Judge, Judgement, Selector, every_module
from cppolicy.evaluation.selection import applies_to, modules_for, newest_versions

__all__ = [
    "MET_KINDS",
    "ENGINE_NAME",
    "EVALUATION_ERROR",
    "SENTINEL_RULE",
    "SEVERITY_ORDER",
    "Alert",
    "AlertKind",
    "ArchiveResult",
    "ClockResult",
    "ClockState",
    "ComplaintResult",
    "Deadline",
    "Engine",
    "Finding",
    "InstitutionResult",
    "Judge",
    "Judgement",
    "ModuleRef",
    "Prepared",
    "Selector",
    "Severity",
    "Status",
    "applies_to",
    "check_institution",
    "compute_clocks",
    "compute_deadline",
    "derive_alerts",
    "engine_version",
    "error_finding",
    "evaluate_archive_scope",
    "evaluation_order",
    "event_facts",
    "every_module",
    "flatten",
    "load_profile",
    "modules_for",
    "newest_versions",
    "relevant_cleared",
    "retraction",
    "slim_result",
    "worst_status",
]
