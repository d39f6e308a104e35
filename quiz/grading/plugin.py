"""The pytest plugin every exercise suite relies on (registered under the `pytest11` entry point).

`--submission PATH` names the candidate's module; the `submission` fixture imports it in isolation, once per
run. Without the option the suite tests the exercise's own `reference.py`. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SUBMISSION_MODULE = "submission"
_imported: dict[Path, ModuleType] = {}
_import_failures: dict[Path, str] = {}  # a broken submission is run once, not once per test


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("quiz", "quiz exercises")
    group.addoption("--submission", metavar="PATH", default=None,
                    help="the candidate's solution to test (default: the exercise's reference.py)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "weight(n): how many points a test is worth when graded (default 1)")
    config.addinivalue_line("markers", "gpu: needs a GPU (an exercise's conftest skips it, with a reason, "
                                       "on a machine without one)")


def exercise_root(start: Path) -> Path | None:
    """The exercise folder a test file belongs to: the nearest parent holding reference.py."""
    for folder in (start, *start.parents):
        if (folder / "reference.py").is_file():
            return folder
    return None


def submission_path(config: pytest.Config, test_path: Path) -> Path:
    given = config.getoption("--submission")
    if given:
        path = Path(given)
        if not path.is_absolute():
            path = Path(config.invocation_params.dir) / path
        return path.resolve()
    root = exercise_root(test_path.parent)
    if root is None:
        raise pytest.UsageError(f"{test_path}: no --submission given and no reference.py above this test")
    return root / "reference.py"


def import_submission(path: Path) -> ModuleType:
    """Import the file at `path` as the module `submission`, without adding its folder to sys.path."""
    if path in _imported:
        return _imported[path]
    if path in _import_failures:
        pytest.fail(_import_failures[path], pytrace=False)
    if not path.is_file():
        pytest.fail(f"submission not found: {path}", pytrace=False)
    spec = importlib.util.spec_from_file_location(SUBMISSION_MODULE, path)
    if spec is None or spec.loader is None:
        pytest.fail(f"cannot import {path}: not a Python file", pytrace=False)
    module = importlib.util.module_from_spec(spec)
    sys.modules[SUBMISSION_MODULE] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        _import_failures[path] = f"the submission does not compile: {exc.msg} (line {exc.lineno})"
    except SystemExit as exc:  # a script habit; remembered like any failure, so the import is not run per test
        _import_failures[path] = (f"the submission called sys.exit({exc.code!r}) at import: put script code under "
                                  "`if __name__ == \"__main__\":`")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - any failure at import is the candidate's to see (also skip())
        _import_failures[path] = f"the submission failed at import: {type(exc).__name__}: {exc}"
    if path in _import_failures:
        sys.modules.pop(SUBMISSION_MODULE, None)
        pytest.fail(_import_failures[path], pytrace=False)
    _imported[path] = module
    return module


@pytest.fixture
def submission(request: pytest.FixtureRequest) -> ModuleType:
    """The module under test: the --submission file, or the exercise's reference.py."""
    return import_submission(submission_path(request.config, Path(request.path)))


@pytest.fixture
def exercise_dir(request: pytest.FixtureRequest) -> Path:
    root = exercise_root(Path(request.path).parent)
    assert root is not None, "this test is not inside an exercise folder"
    return root
