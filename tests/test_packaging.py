"""The wheel carries the schemas and the bundled rule modules, and works from them alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: hatchling comes from the test extras, so no network is needed here.
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [built] = out.glob("cppolicy-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_schemas_and_rule_modules(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "cppolicy/_data/schemas/complaint-event/v1.json",
        "cppolicy/_data/schemas/rule-module/v1.json",
        "cppolicy/_data/policies/cbrc-2012-13/1.0.0/module.yaml",
        "cppolicy/_data/policies/cbrc-2012-13/1.0.0/cases/p9-calendar-traps.yaml",
        "cppolicy/_data/policies/cbrc-2012-13/1.0.0/cases/p9-superseded-2020.yaml",
        "cppolicy/evaluation/engine.py",
        "cppolicy/py.typed",
    ):
        assert required in names, required
    for source in (ROOT / "cppolicy").rglob("*.py"):  # every module of every sub-package
        assert source.relative_to(ROOT).as_posix() in names, source
    for source in (ROOT / "schemas").rglob("*.json"):
        assert f"cppolicy/_data/schemas/{source.relative_to(ROOT / 'schemas').as_posix()}" in names
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Python: <3.12,>=3.11" in text


@pytest.mark.slow
def test_unpacked_wheel_audits_without_the_source_tree(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    archive = tmp_path / "a.jsonl"
    # Received Monday 2019-03-04 and never acknowledged or decided: by 2019-06-30 both the
    # acceptance notice (point 七) and the 15-working-day limit of point 九 (which judges
    # complaints received up to 2020-02-29) have passed. A 2019 receipt is judged by the 2012
    # notice alone, whatever other modules the wheel bundles (Order 2020 No. 3 from 2020-03-01).
    archive.write_text(
        json.dumps(
            {
                "event_id": "e1",
                "complaint_id": "C-1",
                "type": "received",
                "time": "2019-03-04T10:00:00+08:00",
                "institution": {"id": "BR", "level": "branch", "parent": "HO"},
                "data": {"channel": "phone", "product": "deposit", "issue": "fees"},
            }
        )
        + "\n"
    )
    # Dependencies come from this interpreter's site-packages; cppolicy itself only from the wheel.
    deps = [p for p in sys.path if p and "site-packages" in p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *deps]), "PYTHONNOUSERSITE": "1"}
    code = (
        "import cppolicy, cppolicy.resources as r, runpy, sys;"
        "assert '_data' in str(r.schemas_dir()) and '_data' in str(r.policies_dir()), r.schemas_dir();"
        "print(cppolicy.__file__);"
        "sys.argv=['cppolicy','audit',sys.argv[1],'--as-of','2019-06-30','--format','jsonl'];"
        "runpy.run_module('cppolicy', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code.replace("-I", ""), str(archive)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    # -I ignores PYTHONPATH; run without it but from a directory outside the checkout.
    result = subprocess.run(
        [sys.executable, "-c", code, str(archive)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert str(site) in result.stdout.splitlines()[0], result.stdout + result.stderr
    codes = [json.loads(line)["code"] for line in result.stdout.splitlines()[1:]]
    assert codes == ["CBRC2012.P7.ACK_MISSING", "CBRC2012.P9.DECISION_OVERDUE"]
    assert result.returncode == 1
