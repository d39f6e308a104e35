"""The pytest plugin every exercise suite relies on (registered under the `pytest11` entry point).

The suite's process never imports the submission. `--submission PATH` names the candidate's file (default: the
exercise's own `reference.py`); the first test that asks for it starts it in its own sandboxed process
(remote.py), which the fixtures below talk to:

    submission          submission.train(x, y, epochs=3): calls over there, plain data back (Remote for objects)
    probes              probes.weights(model): the exercise's tests/probes.py, run over there on its objects
    start_submission    start_submission() -> a fresh SubmissionProcess (for what must happen first in a process)

Mark each test with how its verdict is reached: `@pytest.mark.verdict("recomputed")` when this process decides it
from data it checks itself (a forger would have to do the work), `"reported"` when it rests on a fact a probe
reported (forgeable by code written against these probes). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from quiz.grading import default_limits
from quiz.grading.isolation import Limits
from quiz.grading.remote import SubmissionProcess, SubmissionProxy, SubmissionStopped

PROBES_FILE = "probes.py"  # in an exercise's tests/ folder: its probes, run in the submission's process
VERDICTS = ("recomputed", "reported")
LEARNER_TIMEOUT_S = 600.0  # `pytest exercises/NAME` without a grader's limit: generous, but never forever
_processes: list[SubmissionProcess] = []  # every one this run started, in order
_shared: dict[Path, SubmissionProcess | None] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("quiz", "quiz exercises")
    group.addoption(
        "--submission",
        metavar="PATH",
        default=None,
        help="the candidate's solution to test (default: the exercise's reference.py)",
    )
    group.addoption(
        "--submission-timeout",
        metavar="SECONDS",
        type=float,
        default=None,
        help=f"wall-clock limit for the submission's processes, from the start of the run "
        f"(default {LEARNER_TIMEOUT_S:g})",
    )
    group.addoption(
        "--submission-memory",
        metavar="MB",
        type=int,
        default=default_limits.MEMORY_MB,
        help=f"memory limit of one submission process and its children (default {default_limits.MEMORY_MB})",
    )
    group.addoption(
        "--submission-disk",
        metavar="MB",
        type=int,
        default=default_limits.DISK_MB,
        help=f"size of a submission's own filesystem (default {default_limits.DISK_MB})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "weight(n): how many points a test is worth when graded (default 1)")
    config.addinivalue_line(
        "markers", "gpu: needs a GPU (an exercise's conftest skips it, with a reason, on a machine without one)"
    )
    config.addinivalue_line(
        "markers",
        "verdict(kind): 'recomputed' (decided here from data) or 'reported' (rests on a fact a probe reported)",
    )
    timeout = config.getoption("--submission-timeout") or LEARNER_TIMEOUT_S
    config.stash[_time_limit] = timeout
    config.stash[_deadline] = time.monotonic() + timeout


_deadline = pytest.StashKey[float]()
_time_limit = pytest.StashKey[float]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        mark = item.get_closest_marker("verdict")
        if mark is not None and (not mark.args or mark.args[0] not in VERDICTS):
            raise pytest.UsageError(f"{item.nodeid}: verdict must be one of {VERDICTS}, got {mark.args}")


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


def start_process(config: pytest.Config, test_path: Path) -> SubmissionProcess:
    """A new sandboxed process running the submission, with the exercise's probes loaded first."""
    path = submission_path(config, test_path)
    if not path.is_file():
        pytest.fail(f"submission not found: {path}", pytrace=False)
    root = exercise_root(test_path.parent)
    probes = next(
        (
            folder / PROBES_FILE
            for folder in (test_path.parent, *test_path.parents)
            if (folder / PROBES_FILE).is_file() and root is not None and folder.is_relative_to(root)
        ),
        None,
    )
    return launch(config, path, probes, hide=[root] if root is not None else [])


def launch(
    config: pytest.Config, path: Path, probes: Path | None, hide: list[Path], modules: list[Path] = ()
) -> SubmissionProcess:
    """Start the submission at `path` in a sandboxed process with what is left of the run's time, and wait for
    its import. Every process started here is closed, and its stop reported, at the end of the run."""
    left = max(1.0, config.stash[_deadline] - time.monotonic())
    process = SubmissionProcess(
        path,
        probes=probes,
        limits=Limits(
            timeout=left,
            memory_mb=config.getoption("--submission-memory"),
            disk_mb=config.getoption("--submission-disk"),
        ),
        hide=hide,
        time_limit=config.stash[_time_limit],
        modules=list(modules),
    )
    _processes.append(process)
    process.handshake()
    return process


def stops() -> list:
    """Why each submission process of this run ended early (remote.Stop), in order."""
    return [process.stopped for process in _processes if process.stopped is not None]


def isolation() -> dict:
    """The isolation the submission's processes had (the first one's; they all get the same)."""
    return _processes[0].guard.isolation if _processes else {}


def shared_process(config: pytest.Config, test_path: Path) -> SubmissionProcess:
    """The submission's process shared by every test of the exercise `test_path` belongs to (started by the first
    that needs it). Session-scoped fixtures of a suite's conftest call this with `Path(__file__)`."""
    root = exercise_root(test_path.parent) or test_path.parent
    if root not in _shared:
        _shared[root] = None
        _shared[root] = start_process(config, test_path)
    if _shared[root] is None:  # it was started, and stopped while importing the submission
        stop = next(process.stopped for process in _processes if process.stopped is not None)
        raise SubmissionStopped(stop)
    return _shared[root]


def connect(config: pytest.Config, test_path: Path) -> SubmissionProxy:
    """The proxy to the shared submission process; a submission that could not be imported fails the test."""
    process = shared_process(config, test_path)
    if process.import_output:  # what the submission printed at import, shown with the first test
        sys.stdout.write(process.import_output)
        process.import_output = ""
    if process.import_error:
        pytest.fail(process.import_error, pytrace=False)
    return process.proxy()


class ProbeProxy:
    """`probes.name(...)` runs the exercise's probe `name` in the submission's process."""

    def __init__(self, process: SubmissionProcess) -> None:
        self._process = process

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._process.probe(name, *args, **kwargs)


@pytest.fixture
def submission(request: pytest.FixtureRequest) -> SubmissionProxy:
    """The module under test, in its own process: `submission.train(...)`."""
    return connect(request.config, Path(request.path))


@pytest.fixture
def probes(request: pytest.FixtureRequest, submission) -> ProbeProxy:
    """The exercise's probes, run in the submission's process: `probes.weights(model)`."""
    return ProbeProxy(shared_process(request.config, Path(request.path)))


@pytest.fixture
def start_submission(request: pytest.FixtureRequest):
    """`start_submission() -> SubmissionProcess`: a fresh process of its own (closed at the end of the run)."""
    return lambda: start_process(request.config, Path(request.path))


@pytest.fixture
def exercise_dir(request: pytest.FixtureRequest) -> Path:
    root = exercise_root(Path(request.path).parent)
    assert root is not None, "this test is not inside an exercise folder"
    return root


def pytest_sessionfinish(session: pytest.Session) -> None:
    for process in _processes:
        process.close()
