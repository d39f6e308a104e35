"""The gpu_training suite itself, run the way a learner runs it (`pytest exercises/gpu_training --submission F`) and
the way a grader does (`quiz grade gpu_training F`): both go through the same split.

It must pass the reference and every correct solution under fixtures/gpu_training/correct/, fail every functional
test of starter.py, and reject each wrong solution (the reference with one mistake, from mutants.py, and the whole
files under fixtures/gpu_training/wrong/) with a message that names the mistake. These tests are slow (TensorFlow
in a subprocess, 10-30 s each) and independent, so xdist spreads them over workers. (data_parallel has its own
file: test_data_parallel_suite.py.)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .mutants import wrong_solution, wrong_solutions
from .suite_process import UNUSED_PLUGINS, describe, run_pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXERCISES = ("gpu_training",)
SUITE_TIMEOUT_S = 400

pytestmark = pytest.mark.slow


def run_suite(exercise: str, submission: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m pytest exercises/<exercise> [--submission FILE]` from the project root, as documented."""
    command = [sys.executable, "-m", "pytest", f"exercises/{exercise}", "-p", "no:cacheprovider", *UNUSED_PLUGINS, "-q"]
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


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None


ONLY_WITHOUT_GPU = {"configure_raises"}  # gpus[0] exists on a GPU machine


# ---------------------------------------------------------------- gpu_training: correct and wrong solutions
# Every correct solution must pass every test: a whole suite run each (~20-30 s), which also checks that the suite's
# own process imports neither TensorFlow nor the submission. A wrong solution must fail the tests that name its
# mistake: only those run (~10-15 s, mostly the submission process's TensorFlow import), since the rest of its run
# would check nothing a correct solution's run does not.

GPU_TRAINING_FIXTURES = FIXTURES / "gpu_training"
GPU_TRAINING_TESTS = "exercises/gpu_training/tests/test_gpu_training.py"
GPU_TRAINING_CORRECT = sorted(path.stem for path in (GPU_TRAINING_FIXTURES / "correct").glob("*.py"))

# a mutant's name or wrong/<file> -> [(the test that must fail, words its message must contain), ...]
GPU_TRAINING_WRONG = {
    "wrong/policy_left_mixed": [
        (
            "test_build_model_is_float32_again_after_a_mixed_precision_model",
            "build_model(mixed_precision=False) after build_model(mixed_precision=True) in the same process built "
            "float16 layers",
        ),
        (
            "test_build_model_is_float32_again_after_a_mixed_precision_model",
            "build_model(mixed_precision=True) left Keras's global dtype policy at mixed_float16",
        ),
    ],
    "wrong/drop_remainder": [
        (
            "test_make_dataset_batches_keep_every_sample",
            "gives batches of [64, 64, 64]: the last partial batch of 8 samples is dropped",
        ),
        (
            "test_train_runs_the_requested_epochs_and_batches",
            "the optimizer took 60 steps for 3 epochs of 1000 samples, expected 63 (epochs x ceil(N / batch_size=48)): "
            "the last partial batch of every epoch was dropped",
        ),
    ],
    "wrong/shuffles_validation": [
        (
            "test_make_dataset_shuffles_only_when_training",
            "with training=False the batches are not in the input order: shuffle only when training",
        )
    ],
    "wrong/prefetch_one": [
        ("test_make_dataset_prefetches_last", "prefetch uses a fixed buffer of 1 (training=True): use tf.data.AUTOTUNE")
    ],
    "hardcoded_batch": [
        (
            "test_train_runs_the_requested_epochs_and_batches",
            "the optimizer took 48 steps for 3 epochs of 1000 samples, expected 63",
        ),
        (
            "test_train_uses_make_dataset_on_the_training_device",
            "train called make_dataset with batch_size=64, expected 48",
        ),
    ],
    "configure_raises": [
        (
            "test_configure_gpus_before_initialization",
            "raised IndexError: list index out of range in a fresh process on a machine without GPUs",
        )
    ],
    "float16_softmax": [
        (
            "test_build_model_mixed_precision_keeps_softmax_output_float32",
            "the softmax output is float16 under mixed precision",
        )
    ],
    "no_prefetch": [
        ("test_make_dataset_prefetches_last", "does not end with prefetch (its last step is BatchDataset)")
    ],
    "wrong_units": [
        (
            "test_build_model_computes_the_network",
            "wrong architecture: the hidden Dense layer has 64 units, expected 128",
        )
    ],
    "seed_program": [
        (
            "test_build_model_mixed_precision_computes_in_float16_with_float32_variables",
            "with mixed precision the hidden Dense layer should compute in float16",
        )
    ],
    "fit_on_arrays": [
        (
            "test_train_uses_make_dataset_on_the_training_device",
            "train did not build its input pipeline with make_dataset: call make_dataset(x_train, y_train, batch_size, "
            "training=True) and feed model.fit the dataset make_dataset returns, not the numpy arrays",
        )
    ],
}

# pytest, with a plugin that says at the end which of these modules the suite's own process imported
WATCHED_PYTEST = r"""
import sys
import pytest

WATCHED = ("tensorflow", "keras", "submission", "quiz_probes")


class Watch:
    def pytest_unconfigure(self):
        print("TRUSTED-IMPORTS", sorted(name for name in WATCHED if name in sys.modules))


sys.exit(pytest.main(sys.argv[1:], plugins=[Watch()]))
"""


def run_gpu_training(submission: Path, folder: Path, tests: list[str] = ()) -> subprocess.CompletedProcess:
    """The gpu_training suite (or only `tests` of it) on `submission`, from the project root, as documented, by a
    pytest that prints "TRUSTED-IMPORTS [...]" last (its script is written to `folder`)."""
    script = folder / "watched_pytest.py"
    script.write_text(WATCHED_PYTEST)
    targets = [f"{GPU_TRAINING_TESTS}::{test}" for test in dict.fromkeys(tests)] or ["exercises/gpu_training"]
    command = [
        sys.executable,
        str(script),
        *targets,
        "-p",
        "no:cacheprovider",
        *UNUSED_PLUGINS,
        "-q",
        "--submission",
        str(submission),
    ]
    return run_pytest(command, cwd=ROOT, timeout=SUITE_TIMEOUT_S)


def documented_tests() -> dict[str, tuple[int, str]]:
    """{test: (points, verdict)} from the table under "What the tests check" in the exercise's README."""
    readme = (ROOT / "exercises" / "gpu_training" / "README.md").read_text()
    rows = re.findall(r"^\| `(test_\w+)`(?: \(`gpu`\))? \| (\d+) \| (recomputed|reported) \|", readme, re.MULTILINE)
    return {name: (int(points), verdict) for name, points, verdict in rows}


def test_gpu_training_grader_gives_the_points_and_verdicts_the_readme_documents():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz",
            "grade",
            "gpu_training",
            str(ROOT / "exercises" / "gpu_training" / "reference.py"),
            "--format",
            "json",
            "--timeout",
            "300",
        ],
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_S,
        cwd=ROOT,
    )
    assert done.stdout, done.stderr[-3000:]
    (result,) = json.loads(done.stdout)["results"]
    assert result["status"] == "pass", result["message"]
    graded = {test["name"].split("::")[1]: (test["weight"], test["verdict"]) for test in result["tests"]}
    assert graded == documented_tests()


def test_every_gpu_training_solution_is_checked():
    assert set(GPU_TRAINING_WRONG) == wrong_solutions("gpu_training") and len(GPU_TRAINING_CORRECT) == 5


@pytest.mark.parametrize("fixture", GPU_TRAINING_CORRECT)
def test_gpu_training_suite_passes_every_correct_solution(fixture, tmp_path):
    result = run_gpu_training(GPU_TRAINING_FIXTURES / "correct" / f"{fixture}.py", tmp_path)
    assert result.returncode == 0, describe(result)
    report, _, imported = result.stdout.rpartition("TRUSTED-IMPORTS ")
    found = counts(report)
    assert found["passed"] >= 20 and found["failed"] == 0 and found["error"] == 0, report[-2000:]
    assert imported.strip() == "[]", f"the suite's own process imported {imported.strip()}"


@pytest.mark.parametrize("name", sorted(GPU_TRAINING_WRONG), ids=lambda name: name.replace("/", "-"))
def test_gpu_training_suite_rejects_the_wrong_solution_and_names_the_mistake(name, tmp_path):
    if name in ONLY_WITHOUT_GPU and _has_gpu():
        pytest.skip("this mistake only shows on a machine without GPUs")
    expected = GPU_TRAINING_WRONG[name]
    submission = wrong_solution("gpu_training", name, tmp_path)
    result = run_gpu_training(submission, tmp_path, [test for test, _ in expected])
    assert result.returncode == 1, f"the suite did not fail:\n{describe(result)}"
    assert "TRUSTED-IMPORTS []" in result.stdout, result.stdout[-500:]
    for failing_test, message in expected:
        assert f"::{failing_test} " in result.stdout or f"::{failing_test}\n" in result.stdout, (
            f"{failing_test} did not fail:\n{result.stdout[-3000:]}"
        )
        assert message in result.stdout, f"no {message!r} in the report:\n{result.stdout[-4000:]}"
