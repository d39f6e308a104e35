"""`quiz gradescope EXERCISE --output autograder.zip`, unpacked into a fake /autograder tree (QUIZ_AUTOGRADER_ROOT)
and run as Gradescope runs it: `run_autograder` grades /autograder/submission/ into results/results.json, which must
follow Gradescope's spec, and must be written whatever goes wrong."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

HERE = Path(__file__).parent
TOY = HERE.parent / "data" / "exercises" / "toy"
EXERCISM_CASE = HERE / "exercism" / "partial-fail"
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
# Gradescope's results.json, as its autograder documentation specifies it (the fields we write, and their types).
GRADESCOPE_RESULTS = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests", "stdout_visibility"],
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number"},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "status", "output", "visibility"],
                "properties": {
                    "name": {"type": "string"},
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "output": {"type": "string"},
                    "visibility": VISIBILITY,
                },
            },
        },
    },
}


def bundle(exercise: Path, tmp: Path) -> Path:
    """The zip, built by the real command and unpacked where Gradescope unpacks it: ROOT/source."""
    zip_path = tmp / "autograder.zip"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz",
            "gradescope",
            str(exercise),
            "--output",
            str(zip_path),
            "--timeout",
            "30",
            "--memory",
            "1024",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    root = tmp / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile does not restore modes: do what Gradescope's unzip does
            mode = info.external_attr >> 16
            if mode & stat.S_IXUSR:
                os.chmod(root / "source" / info.filename, 0o755)
    (root / "submission").mkdir()
    return root


def setup_venv(root: Path) -> str:
    """What setup.sh makes, without the network: a venv whose path has ROOT/source first (the zip's own `quiz`,
    through the same .pth setup.sh writes), then this machine's dependencies. Its Python."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "quiz-autograder.pth").write_text(f"{root / 'source'}\n")
    dependencies = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    (site / "zz-dependencies.pth").write_text(  # after it: .pth files are read in name order
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in dependencies) + "\n"
    )
    return str(venv / "bin" / "python")


def run_autograder(root: Path, python: str | None = None) -> dict:
    if python is None:  # the zip's own package is what grades
        python = setup_venv(root)
        where = subprocess.run(
            [python, "-I", "-c", "import quiz; print(quiz.__file__)"], capture_output=True, text=True
        )
        assert where.stdout.strip() == str(root / "source" / "quiz" / "__init__.py"), where.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"QUIZ_AUTOGRADER_ROOT": str(root), "QUIZ_AUTOGRADER_PYTHON": python})
    decoy = root / "elsewhere"  # run from a folder with a quiz/ of its own: it must never be what grades
    (decoy / "quiz").mkdir(parents=True, exist_ok=True)
    (decoy / "quiz" / "__init__.py").write_text("raise SystemExit('the decoy quiz package was imported')\n")
    done = subprocess.run(
        [str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=180, cwd=decoy
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_RESULTS)
    return results


def test_the_zip_holds_what_gradescope_runs(tmp_path):
    root = bundle(TOY, tmp_path)
    source = root / "source"
    for name in ("setup.sh", "run_autograder"):
        assert os.access(source / name, os.X_OK), name
        assert subprocess.run(["bash", "-n", str(source / name)]).returncode == 0, name
    assert (source / "quiz" / "grading" / "runner.py").is_file()
    assert (source / "exercises" / "toy" / "tests" / "test_toy.py").is_file()
    assert not (source / "quiz" / "_data").exists()
    requirements = (source / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("pytest") for line in requirements) and not any("xdist" in r for r in requirements)
    assert json.loads((source / "settings.json").read_text()) == {
        "exercise": "toy",
        "solution": "solution.py",
        "timeout": 30,
        "memory_mb": 1024,
    }


def test_run_autograder_grades_the_submission_into_results_json(tmp_path):
    root = bundle(TOY, tmp_path)
    wrong = (HERE / "golden" / "wrong_answer" / "submission.py").read_text()
    (root / "submission" / "my_answer.py").write_text(wrong)
    results = run_autograder(root)
    assert results["score"] == 4 and results["max_score"] == 7
    assert [t["status"] for t in results["tests"]] == ["failed", "failed", "passed", "passed"]
    assert results["tests"][0]["name"] == "tests/test_toy.py::test_add_small_numbers"
    assert "assert 6 == 5" in results["tests"][0]["output"]


def test_an_exercism_exercise_bundles_and_grades_the_same_way(tmp_path):
    root = bundle(EXERCISM_CASE, tmp_path)
    (root / "submission" / "batching.py").write_text((EXERCISM_CASE / "batching.py").read_text())
    (root / "submission" / "notes.py").write_text("# a second file: the one named like the solution is graded\n")
    results = run_autograder(root)
    assert results["max_score"] == 4 and results["score"] == 3
    failed = [t["name"] for t in results["tests"] if t["status"] == "failed"]
    assert failed == ["batching_test.py::BatchingTest::test_steps_round_up"]


@pytest.mark.parametrize(
    "files, says",
    [
        ({}, "no submission to grade: upload one Python file (named solution.py); found 0 .py files"),
        ({"a.py": "", "b.py": ""}, "found 2 .py files"),
    ],
)
def test_a_submission_that_cannot_be_graded_still_gets_a_results_json(tmp_path, files, says):
    root = bundle(TOY, tmp_path)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    results = run_autograder(root)
    assert results["score"] == 0 and results["tests"] == [] and says in results["output"]


def test_a_grader_that_cannot_start_still_writes_results(tmp_path):
    """A Python without this project (setup.sh failed half-way, say): the run still ends with a results.json."""
    root = bundle(TOY, tmp_path)
    (root / "submission" / "solution.py").write_text("def add(a, b):\n    return a + b\n")
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    results = run_autograder(root, python=str(bare / "bin" / "python"))
    assert results["score"] == 0 and "before it wrote a result" in results["output"]


def test_no_python_at_all_still_writes_results(tmp_path):
    root = bundle(TOY, tmp_path)
    (root / "submission" / "solution.py").write_text("def add(a, b):\n    return a + b\n")
    results = run_autograder(root, python=str(tmp_path / "no-such-python"))
    assert results["score"] == 0 and "no Python at" in results["output"]


def test_an_exercise_graded_advisory_is_bundled_only_when_asked(tmp_path):
    """Gradescope records the score, not the advisory mark: a suite that needs the solution's own objects (where a
    forger passes) is refused unless --allow-advisory says the grader knows."""
    clock = HERE.parent / "data" / "exercises" / "clock_live"
    zip_path = tmp_path / "autograder.zip"
    refused = subprocess.run(
        [sys.executable, "-m", "quiz", "gradescope", str(clock), "--output", str(zip_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "--allow-advisory" in refused.stderr and not zip_path.exists()
    allowed = subprocess.run(
        [sys.executable, "-m", "quiz", "gradescope", str(clock), "--output", str(zip_path), "--allow-advisory"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert allowed.returncode == 0 and zip_path.is_file()


def test_a_zip_written_inside_the_exercise_does_not_hold_itself(tmp_path):
    exercise = tmp_path / "partial-fail"
    shutil.copytree(EXERCISM_CASE, exercise)
    done = subprocess.run(
        [sys.executable, "-m", "quiz", "gradescope", "."], cwd=exercise, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    names = zipfile.ZipFile(exercise / "autograder.zip").namelist()
    assert "exercises/partial-fail/batching_test.py" in names and not any(n.endswith(".zip") for n in names)
