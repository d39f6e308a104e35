"""The multi_worker exercise's suite judges solutions the way a candidate relies on: it passes the reference, and it
rejects the starter and each classic mistake with a message that names the mistake.

The reference runs in place (`pytest exercises/multi_worker`); the wrong solutions run the way the grader runs
them: the suite's tests/ folder copied elsewhere, plugin autoload off, only quiz.grading.plugin loaded, a scrubbed
environment. Each run starts real worker processes on 127.0.0.1.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .suite_process import describe, run_pytest

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = ROOT / "exercises" / "multi_worker"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "multi_worker"
SUITE_TIMEOUT = 600

pytestmark = pytest.mark.slow


def outcomes(output: str) -> dict[str, str]:
    """test name -> PASSED/FAILED/ERROR from pytest's -rA summary."""
    found = re.findall(r"^(PASSED|FAILED|ERROR) \S+::(\w+)", output, flags=re.MULTILINE)
    return {name: status for status, name in found}


def run_suite_in_place(submission: Path | None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", str(EXERCISE), "-rA", "-p", "no:cacheprovider"]
    if submission is not None:
        command += ["--submission", str(submission)]
    return run_pytest(command, cwd=ROOT, timeout=SUITE_TIMEOUT)


def run_suite_like_the_grader(submission: Path, workdir: Path) -> subprocess.CompletedProcess:
    tests = workdir / "tests"
    shutil.copytree(EXERCISE / "tests", tests, ignore=shutil.ignore_patterns("__pycache__"))
    candidate = workdir / "submission.py"
    shutil.copyfile(submission, candidate)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "LANG": "C.UTF-8", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", str(tests), "--submission", str(candidate), "-rA",
               "-p", "quiz.grading.plugin", "-p", "no:cacheprovider", "--noconftest", "--rootdir", str(workdir)]
    return run_pytest(command, cwd=workdir, env=env, timeout=SUITE_TIMEOUT)


def test_the_reference_passes_every_test():
    result = run_suite_in_place(None)
    statuses = outcomes(result.stdout)
    assert result.returncode == 0, describe(result)
    assert len(statuses) >= 8 and set(statuses.values()) == {"PASSED"}, statuses


def test_the_starter_fails_every_test_with_not_implemented():
    result = run_suite_in_place(EXERCISE / "starter.py")
    statuses = outcomes(result.stdout)
    assert result.returncode == 1, result.stdout[-4000:]
    assert statuses and set(statuses.values()) == {"FAILED"}, statuses
    assert "NotImplementedError" in result.stdout


WRONG = {
    "reduce_mean_loss.py": ("test_compute_loss_divides_by_the_global_batch",
                            ["averages over the 8 examples of this replica (a reduce_mean)",
                             "the 2-worker update is 2.00x the 1-worker one"]),
    "model_outside_scope.py": ("test_model_and_optimizer_are_built_inside_the_strategy_scope",
                               ["train() created variables outside strategy.scope() (bias, iteration, kernel",
                                "Build the model and the optimizer inside `with strategy.scope():`"]),
    "no_sharding.py": ("test_make_dataset_gives_each_pipeline_its_own_shard",
                       ["input pipelines 0 and 1 both read 64 of the 64 examples (no sharding)",
                        "differs from one step with 1 worker x 64 examples"]),
}


@pytest.mark.parametrize("fixture", sorted(WRONG))
def test_the_suite_names_the_mistake_of_a_wrong_solution(fixture, tmp_path):
    result = run_suite_like_the_grader(FIXTURES / fixture, tmp_path)
    test_name, messages = WRONG[fixture]
    statuses = outcomes(result.stdout)
    assert result.returncode == 1, describe(result)
    assert statuses.get(test_name) == "FAILED", statuses
    assert "PASSED" in statuses.values(), f"only the mistake should fail, not everything: {statuses}"
    for message in messages:
        assert message in result.stdout, result.stdout[-4000:]


def test_the_exercise_folder_is_complete():
    for name in ("README.md", "starter.py", "reference.py", "tests/test_multi_worker.py"):
        assert (EXERCISE / name).is_file(), name
    readme = (EXERCISE / "README.md").read_text(encoding="utf-8")
    for needle in ("make_strategy", "make_dataset", "compute_loss", "train", "TF_CONFIG", "quiz exercise run"):
        assert needle in readme, needle
    assert re.search(r"[\u4e00-\u9fff]", readme), "the statement must also be in Chinese"
