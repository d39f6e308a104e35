"""`quiz exercise start` and `quiz exercise list` through the real entry point: a learner's own folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quiz(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quiz", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_start_writes_the_statement_and_starter_once_and_says_how_to_test(tmp_path):
    done = quiz("--lang", "zh", "exercise", "start", "gpu_training", "mine", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    starter = (ROOT / "exercises" / "gpu_training" / "starter.py").read_text(encoding="utf-8")
    assert (tmp_path / "mine" / "solution.py").read_text(encoding="utf-8") == starter
    assert (tmp_path / "mine" / "README.md").read_bytes() == (
        ROOT / "exercises" / "gpu_training" / "README.md"
    ).read_bytes()
    assert done.stdout.splitlines()[-1] == f"完成后评测：quiz grade gpu_training {Path('mine') / 'solution.py'}"
    (tmp_path / "mine" / "solution.py").write_text("# my work\n")
    again = quiz("--lang", "en", "exercise", "start", "gpu_training", "mine", cwd=tmp_path)
    assert again.returncode == 0 and "kept your" in again.stdout
    assert (tmp_path / "mine" / "solution.py").read_text() == "# my work\n"  # never overwritten


def test_an_unknown_exercise_is_one_line_and_exit_2(tmp_path):
    done = quiz("exercise", "start", "nope", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "no exercise named 'nope' (there are: data_parallel, gpu_training, multi_worker)" in done.stderr
    assert not any(tmp_path.iterdir())


def test_grade_takes_the_shipped_exercise_beside_a_learners_folder_of_that_name(tmp_path):
    assert quiz("exercise", "start", "data_parallel", cwd=tmp_path).returncode == 0
    for spelled in ("data_parallel", "data_parallel/"):  # as typed, and as tab completion writes it
        done = quiz("grade", spelled, "missing.py", cwd=tmp_path)
        assert done.returncode == 2 and done.stderr == "quiz: no such file or directory: missing.py\n"
    done = quiz("grade", "./data_parallel", "missing.py", cwd=tmp_path)  # a path is a path
    assert "data_parallel is not an exercise: it has no tests/ folder" in done.stderr


def test_list_names_every_shipped_exercise_with_its_title(tmp_path):
    done = quiz("--lang", "en", "exercise", "list", cwd=tmp_path)
    assert done.stdout.splitlines() == [
        "data_parallel  Data-parallel training",
        "gpu_training  Training on a GPU",
        "multi_worker  Training across worker processes",
    ]
