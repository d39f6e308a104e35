"""Hostile submissions (tests/grading/fixtures/hostile/): each ends as fail, error, timeout or memory with a clear
message, the grader returns within its limit plus a few seconds, nothing outside the sandbox changes, and the
next submission of the same batch is graded normally."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quiz.grading.isolation import MODE_ENV, isolation_mode
from quiz.grading.runner import grade_batch

from .helpers import HOSTILE, MEMORY_MB, TIMEOUT, TOY, UNUSED_PLUGINS, processes_of, snapshot

PLANTED = [
    Path("/tmp/quiz-grading-planted.txt"),
    Path("/var/tmp/quiz-grading-planted.txt"),
    Path("/dev/shm/quiz-grading-planted.txt"),
]

# fixture -> (statuses it may end with, a phrase its message must contain). The attacks on pytest, the reporter and
# the report channel were written against a design that ran the submission inside pytest's process; now the
# suite runs in a process of its own and none of them reaches it: they fail on their wrong answers.
WRONG = "assert -1 == 5"
EXPECTED = {
    "loop_at_import": ({"timeout"}, "the time limit of 5 s was reached while importing the submission"),
    "loop_in_train": ({"timeout"}, "(in tests/test_toy.py::test_train_returns_the_mean)"),
    "memory_bomb": ({"fail", "memory", "timeout"}, "memory"),  # timeout: a loaded machine pages 512 MB slowly
    "memory_bomb_forked": ({"memory"}, f"more than {MEMORY_MB} MB of memory"),
    "fork_bomb": ({"memory", "timeout"}, "stopped:"),
    "exit_at_import": ({"error"}, "the submission's process ended (exit code 0) while importing the submission"),
    "sys_exit_at_import": ({"error"}, "the submission called sys.exit(0) at import"),
    "skip_in_train": ({"fail"}, "Skipped: needs a GPU"),
    "forge_by_replacing_send": ({"error"}, "the submission failed at import: StopIteration"),
    "forge_every_result": ({"error"}, "the submission failed at import: StopIteration"),
    "control_characters": ({"fail"}, "ValueError: bad ?[8mvalue\n ? ü 中文"),
    "segfault_in_train": (
        {"error"},
        "graded twice: the first run crashed with SIGSEGV while running tests/test_toy.py::test_train_returns_the_mean",
    ),
    "write_outside": ({"fail"}, "assert 6 == 5"),
    "delete_files": ({"fail"}, WRONG),
    "print_100mb": ({"fail"}, "the submission printed more than 4 MB in one call"),
    "network": ({"fail"}, "Error"),
    "tamper_pytest": ({"fail"}, WRONG),
    "copy_reference": ({"fail"}, "the submission has no function 'add'"),
    "forge_results": ({"error"}, "protocol violation while importing the submission"),
    "forge_via_reporter": ({"fail"}, "assert None == 5"),
    # the red team's attacks on the old design (each graded pass 7/7 there, but rebind_pytest_global: 4/7)
    "pluggy_force_result": ({"fail"}, WRONG),
    "gc_item_runtest": ({"fail"}, WRONG),
    "swap_runner_code": ({"fail"}, WRONG),
    "settrace_skip_assert": ({"fail"}, WRONG),
    "decoy_runner_module": ({"fail"}, WRONG),
    "ctypes_co_consts": ({"fail"}, WRONG),
    "dup2_report_fd": ({"fail"}, WRONG),
    "always_equal_float": ({"fail"}, "assert -1.0 == 5"),
    "read_expected_from_frame": ({"fail"}, WRONG),
    "rebind_pytest_global": ({"fail"}, WRONG),
}


# Only the full sandbox (root: own uid, read-only /tmp, process limit, hidden exercises) can contain these;
# elsewhere they would damage the machine running the tests (or find the reference).
NEED_FULL_SANDBOX = {"write_outside", "delete_files", "fork_bomb", "copy_reference"}


def test_every_hostile_fixture_has_an_expectation():
    assert sorted(p.stem for p in HOSTILE.glob("*.py")) == sorted(EXPECTED)


@pytest.fixture
def listener(canary):
    """A server on the host's loopback; its port is in the canary folder for network.py to find."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    (canary / "port").write_text(str(server.getsockname()[1]))
    (canary / "port").chmod(0o644)
    yield server
    server.close()


def accepted(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
        return True
    except BlockingIOError:
        return False


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_submission_is_contained(name, canary, listener):
    if name in NEED_FULL_SANDBOX and isolation_mode() != "namespaces":
        pytest.skip(f"{name} needs the full sandbox (root and unshare); this machine offers {isolation_mode()}")
    statuses, phrase = EXPECTED[name]
    before_canary, before_exercise = snapshot(canary), snapshot(TOY)
    started = time.monotonic()
    hostile, reference = grade_batch(
        TOY, [HOSTILE / f"{name}.py", TOY / "reference.py"], jobs=1, timeout=TIMEOUT, memory_mb=MEMORY_MB
    )
    elapsed = time.monotonic() - started

    assert hostile.status in statuses, hostile.message
    messages = hostile.message + "\n" + "\n".join(t.message for t in hostile.tests)
    assert phrase in messages
    assert len(hostile.tests) == 4 and hostile.status != "pass"
    assert hostile.duration < TIMEOUT + 5
    assert elapsed < 2 * TIMEOUT + 10  # both submissions, each bounded by its own limit
    assert snapshot(canary) == before_canary
    assert snapshot(TOY) == before_exercise
    assert not [p for p in PLANTED if p.exists()]
    assert not accepted(listener)
    assert reference.status == "pass", reference.message
    assert reference.score == reference.max_score == 7
    assert processes_of(hostile.isolation["uid"]) == []


def test_a_submission_stopped_by_its_time_limit_keeps_the_results_of_the_tests_before():
    (result,) = grade_batch(TOY, [HOSTILE / "loop_in_train.py"], timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert [t.status for t in result.tests] == ["pass", "pass", "error", "error"]
    assert result.tests[2].message.startswith("the time limit of 5 s was reached while running train()")
    assert result.tests[3].message.startswith("the time limit of 5 s was reached while running train()")
    assert (result.score, result.max_score) == (3, 7)
    assert result.status == "timeout"


def test_a_native_crash_names_the_signal_and_the_test_it_ended():
    (result,) = grade_batch(TOY, [HOSTILE / "segfault_in_train.py"], timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert [t.status for t in result.tests] == ["pass", "pass", "error", "error"]
    assert result.tests[2].message.startswith("the submission's process crashed with SIGSEGV while running train()")
    assert result.message.startswith("stopped: the submission's process crashed with SIGSEGV while running train()")
    assert "(in tests/test_toy.py::test_train_returns_the_mean)" in result.message


def test_a_run_that_crashes_once_is_graded_again_and_the_second_run_counts(tmp_path, monkeypatch):
    """TensorFlow can (rarely) crash on a correct program; the candidate must not pay for it. Here the first run
    leaves a mark outside the sandbox and crashes; the second finds the mark and answers right. Only the weakest
    isolation lets a submission write outside its box, so that mode is asked for."""
    mark = tmp_path / "crashed-once"
    submission = tmp_path / "crash_once.py"
    submission.write_text(
        (TOY / "reference.py").read_text()
        + "\n\nimport ctypes, os\n"
        + f"if not os.path.exists({str(mark)!r}):\n"
        + f"    open({str(mark)!r}, 'w').close()\n"
        + "    ctypes.string_at(0)\n"
    )
    monkeypatch.setenv(MODE_ENV, "session")
    (result,) = grade_batch(TOY, [submission], timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert mark.exists()
    assert result.status == "pass", result.message
    assert result.message.startswith(
        "all 4 tests passed (graded twice: the first run crashed with SIGSEGV while running tests/test_toy.py::"
    ), result.message
    assert (result.score, result.max_score) == (7, 7)


def test_a_crash_after_every_test_reported_does_not_change_the_grade():
    """TensorFlow sometimes dies on its way out; the tests had all passed and pytest had said so."""
    benign = Path(__file__).parent / "fixtures" / "benign" / "crash_at_exit.py"
    (result,) = grade_batch(TOY, [benign], timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert result.status == "pass" and result.message == "all 4 tests passed", result.message
    assert (result.score, result.max_score) == (7, 7)


# The attacks on pytest and its reporting, which a learner's run (`pytest exercises/NAME --submission FILE`) was
# open to as much as a graded one; the limits (loops, bombs) are the same code on both paths and cost seconds each.
ATTACKS_ON_PYTEST = [
    "pluggy_force_result",
    "gc_item_runtest",
    "swap_runner_code",
    "settrace_skip_assert",
    "decoy_runner_module",
    "ctypes_co_consts",
    "dup2_report_fd",
    "always_equal_float",
    "read_expected_from_frame",
    "rebind_pytest_global",
    "tamper_pytest",
    "forge_results",
    "forge_via_reporter",
    "forge_by_replacing_send",
    "forge_every_result",
    "skip_in_train",
]


@pytest.mark.parametrize("name", ATTACKS_ON_PYTEST)
def test_attack_on_pytest_fails_the_way_a_learner_runs_the_suite_too(name):
    """`pytest EXERCISE/tests --submission FILE` goes through the same split: never a pass."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(TOY / "tests"),
            "--submission",
            str(HOSTILE / f"{name}.py"),
            "-p",
            "no:cacheprovider",
            *UNUSED_PLUGINS,
            "-q",
            "--submission-timeout",
            f"{TIMEOUT:g}",
            "--submission-memory",
            str(MEMORY_MB),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT + 60,
        cwd=TOY,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert re.search(r"\d+ (failed|error)", done.stdout.strip().splitlines()[-1]), done.stdout[-2000:]
