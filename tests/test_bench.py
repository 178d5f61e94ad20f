"""The benchmark script runs and prints every figure its targets are judged by (it is not a
performance test: the figures are read by people, see README "Performance")."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the benchmark script in a process of its own

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_prints_both_baselines_both_job_counts_and_the_ratios():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_audit.py"), "3000", "--sample", "1500", "--jobs", "1,2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout

    def rate(label: str) -> float:
        found = re.search(re.escape(label) + r".*?: ([\d,]+) facts/s = ([\d,]+) events/s", out)
        assert found, f"no {label!r} figure in:\n{out}"
        return float(found.group(1).replace(",", ""))

    assert rate("durable_rules' own API") > 0 and rate("cppolicy's driver alone") > 0
    for jobs in (1, 2):
        line = next(line for line in out.splitlines() if line.startswith(f"end to end, --jobs {jobs}:"))
        assert "exit 1" in line  # the generated archive holds breaches: the audit judged it
        assert re.search(r"\d+ µs an event", line) and "peak RSS" in line
    for ratio in (
        "/ raw durable_rules (its own API)",
        "/ cppolicy's driver alone",
        "2 jobs / 1 job",
        "one million events at the best rate",
    ):
        assert ratio in out


def test_rounds_repeat_every_measure_and_the_ratios_use_the_best_of_each():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_audit.py"),
            "2000",
            "--sample",
            "800",
            "--jobs",
            "1,2",
            "--rounds",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "round 1 of 2:" in out and "round 2 of 2:" in out
    rates = {
        j: [float(m.replace(",", "")) for m in re.findall(rf"end to end, --jobs {j}: ([\d,]+) events/s", out)]
        for j in (1, 2)
    }
    assert len(rates[1]) == len(rates[2]) == 2
    ratio = float(re.search(r"2 jobs / 1 job: ([\d.]+)x", out).group(1))
    assert abs(ratio - max(rates[2]) / max(rates[1])) <= 0.006  # (the printed rates are rounded)
    spread = re.search(r"round by round ([\d.]+) to ([\d.]+)\)", out)
    assert spread, out
    per_round = sorted(a / b for a, b in zip(rates[2], rates[1], strict=True))
    assert all(abs(float(spread.group(k + 1)) - per_round[k]) <= 0.006 for k in (0, 1))
    assert "(each measure's best of 2 rounds)" in out
