"""durable_rules 2.0.28's C core is not memory-safe: a rule set can crash the process depending
on its layout (seen here: a cross-fact $gte join in a small ruleset segfaulted about half the
runs). A crash must never pass unnoticed, so every bundled module's rules are exercised in fresh
processes, several times, and each run must end normally with the same results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from cppolicy.calendar import load_calendar
from cppolicy.authoring.cases import module_cases, run_case
from cppolicy.evaluation import Judge, every_module
from cppolicy.evaluation.institution import check_institution, default_as_of, load_profile
from cppolicy.rules import bundled_module_paths, load_module
calendar = load_calendar()
out = []
for path in bundled_module_paths():
    module = load_module(path)
    judge = Judge([module], calendar, select=every_module)
    engine = judge.engine(module)
    out += [len(run_case(case, module, calendar, judge)) for case in module_cases(module)]
    if module.rules_in("institution"):
        doc = load_profile(sys.argv[1] + "/examples/institution-profile.json")
        out.append(sorted(f.code for f in check_institution(doc, engine, default_as_of(doc)).findings))
print(json.dumps(out))
"""


@pytest.mark.slow
def test_bundled_rules_never_crash_the_engine_across_fresh_processes():
    outputs = set()
    for attempt in range(6):
        run = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT)], capture_output=True, text=True)
        assert run.returncode == 0, (
            f"attempt {attempt}: the engine process ended with {run.returncode} "
            f"(negative = killed by a signal, e.g. -11 SIGSEGV in durable_rules)\n{run.stderr[-2000:]}"
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1  # same results every time
