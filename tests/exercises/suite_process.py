"""Run an exercise suite in a fresh pytest process, the way a candidate runs it, for the tests in this folder.

TensorFlow very rarely dies of a native crash on a correct program: one CI run saw the data_parallel suite die of
SIGSEGV on the reference, and 82 runs of that suite here (2-4 at once on 2 cores) did not reproduce it. A suite
process that ends that way is run once more, with a warning that carries the crash's first frames, so the crash
stays visible without failing CI; a second crash is returned as it is and fails the test, `describe` showing where.
"""

from __future__ import annotations

import re
import signal
import subprocess
import warnings

from quiz.grading.remote import CRASH_SIGNALS  # the grader retries on the same signals

# The third-party plugins that come with the test extra, turned off in the suite runs these tests start. None of them
# has a part in an exercise's suite, and each such pytest paid ~3 s of CPU for them here (importing hypothesis, and
# pytest rewriting the asserts of every module of their packages again, as no bytecode is written): a learner's
# pytest without them. Plugin autoload stays on, so the quiz plugin is still found through its pytest11 entry point.
UNUSED_PLUGINS = [
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:textual-snapshot",
    "-p",
    "no:syrupy",
    "-p",
    "no:xdist",
    "-p",
    "no:xdist.looponfail",
    "-p",
    "no:platformdirs",
]


def run_pytest(command: list[str], **options) -> subprocess.CompletedProcess:
    """subprocess.run(command, capture_output=True, text=True, **options), run again once after a native crash: of
    the pytest process, or of a submission's process, which the suite reports as an error naming the signal
    (TensorFlow on this CPU segfaults now and then; `quiz grade` grades such a run twice too)."""
    result = subprocess.run(command, capture_output=True, text=True, **options)
    crash = crash_signal(result)
    submission_crash = SUBMISSION_CRASH.search(result.stdout)
    if crash is not None or submission_crash:
        what = f"the pytest process crashed with {crash.name}" if crash else submission_crash.group(0)
        warnings.warn(
            f"{' '.join(command[2:5])}: {what}; running it again. {crash_dump(result.stderr)}",
            RuntimeWarning,
            stacklevel=2,
        )
        result = subprocess.run(command, capture_output=True, text=True, **options)
    return result


SUBMISSION_CRASH = re.compile(r"the submission's process crashed with SIG[A-Z]+")


def crash_signal(result: subprocess.CompletedProcess) -> signal.Signals | None:
    return next((crash for crash in CRASH_SIGNALS if result.returncode == -crash), None)


def crash_dump(stderr: str, limit: int = 3000) -> str:
    """The head of faulthandler's dump (the crashing thread's innermost frames come first)."""
    start = stderr.find("Fatal Python error")
    return stderr[start : start + limit] if start >= 0 else stderr[-limit:]


def describe(result: subprocess.CompletedProcess) -> str:
    """What an assertion message should show of a suite run: pytest's report, or where it crashed."""
    if crash_signal(result) is not None:
        return f"pytest crashed with {crash_signal(result).name}:\n{crash_dump(result.stderr)}"
    return result.stdout[-3000:] + result.stderr[-2000:]
