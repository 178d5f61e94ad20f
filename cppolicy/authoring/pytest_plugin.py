"""A pytest plugin that collects golden cases written as data by policy owners.

Installed with cppolicy (entry point ``pytest11``), it makes ``pytest policies/my-module/1.0.0``
(or any folder holding rule modules) run every ``cases/*.yaml`` next to a ``module.yaml`` as
test items named by their legal sentence — the same cases ``cppolicy modules test`` runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from cppolicy.authoring.cases import Case, load_cases, run_case
from cppolicy.calendar import load_calendar
from cppolicy.rules import MODULE_FILE, RuleModule, load_module

if TYPE_CHECKING:  # pytest exports neither type (both are in pytest's own signatures)
    from _pytest._code.code import TerminalRepr, TracebackStyle


def _module_for(path: Path) -> Path | None:
    folder = path.parent
    if folder.name == "cases" and (folder.parent / MODULE_FILE).is_file():
        return folder.parent
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CaseFile | None:
    if file_path.suffix in (".yaml", ".yml") and _module_for(file_path) is not None:
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self) -> Iterator[CaseItem]:
        # a CaseFile is made only for a file _module_for finds a module for (pytest_collect_file)
        module = load_module(cast(Path, _module_for(self.path)))
        for case in load_cases(self.path):
            yield CaseItem.from_parent(self, name=f"[{case.index}] {case.name}", module=module, case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, module: RuleModule, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.module, self.case = module, case

    def runtest(self) -> None:
        problems = run_case(self.case, self.module, load_calendar())
        if problems:
            raise CaseFailed(problems)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, CaseFailed):
            return f"{self.case.name}\n  " + "\n  ".join(excinfo.value.problems)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, f"{self.module.ref}: {self.case.name}"


class CaseFailed(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
