"""The data_parallel and gpu_training suites themselves, run the way a candidate and the grader run them: in a
fresh pytest process.

Each suite must pass the exercise's reference.py, fail every functional test of starter.py, and reject each
wrong solution under fixtures/<exercise>/ with a message that names the mistake. These tests are slow (TensorFlow
in a subprocess, 10-30 s each) and independent, so xdist spreads them over workers.
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
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXERCISES = ("data_parallel", "gpu_training")
SUITE_TIMEOUT_S = 400

pytestmark = pytest.mark.slow


def run_suite(exercise: str, submission: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m pytest exercises/<exercise> [--submission FILE]` from the project root, as documented."""
    command = [sys.executable, "-m", "pytest", f"exercises/{exercise}", "-p", "no:cacheprovider", "-q"]
    if submission is not None:
        command += ["--submission", str(submission)]
    return run_pytest(command, cwd=ROOT, timeout=SUITE_TIMEOUT_S)


def counts(output: str) -> dict[str, int]:
    """{'passed': n, 'failed': n, 'skipped': n, 'error': n} from pytest's last summary line."""
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    found = {word.rstrip("s"): int(number) for number, word in re.findall(r"(\d+) (\w+)", summary)}
    return {kind: found.get(kind, 0) for kind in ("passed", "failed", "skipped", "error")}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_suite_passes_the_reference(exercise):
    result = run_suite(exercise)
    assert result.returncode == 0, describe(result)
    found = counts(result.stdout)
    assert found["passed"] >= 10 and found["failed"] == 0 and found["error"] == 0, result.stdout[-2000:]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_suite_fails_every_functional_test_of_the_starter(exercise):
    result = run_suite(exercise, ROOT / "exercises" / exercise / "starter.py")
    assert result.returncode != 0
    found = counts(result.stdout)
    assert found["passed"] == 0 and found["failed"] >= 10, result.stdout[-2000:]
    assert "not implemented yet" in result.stdout


@pytest.mark.parametrize("exercise", EXERCISES)
def test_suite_works_copied_out_of_the_project_like_the_grader_runs_it(exercise, tmp_path):
    """The grader copies tests/ and the submission into a sandbox and loads only the quiz plugin."""
    suite = tmp_path / "suite"
    shutil.copytree(ROOT / "exercises" / exercise / "tests", suite,
                    ignore=shutil.ignore_patterns("__pycache__"))
    solution = tmp_path / "solution.py"
    shutil.copy(ROOT / "exercises" / exercise / "reference.py", solution)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", str(suite), "--submission", str(solution), "-p", "quiz.grading.plugin",
               "--confcutdir", str(suite), "--rootdir", str(tmp_path), "-p", "no:cacheprovider", "-q"]
    result = run_pytest(command, cwd=tmp_path, env=env, timeout=SUITE_TIMEOUT_S)
    assert result.returncode == 0, describe(result)
    assert counts(result.stdout)["failed"] == 0


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None


# (exercise, fixture, the test that must fail, words its message must contain)
WRONG_SOLUTIONS = [
    ("data_parallel", "seed_program", "test_train_mirrors_the_model_variables",
     "('Mixing different tf.distribute.Strategy objects'): the model was built or compiled outside strategy.scope()"),
    ("data_parallel", "outside_scope", "test_train_mirrors_the_model_variables",
     "the model's variables are not mirrored"),
    ("data_parallel", "ignores_strategy", "test_train_uses_the_strategy_it_is_given",
     "train ignored the strategy it was given"),
    ("data_parallel", "per_replica_batch", "test_train_splits_the_global_batch_across_replicas",
     "the per-replica batch (batch_size / replicas) was passed to fit"),
    ("data_parallel", "no_normalisation", "test_preprocess_flattens_and_scales_images",
     "images are not scaled to [0, 1]"),
    ("data_parallel", "labels_not_one_hot", "test_preprocess_one_hot_labels", "labels are not one-hot"),
    ("data_parallel", "wrong_units", "test_build_model_architecture",
     "wrong architecture: the hidden Dense layer has 64 units, expected 128"),
    ("data_parallel", "no_dropout", "test_build_model_architecture",
     "wrong architecture: expected Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax)"),
    ("data_parallel", "loss_not_averaged", "test_one_step_on_two_replicas_equals_one_step_on_one_device",
     "the 2-replica update is 2.00x the single-device one): the gradients are not averaged over the global batch"),
    ("data_parallel", "hardcoded_batch", "test_one_step_on_two_replicas_equals_one_step_on_one_device",
     "took 2 optimizer steps on 1 replica(s), expected 1: pass train's batch_size argument to fit"),
    ("data_parallel", "scaled_batch", "test_train_splits_the_global_batch_across_replicas",
     "It looks like batch_size was multiplied by the number of replicas"),
    ("gpu_training", "hardcoded_batch", "test_train_runs_the_requested_epochs_and_batches",
     "the optimizer took 48 steps for 3 epochs of 1000 samples, expected 60"),
    ("gpu_training", "configure_raises", "test_configure_gpus_before_initialization",
     "raised IndexError: list index out of range in a fresh process on a machine without GPUs"),
    ("gpu_training", "float16_softmax", "test_build_model_mixed_precision_keeps_softmax_output_float32",
     "the softmax output is float16 under mixed precision"),
    ("gpu_training", "no_prefetch", "test_make_dataset_prefetches_last",
     "does not end with prefetch (its last step is BatchDataset)"),
    ("gpu_training", "wrong_units", "test_build_model_architecture_and_compilation",
     "wrong architecture: the hidden Dense layer has 64 units, expected 128"),
    ("gpu_training", "seed_program", "test_build_model_mixed_precision_computes_hidden_layer_in_float16",
     "with mixed precision the hidden Dense layer should compute in float16"),
    ("gpu_training", "fit_on_arrays", "test_train_uses_make_dataset_on_the_training_device",
     "train did not build its input pipeline with make_dataset: call make_dataset(x_train, y_train, batch_size, "
     "training=True) and feed model.fit the dataset make_dataset returns, not the numpy arrays"),
]


ONLY_WITHOUT_GPU = {("gpu_training", "configure_raises")}  # gpus[0] exists on a GPU machine


def test_every_fixture_is_checked():
    listed = {(exercise, fixture) for exercise, fixture, *_ in WRONG_SOLUTIONS}
    on_disk = {(exercise, path.stem) for exercise in EXERCISES for path in (FIXTURES / exercise).glob("*.py")}
    assert listed == on_disk


@pytest.mark.parametrize(("exercise", "fixture", "failing_test", "message"), WRONG_SOLUTIONS,
                         ids=[f"{exercise}-{fixture}" for exercise, fixture, *_ in WRONG_SOLUTIONS])
def test_suite_rejects_the_wrong_solution_and_names_the_mistake(exercise, fixture, failing_test, message):
    if (exercise, fixture) in ONLY_WITHOUT_GPU and _has_gpu():
        pytest.skip("this mistake only shows on a machine without GPUs")
    result = run_suite(exercise, FIXTURES / exercise / f"{fixture}.py")
    assert result.returncode == 1, f"the suite did not fail:\n{describe(result)}"
    assert f"::{failing_test} " in result.stdout or f"::{failing_test}\n" in result.stdout, (
        f"{failing_test} did not fail:\n{result.stdout[-3000:]}")
    assert message in result.stdout, f"no {message!r} in the report:\n{result.stdout[-4000:]}"
