"""The single-process mode, for third-party suites the split cannot carry: every verdict it gives is advisory.

An Exercism suite whose tests use the solution's own objects (a class they instantiate, an object they compare)
cannot run against the stand-in module (solution_module.py). Here its pytest runs INSIDE the sandbox, beside the
solution under its own name, with the same reporter writing to the same kind of channel. The sandbox still holds
the candidate to its limits and away from the host, but the candidate's code shares the process that decides:
it can forge any verdict. So the grader marks every test of such a run `reported` and the result advisory.
"""

from __future__ import annotations

import json
import os
import select
from collections.abc import Callable
from pathlib import Path

from quiz.grading.isolation import Limits
from quiz.grading.layouts import ExerciseFolder
from quiz.grading.sandbox import Sandbox
from quiz.grading.suite_command import pytest_command
from quiz.grading.watch import KilledFor, RunOutcome

READ_CHUNK = 65536


def run_in_sandbox(
    exercise: ExerciseFolder,
    submission: Path,
    ini: Path,
    limits: Limits,
    key: str,
    take: Callable[[bytes], bool],
    max_line: int,
) -> RunOutcome:
    """Run the exercise's tests and the submission together in one sandboxed pytest; each line of its report
    channel goes to `take` (False: the channel is broken, and the run is stopped). Past `limits.report_bytes` in
    all, `take` gets one line too long to be the reporter's, and the run is stopped."""
    files = {path.name: path for path in exercise.suite_files()}
    files[f"{exercise.solution_module}.py"] = Path(submission)
    files["pytest.ini"] = ini
    sandbox = Sandbox(files, limits, hide=[exercise.folder], env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    report_r, report_w = os.pipe()
    key_r, key_w = os.pipe()
    try:
        box = sandbox.box
        argv = pytest_command(
            box / "pytest.ini",
            box,
            ["quiz.grading.reporter", "quiz.grading.exercism_plugin"],
            [
                "--exercism-order",
                "--quiz-report-fd",
                str(report_w),
                "--quiz-key-fd",
                str(key_r),
                "--quiz-messages",
                "exercism",
            ],
            [str(box / test.name) for test in exercise.tests],
        )
        try:
            guard = sandbox.start(argv, [report_w, key_r])
        except BaseException:
            os.close(key_w)
            raise
        finally:
            os.close(report_w)
            os.close(key_r)
        try:
            os.write(key_w, json.dumps({"key": key}).encode())
        except OSError:
            pass  # the run is already gone: its outcome says why
        finally:
            os.close(key_w)
        follow(report_r, guard, take, max_line, limits.report_bytes)
        return guard.stop()
    finally:
        os.close(report_r)
        sandbox.remove()


def follow(report_r: int, guard, take: Callable[[bytes], bool], max_line: int, max_bytes: int) -> None:
    """Read the channel until it closes (or the run ends), one line at a time to `take`."""
    pending = b""
    total = 0
    while True:
        ready, _, _ = select.select([report_r], [], [], 0.25)
        if not ready:
            if guard.done.is_set():
                ready, _, _ = select.select([report_r], [], [], 0)
                if not ready:
                    return
            continue
        chunk = os.read(report_r, READ_CHUNK)
        if not chunk:
            return
        total += len(chunk)
        if total > max_bytes:  # no reporter writes this much: the channel is flooded
            take(b"x" * (max_line + 1))
            guard.stop(KilledFor.TAMPERING)
            return
        *lines, pending = (pending + chunk).split(b"\n")
        if len(pending) > max_line:
            lines.append(pending)
        for line in lines:
            if not take(line):
                guard.stop(KilledFor.TAMPERING)
                return
