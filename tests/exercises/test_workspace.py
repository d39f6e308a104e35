"""A learner's copy of an exercise (quiz/exercises/workspace.py), on a real folder with a shipped exercise."""

from __future__ import annotations

import pytest

from quiz import paths
from quiz.exercises.workspace import Workspace

EXERCISE = paths.exercises_dir() / "data_parallel"


def test_starting_writes_the_starter_once_and_never_over_the_learners_work(tmp_path):
    workspace = Workspace(EXERCISE, tmp_path / "mine")
    assert not workspace.started
    assert workspace.start(with_statement=True) is True
    assert workspace.solution.read_bytes() == (EXERCISE / "starter.py").read_bytes()
    assert (tmp_path / "mine" / "README.md").read_bytes() == (EXERCISE / "README.md").read_bytes()
    workspace.solution.write_text("# my work\n", encoding="utf-8")
    assert workspace.start() is False and workspace.solution.read_text(encoding="utf-8") == "# my work\n"


def test_a_solution_name_taken_by_a_folder_is_refused(tmp_path):
    workspace = Workspace(EXERCISE, tmp_path)
    workspace.solution.mkdir()
    with pytest.raises(IsADirectoryError, match="exists and is not a file"):
        workspace.start()


def test_an_exercise_without_a_starter_gets_a_placeholder(tmp_path):
    bare = tmp_path / "bare"
    (bare / "tests").mkdir(parents=True)
    workspace = Workspace(bare, tmp_path / "copy")
    assert workspace.start() and "bare: write your solution here" in workspace.solution.read_text(encoding="utf-8")
    assert workspace.count_tests() == 1  # no test written yet: a bar of one


def test_the_reference_unlocks_once_a_result_was_kept_and_the_tests_are_counted(tmp_path):
    workspace = Workspace(EXERCISE, tmp_path)
    assert not workspace.tests_were_run
    workspace.save_result({"status": "fail", "tests": []})
    assert workspace.tests_were_run and workspace.reference == EXERCISE / "reference.py"
    written = sum(p.read_text(encoding="utf-8").count("\ndef test_") for p in (EXERCISE / "tests").glob("test_*.py"))
    assert workspace.count_tests() == written > 3


def test_a_folder_that_cannot_be_written_is_an_os_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(OSError):
        Workspace(EXERCISE, blocker / "sub").start()
