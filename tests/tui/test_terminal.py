"""The real `quiz` command in a real terminal: start it, answer a question, quit; read the screen and the store."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.grading.helpers import alive, descendants

from .conftest import BANK_DIR, rows
from .terminal import Terminal

pytestmark = pytest.mark.skipif(not Terminal.available(), reason="tmux is not installed")

QUIZ = Path(sys.executable).with_name("quiz")


QUIZ_COMMAND = [str(QUIZ)] if QUIZ.exists() else [sys.executable, "-m", "quiz"]
ENV = {
    "LANG": "en_US.UTF-8",
    "TERM": "xterm-256color",
    "PATH": os.environ.get("PATH", ""),
    **{k: os.environ[k] for k in ("QUIZ_CACHE_DIR", "HOME") if k in os.environ},
}


def first_question(term: Terminal) -> str:
    """Home, Practice, Start: the screen of the test bank's first question."""
    term.wait_for("Framework basics", "4 questions")
    term.keys("p")
    term.wait_for("Decks (none = all)")
    term.keys("C-s")
    return term.wait_for("Why do open-source frameworks lower the cost")


def test_answer_a_question_and_quit_in_tmux(tmp_path):
    data_dir = tmp_path / "data"
    command = [*QUIZ_COMMAND, "--bank", str(BANK_DIR), "--data-dir", str(data_dir)]
    with Terminal(command, env=ENV) as term:
        first_question(term)
        term.keys("They cost nothing because the frameworks are free", literal=True)
        term.keys("C-s")
        term.wait_for("Score 50%", "✓ The frameworks are free to use", "✗ They ship pre-trained models")
        term.keys("3")
        term.wait_for("2/4 · ")
        term.keys("Escape")  # out of the answer box: Space and the other keys show in the footer
        term.wait_for("space Reveal")
        term.keys("Escape")
        term.wait_for("Answered 1/4")
        term.keys("Escape")
        term.wait_for("Framework basics")
        term.keys("q")
        term.wait_for("EXIT=0")
    assert rows(data_dir, "SELECT question_id, answer, score FROM attempts") == [
        ("basics.open-source", "They cost nothing because the frameworks are free", 0.5)
    ]
    assert rows(data_dir, "SELECT question_id, rating FROM review_logs") == [("basics.open-source", 3)]


def test_an_invalid_bank_lists_its_problems_then_exits_1(tmp_path):
    with tempfile.TemporaryDirectory(prefix="quiz-bank-") as short:  # a short path: its problem fits on a line
        bank = Path(short)
        (bank / "deck.yaml").write_text("deck: {id: d, title: {zh: 题, en: D}}\nquestions: 3\n", encoding="utf-8")
        command = [*QUIZ_COMMAND, "--bank", str(bank), "--data-dir", str(tmp_path / "data")]
        with Terminal(command, env=ENV) as term:
            term.wait_for("problem(s)", f"{bank}/deck.yaml:2:12: ")
            term.keys("q")
            term.wait_for("EXIT=1")


def test_edit_opens_the_workspace_file_in_editor_and_comes_back(tmp_path):
    """`e` on an exercise suspends the app, runs $EDITOR on the workspace file, and resumes."""
    from quiz.paths import exercise_names

    names = exercise_names()
    if not names:
        pytest.skip("no packaged exercise yet")
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\necho "# edited in the editor" >> "$1"\n')
    editor.chmod(0o755)
    data_dir = tmp_path / "data"
    command = [*QUIZ_COMMAND, "--bank", str(BANK_DIR), "--data-dir", str(data_dir)]
    with Terminal(command, env={**ENV, "EDITOR": str(editor), "VISUAL": ""}) as term:
        term.wait_for("Framework basics")
        term.keys("e")
        term.wait_for(names[0])
        term.keys("Enter")
        term.wait_for("Not started")
        term.keys("s")
        term.wait_for("Workspace:")
        term.keys("e")
        solution = data_dir / "workspace" / names[0] / "solution.py"
        deadline = time.monotonic() + 60
        while not solution.read_text(encoding="utf-8").endswith("# edited in the editor\n"):  # the editor ran
            assert time.monotonic() < deadline, "the editor never wrote the workspace file"
            time.sleep(0.1)
        term.wait_for("Run tests (r)")  # back in the app (suspended, its screen was gone meanwhile)
        term.keys("Escape")
        term.wait_gone("Run tests (r)")  # one Escape at a time: two in one burst would read as Alt+Escape
        term.keys("Escape")
        term.wait_for("Framework basics")
        term.keys("q")
        term.wait_for("EXIT=0")
    assert solution.read_text(encoding="utf-8").endswith("# edited in the editor\n")


def test_kill_9_loses_at_most_the_last_half_second_of_typing(tmp_path):
    """The app killed outright (no handler runs): what was typed a second before is in the store, and the next
    start shows it in the answer box; there a real Ctrl+C only says how to quit, and Ctrl+Q quits."""
    data_dir = tmp_path / "data"
    command = [*QUIZ_COMMAND, "--bank", str(BANK_DIR), "--data-dir", str(data_dir)]
    with Terminal(command, env=ENV) as term:
        first_question(term)
        term.keys("Frameworks are free to use", literal=True)
        term.wait_for("Frameworks are free to use")
        time.sleep(1.0)
        term.kill_app()
        term.wait_for("EXIT=137")
    assert rows(data_dir, "SELECT text FROM drafts") == [("Frameworks are free to use",)]
    with Terminal(command, env=ENV) as term:
        first_question(term)
        term.wait_for("Frameworks are free to use")  # restored once the store has opened, after the first paint
        term.keys("Escape")
        term.wait_for("space Reveal")  # out of the answer box
        term.keys("C-c")  # a real Ctrl+C: the app stays, and says how to quit
        term.wait_for("Press Ctrl+Q to quit")
        term.keys("C-q")
        term.wait_for("EXIT=0")


def test_ctrl_q_while_an_exercise_is_graded_quits_at_once_and_ends_the_grading(tmp_path):
    """A solution that hangs: quitting mid-run does not wait for the run (up to the grader's time limit); the
    suite's and the submission's processes end with the app."""
    data_dir = tmp_path / "data"
    solution = data_dir / "workspace" / "data_parallel" / "solution.py"
    solution.parent.mkdir(parents=True)
    solution.write_text("import time\ntime.sleep(600)\n")
    with Terminal([*QUIZ_COMMAND, "--data-dir", str(data_dir)], width=120, height=40, env=ENV) as term:
        term.wait_for("Practice (p)")
        term.keys("e")
        term.wait_for("data_parallel")
        term.keys("Enter")
        term.wait_for("Workspace:")
        term.keys("r")
        app = term.app_pid()
        wait_for_processes = time.monotonic() + 60
        while len(descendants(app)) < 3:  # the suite, the sandbox and the submission
            assert time.monotonic() < wait_for_processes, "the grading did not start"
            time.sleep(0.1)
        grading = descendants(app)
        term.keys("C-q")
        term.wait_for("EXIT=0", timeout=15)
        deadline = time.monotonic() + 15
        while any(map(alive, grading)):
            assert time.monotonic() < deadline, "the grading outlived the app"
            time.sleep(0.1)
