"""A plain `pip install .` ships the question bank and the exercises inside the package."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [built] = out.glob("quiz-*.whl")
    return built


def test_wheel_contains_bank_exercises_schema_and_plugin_entry_point(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("quiz/_data/questions/") and n.endswith(".yaml") for n in names)
    for exercise in ("data_parallel", "gpu_training"):
        for part in ("README.md", "starter.py", "reference.py"):
            assert f"quiz/_data/exercises/{exercise}/{part}" in names
        assert any(n.startswith(f"quiz/_data/exercises/{exercise}/tests/") for n in names)
    assert "quiz/bank/deck.schema.json" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "quiz = quiz.cli:main" in text and "quiz.grading.plugin" in text


def test_installed_quiz_finds_its_bank_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import quiz.paths as p; print(p.packaged_bank_dir())"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        check=True,
    ).stdout.strip()
    assert Path(where) == target / "quiz" / "_data" / "questions"
    result = subprocess.run(
        [sys.executable, "-m", "quiz", "validate"], capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


def test_a_learner_with_only_the_wheel_can_start_an_exercise_and_run_its_instructions(wheel, tmp_path):
    """A venv of its own with the wheel installed (dependencies reached through a .pth, nothing from the checkout):
    `quiz exercise start` writes the statement and the starter, and the command it and the starter print runs
    as written, from the learner's folder."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    site = next(venv.glob("lib/python*/site-packages"))
    dependencies = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    (site / "dependencies.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in dependencies) + "\n"
    )
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    quiz = str(venv / "bin" / "quiz")
    home = tmp_path / "learner"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [quiz, "--lang", "en", "exercise", "start", "data_parallel"],
        capture_output=True,
        text=True,
        cwd=home,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (home / "data_parallel" / "README.md").read_text(encoding="utf-8").startswith("# ")
    assert "quiz grade data_parallel solution.py" in (home / "data_parallel" / "solution.py").read_text()
    printed = done.stdout.strip().splitlines()[-1]
    assert printed == f"when it is done, test it: quiz grade data_parallel {Path('data_parallel') / 'solution.py'}"
    command = printed.split(": ", 1)[1].split()
    graded = subprocess.run(
        [quiz, *command[1:], "--timeout", "300"], capture_output=True, text=True, cwd=home, env=env, timeout=400
    )
    assert graded.returncode == 1, graded.stdout + graded.stderr  # the starter: a verdict, not a crash
    assert "solution.py: FAIL  0/20 points" in graded.stdout, graded.stdout + graded.stderr
    assert "not implemented yet (it raised NotImplementedError)" in graded.stdout
