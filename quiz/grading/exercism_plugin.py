"""The pytest plugin for suites that import the solution by its own name (Exercism's layout, unittest suites).

Loaded with `-p quiz.grading.exercism_plugin --solution-module lasagna --exercism-order` beside
quiz.grading.plugin (the advisory run, in the sandbox, takes only `--exercism-order`). Before any
test file is imported, `sys.modules["lasagna"]` becomes a SolutionModule (solution_module.py): the tests' own
`from lasagna import ...` then reaches the submission (`--submission`) in its sandboxed process, started at the
first name they take. The suite's process never imports the submission, so its verdicts stay its own.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from quiz.grading import plugin, solution_probes
from quiz.grading.remote import SubmissionProcess
from quiz.grading.solution_module import SolutionModule


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("quiz-by-name", "suites that import the solution by name")
    group.addoption(
        "--solution-module",
        metavar="NAME",
        default=None,
        help="the module name the tests import the solution as (its file's stem)",
    )
    group.addoption(
        "--solution-hide",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder the submission's process must not see (the exercise's own)",
    )
    group.addoption(
        "--exercism-order",
        action="store_true",
        help="run the tests in the order Exercism's runner does: by the line they are defined on",
    )


@pytest.hookimpl(trylast=True)  # after quiz.grading.plugin has set the run's deadline
def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("--solution-module")
    if not name:
        return
    started: list[SubmissionProcess] = []

    def connect() -> SubmissionProcess:
        if not started:
            path = Path(config.getoption("--submission") or "").resolve()
            if not path.is_file():
                raise ImportError(f"submission not found: {path}")
            hide = [Path(folder) for folder in config.getoption("--solution-hide")]
            started.append(plugin.launch(config, path, Path(solution_probes.__file__), hide, modules=modules(config)))
            if started[0].import_output:  # what the solution printed at import, shown with the first test
                sys.stdout.write(started[0].import_output)
        process = started[0]
        if process.import_error:
            raise ImportError(process.import_error)
        return process

    sys.modules[name] = SolutionModule(name, connect)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Exercism's runner's order: by the line each test is defined on (unittest would sort them by name), across
    the test files; a stable sort, so tests on the same line keep the files' order."""
    if config.getoption("--exercism-order"):
        items.sort(key=definition_line)


def definition_line(item: pytest.Item) -> int:
    try:
        return inspect.getsourcelines(item.obj)[1]
    except (AttributeError, OSError, TypeError):
        return item.location[1] or 0


def modules(config: pytest.Config) -> list[Path]:
    """The exercise's own modules beside its tests (data a solution imports, such as Exercism's
    `sets_categories_data.py`): the suite's copy holds no solution, so every .py in it but the tests'."""
    return sorted(
        path
        for path in Path(str(config.rootpath)).glob("*.py")
        if not path.name.endswith("_test.py") and not path.name.startswith("test_") and path.name != "conftest.py"
    )
