"""Grade submissions: run the exercise's suite on each one and account for every test.

The public API (the Textual app calls these):

    grade_submission(exercise_dir, submission, *, timeout=120, memory_mb=2048, disk_mb=512, on_test=None)
        -> SubmissionResult
    grade_batch(exercise_dir, submissions, *, jobs=1, timeout=120, memory_mb=2048, disk_mb=512, on_done=None)
        -> list[SubmissionResult]   (in the order given; on_done is called as each one finishes)

Two processes per submission: the suite runs in a pytest process of ours (trusted: no submission code ever runs
in it) that reports here over a pipe; the submission runs in a sandboxed process of its own that the suite
drives (plugin.py, remote.py). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from quiz.grading import advisory, default_limits
from quiz.grading.cleanup import remove_tree
from quiz.grading.isolation import Limits, isolation_mode
from quiz.grading.layouts import ExerciseFolder, Layout, read_exercise
from quiz.grading.report_channel import MAX_REPORT_LINE, ReportReader
from quiz.grading.results import SubmissionResult, TestResult, clean_text
from quiz.grading.suite_command import PYTEST_INI, pytest_command
from quiz.grading.verdict import SUITE_GRACE_S, SUITE_MEMORY_MB, assemble
from quiz.grading.watch import KilledFor, RunOutcome, Watch

DEFAULT_TIMEOUT = default_limits.TIMEOUT_S
DEFAULT_MEMORY_MB = default_limits.MEMORY_MB
DEFAULT_DISK_MB = default_limits.DISK_MB
TRUSTED_ENV_DROP = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME")


def grade_submission(
    exercise_dir: Path,
    submission: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    disk_mb: int = DEFAULT_DISK_MB,
    on_test: Callable[[TestResult], None] | None = None,
) -> SubmissionResult:
    """Run the suite of `exercise_dir` on `submission`. `on_test` is called from this (the supervising) thread
    as each test's result arrives. A run whose submission process crashed in native code before the suite was
    done with it is run again, and the second run is the result (its message says so)."""
    exercise_dir, submission = Path(exercise_dir), Path(submission)
    limits = Limits(timeout=timeout, memory_mb=memory_mb, disk_mb=disk_mb)
    started = time.monotonic()
    exercise = read_exercise(exercise_dir)
    result, report = graded(exercise, submission, limits, on_test)
    if not report.live_objects or exercise.layout is not Layout.EXERCISM:
        return result
    decider = advisory_decider(exercise, submission)
    if decider is None:
        result.message = (
            f"{report.live_objects[0]}; this exercise ships no solution of its own (.meta/example.py "
            f"or {exercise.solution_module}.py, other than the submission) to show its tests need that, "
            f"so they are not run in the submission's process. {result.message}"
        )
        return result
    try:
        needs = needs_live_objects(exercise, decider, limits)
    except UndecidedMode as exc:
        result.message = f"{report.live_objects[0]}; {exc}. {result.message}"
        return result
    left = limits.timeout - (time.monotonic() - started)  # the advisory run gets what is left of the time limit
    if needs and left >= 1:
        return graded_advisory(exercise, submission, limits, left, on_test, why=report.live_objects[0])
    if needs:
        result.message = (
            f"{report.live_objects[0]}; the time limit left no time to run the tests in the "
            f"submission's process. {result.message}"
        )
    return result


def graded(
    exercise: ExerciseFolder, submission: Path, limits: Limits, on_test: Callable[[TestResult], None] | None
) -> tuple[SubmissionResult, ReportReader]:
    report, outcome = run_suite(exercise, submission, limits, on_test)
    result = assemble(exercise.name, str(submission), report, outcome, limits)
    crash = report.crash()
    if crash is None or result.status != "error":
        return result, report
    report, outcome = run_suite(exercise, submission, limits, on_test)
    result = assemble(exercise.name, str(submission), report, outcome, limits)
    result.message += f" (graded twice: the first run crashed with {crash})"
    return result, report


def advisory_decider(exercise: ExerciseFolder, submission: Path) -> Path | None:
    """The solution that says whether the exercise's tests need the solution's own objects: its example
    (.meta/example.py), else the solution file its folder holds (Exercism's stub: a class where the tests need
    one). Never the submission, even graded in place (the folder's solution file is then the submission): a
    candidate cannot, by returning an object, take a suite the split carries out of the grader's hands. None when
    the exercise holds no other."""
    for candidate in (exercise.example, *exercise.solution_files):
        if candidate is not None and candidate.is_file() and not same_file(candidate, submission):
            return candidate
    return None


def same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b) or a.read_bytes() == b.read_bytes()
    except OSError:
        return False


class UndecidedMode(Exception):
    """The exercise's own solution did not run cleanly, so it cannot say which mode its tests need."""


def needs_live_objects(exercise: ExerciseFolder, decider: Path, limits: Limits) -> bool:
    """Whether the exercise's own solution needs its objects to cross (cached per version of it and its tests)."""
    stamp = tuple(path.stat().st_mtime_ns for path in (decider, *exercise.tests))
    return _needs_live_objects(exercise, decider, stamp, limits.timeout, limits.memory_mb)


@functools.lru_cache(maxsize=64)
def _needs_live_objects(exercise: ExerciseFolder, solution: Path, stamp: tuple, timeout: float, memory_mb: int) -> bool:
    """Raises UndecidedMode (not cached) when the run did not end cleanly: a timeout or a crash decides nothing."""
    report, outcome = run_suite(exercise, solution, Limits(timeout=timeout, memory_mb=memory_mb), None)
    if not report.ended or report.stops or outcome.killed_for:
        raise UndecidedMode(
            f"the exercise's own solution ({solution.name}) did not run cleanly, so it cannot say "
            "whether the tests need its objects; they are not run in the submission's process"
        )
    return bool(report.live_objects)


def graded_advisory(
    exercise: ExerciseFolder,
    submission: Path,
    limits: Limits,
    left: float,
    on_test: Callable[[TestResult], None] | None,
    why: str,
) -> SubmissionResult:
    """The suite and the submission in one sandboxed pytest (advisory.py), with the `left` seconds of the time
    limit the first run did not use: every verdict `reported`."""
    workdir = Path(tempfile.mkdtemp(prefix="quiz-suite-"))
    try:
        ini = workdir / "pytest.ini"
        ini.write_text(PYTEST_INI, encoding="utf-8")
        key = secrets.token_hex(16)
        report = ReportReader(key, on_test)
        outcome = advisory.run_in_sandbox(
            exercise, submission, ini, replace(limits, timeout=left), key, report.take, MAX_REPORT_LINE
        )
    finally:
        remove_tree(workdir)
    result = assemble(exercise.name, str(submission), report, outcome, limits, grace=0)
    if outcome.killed_for in (KilledFor.TIMEOUT, KilledFor.MEMORY):  # the whole run was the submission's
        result.status = str(outcome.killed_for)  # its limit, its status
    result.advisory = True
    for test in result.tests:
        test.verdict = "reported"
    result.message = (
        f"advisory: the tests ran in the submission's own sandboxed process, which could have forged "
        f"them, because {why}. {result.message}"
    )
    return result


def run_suite(
    exercise: ExerciseFolder, submission: Path, limits: Limits, on_test: Callable[[TestResult], None] | None
) -> tuple[ReportReader, RunOutcome]:
    """The suite's pytest process, watched: its report lines to a ReportReader, its own output kept."""
    workdir = Path(tempfile.mkdtemp(prefix="quiz-suite-"))
    key = secrets.token_hex(16)
    report = ReportReader(key, on_test)
    report_r, report_w = os.pipe()
    key_r, key_w = os.pipe()
    lifeline_r, lifeline_w = os.pipe()  # held open while we watch: the suite's process ends when we do
    try:
        (workdir / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
        started = time.monotonic()
        try:
            argv = suite_argv(exercise, submission, limits, workdir) + [
                "--quiz-report-fd",
                str(report_w),
                "--quiz-key-fd",
                str(key_r),
                "--quiz-lifeline-fd",
                str(lifeline_r),
            ]
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env=suite_environment(),
                pass_fds=(report_w, key_r, lifeline_r),
                start_new_session=True,
            )
        finally:
            os.close(report_w)
            os.close(key_r)
            os.close(lifeline_r)
        try:
            os.write(key_w, json.dumps({"key": key}).encode())
        except OSError:
            pass  # the suite's process is already gone: its outcome says why
        finally:
            os.close(key_w)
            key_w = -1
        watch = Watch(
            process, "session", Limits(timeout=limits.timeout + SUITE_GRACE_S, memory_mb=SUITE_MEMORY_MB), started
        )
        try:
            watch.follow(report_r, report.take)
        finally:
            watch.kill_all()
            process.stdout.close()
            process.wait()
        outcome = RunOutcome(
            exit_code=process.returncode if watch.killed_for is None else None,
            killed_for=watch.killed_for,
            duration=time.monotonic() - started,
            output=watch.output_text(),
            isolation=report.isolation or {"mode": isolation_mode(), "problems": []},
        )
    finally:
        for fd in (report_r, lifeline_w, key_w):
            if fd >= 0:
                os.close(fd)
        remove_tree(workdir)
    return report, outcome


def suite_argv(exercise: ExerciseFolder, submission: Path, limits: Limits, workdir: Path) -> list[str]:
    """An Exercism exercise's tests run from a copy in `workdir` that holds no solution (solution_module.py stands
    in for it); ours from their own folder, whose tests take the submission from a fixture."""
    plugins = ["quiz.grading.plugin", "quiz.grading.reporter"]
    if exercise.layout is Layout.EXERCISM:
        root = copy_suite(exercise, workdir / "suite")
        targets = [str(root / test.name) for test in exercise.tests]
        plugins.append("quiz.grading.exercism_plugin")
        layout_options = [
            "--exercism-order",
            "--solution-module",
            exercise.solution_module,
            "--solution-hide",
            str(exercise.folder),
            "--quiz-messages",
            "exercism",
        ]
    else:
        root, targets, layout_options = exercise.folder, [str(exercise.tests[0])], []
    return pytest_command(
        workdir / "pytest.ini",
        root,
        plugins,
        [
            *layout_options,
            "--submission",
            str(submission.resolve()),
            "--submission-timeout",
            f"{limits.timeout:g}",
            "--submission-memory",
            str(limits.memory_mb),
            "--submission-disk",
            str(limits.disk_mb),
        ],
        targets,
    )


def copy_suite(exercise: ExerciseFolder, target: Path) -> Path:
    target.mkdir()
    for path in exercise.suite_files():
        shutil.copyfile(path, target / path.name)
    return target


def suite_environment() -> dict[str, str]:
    """Ours, less what would change how pytest runs; no plugin is loaded but the two we name."""
    env = {key: value for key, value in os.environ.items() if key not in TRUSTED_ENV_DROP}
    env.update(
        {
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONFAULTHANDLER": "1",
        }
    )
    return env


def grade_batch(
    exercise_dir: Path,
    submissions: Iterable[Path],
    *,
    jobs: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    disk_mb: int = DEFAULT_DISK_MB,
    on_done: Callable[[SubmissionResult], None] | None = None,
) -> list[SubmissionResult]:
    """Grade many submissions, `jobs` at a time; each thread supervises one sandbox, so a submission that
    hangs or blows up costs only its own slot."""
    submissions = list(submissions)

    def one(path: Path) -> SubmissionResult:
        try:
            result = grade_submission(exercise_dir, path, timeout=timeout, memory_mb=memory_mb, disk_mb=disk_mb)
        except Exception as exc:  # noqa: BLE001 - one submission's trouble is its own result, never the batch's
            result = SubmissionResult(
                submission=str(path),
                exercise=Path(exercise_dir).name,
                status="error",
                message=f"the grader could not grade this submission: "
                f"{type(exc).__name__}: {clean_text(str(exc))[:300]}",
            )
        if on_done is not None:
            on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="quiz-grade") as pool:
        return list(pool.map(one, submissions))
