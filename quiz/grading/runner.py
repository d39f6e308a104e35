"""Grade submissions: run the exercise's suite on each one in its own sandbox and account for every test.

The public API (the Textual app calls these):

    grade_submission(exercise_dir, submission, *, timeout=120, memory_mb=2048, on_test=None) -> SubmissionResult
    grade_batch(exercise_dir, submissions, *, jobs=1, timeout=120, memory_mb=2048, on_done=None)
        -> list[SubmissionResult]   (in the order given; on_done is called as each one finishes)

Nothing here imports TensorFlow: the suite runs in the sandboxed subprocess (see sandbox.py).
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from quiz.grading import limits
from quiz.grading.results import TEST_STATUSES, SubmissionResult, TestResult, clean_text, first_line
from quiz.grading.sandbox import Limits, RunOutcome, Sandbox

DEFAULT_TIMEOUT = limits.TIMEOUT_S
DEFAULT_MEMORY_MB = limits.MEMORY_MB
# Signals of a crash in native code. TensorFlow very rarely dies of one on a correct program (seen once in CI,
# SIGSEGV in a MirroredStrategy suite), so a run that ends this way is graded once more before it counts.
CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT)


def grade_submission(exercise_dir: Path, submission: Path, *, timeout: float = DEFAULT_TIMEOUT,
                     memory_mb: int = DEFAULT_MEMORY_MB,
                     on_test: Callable[[TestResult], None] | None = None) -> SubmissionResult:
    """Run the suite of `exercise_dir` on `submission` in a fresh sandbox. `on_test` is called from this
    (the supervising) thread as each test's result arrives. A run whose test process crashed in native code
    is run again in a new sandbox, and the second run is the result (its message says so)."""
    exercise_dir, submission = Path(exercise_dir), Path(submission)
    limits = Limits(timeout=timeout, memory_mb=memory_mb)
    report, outcome = run_in_sandbox(exercise_dir, submission, limits, on_test)
    result = assemble(exercise_dir.name, str(submission), report, outcome, limits)
    crash = crash_signal(outcome)
    if crash is None or report.tampering or result.status != "error":  # a crash after a full report changes nothing
        return result
    where = f" while running {report.running}" if report.running else ""
    report, outcome = run_in_sandbox(exercise_dir, submission, limits, on_test)
    result = assemble(exercise_dir.name, str(submission), report, outcome, limits)
    result.message += f" (graded twice: the first run crashed with {crash.name}{where})"
    return result


def run_in_sandbox(exercise_dir: Path, submission: Path, limits: Limits,
                   on_test: Callable[[TestResult], None] | None) -> tuple[ReportReader, RunOutcome]:
    sandbox = Sandbox(exercise_dir, submission, limits)
    try:
        report = ReportReader(sandbox.key, on_test)
        outcome = sandbox.run(report.take)
    finally:
        sandbox.remove()
    return report, outcome


def crash_signal(outcome: RunOutcome) -> signal.Signals | None:
    """The signal of a native crash that ended the test process, if one did. Run directly, the process reports
    it as -N; under the namespace init (pid 1) as 128 + N."""
    code = outcome.exit_code
    if outcome.killed_for is not None or code is None:
        return None
    number = -code if code < 0 else code - 128
    return next((crash for crash in CRASH_SIGNALS if crash == number), None)


def grade_batch(exercise_dir: Path, submissions: Iterable[Path], *, jobs: int = 1,
                timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                on_done: Callable[[SubmissionResult], None] | None = None) -> list[SubmissionResult]:
    """Grade many submissions, `jobs` at a time; each thread supervises one sandbox, so a submission that
    hangs or blows up costs only its own slot."""
    submissions = list(submissions)

    def one(path: Path) -> SubmissionResult:
        result = grade_submission(exercise_dir, path, timeout=timeout, memory_mb=memory_mb)
        if on_done is not None:
            on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="quiz-grade") as pool:
        return list(pool.map(one, submissions))


class ReportReader:
    """Checks and collects the reporter's JSON lines. Anything off (a wrong key, a gap in the sequence, a test
    reported twice or not in the collected list) is treated as tampering: the run is stopped."""

    def __init__(self, key: str, on_test: Callable[[TestResult], None] | None) -> None:
        self.key = key
        self.on_test = on_test
        self.seq = 0
        self.expected: list[dict] | None = None
        self.weights: dict[str, dict] = {}
        self.results: dict[str, TestResult] = {}
        self.running: str | None = None
        self.collect_errors: list[str] = []
        self.ended = False
        self.tampering: list[str] = []
        self.exitstatus: int | None = None

    def take(self, line: bytes) -> bool:
        if not line.strip():
            return True
        try:
            event = json.loads(line)
        except ValueError:
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
            self.expected = event["tests"]
            self.weights = {t["nodeid"]: t for t in self.expected}
        elif kind == "collect_error":
            self.collect_errors.append(clean_text(str(event.get("message", ""))))
        elif kind == "start":
            self.running = event.get("nodeid")
        elif kind == "result":
            return self.take_result(event)
        elif kind == "end":
            self.ended = True
            self.tampering = list(event.get("tampering") or [])
            self.exitstatus = event.get("exitstatus")
        return True

    def take_result(self, event: dict) -> bool:
        nodeid = event.get("nodeid")
        if self.expected is None or nodeid not in self.weights or nodeid in self.results:
            return self.forged(f"a result for {nodeid!r} that was not expected")
        if nodeid != self.running:  # pytest always announces a test before it reports it
            return self.forged(f"a result for {nodeid!r}, which had not started")
        status = event.get("status")
        if status not in TEST_STATUSES:
            return self.forged(f"an unknown status {status!r}")
        result = self.test_result(nodeid, status, str(event.get("message", "")),
                                  float(event.get("duration", 0.0)), str(event.get("output", "")))
        self.results[nodeid] = result
        self.running = None
        if self.on_test is not None:
            self.on_test(result)
        return True

    def test_result(self, nodeid: str, status: str, message: str, duration: float = 0.0,
                    output: str = "") -> TestResult:
        """A collected test's result, with the weight, task and code the collection gave it."""
        info = self.weights[nodeid]
        weight = info.get("weight", 1)
        return TestResult(name=nodeid, status=status, message=clean_text(message), duration=duration,
                          output=clean_text(output), weight=weight, score=weight if status == "pass" else 0,
                          task_id=info.get("task_id"), test_code=info.get("test_code", ""))

    def forged(self, why: str) -> bool:
        self.tampering.append(why)
        return False


def stop_reason(outcome: RunOutcome, limits: Limits) -> str:
    if outcome.killed_for == "timeout":
        return f"the time limit of {limits.timeout:g} s was reached"
    if outcome.killed_for == "memory":
        return f"the submission's processes used more than {limits.memory_mb} MB of memory"
    if outcome.killed_for == "output":
        return f"the test run printed more than {limits.output_bytes // 2**20} MB"
    if outcome.killed_for == "tampering":
        return "the report channel was tampered with"
    crash = crash_signal(outcome)
    if crash is not None:
        return f"the test process crashed with {crash.name} (a fault in native code: TensorFlow or a C extension)"
    return f"the test process ended early (exit code {outcome.exit_code})"


def unreported(nodeid: str, report: ReportReader, outcome: RunOutcome, limits: Limits) -> TestResult:
    reason = stop_reason(outcome, limits)
    message = (f"this test was running when {reason}" if nodeid == report.running
               else f"this test never reported: {reason}")
    return report.test_result(nodeid, "error", message)


def assemble(exercise: str, submission: str, report: ReportReader, outcome: RunOutcome,
             limits: Limits) -> SubmissionResult:
    """Every test the suite defines gets a result; then the overall status, score and message."""
    result = SubmissionResult(submission=submission, exercise=exercise, status="error",
                              duration=round(outcome.duration, 3), isolation=outcome.isolation)
    if report.expected is None:
        detail = report.collect_errors[0] if report.collect_errors else clean_text(outcome.output.strip()[-1500:])
        why = stop_reason(outcome, limits) if outcome.killed_for else "the tests could not be collected"
        result.status = outcome.killed_for if outcome.killed_for in ("timeout", "memory") else "error"
        result.message = f"{why}: {detail}" if detail else why
        return result
    tests = [report.results.get(t["nodeid"]) or unreported(t["nodeid"], report, outcome, limits)
             for t in report.expected]
    result.tests = tests
    counted = [t for t in tests if t.status != "skip"]
    result.max_score = sum(t.weight for t in counted)
    result.score = sum(t.score for t in counted)
    failed = [t for t in counted if t.status == "fail"]
    errors = [t for t in counted if t.status == "error"]
    missing = len(tests) - len(report.results)
    if report.tampering:
        result.status, result.score = "error", 0
        result.message = "tampering detected: " + "; ".join(dict.fromkeys(report.tampering))
        for test in tests:  # nothing this run reported can be trusted
            if test.status == "pass":
                test.status, test.score = "error", 0
                test.message = "not counted: the run was tampered with"
    elif outcome.killed_for in ("timeout", "memory"):
        result.status = outcome.killed_for
        running = f" (while running {report.running})" if report.running else ""
        result.message = f"stopped: {stop_reason(outcome, limits)}{running}"
    elif outcome.killed_for == "output":
        result.message = f"stopped: {stop_reason(outcome, limits)}"
    elif missing or not report.ended:
        result.message = (f"{missing} of {len(tests)} tests never reported: "
                          f"{stop_reason(outcome, limits)}") if missing else \
            f"the test run did not finish normally: {stop_reason(outcome, limits)}"
    elif report.collect_errors:
        result.message = "the tests could not be collected: " + first_line(report.collect_errors[0])
    elif not counted:
        skipped = [t for t in tests if t.status == "skip"]
        result.message = (f"no test ran: all {len(skipped)} were skipped ({first_line(skipped[0].message)})"
                          if skipped else "the suite defines no tests")
    elif errors:
        result.message = f"{len(errors)} of {len(counted)} tests could not run: {first_line(errors[0].message)}"
    elif failed:
        result.status = "fail"
        result.message = f"{len(failed)} of {len(counted)} tests failed; first: {failed[0].name}: " \
                         f"{first_line(failed[0].message)}"
    elif altered := why_not_believed(outcome, passes=len(counted)):
        result.message = f"{altered}: the report was altered from inside the test process"
        for test in tests:
            test.status, test.score, test.message = "error", 0, "not counted: the report was altered"
        result.score = 0
    else:
        result.status = "pass"
        result.message = f"all {len(counted)} tests passed"
    return result


def why_not_believed(outcome: RunOutcome, passes: int) -> str | None:
    """Why a report in which every test passed cannot be believed, if it cannot. pytest's exit status and its
    closing summary line come from pytest itself, after the tests: a report forged from inside the test process
    (then os._exit(0)) or a reporter patched to say pass does not change them."""
    if outcome.exit_code != 0 and crash_signal(outcome) is None:  # TensorFlow may crash at exit, after the summary
        return f"every test reported a pass, but pytest exited with status {outcome.exit_code}"
    summary = pytest_summary(outcome.output)
    counts = {word.rstrip("s"): int(number) for number, word in re.findall(r"(\d+) (\w+)", summary)}
    if counts.get("passed") != passes or set(counts) - {"passed", "skipped", "deselected", "warning"}:
        return (f"every test reported a pass, but pytest's own summary says "
                f"{summary!r}" if summary else "every test reported a pass, but pytest never printed its summary")
    return None


def pytest_summary(output: str) -> str:
    """pytest's closing line, e.g. '4 passed in 0.01s' or '3 passed, 1 skipped in 2.10s' ('' if none)."""
    for line in reversed(output.strip().splitlines()):  # the last such line: TensorFlow may print after it
        if re.match(r"^=*\s*\d+ \w+.* in [\d.]+s\b", line):
            return line.strip(" =")
    return ""
