"""The data_parallel suite itself, run the way a learner runs it (`pytest exercises/data_parallel --submission F`)
and the way a grader does (`quiz grade data_parallel F`): both go through the same split, the suite in one
process and the submission in a sandboxed one, so they must give the same verdicts.

It must pass the reference and every correct solution under fixtures/data_parallel/correct/ (written from the
exercise's README alone, in other styles), fail every test of the starter, and reject each wrong solution (the
reference with one mistake, from mutants.py, and the whole files under fixtures/data_parallel/wrong/) in the test
that names its mistake. A wrong solution is run on that one test only (`-k`): the whole suite per wrong solution
would cost minutes of CI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .mutants import wrong_solution, wrong_solutions
from .suite_process import UNUSED_PLUGINS, describe, run_pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "data_parallel"
SUITE_TIMEOUT_S = 400
RECOMPUTED = {
    "test_preprocess_flattens_and_scales_images",
    "test_preprocess_one_hot_labels",
    "test_build_model_computes_the_network",
    "test_build_model_is_compiled_with_crossentropy_and_accuracy",
    "test_train_learns_the_digits",
    "test_one_step_on_two_replicas_equals_one_step_on_one_device",
}

pytestmark = pytest.mark.slow


def run_suite(submission: Path | None = None, *options: str) -> subprocess.CompletedProcess:
    """`python -m pytest exercises/data_parallel [--submission FILE]` from the project root, as documented."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "exercises/data_parallel",
        "-p",
        "no:cacheprovider",
        *UNUSED_PLUGINS,
        "-q",
        "-rA",
        *options,
    ]
    if submission is not None:
        command += ["--submission", str(submission)]
    return run_pytest(command, cwd=ROOT, timeout=SUITE_TIMEOUT_S)


def outcomes(output: str) -> dict[str, str]:
    """{test name: PASSED/FAILED/ERROR} from pytest's -rA summary."""
    return {
        name: status for status, name in re.findall(r"^(PASSED|FAILED|ERROR) \S*::(\w+)", output, flags=re.MULTILINE)
    }


def grade(*submissions: Path) -> list[dict]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz",
            "grade",
            "data_parallel",
            *map(str, submissions),
            "--format",
            "json",
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_S * 2,
        cwd=ROOT,
    )
    assert done.stdout, done.stderr[-3000:]
    return json.loads(done.stdout)["results"]


def test_learner_and_grader_give_the_reference_the_same_verdicts():
    learner = run_suite()
    assert learner.returncode == 0, describe(learner)
    (graded,) = grade(ROOT / "exercises" / "data_parallel" / "reference.py")
    assert graded["status"] == "pass", graded["message"]
    by_grader = {test["name"].split("::")[1]: test for test in graded["tests"]}
    assert outcomes(learner.stdout) == {name: "PASSED" for name in by_grader}
    assert {name for name, test in by_grader.items() if test["verdict"] == "recomputed"} == RECOMPUTED
    assert {test["verdict"] for test in by_grader.values()} == {"recomputed", "reported"}


def test_every_correct_solution_in_another_style_passes_every_test():
    correct = sorted((FIXTURES / "correct").glob("*.py"))
    assert len(correct) >= 4
    for result in grade(*correct):
        failed = [f"{t['name']}: {t['message']}" for t in result["tests"] if t["status"] != "pass"]
        assert result["status"] == "pass", f"{Path(result['submission']).name}: {failed or result['message']}"


def test_the_starter_fails_every_test_as_not_implemented():
    result = run_suite(ROOT / "exercises" / "data_parallel" / "starter.py")
    assert result.returncode == 1
    found = outcomes(result.stdout)
    assert found and set(found.values()) == {"FAILED"}, result.stdout[-2000:]
    assert "not implemented yet" in result.stdout


# (a mutant's name or wrong/<file>, the test that must fail, words its message must contain)
WRONG_SOLUTIONS = [
    (
        "seed_program",
        "test_train_mirrors_the_model_variables",
        "('Mixing different tf.distribute.Strategy objects'): the model was built or compiled outside strategy.scope()",
    ),
    ("outside_scope", "test_train_mirrors_the_model_variables", "the model's variables are not mirrored"),
    ("ignores_strategy", "test_train_uses_the_strategy_it_is_given", "train ignored the strategy it was given"),
    (
        "per_replica_batch",
        "test_train_splits_the_global_batch_across_replicas",
        "the per-replica batch (batch_size / replicas) was passed to fit",
    ),
    ("no_normalisation", "test_preprocess_flattens_and_scales_images", "images are not scaled to [0, 1]"),
    ("labels_not_one_hot", "test_preprocess_one_hot_labels", "labels are not one-hot"),
    (
        "wrong_units",
        "test_build_model_computes_the_network",
        "wrong architecture: the model's weights have shapes [(784, 64), (64,), (64, 10), (10,)]",
    ),
    (
        "no_dropout",
        "test_build_model_has_dropout_0_2_active_only_in_training",
        "the model should have one Dropout(0.2) between the hidden and the output layer, found rates []",
    ),
    (
        "loss_not_averaged",
        "test_one_step_on_two_replicas_equals_one_step_on_one_device",
        "the 2-replica update is 2.00x the right one): the gradients are not averaged over the global batch",
    ),
    (
        "hardcoded_batch",
        "test_one_step_on_two_replicas_equals_one_step_on_one_device",
        "took 2 optimizer steps on 1 replica(s), expected 1: pass train's batch_size argument to fit",
    ),
    (
        "scaled_batch",
        "test_train_splits_the_global_batch_across_replicas",
        "It looks like batch_size was multiplied by the number of replicas",
    ),
    ("wrong/forged_history", "test_train_learns_the_digits", "held-out digits correctly, expected at least 80%"),
    (
        "wrong/sigmoid_output",
        "test_build_model_computes_the_network",
        "the outputs are not probabilities (rows do not sum to 1)",
    ),
    (
        "wrong/transposed_images",
        "test_preprocess_flattens_and_scales_images",
        "images are not the pixels divided by 255 in row-major order",
    ),
]


def test_every_wrong_solution_is_checked():
    assert {name for name, *_ in WRONG_SOLUTIONS} == wrong_solutions("data_parallel")


@pytest.mark.parametrize(
    ("name", "failing_test", "message"), WRONG_SOLUTIONS, ids=[name for name, *_ in WRONG_SOLUTIONS]
)
def test_suite_rejects_the_wrong_solution_and_names_the_mistake(name, failing_test, message, tmp_path):
    result = run_suite(wrong_solution("data_parallel", name, tmp_path), "-k", failing_test)
    assert result.returncode == 1, f"the suite did not fail:\n{describe(result)}"
    assert outcomes(result.stdout).get(failing_test) == "FAILED", (
        f"{failing_test} did not fail:\n{result.stdout[-3000:]}"
    )
    assert message in result.stdout, f"no {message!r} in the report:\n{result.stdout[-4000:]}"
