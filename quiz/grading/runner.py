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
import math
import os
import re
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
from quiz.grading.layouts import ExerciseFolder, Layout, read_exercise
from quiz.grading.remote import crash_signal
from quiz.grading.results import TEST_STATUSES, SubmissionResult, TestResult, clean_text, first_line
from quiz.grading.sandbox import KilledFor, Limits, RunOutcome, Watch, isolation_mode, remove_tree
from quiz.grading.suite_command import PYTEST_INI, pytest_command

DEFAULT_TIMEOUT = default_limits.TIMEOUT_S
DEFAULT_MEMORY_MB = default_limits.MEMORY_MB
DEFAULT_DISK_MB = default_limits.DISK_MB
SUITE_GRACE_S = 30.0  # the suite's own process may outlive the submission's time limit by this much
SUITE_MEMORY_MB = 4096  # the suite's process (ours: numpy, pytest, the frames it reads)
MAX_REPORT_LINE = 8 * 2**20  # a line over this is not one the reporter wrote
MAX_SUBTESTS = 10_000  # in one run
MAX_TESTS = 100_000  # collected in one run
MAX_WEIGHT = 1_000_000  # points of one test: a sum of them stays finite in every format
MAX_COLLECT_ERRORS = 20  # kept (the first ones); a collection error's text is capped by the reporter
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


class ReportReader:
    """Checks and collects the reporter's JSON lines. Anything off (a wrong key, a gap in the sequence, a test
    reported twice or not in the collected list) stops the run: the channel is not what the reporter wrote."""

    def __init__(self, key: str, on_test: Callable[[TestResult], None] | None) -> None:
        self.key = key
        self.on_test = on_test
        self.seq = 0
        self.expected: list[dict] | None = None
        self.weights: dict[str, dict] = {}
        self.results: dict[str, TestResult] = {}
        self.subtests: dict[str, list[TestResult]] = {}  # node id -> its subtests, in the order they ran
        self.running: str | None = None
        self.collect_errors: list[str] = []
        self.ended = False
        self.tampering: list[str] = []
        self.exitstatus: int | None = None
        self.stops: list[dict] = []  # why submission processes ended early (remote.Stop as dicts)
        self.isolation: dict = {}
        self.live_objects: list[str] = []  # why the tests needed the solution's own objects (solution_module.py)

    def take(self, line: bytes) -> bool:
        """One line of the channel. Whatever a line holds, the answer is True (read) or False (the channel is
        broken, recorded in `tampering`): never an exception, so no line can cost the batch its results."""
        if len(line) > MAX_REPORT_LINE:
            return self.forged(f"a report line of {len(line)} bytes")
        if not line.strip():
            return True
        try:
            return self._take(line)
        except Exception as exc:  # noqa: BLE001 - a line we cannot read is the channel's fault, not the grader's
            return self.forged(f"a report line that could not be read ({type(exc).__name__})")

    def _take(self, line: bytes) -> bool:
        try:
            event = json.loads(line, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            return self.forged("a line on the report channel is not JSON")
        if not isinstance(event, dict) or event.get("key") != self.key:
            return self.forged("a line on the report channel does not carry this run's key")
        if event.get("seq") != self.seq + 1 or self.ended:
            return self.forged("the report channel's sequence was broken")
        self.seq += 1
        kind = event.get("event")
        if kind == "collected":
            if self.expected is not None:
                return self.forged("the list of tests was sent twice")
            tests = event.get("tests")
            if not isinstance(tests, list) or len(tests) > MAX_TESTS or not all(_is_collected_test(t) for t in tests):
                return self.forged("a malformed list of tests")
            self.expected = tests
            self.weights = {t["nodeid"]: t for t in self.expected}
        elif kind == "collect_error":
            if len(self.collect_errors) < MAX_COLLECT_ERRORS:
                self.collect_errors.append(clean_text(str(event.get("message", ""))[:4000]))
        elif kind == "start":
            self.running = event.get("nodeid")
        elif kind == "result":
            return self.take_result(event)
        elif kind == "subtest":
            return self.take_subtest(event)
        elif kind == "end":
            self.ended = True
            status, stops, isolation = event.get("exitstatus"), event.get("stops") or [], event.get("isolation") or {}
            live = event.get("live_objects") or []
            if (
                type(status) is not int
                or not isinstance(stops, list)
                or not isinstance(isolation, dict)
                or not isinstance(live, list)
                or not all(isinstance(why, str) for why in live)
            ):
                return self.forged("a malformed end of the run")
            self.live_objects = [clean_text(why)[:300] for why in live[:20]]
            self.exitstatus = status
            self.stops = [stop for stop in stops if isinstance(stop, dict)]
            self.isolation = isolation
        return True

    def take_result(self, event: dict) -> bool:
        nodeid = event.get("nodeid")
        if self.expected is None or nodeid not in self.weights or nodeid in self.results:
            return self.forged(f"a result for {nodeid!r} that was not expected")
        if nodeid != self.running:  # pytest always announces a test before it reports it
            return self.forged(f"a result for {nodeid!r}, which had not started")
        status, duration = event.get("status"), event.get("duration", 0.0)
        if status not in TEST_STATUSES:
            return self.forged(f"an unknown status {status!r}")
        if not _is_number(duration) or not 0 <= duration < 1e7:
            return self.forged(f"a duration that is not a number of seconds ({duration!r})")
        message, output = event.get("message", ""), event.get("output", "")
        if not isinstance(message, str) or not isinstance(output, str):
            return self.forged("a message or output that is not text")
        result = self.test_result(nodeid, status, message, float(duration), output)
        self.results[nodeid] = result
        self.running = None
        if self.on_test is not None:
            self.on_test(result)
        return True

    def take_subtest(self, event: dict) -> bool:
        nodeid, name = event.get("nodeid"), event.get("name")
        if self.expected is None or nodeid != self.running or nodeid in self.results:
            return self.forged(f"a subtest of {nodeid!r}, which is not running")
        if not isinstance(name, str) or not 0 < len(name) <= 400:
            return self.forged("a subtest without a name")
        if sum(map(len, self.subtests.values())) >= MAX_SUBTESTS:
            return self.forged(f"more than {MAX_SUBTESTS} subtests")
        status, duration = event.get("status"), event.get("duration", 0.0)
        message, output = event.get("message", ""), event.get("output", "")
        if (
            status not in TEST_STATUSES
            or status == "error"
            or not _is_number(duration)
            or duration < 0
            or not isinstance(message, str)
            or not isinstance(output, str)
        ):
            return self.forged(f"a malformed subtest of {nodeid!r}")
        result = self.test_result(nodeid, status, message, float(duration), output)
        result.name, result.parent, result.weight, result.score = f"{nodeid} {name}", nodeid, 0, 0
        self.subtests.setdefault(nodeid, []).append(result)
        return True

    def test_result(
        self, nodeid: str, status: str, message: str, duration: float = 0.0, output: str = ""
    ) -> TestResult:
        """A collected test's result, with the weight, task and code the collection gave it."""
        info = self.weights[nodeid]
        weight = info.get("weight", 1)
        return TestResult(
            name=nodeid,
            status=status,
            message=clean_text(message),
            duration=duration,
            output=clean_text(output),
            weight=weight,
            score=weight if status == "pass" else 0,
            task_id=info.get("task_id"),
            verdict=info.get("verdict"),
            test_code=info.get("test_code", ""),
        )

    def stop(self, *reasons: str) -> dict | None:
        """The first early stop of a submission process for one of `reasons` (all when none given)."""
        return next((stop for stop in self.stops if not reasons or stop.get("reason") in reasons), None)

    def crash(self) -> str | None:
        """'SIGSEGV while running <test>' when a submission process crashed in native code."""
        stop = self.stop("crash")
        if stop is None:
            return None
        return str(stop.get("signal")) + (f" while running {stop['test']}" if stop.get("test") else "")

    def forged(self, why: str) -> bool:
        self.tampering.append(why)
        return False


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number this channel carries")


def _is_number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _is_collected_test(test: object) -> bool:
    """One entry of the collected list: a node id, a finite weight of at least 0, the fields' types."""
    return (
        isinstance(test, dict)
        and isinstance(test.get("nodeid"), str)
        and _is_number(test.get("weight", 1))
        and 0 <= test.get("weight", 1) <= MAX_WEIGHT
        and isinstance(test.get("test_code", ""), str)
        and (test.get("task_id") is None or type(test.get("task_id")) is int)
        and isinstance(test.get("verdict"), (str, type(None)))
    )


def collect_error_summary(text: str) -> str:
    """A collection error as a reader needs it: pytest's first line, then the error's own lines (the `E` lines of
    its traceback, without their margin), or its last line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return "(pytest gave no reason)"
    error = [re.sub(r"^E\s{1,3}", "", line) for line in lines if line.startswith("E ")] or [lines[-1]]
    return "\n".join(dict.fromkeys([lines[0].strip(), *error]))


def stop_reason(outcome: RunOutcome, limits: Limits, grace: float = SUITE_GRACE_S) -> str:
    """Why the suite's own process ended as it did (`grace`: what it had beyond the submission's time limit)."""
    if outcome.killed_for == KilledFor.TIMEOUT:
        return f"the time limit of {limits.timeout:g} s was reached" + (
            f" (and {grace:g} s more for the suite)" if grace else ""
        )
    if outcome.killed_for == KilledFor.MEMORY:
        return f"the suite's own process used more than {SUITE_MEMORY_MB} MB of memory"
    if outcome.killed_for == KilledFor.OUTPUT:
        return f"the suite printed more than {limits.output_bytes // 2**20} MB"
    if outcome.killed_for == KilledFor.TAMPERING:
        return "the report channel carried something the reporter did not write"
    crash = crash_signal(outcome.exit_code)
    if crash is not None:
        return f"the suite's process crashed with {crash.name}"
    return f"the suite's process ended early (exit code {outcome.exit_code})"


def unreported(nodeid: str, report: ReportReader, outcome: RunOutcome, limits: Limits, grace: float) -> TestResult:
    reason = stop_reason(outcome, limits, grace)
    message = (
        f"this test was running when {reason}" if nodeid == report.running else f"this test never reported: {reason}"
    )
    return report.test_result(nodeid, "error", message)


def stop_message(stop: dict) -> str:
    where = f" (in {stop['test']})" if stop.get("test") else ""
    return f"stopped: {stop.get('message')}{where}"


def assemble(
    exercise: str,
    submission: str,
    report: ReportReader,
    outcome: RunOutcome,
    limits: Limits,
    grace: float = SUITE_GRACE_S,
) -> SubmissionResult:
    """Every test the suite defines gets a result; then the overall status, score and message."""
    result = SubmissionResult(
        submission=submission,
        exercise=exercise,
        status="error",
        duration=round(outcome.duration, 3),
        isolation=outcome.isolation,
    )
    limit_stop = report.stop("timeout", "memory")
    if report.expected is None:
        detail = report.collect_errors[0] if report.collect_errors else clean_text(outcome.output.strip()[-1500:])
        why = stop_reason(outcome, limits, grace) if outcome.killed_for else "the tests could not be collected"
        result.message = f"{why}: {detail}" if detail else why
        return result
    tests = [
        report.results.get(t["nodeid"]) or unreported(t["nodeid"], report, outcome, limits, grace)
        for t in report.expected
    ]
    result.tests = [each for test in tests for each in (test, *report.subtests.get(test.name, []))]
    counted = [t for t in tests if t.status != "skip"]
    result.max_score = sum(t.weight for t in counted)
    result.score = sum(t.score for t in counted)
    failed = [t for t in counted if t.status == "fail"]
    errors = [t for t in counted if t.status == "error"]
    missing = len(tests) - len(report.results)
    other_stop = report.stop()
    if report.tampering:
        result.status, result.score = "error", 0
        result.message = "the report channel was broken: " + "; ".join(dict.fromkeys(report.tampering))
        for test in result.tests:  # nothing this run reported can be trusted
            if test.status == "pass":
                test.status, test.score = "error", 0
                test.message = "not counted: the report channel was broken"
    elif limit_stop is not None:
        result.status = limit_stop["reason"]
        result.message = stop_message(limit_stop)
    elif outcome.killed_for is not None or missing or not report.ended:
        result.message = (
            f"{missing} of {len(tests)} tests never reported: {stop_reason(outcome, limits, grace)}"
            if missing
            else f"the test run did not finish normally: {stop_reason(outcome, limits, grace)}"
        )
    elif other_stop is not None:
        result.message = stop_message(other_stop)
    elif report.collect_errors:
        result.message = "the tests could not be collected: " + collect_error_summary(report.collect_errors[0])
    elif not counted:
        skipped = [t for t in tests if t.status == "skip"]
        result.message = (
            f"no test ran: all {len(skipped)} were skipped ({first_line(skipped[0].message)})"
            if skipped
            else "the suite defines no tests"
        )
    elif errors:
        result.message = f"{len(errors)} of {len(counted)} tests could not run: {first_line(errors[0].message)}"
    elif failed:
        result.status = "fail"
        result.message = (
            f"{len(failed)} of {len(counted)} tests failed; first: {failed[0].name}: {first_line(failed[0].message)}"
        )
    elif outcome.exit_code != 0:
        result.message = f"every test passed, but the suite's pytest exited with status {outcome.exit_code}"
    else:
        result.status = "pass"
        result.message = f"all {len(counted)} tests passed"
    return result
