"""Which verdicts on an Exercism exercise can be trusted, and how every format says so.

- Suites that only pass data to and from the solution run in the grader's own pytest; the solution's code runs in
  its sandbox and cannot reach the tests (a solution that silences unittest's assertions fails anyway).
- Suites that need the solution's own objects (a class the tests instantiate) run in the sandbox beside it: the
  result is ADVISORY, every verdict `reported`, in every format, because such a solution can forge its pass.
- A candidate cannot push a data-only suite into that mode: the mode is the one the exercise's own solution needs
  (.meta/example.py, else the solution file its folder holds); a folder with neither is never run so.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CLOCK = HERE.parent / "data" / "exercises" / "clock_live"
BATCHING = HERE / "exercism" / "success"
SILENCER = """import unittest
unittest.TestCase.assertEqual = lambda self, first, second, msg=None: None
unittest.TestCase.assertAlmostEqual = lambda self, first, second, *args, **kwargs: None
"""
ALWAYS_EQUAL = """class Anything:
    def __eq__(self, other):
        return True


def global_batch(per_replica, replicas):
    return Anything()


def steps_per_epoch(examples, batch):
    return Anything()


def scaled_learning_rate(base, replicas):
    return Anything()
"""
WRONG_BATCHING = """def global_batch(per_replica, replicas):
    return per_replica


def steps_per_epoch(examples, batch):
    return 0


def scaled_learning_rate(base, replicas):
    return base
"""


def grade(exercise: Path, *submissions: Path, fmt: str = "json", extra: tuple = ()) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz",
            "grade",
            str(exercise),
            *map(str, submissions),
            "--format",
            fmt,
            "--timeout",
            "60",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def graded(exercise: Path, *submissions: Path) -> dict[str, dict]:
    done = grade(exercise, *submissions, extra=("--jobs", "2"))
    assert done.returncode in (0, 1), done.stderr
    return {Path(r["submission"]).name: r for r in json.loads(done.stdout)["results"]}


def with_example(source: Path, example_text: str, tmp_path: Path) -> Path:
    exercise = tmp_path / source.name
    shutil.copytree(source, exercise, ignore=shutil.ignore_patterns("expected_results.json", "submissions"))
    (exercise / ".meta").mkdir()
    (exercise / ".meta" / "example.py").write_text(example_text)
    return exercise


def test_a_solution_that_silences_unittest_fails_when_the_suite_only_needs_data(tmp_path):
    forger = tmp_path / "batching.py"
    forger.write_text(SILENCER + WRONG_BATCHING)
    result = graded(BATCHING, forger)["batching.py"]
    assert result["status"] == "fail" and result["advisory"] is False
    assert [t["status"] for t in result["tests"]] == ["fail"] * 4
    assert all(t["verdict"] is None for t in result["tests"])


def test_objects_that_claim_equality_do_not_cross_and_the_tests_say_why(tmp_path):
    exercise = with_example(BATCHING, (BATCHING / "batching.py").read_text(), tmp_path)
    cheat = tmp_path / "cheat.py"
    cheat.write_text(ALWAYS_EQUAL)
    result = graded(exercise, cheat)["cheat.py"]
    assert result["advisory"] is False and result["status"] in ("fail", "error") and result["score"] == 0
    assert all("returned a Anything, an object" in t["message"] for t in result["tests"])


def test_without_an_example_the_folders_own_solution_decides_and_the_submission_cannot(tmp_path):
    """Exercism's folders hold the solution file (a stub, functions here): the suite is data-only, so a
    submission that returns objects fails, however it tries to push the suite into the advisory mode."""
    cheat = tmp_path / "cheat.py"
    cheat.write_text(ALWAYS_EQUAL)
    result = graded(BATCHING, cheat)["cheat.py"]
    assert result["advisory"] is False and result["score"] == 0
    assert all(t["verdict"] is None for t in result["tests"])


def test_graded_in_place_the_submission_does_not_decide_the_mode_for_itself(tmp_path):
    """Exercism's runner receives the solution inside the exercise's folder: there, the folder's solution file is
    the submission, and it may not decide that its own tests need its objects."""
    exercise = tmp_path / "batching"
    shutil.copytree(BATCHING, exercise, ignore=shutil.ignore_patterns("expected_results.json"))
    (exercise / "batching.py").write_text(SILENCER + ALWAYS_EQUAL)
    result = graded(exercise, exercise / "batching.py")["batching.py"]
    assert result["advisory"] is False and result["score"] == 0
    assert "ships no solution of its own" in result["message"]


def test_a_folder_with_no_solution_of_its_own_is_never_graded_advisory(tmp_path):
    exercise = tmp_path / "clock"
    exercise.mkdir()
    shutil.copy(CLOCK / "clock_test.py", exercise)
    result = graded(exercise, CLOCK / "submissions" / "forger.py")["forger.py"]
    assert result["advisory"] is False and result["status"] == "error"
    assert "ships no solution of its own (.meta/example.py or clock.py" in result["message"]


def test_a_suite_that_needs_the_solutions_objects_is_advisory_in_every_format(tmp_path):
    submissions = CLOCK / "submissions"
    results = graded(CLOCK, submissions)
    assert {name: (r["status"], r["advisory"]) for name, r in results.items()} == {
        "correct.py": ("pass", True),
        "forger.py": ("pass", True),
    }  # the forger's pass is why it is advisory
    for result in results.values():
        assert "Clock is a class" in result["message"]
        assert len(result["tests"]) == 2 and all(t["verdict"] == "reported" for t in result["tests"])

    forger = submissions / "forger.py"
    text = grade(CLOCK, forger, fmt="text")
    assert "forger.py: PASS (ADVISORY)" in text.stdout and text.returncode == 0  # a pass: check `advisory`
    exercism = json.loads(grade(CLOCK, forger, fmt="exercism").stdout)
    assert len(exercism["tests"]) == 2 and all("[verdict: advisory" in t["output"] for t in exercism["tests"])
    gradescope = json.loads(grade(CLOCK, forger, fmt="gradescope").stdout)
    assert gradescope["output"].startswith("advisory: ")
    assert len(gradescope["tests"]) == 2 and all("[verdict: advisory" in t["output"] for t in gradescope["tests"])
    junit = ET.fromstring(grade(CLOCK, forger, fmt="junit").stdout)
    assert {p.get("name"): p.get("value") for p in junit.iter("property")}["advisory"] == "true"
    summary = tmp_path / "summary.csv"
    grade(CLOCK, submissions, extra=("--csv", str(summary)))
    assert [row["advisory"] for row in csv.DictReader(summary.open())] == ["true", "true"]


def test_an_example_that_needs_objects_makes_the_exercise_advisory_for_everyone(tmp_path):
    exercise = with_example(CLOCK, (CLOCK / "submissions" / "correct.py").read_text(), tmp_path)
    result = graded(exercise, CLOCK / "submissions" / "correct.py")["correct.py"]
    assert result["status"] == "pass" and result["advisory"] is True


@pytest.mark.parametrize("exercise", [BATCHING, CLOCK])
def test_the_exercises_own_solution_is_never_visible_to_the_submission(exercise, tmp_path):
    """The exercise folder (its stub, its example) is hidden from the sandbox in both modes: what the spy saw
    comes back in the failure message of the first test."""
    stub = exercise / ("batching.py" if exercise is BATCHING else "clock.py")
    look = f"import os\nSEEN = 'seen' if os.path.exists({str(stub)!r}) else 'unseen'\n"
    if exercise is BATCHING:
        spy = tmp_path / "batching.py"
        spy.write_text(look + WRONG_BATCHING.replace("return per_replica", "return SEEN"))
        folder = BATCHING
    else:
        spy = tmp_path / "clock.py"
        spy.write_text(
            look + "class Clock:\n    def __init__(self, *args):\n        pass\n\n"
            "    def __str__(self):\n        return SEEN\n"
        )
        folder = CLOCK
    result = graded(folder, spy)[spy.name]
    assert result["score"] == 0
    assert "'unseen'" in result["tests"][0]["message"], result["tests"][0]["message"]
