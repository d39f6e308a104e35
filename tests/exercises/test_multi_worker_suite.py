"""The multi_worker exercise's suite judges solutions the way a candidate relies on: it passes the reference and every
correct solution (however it shards, loops or averages, as long as it keeps the contract), and it rejects the
starter and each classic mistake with a message that names the mistake. `quiz grade` reaches the same verdicts as
`pytest exercises/multi_worker`.

Each run of the suite starts its clusters inside the submission's sandbox (two of them, one after the other: about
20 s on 2 cores). To keep CI's time, the reference and the starter run the whole suite, and each other solution runs
only the tests its verdict needs, chosen with `-k` by the clusters those tests use (CHEAP: the 1-worker cluster, the
2-worker one, or both); three of the six correct fixtures run only on demand (CORRECT). The wrong solutions are the
reference with one mistake (mutants.py) and whole files under fixtures/multi_worker/wrong/.
`QUIZ_MULTI_WORKER_ALL=1` runs every solution through the whole suite instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .mutants import wrong_solution, wrong_solutions
from .suite_process import UNUSED_PLUGINS, describe, run_pytest

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = ROOT / "exercises" / "multi_worker"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "multi_worker"
SUITE_TIMEOUT = 600
GRADE_TIMEOUT = 300  # quiz grade's own limit for the submission (the default 120 s is tight on a busy 2-core CI)
ALL_ENV = "QUIZ_MULTI_WORKER_ALL"
# -k selections by the clusters the tests use (test_multi_worker.py's fixtures single and pair; "": every test)
CHEAP = {
    "pair": "make_strategy or scope or two_workers or identical or training_follows or each_epoch",
    "single": "compute_loss or make_dataset or one_worker_takes",
    "single+pair": "",
}

pytestmark = pytest.mark.slow


def outcomes(output: str) -> dict[str, str]:
    """test name -> PASSED/FAILED/ERROR from pytest's -rA summary."""
    found = re.findall(r"^(PASSED|FAILED|ERROR) \S+::(\w+)", output, flags=re.MULTILINE)
    return {name: status for status, name in found}


def selection(clusters: str) -> list[str]:
    return [] if os.environ.get(ALL_ENV) or not CHEAP[clusters] else ["-k", CHEAP[clusters]]


def run_suite_in_place(submission: Path | None, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", str(EXERCISE), "-rA", "-p", "no:cacheprovider", *UNUSED_PLUGINS, *extra]
    if submission is not None:
        command += ["--submission", str(submission)]
    return run_pytest(command, cwd=ROOT, timeout=SUITE_TIMEOUT)


def run_suite_like_the_grader(submission: Path, workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    """The suite copied out of the project (tests/ with probes.py, and reference.py, which marks the exercise's
    folder for the plugin), plugin autoload off, only quiz.grading.plugin loaded, a scrubbed environment."""
    tests = workdir / "tests"
    shutil.copytree(EXERCISE / "tests", tests, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(EXERCISE / "reference.py", workdir / "reference.py")
    candidate = workdir / "submission.py"
    shutil.copyfile(submission, candidate)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "LANG": "C.UTF-8", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(tests),
        "--submission",
        str(candidate),
        "-rA",
        "-p",
        "quiz.grading.plugin",
        "-p",
        "no:cacheprovider",
        "--noconftest",
        "--rootdir",
        str(workdir),
        *extra,
    ]
    return run_pytest(command, cwd=workdir, env=env, timeout=SUITE_TIMEOUT)


def test_the_reference_passes_every_test_and_quiz_grade_agrees(tmp_path):
    """One test, so that xdist does not run the reference's suite twice at once."""
    result = run_suite_in_place(None)
    statuses = outcomes(result.stdout)
    assert result.returncode == 0, describe(result)
    assert len(statuses) >= 11 and set(statuses.values()) == {"PASSED"}, statuses

    report = tmp_path / "grade.json"
    graded = subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz",
            "grade",
            "multi_worker",
            str(EXERCISE / "reference.py"),
            "--format",
            "json",
            "--output",
            str(report),
            "--timeout",
            str(GRADE_TIMEOUT),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=GRADE_TIMEOUT + 120,
    )
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    (submission,) = json.loads(report.read_text())["results"]
    verdicts = {test["name"].rsplit("::", 1)[-1]: test["status"] for test in submission["tests"]}
    assert verdicts == {name: "pass" for name in statuses}, verdicts
    kinds = {test["name"].rsplit("::", 1)[-1]: test["verdict"] for test in submission["tests"]}
    assert set(kinds.values()) == {"recomputed", "reported"}, kinds


def test_the_starter_fails_every_test_with_not_implemented():
    result = run_suite_in_place(EXERCISE / "starter.py")
    statuses = outcomes(result.stdout)
    assert result.returncode == 1, result.stdout[-4000:]
    assert statuses and set(statuses.values()) == {"FAILED"}, statuses
    assert "NotImplementedError" in result.stdout


# correct fixture -> the clusters it runs by default; None: only with QUIZ_MULTI_WORKER_ALL=1 (skipped otherwise).
# By default: the two whose make_dataset shards otherwise than the reference (contiguous blocks; batches before
# shards) with the 1-worker run's probes too, and the eager loop on the 2-worker run; the other three keep the
# reference's data path and a tf.function step, which the reference already exercises.
CORRECT = {
    "batch_then_shard.py": "single+pair",
    "epoch_in_tf_function.py": "single+pair",
    "eager_loop.py": "pair",
    "explicit_options.py": None,
    "stacked_step_losses.py": None,
    "tf_function_step.py": None,
}


@pytest.mark.parametrize("fixture", sorted(CORRECT))
def test_a_correct_solution_passes(fixture):
    clusters = CORRECT[fixture]
    if clusters is None and not os.environ.get(ALL_ENV):
        pytest.skip(f"one of the extra correct fixtures: {ALL_ENV}=1 runs it (CI time)")
    result = run_suite_in_place(FIXTURES / "correct" / fixture, *selection(clusters or "single+pair"))
    statuses = outcomes(result.stdout)
    assert result.returncode == 0, describe(result)
    assert len(statuses) >= 6 and set(statuses.values()) == {"PASSED"}, statuses


# a mutant's name or wrong/<file> -> (the clusters it runs by default, the test that must fail, [(the clusters a
# phrase needs, a phrase its report must contain)])
WRONG = {
    "wrong/last_batch_loss": (
        "pair",
        "test_each_epoch_reports_the_mean_of_its_global_batch_losses",
        [
            ("pair", "the reported epoch loss is not the mean of the epoch's batch losses"),
            ("pair", "it is the loss of the epoch's last global batch only"),
        ],
    ),
    "wrong/loss_count_not_reset": (
        "pair",
        "test_each_epoch_reports_the_mean_of_its_global_batch_losses",
        [
            ("pair", "for epoch 2, but the mean"),
            ("pair", "the reported epoch loss is not the mean of the epoch's batch losses"),
            ("pair", "divided by all the global batches since training began (32), not by this epoch's 16: reset"),
        ],
    ),
    "wrong/loss_mean_over_replica_batches": (
        "pair",
        "test_each_epoch_reports_the_mean_of_its_global_batch_losses",
        [
            ("pair", "the reported epoch loss is not the mean of the epoch's batch losses"),
            ("pair", "divided by the number of per-replica batches (32), not by the 16 global batches"),
        ],
    ),
    "wrong/shuffled_shards": (
        "single",
        "test_make_dataset_keeps_the_examples_in_order",
        [
            ("single", "input pipeline 0 yields its examples out of order"),
            ("single", "without shuffling"),
            ("pair", "worker 0 read its shard out of order: make_dataset must keep the examples in the order given"),
        ],
    ),
    "reduce_mean_loss": (
        "single",
        "test_compute_loss_divides_by_the_global_batch",
        [
            ("single", "averages over the 8 examples of this replica (a reduce_mean)"),
            (
                "pair",
                "the 2-worker update is 2.00x the expected one): the 2 workers' gradients were summed without "
                "dividing by the global batch",
            ),
        ],
    ),
    "model_outside_scope": (
        "pair",
        "test_model_and_optimizer_are_built_inside_the_strategy_scope",
        [
            ("pair", "train() created variables outside strategy.scope() (bias, iteration, kernel"),
            ("pair", "Build the model and the optimizer inside `with strategy.scope():`"),
        ],
    ),
    "no_sharding": (
        "single",
        "test_make_dataset_gives_each_pipeline_its_own_shard",
        [
            ("single", "input pipelines 0 and 1 both read 64 of the 64 examples (no sharding)"),
            ("pair", "differs from one step with 1 worker x 64 examples"),
            ("pair", "the workers read 1024 examples more than once (the shards overlap"),
        ],
    ),
    "worker_one_crashes": (
        "pair",
        "test_workers_end_with_identical_weights",
        [("pair", "the 2-worker run did not finish: worker 1 failed (exit status 3)")],
    ),
}


def test_every_solution_is_checked():
    assert set(WRONG) == wrong_solutions("multi_worker")
    assert {path.name for path in (FIXTURES / "correct").glob("*.py")} == set(CORRECT)


@pytest.mark.parametrize("name", sorted(WRONG))
def test_the_suite_names_the_mistake_of_a_wrong_solution(name, tmp_path):
    clusters, test_name, messages = WRONG[name]
    written = tmp_path / "mutant"
    written.mkdir()
    submission = wrong_solution("multi_worker", name, written)
    result = run_suite_like_the_grader(submission, tmp_path / "suite", *selection(clusters))
    statuses = outcomes(result.stdout)
    assert result.returncode == 1, describe(result)
    assert statuses.get(test_name) == "FAILED", statuses
    assert "PASSED" in statuses.values(), f"only the mistake should fail, not everything: {statuses}"
    ran = {"single", "pair"} if os.environ.get(ALL_ENV) else set(clusters.split("+"))
    for needs, message in messages:
        if set(needs.split("+")) <= ran:
            assert message in result.stdout, result.stdout[-4000:]


def test_the_exercise_folder_is_complete():
    for name in ("README.md", "starter.py", "reference.py", "tests/test_multi_worker.py", "tests/probes.py"):
        assert (EXERCISE / name).is_file(), name
    readme = (EXERCISE / "README.md").read_text(encoding="utf-8")
    for needle in ("make_strategy", "make_dataset", "compute_loss", "train", "TF_CONFIG", "quiz exercise run"):
        assert needle in readme, needle
    assert re.search(r"[\u4e00-\u9fff]", readme), "the statement must also be in Chinese"


def test_the_readme_lists_every_test_with_its_verdict():
    """The 'What the tests check' tables (zh and en) name every test of the suite with the verdict its mark gives."""
    suite = (EXERCISE / "tests" / "test_multi_worker.py").read_text(encoding="utf-8")
    marked = dict(
        (name, kind) for kind, name in re.findall(r'@pytest\.mark\.verdict\("(\w+)"\)\ndef (test_\w+)', suite)
    )
    assert marked and len(marked) == len(re.findall(r"^def test_", suite, flags=re.MULTILINE)), marked
    readme = (EXERCISE / "README.md").read_text(encoding="utf-8")
    words = {"recomputed": ("recomputed", "重算"), "reported": ("reported", "报告")}
    for name, kind in marked.items():
        rows = re.findall(rf"^\| `{name}` \|.*\| (\S+) \|$", readme, flags=re.MULTILINE)
        assert sorted(rows) == sorted(words[kind]), (name, kind, rows)


def test_each_cheap_selection_starts_only_its_clusters():
    """A `-k` word that also matches another test's name would start a cluster the selection means to skip."""
    import ast

    tree = ast.parse((EXERCISE / "tests" / "test_multi_worker.py").read_text(encoding="utf-8"))
    clusters = {"single": "single", "pair": "pair", "trajectory": "pair"}
    uses = {
        node.name: {clusters[arg.arg] for arg in node.args.args if arg.arg in clusters}
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }

    def selected(expression: str) -> set[str]:
        if not expression:
            return set(uses)
        words = expression.split(" or ")
        return {name for name in uses if any(word in name for word in words)}

    for wanted, expression in CHEAP.items():
        started = set().union(*(uses[name] for name in selected(expression)))
        assert started == set(wanted.split("+")), (wanted, expression, started)
