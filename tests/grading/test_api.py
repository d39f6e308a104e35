"""The public API the Textual app calls: grade_submission (with a live per-test callback) and grade_batch."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from .helpers import BENIGN, MEMORY_MB, TIMEOUT

from quiz.grading.results import SubmissionResult
from quiz.grading.runner import grade_batch, grade_submission

TOY_TESTS = [
    "tests/test_toy.py::test_add_small_numbers",
    "tests/test_toy.py::test_add_negative_numbers",
    "tests/test_toy.py::test_train_returns_the_mean",
    "tests/test_toy.py::test_train_single_epoch",
]


def test_reference_passes_with_weighted_score_and_live_results(toy, reference):
    seen = []
    result = grade_submission(
        toy,
        reference,
        timeout=TIMEOUT,
        memory_mb=MEMORY_MB,
        on_test=lambda t: seen.append((t.name, t.status, threading.current_thread())),
    )
    assert result.status == "pass", result.message
    assert [t.name for t in result.tests] == TOY_TESTS
    assert [t.weight for t in result.tests] == [1, 2, 3, 1]
    assert (result.score, result.max_score) == (7, 7)
    assert [(name, status) for name, status, _ in seen] == [(name, "pass") for name in TOY_TESTS]
    assert all(thread is threading.current_thread() for _, _, thread in seen)
    assert result.tests[2].output == "training on 4 values"  # stripped, as Exercism's runner keeps it
    assert result.message == "all 4 tests passed"
    assert result.isolation["mode"] in ("namespaces", "user-namespaces", "session")


def test_a_wrong_answer_names_the_assertion_and_the_test_line(toy, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def add(a, b):\n    return a * b\n\n\ndef train(values, epochs=1):\n    return 1 / 0\n")
    result = grade_submission(toy, wrong, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert result.status == "fail"
    assert (result.score, result.max_score) == (0, 7)
    first, second, third, _ = result.tests
    assert first.message.splitlines() == [
        "AssertionError: assert 6 == 5",
        "at tests/test_toy.py:10: assert submission.add(2, 3) == 5",
    ]
    assert second.message.startswith("AssertionError: add(-2, -3) should be -5\nassert 6 == -5")
    assert third.message.splitlines()[0] == "ZeroDivisionError: division by zero"
    assert third.message.splitlines()[-1] == "raised at submission.py:6"
    assert "Traceback" not in third.message


def test_long_output_is_capped_at_500_characters(toy, tmp_path):
    chatty = tmp_path / "chatty.py"
    chatty.write_text(
        "def add(a, b):\n    print('y' * 5000)\n    return a + b\n\n\n"
        "def train(values, epochs=1):\n    return sum(values) / len(values)\n"
    )
    result = grade_submission(toy, chatty, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert result.status == "pass"
    output = result.tests[0].output
    assert len(output) == 500, "Exercism's limit: 500 characters, the truncation note included"
    assert output.startswith("y" * 400) and output.endswith("y [Output was truncated. Please limit to 500 chars]")


def test_batch_keeps_order_and_reports_each_when_done(toy, reference, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def add(a, b):\n    return 0\n\n\ndef train(values, epochs=1):\n    return 0\n")
    done: list[SubmissionResult] = []
    results = grade_batch(
        toy,
        [wrong, reference, BENIGN / "loopback_server.py"],
        jobs=2,
        timeout=TIMEOUT,
        memory_mb=MEMORY_MB,
        on_done=done.append,
    )
    assert [Path(r.submission).name for r in results] == ["wrong.py", "reference.py", "loopback_server.py"]
    assert [r.status for r in results] == ["fail", "pass", "pass"]
    assert sorted(r.submission for r in done) == sorted(r.submission for r in results)


def test_grading_modules_do_not_import_tensorflow():
    code = (
        "import sys, quiz.cli, quiz.grading.commands, quiz.grading.runner, quiz.grading.formats, "
        "quiz.grading.sandbox, quiz.grading.results; quiz.cli.build_parser(); "
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_submission_that_fails_at_import_runs_once_not_once_per_test(toy, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("print('importing the submission')\nraise ValueError('broken at import')\n")
    result = grade_submission(toy, broken, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert [t.status for t in result.tests] == ["error"] * 4
    assert all(t.message == "the submission failed at import: ValueError: broken at import" for t in result.tests)
    assert [t.output.count("importing the submission") for t in result.tests] == [1, 0, 0, 0]
