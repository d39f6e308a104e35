"""A submission's verdict from what the suite reported and how its process ended: every collected test gets a
result, then the overall status, score and message."""

from __future__ import annotations

import re

from quiz.grading.isolation import Limits
from quiz.grading.remote import crash_signal
from quiz.grading.report_channel import ReportReader
from quiz.grading.results import SubmissionResult, TestResult, clean_text, first_line
from quiz.grading.watch import KilledFor, RunOutcome

SUITE_GRACE_S = 30.0  # the suite's own process may outlive the submission's time limit by this much
SUITE_MEMORY_MB = 4096  # the suite's process (ours: numpy, pytest, the frames it reads)


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
