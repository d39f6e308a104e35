"""Suite of the multi_worker exercise: `pytest exercises/multi_worker --submission FILE`.

Everything runs on real clusters: worker processes on 127.0.0.1 started through quiz.exercises.launcher, one after
the other: a 1-worker run (one SGD step, plus compute_loss and make_dataset called on small known inputs), a
2-worker run (the same step, then EPOCHS epochs), and a 2-worker run in which worker 1 ends itself during
training (the run must fail and name it, not hang). The workers write what they saw to files this suite reads and
judges. This process never imports TensorFlow: a grader limits the memory of all of a submission's processes
together, and each TensorFlow process holds ~700 MB. Every wait is bounded. Needs only loopback and this file
(no conftest), so it also runs copied elsewhere with only quiz.grading.plugin loaded.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from quiz.exercises.launcher import Outcome, run_cluster
from quiz.exercises.worker import DIE_EXIT_STATUS
from quiz.grading.plugin import submission_path

GLOBAL_BATCH = 64
EPOCHS = 3
CLUSTER_TIMEOUT = 240.0  # seconds for one cluster run; a run takes about 15 s on 2 cores
SAME_WEIGHTS_ATOL = 1e-6
ONE_STEP_ATOL = 1e-5  # measured difference: ~1e-8


class Run:
    """One finished cluster run and what its workers wrote."""

    def __init__(self, outcome: Outcome, workers: int):
        self.outcome = outcome
        self.workers = workers

    def result(self, index: int) -> dict:
        path = self.outcome.out_dir / f"worker-{index}" / "result.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def weights(self, index: int, name: str) -> list[np.ndarray]:
        path = self.outcome.out_dir / f"worker-{index}" / f"{name}.npz"
        if not path.is_file():
            pytest.fail(f"worker {index} wrote no {name} weights: {self.outcome.reason}", pytrace=False)
        with np.load(path) as arrays:
            return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]

    def require_finished(self) -> None:
        if not self.outcome.ok:
            pytest.fail(f"the {self.workers}-worker run did not finish: {self.outcome.reason}", pytrace=False)

    def probe(self, name: str) -> dict:
        found = self.result(0).get("probes", {}).get(name)
        if found is None:
            pytest.fail(f"the worker did not get to call {name}: {self.outcome.reason}", pytrace=False)
        if "error" in found:
            pytest.fail(f"{name} raised {found['error']}", pytrace=False)
        return found


def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, workers: int,
        options: list[str]) -> Run:
    submission = submission_path(request.config, Path(request.path))
    if not submission.is_file():
        pytest.fail(f"submission not found: {submission}", pytrace=False)
    out = tmp_path_factory.mktemp(f"multi_worker_{workers}")
    outcome = run_cluster(submission, workers, out, options=options, timeout=CLUSTER_TIMEOUT)
    if outcome.attempts > 1:
        warnings.warn(f"the {workers}-worker run was retried after: {'; '.join(outcome.earlier_failures)}")
    return Run(outcome, workers)


@pytest.fixture(scope="module")
def single(request, tmp_path_factory) -> Run:
    """1 worker: the probes of compute_loss and make_dataset, and one SGD step on the first global batch."""
    return run(request, tmp_path_factory, 1,
               ["--probe", "--one-step", "--epochs", "0", "--global-batch-size", str(GLOBAL_BATCH)])


@pytest.fixture(scope="module")
def broken_pair(request, tmp_path_factory) -> Run:
    """2 workers set to train for many epochs; worker 1 ends itself one second into training."""
    return run(request, tmp_path_factory, 2,
               ["--epochs", "500", "--global-batch-size", str(GLOBAL_BATCH), "--die-during-training", "1",
                "--die-after", "1"])


@pytest.fixture(scope="module")
def pair(request, tmp_path_factory) -> Run:
    """2 workers: the same SGD step, then EPOCHS epochs on 1,024 digits."""
    return run(request, tmp_path_factory, 2,
               ["--one-step", "--epochs", str(EPOCHS), "--global-batch-size", str(GLOBAL_BATCH)])


# --- the pieces, called by a worker on small known inputs --------------------------------------------------------

def test_compute_loss_divides_by_the_global_batch(single):
    probe = single.probe("compute_loss")
    labels, predictions = np.array(probe["labels"]), np.array(probe["predictions"])
    global_batch, local = probe["global_batch_size"], len(labels)
    assert probe["shape"] == [], f"compute_loss must return a scalar, got shape {tuple(probe['shape'])}"
    per_example = -np.log(predictions[np.arange(local), labels])
    value, expected = probe["value"], per_example.sum() / global_batch
    if np.isclose(value, per_example.mean(), rtol=1e-4):
        pytest.fail(f"compute_loss averages over the {local} examples of this replica (a reduce_mean), not over the "
                    f"global batch of {global_batch}: the all-reduce sums the workers' gradients, so they come out "
                    "2x too large with 2 workers. Divide the summed per-example losses by global_batch_size "
                    "(tf.nn.compute_average_loss(per_example_loss, global_batch_size=...)).", pytrace=False)
    assert np.isclose(value, expected, rtol=1e-4), (
        f"compute_loss gave {value:.6f}; the per-example cross-entropy summed and divided by the global "
        f"batch of {global_batch} is {expected:.6f}")


def test_make_dataset_gives_each_pipeline_its_own_shard(single):
    probe = single.probe("make_dataset")
    count, pipelines, global_batch = probe["count"], probe["pipelines"], probe["global_batch_size"]
    per_replica = global_batch // pipelines
    for pipeline, batches in enumerate(probe["batches"]):
        sizes = sorted({len(batch) for batch in batches})
        assert sizes == [per_replica], (
            f"input pipeline {pipeline} yields batches of {sizes} examples; each replica's batch must be "
            f"input_context.get_per_replica_batch_size({global_batch}) = {per_replica}")
    seen = [{i for batch in batches for i in batch} for batches in probe["batches"]]
    shared = sorted(seen[0] & seen[1])
    if shared:
        pytest.fail(f"input pipelines 0 and 1 both read {len(shared)} of the {count} examples (no sharding): "
                    "every worker trains on the same data. Shard in make_dataset with dataset.shard("
                    "input_context.num_input_pipelines, input_context.input_pipeline_id).", pytrace=False)
    missing = sorted(set(range(count)) - seen[0] - seen[1])
    assert not missing, f"no input pipeline read examples {missing[:10]}: the shards must cover the data"


# --- on real clusters --------------------------------------------------------------------------------------------

def test_make_strategy_joins_the_cluster_from_tf_config(pair):
    for index in range(2):
        result = pair.result(index)
        if result.get("multi_worker") is False:
            pytest.fail(f"make_strategy() returned {result['strategy']}, not MultiWorkerMirroredStrategy",
                        pytrace=False)
        if "replicas" not in result:
            pytest.fail(f"worker {index} did not create its strategy: {pair.outcome.reason}", pytrace=False)
        assert result["replicas"] == 2, (
            f"worker {index}'s strategy has {result['replicas']} replica(s) in sync, expected 2 (one per worker): "
            "create MultiWorkerMirroredStrategy() with the cluster from TF_CONFIG")


def test_every_worker_finishes(single, pair):
    for finished in (single, pair):
        finished.require_finished()


def test_model_and_optimizer_are_built_inside_the_strategy_scope(single, pair):
    outside: set[str] = set()
    for finished in (single, pair):
        for index in range(finished.workers):
            for job in finished.result(index).get("jobs", {}).values():
                outside |= {v["name"] for v in job.get("variables", []) if not v["in_strategy_scope"]}
    if outside:
        pytest.fail(f"train() created variables outside strategy.scope() ({', '.join(sorted(outside))}): they are "
                    "plain per-worker variables, not mirrored, and their gradients are not all-reduced. Build the "
                    "model and the optimizer inside `with strategy.scope():`.", pytrace=False)
    pair.require_finished()
    types = {t for i in range(2) for t in pair.result(i)["jobs"]["train"]["variable_types"]}
    assert types == {"MirroredVariable"}, f"the model's variables are {sorted(types)}, expected MirroredVariable"


def test_workers_end_with_identical_weights(pair):
    pair.require_finished()
    first, second = pair.weights(0, "train"), pair.weights(1, "train")
    gaps = [float(np.abs(a - b).max()) for a, b in zip(first, second)]
    assert max(gaps) <= SAME_WEIGHTS_ATOL, (
        f"after training, workers 0 and 1 hold different weights (largest gap {max(gaps):.3g}): they did not "
        "apply the same all-reduced updates")


def test_loss_falls(pair):
    pair.require_finished()
    losses = pair.result(0)["jobs"]["train"]["losses"]
    assert losses[-1] < 0.7 * losses[0], f"the loss per epoch did not fall enough over {EPOCHS} epochs: {losses}"


def test_two_workers_with_batch_b_step_like_one_worker_with_batch_2b(single, pair):
    for finished in (single, pair):
        finished.require_finished()
    start = single.weights(0, "one-step-initial")
    one, two = single.weights(0, "one-step"), pair.weights(0, "one-step")
    gaps = [float(np.abs(a - b).max()) for a, b in zip(one, two)]
    if max(gaps) <= ONE_STEP_ATOL:
        return
    update_single = np.sqrt(sum(float(((a - s) ** 2).sum()) for a, s in zip(one, start)))
    update_pair = np.sqrt(sum(float(((b - s) ** 2).sum()) for b, s in zip(two, start)))
    ratio = update_pair / update_single if update_single else float("inf")
    if abs(ratio - 2) < 0.05:
        cause = ("the 2 workers' gradients were summed without dividing by the global batch: scale each replica's "
                 "loss by the global batch size")
    else:
        cause = "each worker must train on its own shard with a per-replica batch of global_batch_size / workers"
    pytest.fail(f"one SGD step with 2 workers x {GLOBAL_BATCH // 2} examples differs from one step with 1 worker x "
                f"{GLOBAL_BATCH} examples (largest gap {max(gaps):.3g}; the 2-worker update is {ratio:.2f}x the "
                f"1-worker one): {cause}.", pytrace=False)


def test_a_worker_that_dies_fails_the_run_instead_of_hanging_it(broken_pair):
    """Worker 0 is left waiting in an all-reduce for a peer that is gone: the run must end, failed, naming
    worker 1, long before the cluster's time limit."""
    outcome, survivor, dying = broken_pair.outcome, broken_pair.result(0), broken_pair.result(1)
    if "train" not in dying.get("jobs", {}):
        pytest.fail(f"the workers never started training, so a worker could not die during it: {outcome.reason}",
                    pytrace=False)
    if dying.get("status") == "failed":
        pytest.fail(f"worker 1 failed on its own before it could die: {dying.get('error')}", pytrace=False)
    assert not outcome.timed_out, f"the run hung until the time limit: {outcome.reason}"
    assert not outcome.ok and outcome.failed_worker == 1, outcome.reason
    assert f"exit status {DIE_EXIT_STATUS}" in outcome.reason, outcome.reason
    assert survivor["jobs"]["train"]["status"] != "ok", "worker 0 finished 500 epochs without its peer"
