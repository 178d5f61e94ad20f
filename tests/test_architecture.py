"""The shape of the package (docs/architecture.md), kept by tests: the layers, what ``import cppolicy``
loads, no private name crossing a module, modules and functions of a readable size."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cppolicy"
SOURCES = sorted(PACKAGE.rglob("*.py"))
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: How long a module and a function may grow (the issue that cut the package into layers: about
#: 500 and 80 lines); a module that must be longer says why in a comment starting with "# size:".
MODULE_LINES = 500
FUNCTION_LINES = 80


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(cwd)},
    )


@pytest.mark.slow
def test_every_package_imports_only_the_layers_below_it():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_the_layers_in_the_contract_are_the_packages_in_the_tree():
    """Every sub-package is in a layer, and every layer is a sub-package or module."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = config["tool"]["importlinter"]["contracts"]
    layered = {name.strip() for layer in contract["layers"] for name in re.split(r"[|:]", layer)}
    present = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    present |= {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    assert layered == present


@pytest.mark.slow
def test_an_upward_import_breaks_the_contract(tmp_path):
    """The contract is not vacuous: the evaluation layer importing the command line fails it."""
    shutil.copytree(PACKAGE, tmp_path / "cppolicy", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    engine = tmp_path / "cppolicy" / "evaluation" / "engine.py"
    engine.write_text(
        engine.read_text(encoding="utf-8") + "\nimport cppolicy.cli.options  # upward\n", encoding="utf-8"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "cppolicy.evaluation is not allowed to import cppolicy.cli" in result.stdout


def test_the_api_loads_no_command_line_library():
    code = (
        "import sys, cppolicy, cppolicy.host, cppolicy.audit, cppolicy.reports, cppolicy.authoring\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'rich'))\n"
        "print(loaded)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_public_api_is_explicit():
    import cppolicy

    source = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    assert "__getattr__" not in source
    assert all(hasattr(cppolicy, name) for name in cppolicy.__all__)
    assert (PACKAGE / "py.typed").is_file()
    errors = [
        name
        for name in cppolicy.__all__
        if isinstance(getattr(cppolicy, name), type) and issubclass(getattr(cppolicy, name), Exception)
    ]
    from cppolicy import errors as error_module

    raised = {
        name
        for name, value in vars(error_module).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    assert raised <= set(errors), raised - set(errors)


def _imported_private_names(path: Path) -> list[str]:
    """``from x import _name`` and ``module._name`` where ``module`` was imported from cppolicy."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cppolicy"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(f"line {node.lineno}: from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cppolicy"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_private_name_is_used_outside_its_module():
    problems = {str(p.relative_to(ROOT)): found for p in SOURCES if (found := _imported_private_names(p))}
    assert problems == {}


def _says_why(path: Path) -> bool:
    return any(line.startswith("# size:") for line in path.read_text(encoding="utf-8").splitlines()[:40])


def test_modules_and_functions_stay_small():
    long_modules = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in SOURCES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MODULE_LINES and not _says_why(p)
    ]
    long_functions = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LINES and not _says_why(path):
                    long_functions.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines"
                    )
    assert long_modules == []
    assert long_functions == []


def test_no_production_code_carries_a_test_switch():
    """Crash injection and the like come from the tests (tests/crashing.py), never from a module flag."""
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if "_TEST_" in p.read_text(encoding="utf-8")]
    assert offenders == []
