"""The app on an invalid or empty bank, the exercise screen's workspace, and grading from the app."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from quiz.bank import check_files
from quiz.tui.launch import build_app
from quiz.tui.screens.exercise_screen import ExerciseScreen
from quiz.tui.screens.invalid_bank_screen import InvalidBankScreen

from .conftest import TOY_EXERCISES, drive, screen_text


async def grading_done(pilot, timeout: float = 120.0) -> None:
    """Until the exercise screen has shown the whole run's result (grading runs in a thread of its own)."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while pilot.app.screen.grading:
        assert time.monotonic() < deadline, "the tests did not finish"
        await pilot.pause(0.05)
    await pilot.pause()


BROKEN_DECK = """\
deck:
  id: broken
  title: {zh: 坏, en: Broken}
questions:
  - id: broken.one
    type: open
    topic: cost
    tags: []
    difficulty: easy
    prompt: {zh: 问, en: Ask}
    anwser: {zh: 答, en: Answer}
    key_points: []
"""


def problem_lines(app) -> list[str]:
    from textual.widgets import Label

    return [str(label.render()) for label in app.screen.query_one("#problems").query(Label)]


class TestInvalidBank:
    def test_every_problem_is_listed_as_the_validator_prints_it(self, tmp_path):
        bank_dir = tmp_path / "bank"
        bank_dir.mkdir()
        (bank_dir / "broken.yaml").write_text(BROKEN_DECK, encoding="utf-8")
        _, expected = check_files([bank_dir])
        assert len(expected) >= 2
        app = build_app(argparse.Namespace(bank=str(bank_dir), lang="en", data_dir=str(tmp_path / "data")))

        async def scenario(pilot):
            assert isinstance(app.screen, InvalidBankScreen)
            assert problem_lines(app) == [str(p) for p in expected]
            assert any(
                line.startswith(f"{bank_dir}/broken.yaml:11:5: ") and "anwser" in line for line in problem_lines(app)
            )
            assert f"The bank at {bank_dir} has {len(expected)} problem(s)" in screen_text(app)
            await pilot.press("q")

        drive(app, scenario)

    def test_an_empty_bank_says_so(self, tmp_path):
        app = build_app(argparse.Namespace(bank=str(tmp_path), lang="zh", data_dir=str(tmp_path / "data")))

        async def scenario(pilot):
            assert problem_lines(app) == [f"{tmp_path}:1:1: no .yaml files found"]
            assert "题库" in screen_text(app)

        drive(app, scenario)

    def test_a_bank_that_does_not_exist_is_one_line_and_exit_2(self, tmp_path):
        missing = subprocess.run(
            [sys.executable, "-m", "quiz", "--bank", str(tmp_path / "nope")], capture_output=True, text=True, timeout=60
        )
        assert missing.returncode == 2
        assert missing.stderr.strip() == f"quiz: no such bank: {tmp_path / 'nope'}"


@pytest.fixture
def exercises(tmp_path):
    """A copy of the toy exercise (the grading helper's tests/data/exercises/toy), or a minimal one."""
    root = tmp_path / "exercises"
    if (TOY_EXERCISES / "toy").is_dir():
        shutil.copytree(TOY_EXERCISES / "toy", root / "toy")
    else:  # pragma: no cover - only before the toy exercise exists
        (root / "toy" / "tests").mkdir(parents=True)
        (root / "toy" / "README.md").write_text("# toy\n\nWrite add(a, b).\n", encoding="utf-8")
        (root / "toy" / "starter.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
        (root / "toy" / "reference.py").write_text("def add(a, b):\n    return a + b\n")
        (root / "toy" / "tests" / "test_toy.py").write_text(
            "def test_add(submission):\n    assert submission.add(2, 3) == 5\n"
        )
    return root


class TestExerciseScreen:
    def test_the_shipped_exercises_are_listed_by_title_in_the_current_language(self, make_app):
        from textual.widgets import OptionList

        from quiz import paths

        app = make_app("zh", exercises_root=paths.exercises_dir())

        def listed() -> list[str]:
            options = app.screen.query_one("#exercise-list", OptionList)
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        async def scenario(pilot):
            await pilot.press("e")
            await pilot.pause()
            assert listed() == [
                "数据并行训练 · data_parallel",
                "GPU 加速训练 · gpu_training",
                "多机多进程同步训练 · multi_worker",
            ]
            await pilot.press("l")
            await pilot.pause()
            assert listed() == [
                "Data-parallel training · data_parallel",
                "Training on a GPU · gpu_training",
                "Training across worker processes · multi_worker",
            ]

        drive(app, scenario)

    def test_start_writes_the_starter_once_and_the_editor_saves(self, make_app, exercises, data_dir):
        app = make_app("en", exercises_root=exercises)
        solution = data_dir / "workspace" / "toy" / "solution.py"

        async def scenario(pilot):
            await pilot.press("e")
            await pilot.pause()
            await pilot.press("enter")  # the first (only) exercise
            await pilot.pause()
            assert isinstance(app.screen, ExerciseScreen)
            assert "toy" in screen_text(app) and "Not started" in screen_text(app)
            await pilot.press("v")  # the reference stays locked before an attempt
            await pilot.pause()
            assert isinstance(app.screen, ExerciseScreen)
            await pilot.press("s")
            await pilot.pause()
            assert solution.read_text() == (exercises / "toy" / "starter.py").read_text()
            assert f"Workspace: {solution}" in screen_text(app)
            solution.write_text("# my attempt\n")
            await pilot.press("s")  # never overwrites
            await pilot.pause()
            assert solution.read_text() == "# my attempt\n"
            await pilot.press("b")
            await pilot.pause()
            await pilot.press("end", "enter", *"x = 1", "ctrl+s")
            await pilot.pause()
            assert solution.read_text() == "# my attempt\nx = 1\n"
            await pilot.press("y", "escape")  # unsaved changes: the first Escape only warns
            await pilot.pause()
            assert not isinstance(app.screen, ExerciseScreen)
            await pilot.press("ctrl+s", "z", "escape")  # saved, changed again: Escape warns again
            await pilot.pause()
            assert not isinstance(app.screen, ExerciseScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ExerciseScreen)
            assert app.screen.sub_title == "Exercises · toy"  # the header no longer names the editor's file
            assert solution.read_text() == "# my attempt\nx = 1y\n"

        drive(app, scenario)
        assert not (data_dir / "workspace" / "toy" / "last_result.json").exists()

    @pytest.mark.parametrize("lang", ["en", "zh"])
    def test_running_the_tests_shows_each_result_and_unlocks_the_reference(self, make_app, exercises, data_dir, lang):
        app = make_app(lang, exercises_root=exercises)
        solution = data_dir / "workspace" / "toy" / "solution.py"

        async def scenario(pilot):
            app.push_screen(ExerciseScreen("toy"))
            await pilot.pause()
            await pilot.press("s")
            solution.write_text(
                textwrap.dedent("""\
                def add(a, b):
                    return a + b

                def train(values, epochs=1):
                    return 0
                """)
            )
            await pilot.press("r")
            await grading_done(pilot)
            text = screen_text(app)
            if lang == "en":
                assert "✓ pass | test_add_small_numbers |" in text
                assert "✗ fail" in text and "fail · score 3/7" in text and "2 of 4 tests failed; first: " in text
            else:  # the suite's test names and messages as written, everything around them in Chinese
                assert "✓ 通过 | test_add_small_numbers |" in text and "✗ 未通过" in text
                [line] = [line for line in text.splitlines() if "得分" in line]
                assert line.startswith("未通过 · 得分 3/7 · ") and " 秒 · " in line
                assert "4 个测试：通过 2，未通过 2，出错 0；第一个：test_train_returns_the_mean：AssertionError" in line
                assert not {"pass", "fail", "score", "tests"} & set(line.split()), line
            table = app.screen.query_one("#ex-results")
            assert table.row_count == 4
            table.focus()
            await pilot.press("down", "down")  # the first failing test: spelled out in full below the table
            await pilot.pause()
            detail = str(app.screen.query_one("#ex-detail").render())
            assert detail.startswith("test_train_returns_the_mean: AssertionError: assert 0 == 2.5")
            assert "tests/test_toy.py:21" in detail  # the whole message, not cut at the column's edge
            assert app.screen.query_one("#ex-progress").percentage == 1.0
            await pilot.press("v")
            await pilot.pause()
            assert "def add" in app.screen.query_one("#editor").text

        drive(app, scenario)


def test_the_app_never_imports_tensorflow(tmp_path):
    """The app started in a fresh process on the packaged bank, through an answer, a rating and the stats
    screen: no TensorFlow (or Keras) module is loaded."""
    script = textwrap.dedent(f"""
        import argparse, asyncio, sys
        from quiz.tui.launch import build_app
        app = build_app(argparse.Namespace(bank=None, lang="en", data_dir={str(tmp_path)!r}))
        async def main():
            async with app.run_test() as pilot:
                await pilot.pause()
                assert type(app.screen).__name__ == "HomeScreen", app.screen
                await pilot.press("p", "ctrl+s", *"free", "ctrl+s", "3", "escape", "escape", "escape", "s")
                await pilot.pause()
        asyncio.run(main())
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


EXERCISE_DECK = """\
deck:
  id: coding
  title: {zh: 编程, en: Coding}
questions:
  - id: coding.toy
    type: exercise
    topic: speed
    tags: []
    difficulty: easy
    prompt: {zh: 完成 toy 练习, en: Solve the toy exercise}
    answer: {zh: 见参考解答, en: See the reference solution}
    key_points: []
    exercise: toy
"""


def test_an_exercise_question_opens_its_exercise(tmp_path, exercises, clock):
    from quiz.bank import load_bank
    from quiz.tui.app import QuizApp
    from quiz.tui.screens.question_screen import QuestionScreen
    from quiz.tui.screens.review_screen import ReviewScreen

    (tmp_path / "deck.yaml").write_text(EXERCISE_DECK, encoding="utf-8")
    app = QuizApp(
        bank=load_bank(tmp_path / "deck.yaml"),
        bank_path=tmp_path,
        lang="en",
        data_dir=tmp_path / "data",
        clock=clock,
        exercises_root=exercises,
    )

    async def scenario(pilot):
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen)
        assert "press o to open it" in screen_text(app)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        assert "# toy" in app.screen.query_one("#statement").source
        await pilot.press("escape", "space")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert "See the reference solution" in screen_text(app)

    drive(app, scenario)
