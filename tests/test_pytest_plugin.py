"""Policy owners' golden cases run from pytest too (cppolicy's pytest11 plugin)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import module_2012_path

pytestmark = pytest.mark.slow  # runs pytest in a process of its own


def run_pytest(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        capture_output=True,
        text=True,
        cwd=path.parent,
    )


def test_pytest_collects_a_modules_cases_named_by_their_legal_sentence(tmp_path):
    folder = tmp_path / "cbrc-2012-13" / "1.0.0"
    shutil.copytree(module_2012_path(), folder)
    run = run_pytest(folder)
    assert run.returncode == 0, run.stdout + run.stderr
    cases = sum(
        1
        for p in (folder / "cases").glob("*.yaml")
        for line in p.read_text().splitlines()
        if line.startswith("  - name:")
    )
    assert f"{cases} passed" in run.stdout


def test_a_failing_case_fails_pytest_with_its_sentence_and_mismatch(tmp_path):
    folder = tmp_path / "cbrc-2012-13" / "1.0.0"
    shutil.copytree(module_2012_path(), folder)
    path = folder / "cases" / "p7-p8-notices.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("codes: [CBRC2012.P7.ACK_LATE]", "codes: []", 1), encoding="utf-8")
    run = run_pytest(folder)
    assert run.returncode == 1
    assert "1 failed" in run.stdout
    assert "codes: expected [], got ['CBRC2012.P7.ACK_LATE']" in run.stdout
