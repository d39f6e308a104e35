"""Suite of the multi_worker exercise: `pytest exercises/multi_worker --submission FILE`.

This process never imports the submission, nor TensorFlow. Everything the submission does happens on real clusters
of worker processes on 127.0.0.1, started inside the submission's sandbox by the probe `run_cluster` (probes.py),
one cluster after the other: a 1-worker run (compute_loss and make_dataset called on small inputs, then one SGD
step), a 2-worker run (the same step, then EPOCHS epochs) and a 2-worker run in which worker 1 ends itself during
training (the run must fail and name it, not hang). What the workers wrote comes back as plain data.

Every input a verdict depends on is chosen here, from a seed drawn for the run ($QUIZ_MULTI_WORKER_SEED fixes it),
and sent to the workers: the training data (EXAMPLES of the shipped digits in a random order), the initial weights
(the model build_model() returns is set to them), the labels and probabilities given to compute_loss and the
examples given to make_dataset. This process then recomputes, with the NumPy network of quiz.exercises.mlp, what
the workers should have got: the loss, the shards, the one-step weights and the whole training trajectory (SGD
over the global batches the workers read, in order, which the worker records example by example), and the mean
loss of every epoch. Each test says how its verdict is reached: `recomputed` (checked against this computation: a
forger would have to do the work) or `reported` (a fact about TensorFlow objects that only a worker can see).
"""

from __future__ import annotations

import os
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from quiz.exercises import mlp
from quiz.exercises.datasets import load_digits
from quiz.exercises.worker_inputs import WEIGHT_KEYS
from quiz.grading.plugin import ProbeProxy, shared_process
from quiz.grading.remote import SubmissionError

SEED_ENV = "QUIZ_MULTI_WORKER_SEED"
GLOBAL_BATCH = 64
EPOCHS = 3
EXAMPLES = 1024  # 16 full global batches of 64: every replica's batch is full, so each global batch's loss is a mean
LEARNING_RATE = 0.1
LOSS_BATCH, LOSS_GLOBAL_BATCH = 8, 16  # compute_loss is given one replica's 8 examples of a global batch of 16
SHARD_EXAMPLES, SHARD_GLOBAL_BATCH, SHARD_PIPELINES = 64, 16, 2
CLUSTER_TIMEOUT = 240.0  # seconds for one cluster run; a run takes 10-20 s on 2 cores
# Tolerances: the workers compute in float32, this process in float64. Largest gaps measured on the reference and
# the correct fixtures of tests/exercises/fixtures/multi_worker/correct, over several seeds:
COMPUTE_LOSS_RTOL = 1e-5  # measured 4e-8 (relative)
ONE_STEP_ATOL = 1e-6  # measured 1.5e-8 (1 and 2 workers)
TRAJECTORY_ATOL = 1e-5  # 3 epochs, 48 steps: measured 1.2e-7 (the mistakes give 1e-2 and more)
EPOCH_LOSS_ATOL = 1e-5  # measured 1.5e-7 (the mistakes give 0.05 and more)
SAME_WEIGHTS_ATOL = 1e-6  # between the two workers: measured 0
# A ReLU whose input comes within float32 rounding of 0 can go the other way in the workers than here: that one
# example's gradient through that unit is then left out (or in), and the weights part by up to ~1e-3. Measured in
# TensorFlow: 1.4e-5 at a ReLU input of 6.9e-8 (reference's batches), 1.2e-5 at 9e-8 and 6e-4 at 6.7e-8 (2 of 16
# seeds with contiguous shards, whose global batches differ from the reference's); in a float32 simulation over 150
# seeds, up to 3.5e-4, always at inputs under 3e-7. So the suite picks inputs whose recomputed run on the
# reference's global batches keeps every ReLU input at least KINK_MARGIN from 0 (about 70% of seeds do: it draws
# again until one does), and a run whose own global batches come closer is checked with the KINK_ tolerances.
KINK_MARGIN = 1e-6
KINK_WEIGHTS_ATOL = 5e-3  # the mistakes give 1e-2 and more
KINK_LOSS_ATOL = 1e-3  # measured 2.5e-5 at the 6e-4 weights gap
DRAWS = 20  # seeds tried for inputs with the margin; the last one is used regardless


# --- the inputs, chosen here ------------------------------------------------------------------------------------


def glorot(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


@dataclass(repr=False)
class Inputs:
    seed: int
    x: np.ndarray  # (EXAMPLES, 784) float32 in [0, 1]
    y: np.ndarray  # (EXAMPLES,) int32
    initial: list[np.ndarray]  # what build_model()'s model starts from, in both jobs
    loss_labels: np.ndarray
    loss_predictions: np.ndarray
    shard_features: np.ndarray  # rows of random pixels: each row says which example it is
    shard_ids: np.ndarray  # the labels given to make_dataset: the example's index

    def __repr__(self) -> str:  # keeps failure reports short
        return f"<inputs of seed {self.seed}>"

    def arrays(self) -> dict:
        """What the workers get (quiz.exercises.worker_inputs.INPUT_KEYS): arrays, and numbers for the sizes."""
        return {
            "features": self.x,
            "labels": self.y,
            **dict(zip(WEIGHT_KEYS, self.initial)),
            "loss_labels": self.loss_labels,
            "loss_predictions": self.loss_predictions,
            "loss_global_batch_size": LOSS_GLOBAL_BATCH,
            "shard_features": self.shard_features,
            "shard_labels": self.shard_ids,
            "shard_global_batch_size": SHARD_GLOBAL_BATCH,
            "shard_pipelines": SHARD_PIPELINES,
        }


def choose_inputs(seed: int) -> Inputs:
    """The inputs of `seed`: the first of its draws whose recomputed training keeps its margin (KINK_MARGIN)."""
    digits = load_digits()
    for draw in range(DRAWS):
        rng = np.random.default_rng([seed, draw])
        order = rng.permutation(len(digits.y_train))[:EXAMPLES]  # the shipped digits' rows are all different
        x = digits.x_train[order].reshape(EXAMPLES, -1).astype(np.float32) / 255.0
        initial = [glorot(rng, 784, 128), np.zeros(128, np.float32), glorot(rng, 128, 10), np.zeros(10, np.float32)]
        in_order = [np.arange(k * GLOBAL_BATCH, (k + 1) * GLOBAL_BATCH) for k in range(EXAMPLES // GLOBAL_BATCH)]
        if sgd(initial, x, digits.y_train[order], in_order * EPOCHS).margin >= KINK_MARGIN:
            break
    logits = rng.normal(size=(LOSS_BATCH, 10))
    predictions = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return Inputs(
        seed,
        x,
        digits.y_train[order].astype(np.int32),
        initial,
        rng.integers(0, 10, size=LOSS_BATCH).astype(np.int32),
        predictions.astype(np.float32),
        rng.random((SHARD_EXAMPLES, 784), dtype=np.float32),
        np.arange(SHARD_EXAMPLES, dtype=np.int32),
    )


@dataclass
class Recomputed:
    """SGD recomputed here (quiz.exercises.mlp) over global batches of example ids, from the suite's initial
    weights: the final weights, each step's loss, and how close any ReLU input came to 0 on the way."""

    final: list[np.ndarray]
    step_losses: list[float]
    margin: float


def sgd(initial: list[np.ndarray], x: np.ndarray, y: np.ndarray, steps: list[np.ndarray]) -> Recomputed:
    weights, losses, margin = initial, [], np.inf
    for ids in steps:
        hidden = x[ids].astype(np.float64) @ weights[0].astype(np.float64) + weights[1]
        margin = min(margin, float(np.abs(hidden).min()))
        weights, (loss,) = mlp.sgd_trajectory(weights, [(x[ids], y[ids])], LEARNING_RATE)
        losses.append(loss)
    return Recomputed(weights, losses, margin)


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    return choose_inputs(int(os.environ.get(SEED_ENV) or secrets.randbelow(2**31)))


@pytest.fixture(autouse=True)
def say_the_seed(inputs: Inputs) -> None:
    """Shown with a failing test's output: how to run the suite again on the same inputs."""
    print(f"inputs from seed {inputs.seed} (set {SEED_ENV}={inputs.seed} to choose the same ones again)")


# --- the clusters, run in the submission's sandbox --------------------------------------------------------------


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


class Run:
    """One finished cluster run: how it ended and what each worker wrote (data from the sandbox: looked at, never
    trusted)."""

    def __init__(self, reply: dict, workers: int):
        self.reply = _dict(reply)
        self.workers = workers
        files = self.reply.get("workers")
        self.files = [_dict(item) for item in files] if isinstance(files, list) else []
        self.files += [{}] * (workers - len(self.files))

    @property
    def ok(self) -> bool:
        return self.reply.get("ok") is True

    @property
    def reason(self) -> str:
        return str(self.reply.get("reason", "the probe gave no reason"))

    def result(self, index: int) -> dict:
        return _dict(self.files[index].get("result"))

    def job(self, index: int, name: str) -> dict:
        return _dict(_dict(self.result(index).get("jobs")).get(name))

    def weights(self, index: int, name: str) -> list[np.ndarray]:
        found = _dict(self.files[index].get("arrays")).get(name)
        if found is None:
            pytest.fail(
                f"worker {index} of the {self.workers}-worker run wrote no {name} weights: {self.reason}", pytrace=False
            )
        try:
            return mlp.check_weights(found)
        except mlp.WeightsError as exc:
            pytest.fail(
                f"the model train() returned is not the exercise's network ({exc}): keep build_model() as it is given",
                pytrace=False,
            )

    def arrays(self, index: int, name: str) -> dict:
        return _dict(_dict(self.files[index].get("arrays")).get(name))

    def require_finished(self) -> None:
        if not self.ok:
            pytest.fail(f"the {self.workers}-worker run did not finish: {self.reason}", pytrace=False)

    def probe(self, name: str) -> dict:
        found = _dict(self.result(0).get("probes")).get(name)
        if found is None:
            pytest.fail(f"the worker did not get to call {name}: {self.reason}", pytrace=False)
        found = _dict(found)
        if "error" in found:
            pytest.fail(f"{name} raised {found['error']}", pytrace=False)
        return found

    def reads(self, index: int, job: str) -> list:
        return self.job(index, job).get("reads") or []


def run(
    request: pytest.FixtureRequest, workers: int, options: dict, inputs: Inputs, *, meant_to_fail: bool = False
) -> Run:
    probes = ProbeProxy(shared_process(request.config, Path(__file__)))
    try:
        reply = probes.run_cluster(workers, options, inputs.arrays(), timeout=CLUSTER_TIMEOUT)
    except SubmissionError as exc:
        pytest.fail(f"the cluster probe failed: {exc}", pytrace=False)
    found = Run(reply, workers)
    if found.reply.get("attempts", 1) != 1:
        warnings.warn(f"the {workers}-worker run was retried after: {found.reply.get('earlier_failures')}")
    if not found.ok and not meant_to_fail:
        for index, tail in enumerate(found.reply.get("tails") or []):
            print(f"--- worker {index}'s last lines ---", *(tail if isinstance(tail, list) else []), sep="\n")
    return found


@pytest.fixture(scope="module")
def single(request, inputs) -> Run:
    """1 worker: the probes of compute_loss and make_dataset, and one SGD step on the first global batch."""
    return run(
        request,
        1,
        {
            "probe": True,
            "one_step": True,
            "record_reads": True,
            "epochs": 0,
            "global_batch_size": GLOBAL_BATCH,
            "learning_rate": LEARNING_RATE,
        },
        inputs,
    )


@pytest.fixture(scope="module")
def pair(request, inputs) -> Run:
    """2 workers: the same SGD step, then EPOCHS epochs on the EXAMPLES digits."""
    return run(
        request,
        2,
        {
            "one_step": True,
            "record_reads": True,
            "epochs": EPOCHS,
            "global_batch_size": GLOBAL_BATCH,
            "learning_rate": LEARNING_RATE,
        },
        inputs,
    )


# --- what the workers read, and the training recomputed from it -------------------------------------------------


@dataclass
class Layout:
    """The global batches of one job, from what each worker's input pipeline recorded it read: step k's global
    batch is batch k of every pipeline. `problems` lists how the reads break make_dataset's contract."""

    steps: list[np.ndarray] = field(default_factory=list)  # example ids of each global batch, in order
    problems: list[str] = field(default_factory=list)
    unusable: str | None = None  # why no global batches could be made of the reads


def layout(finished: Run, job: str, epochs: int, count: int) -> Layout:
    workers, per_replica = finished.workers, GLOBAL_BATCH // finished.workers
    epochs_read = []
    for index in range(workers):
        batches = finished.reads(index, job)
        if not (
            isinstance(batches, list)
            and batches
            and all(isinstance(b, list) and all(type(i) is int for i in b) for b in batches)
        ):
            return Layout(unusable=f"worker {index}'s input pipeline recorded no batches in the {job} job")
        if any(not 0 <= i < count for batch in batches for i in batch):
            return Layout(
                unusable=f"worker {index}'s input pipeline yielded examples that are not rows of the "
                "features given to make_dataset: pass them on unchanged (float32, (N, 784))"
            )
        if len(batches) % epochs:
            return Layout(
                unusable=f"worker {index}'s input pipeline yielded {len(batches)} batches in {epochs} "
                "epochs: not the same number in every epoch"
            )
        size = len(batches) // epochs
        epochs_read.append([batches[e * size : (e + 1) * size] for e in range(epochs)])
    lengths = [len(read[0]) for read in epochs_read]
    if len(set(lengths)) > 1:
        return Layout(
            unusable=f"the workers' input pipelines yield {lengths} batches per epoch: each worker must "
            "yield as many batches as the others (shards of equal size)"
        )
    found = Layout()
    found.steps = [
        np.concatenate([np.asarray(read[e][k], dtype=np.int64) for read in epochs_read])
        for e in range(epochs)
        for k in range(lengths[0])
    ]
    sizes = sorted({len(batch) for read in epochs_read for epoch in read for batch in epoch})
    if sizes != [per_replica]:
        found.problems.append(
            f"the input pipelines yield batches of {sizes} examples; with {workers} worker(s) each replica's "
            f"batch must be input_context.get_per_replica_batch_size({GLOBAL_BATCH}) = {per_replica}"
        )
    for e in range(epochs):
        ids = np.concatenate([np.asarray(b, dtype=np.int64) for read in epochs_read for b in read[e]])
        repeated = len(ids) - len(np.unique(ids))
        if repeated:
            found.problems.append(
                f"in epoch {e + 1} the workers read {repeated} examples more than once (the "
                "shards overlap: every worker trains on the same data). Shard in make_dataset "
                "with input_context.num_input_pipelines and input_context.input_pipeline_id"
            )
        missing = count - len(np.unique(ids))
        if missing:
            found.problems.append(
                f"in epoch {e + 1} no worker read {missing} of the {count} examples: the shards must cover the data"
            )
        for index, read in enumerate(epochs_read):
            own = np.concatenate([np.asarray(b, dtype=np.int64) for b in read[e]])
            if len(own) > 1 and not np.all(np.diff(own) > 0):
                found.problems.append(
                    f"in epoch {e + 1} worker {index} read its shard out of order: make_dataset "
                    "must keep the examples in the order given (no shuffle)"
                )
        if found.problems:
            break
    return found


@dataclass
class Trajectory:
    """SGD from the suite's initial weights over the global batches the workers read, recomputed here."""

    layout: Layout
    final: list[np.ndarray] | None = None
    step_losses: list[float] = field(default_factory=list)
    margin: float = np.inf

    def epoch_losses(self, epochs: int) -> list[float]:
        per_epoch = len(self.step_losses) // epochs
        return [float(np.mean(self.step_losses[e * per_epoch : (e + 1) * per_epoch])) for e in range(epochs)]

    @property
    def near_a_kink(self) -> bool:
        return self.margin < KINK_MARGIN

    @property
    def weights_atol(self) -> float:
        return KINK_WEIGHTS_ATOL if self.near_a_kink else TRAJECTORY_ATOL

    @property
    def loss_atol(self) -> float:
        return KINK_LOSS_ATOL if self.near_a_kink else EPOCH_LOSS_ATOL


@pytest.fixture(scope="module")
def trajectory(pair, inputs) -> Trajectory:
    found = Trajectory(layout(pair, "train", EPOCHS, EXAMPLES))
    if found.layout.unusable is None:
        path = sgd(inputs.initial, inputs.x, inputs.y, found.layout.steps)
        found.final, found.step_losses, found.margin = path.final, path.step_losses, path.margin
    if found.near_a_kink:
        print(
            f"a ReLU input came within {found.margin:.2g} of 0 in the recomputed training: weights are compared "
            f"within {KINK_WEIGHTS_ATOL:g} and losses within {KINK_LOSS_ATOL:g}"
        )
    return found


def require_given_start(finished: Run, job: str) -> None:
    """The suite can recompute a job only if train() built its model with build_model() (which the worker sets
    to the suite's initial weights)."""
    for index in range(finished.workers):
        builds = finished.job(index, job).get("build_model_calls")
        if isinstance(builds, list) and not builds:
            pytest.fail(
                f"train() did not call build_model() on worker {index}: build the model with the given "
                "build_model() inside strategy.scope()",
                pytrace=False,
            )


def largest_gap(first: list[np.ndarray], second: list[np.ndarray]) -> float:
    return max(float(np.abs(a.astype(np.float64) - b).max()) for a, b in zip(first, second))


def update_ratio(got: list[np.ndarray], expected: list[np.ndarray], start: list[np.ndarray]) -> float:
    """How large the step taken is, relative to the step expected."""

    def norm(weights):
        return np.sqrt(sum(float(((w.astype(np.float64) - s) ** 2).sum()) for w, s in zip(weights, start)))

    return norm(got) / norm(expected) if norm(expected) else float("inf")


# --- the pieces, called by a worker on the suite's inputs -------------------------------------------------------


@pytest.mark.verdict("recomputed")
def test_compute_loss_divides_by_the_global_batch(single, inputs):
    probe = single.probe("compute_loss")
    labels, predictions = inputs.loss_labels, inputs.loss_predictions.astype(np.float64)
    assert probe.get("shape") == [], f"compute_loss must return a scalar, got shape {probe.get('shape')}"
    value = probe.get("value")
    assert isinstance(value, (int, float)) and np.isfinite(value), f"compute_loss gave {value!r}, not a number"
    per_example = -np.log(predictions[np.arange(LOSS_BATCH), labels])
    expected = per_example.sum() / LOSS_GLOBAL_BATCH
    if np.isclose(value, per_example.mean(), rtol=COMPUTE_LOSS_RTOL):
        pytest.fail(
            f"compute_loss averages over the {LOSS_BATCH} examples of this replica (a reduce_mean), not "
            f"over the global batch of {LOSS_GLOBAL_BATCH}: the all-reduce sums the workers' gradients, so "
            "they come out 2x too large with 2 workers. Divide the summed per-example losses by "
            "global_batch_size (tf.nn.compute_average_loss(per_example_loss, global_batch_size=...)).",
            pytrace=False,
        )
    assert np.isclose(value, expected, rtol=COMPUTE_LOSS_RTOL), (
        f"compute_loss gave {value:.6f}; the per-example cross-entropy summed and divided by the global "
        f"batch of {LOSS_GLOBAL_BATCH} is {expected:.6f}"
    )


def probe_shards(single: Run, inputs: Inputs) -> list[tuple[np.ndarray, list[int]]]:
    """Per input pipeline: the ids of the examples make_dataset yielded, in order, and its batch sizes, after
    checking that every example came with its own features."""
    probe = single.probe("make_dataset")
    arrays = single.arrays(0, "make_dataset")
    shards = []
    for pipeline in range(SHARD_PIPELINES):
        sizes = np.asarray(arrays.get(f"sizes_{pipeline}", np.zeros(0)))
        x = np.asarray(arrays.get(f"x_{pipeline}", np.zeros((0, 784))))
        y = np.asarray(arrays.get(f"y_{pipeline}", np.zeros(0)))
        if not len(sizes):
            pytest.fail(
                f"make_dataset gave input pipeline {pipeline} of {SHARD_PIPELINES} no batch ({probe.get('batches')})",
                pytrace=False,
            )
        if y.ndim != 1 or x.shape != (len(y), 784) or int(sizes.sum()) != len(y):
            pytest.fail(
                f"make_dataset's batches are not (features (n, 784), labels (n,)) pairs: input pipeline "
                f"{pipeline} gave features of shape {x.shape} and labels of shape {y.shape}",
                pytrace=False,
            )
        if not (np.issubdtype(y.dtype, np.integer) and ((y >= 0) & (y < SHARD_EXAMPLES)).all()):
            pytest.fail(
                f"make_dataset changed the labels it was given (input pipeline {pipeline} yields {y[:8].tolist()}...)",
                pytrace=False,
            )
        ids = y.astype(np.int64)
        if not np.array_equal(x, inputs.shard_features[ids]):
            pytest.fail(
                f"input pipeline {pipeline} yields examples whose features are not those of their label: "
                "make_dataset must keep each example's features with its label",
                pytrace=False,
            )
        shards.append((ids, [int(size) for size in sizes]))
    return shards


@pytest.mark.verdict("recomputed")
def test_make_dataset_gives_each_pipeline_its_own_shard(single, inputs):
    shards = probe_shards(single, inputs)
    per_replica = SHARD_GLOBAL_BATCH // SHARD_PIPELINES
    for pipeline, (_, sizes) in enumerate(shards):
        assert sorted(set(sizes)) == [per_replica], (
            f"input pipeline {pipeline} yields batches of {sorted(set(sizes))} examples; each replica's batch "
            f"must be input_context.get_per_replica_batch_size({SHARD_GLOBAL_BATCH}) = {per_replica}"
        )
    for pipeline, (ids, _) in enumerate(shards):
        repeated = len(ids) - len(np.unique(ids))
        assert not repeated, f"input pipeline {pipeline} yields {repeated} examples twice"
    shared = sorted(set(shards[0][0].tolist()) & set(shards[1][0].tolist()))
    if shared:
        pytest.fail(
            f"input pipelines 0 and 1 both read {len(shared)} of the {SHARD_EXAMPLES} examples (no "
            "sharding): every worker trains on the same data. Shard in make_dataset with dataset.shard("
            "input_context.num_input_pipelines, input_context.input_pipeline_id).",
            pytrace=False,
        )
    missing = sorted(set(range(SHARD_EXAMPLES)) - {int(i) for ids, _ in shards for i in ids})
    assert not missing, f"no input pipeline read examples {missing[:10]}: the shards must cover the data"


@pytest.mark.verdict("recomputed")
def test_make_dataset_keeps_the_examples_in_order(single, inputs):
    for pipeline, (ids, _) in enumerate(probe_shards(single, inputs)):
        assert len(ids) < 2 or np.all(np.diff(ids) > 0), (
            f"input pipeline {pipeline} yields its examples out of order ({ids[:10].tolist()}...): make_dataset "
            "must read its shard in the order given, without shuffling, so that every global batch is the same "
            "on every run and every worker"
        )


# --- on real clusters -------------------------------------------------------------------------------------------


@pytest.mark.verdict("reported")
def test_make_strategy_joins_the_cluster_from_tf_config(pair):
    for index in range(2):
        result = pair.result(index)
        if result.get("multi_worker") is False:
            pytest.fail(
                f"make_strategy() returned {result.get('strategy')}, not MultiWorkerMirroredStrategy", pytrace=False
            )
        if "replicas" not in result:
            pytest.fail(f"worker {index} did not create its strategy: {pair.reason}", pytrace=False)
        assert result["replicas"] == 2, (
            f"worker {index}'s strategy has {result['replicas']} replica(s) in sync, expected 2 (one per worker): "
            "create MultiWorkerMirroredStrategy() with the cluster from TF_CONFIG"
        )


@pytest.mark.verdict("reported")
def test_every_worker_finishes(single, pair):
    for finished in (single, pair):
        finished.require_finished()


@pytest.mark.verdict("reported")
def test_model_and_optimizer_are_built_inside_the_strategy_scope(pair):
    outside: set[str] = set()
    for index in range(2):
        for job in _dict(pair.result(index).get("jobs")).values():
            variables = _dict(job).get("variables")
            outside |= {
                str(_dict(v).get("name"))
                for v in (variables if isinstance(variables, list) else [])
                if not _dict(v).get("in_strategy_scope")
            }
    if outside:
        pytest.fail(
            f"train() created variables outside strategy.scope() ({', '.join(sorted(outside))}): they are "
            "plain per-worker variables, not mirrored, and their gradients are not all-reduced. Build the "
            "model and the optimizer inside `with strategy.scope():`.",
            pytrace=False,
        )
    pair.require_finished()
    types = {str(t) for i in range(2) for t in pair.job(i, "train").get("variable_types") or []}
    assert types == {"MirroredVariable"}, f"the model's variables are {sorted(types)}, expected MirroredVariable"


def one_step_verdict(finished: Run, inputs: Inputs) -> None:
    """Fail unless every worker of `finished` holds mlp.sgd_step of the first global batch after the one-step job."""
    finished.require_finished()
    require_given_start(finished, "one-step")
    expected = mlp.sgd_step(inputs.initial, inputs.x[:GLOBAL_BATCH], inputs.y[:GLOBAL_BATCH], LEARNING_RATE)
    workers, per_replica = finished.workers, GLOBAL_BATCH // finished.workers
    for index in range(workers):
        got = finished.weights(index, "one-step")
        gap = largest_gap(got, expected)
        if gap <= ONE_STEP_ATOL:
            continue
        ratio = update_ratio(got, expected, inputs.initial)
        steps = layout(finished, "one-step", 1, GLOBAL_BATCH)
        read = [sorted({i for b in finished.reads(w, "one-step") for i in b}) for w in range(workers)]
        if steps.unusable is None and len(steps.steps) != 1:
            cause = (
                f"the workers took {len(steps.steps)} steps on the {GLOBAL_BATCH} examples instead of one "
                f"(their input pipelines read {[len(r) for r in read]} examples each); "
                f"each worker must train on its own shard with a per-replica batch of global_batch_size / "
                f"workers = {per_replica}"
            )
        elif steps.problems:
            cause = steps.problems[0]
        elif abs(ratio - workers) < 0.05 and workers > 1:
            cause = (
                f"the {workers} workers' gradients were summed without dividing by the global batch: scale "
                "each replica's loss by the global batch size"
            )
        else:
            cause = (
                f"each worker must train on its own shard with a per-replica batch of global_batch_size / "
                f"workers = {per_replica}, and take one SGD step on the mean loss of the global batch"
            )
        what = (
            f"one SGD step with {workers} workers x {per_replica} examples differs from one step with 1 worker "
            f"x {GLOBAL_BATCH} examples"
            if workers > 1
            else f"one SGD step with 1 worker x {GLOBAL_BATCH} examples differs from the step"
        )
        pytest.fail(
            f"{what}, recomputed here from the same initial weights (worker {index}'s largest gap "
            f"{gap:.3g}; the {workers}-worker update is {ratio:.2f}x the expected one): {cause}.",
            pytrace=False,
        )


@pytest.mark.verdict("recomputed")
def test_one_worker_takes_one_sgd_step_on_the_global_batch(single, inputs):
    one_step_verdict(single, inputs)


@pytest.mark.verdict("recomputed")
def test_two_workers_with_batch_b_step_like_one_worker_with_batch_2b(pair, inputs):
    one_step_verdict(pair, inputs)


@pytest.mark.verdict("reported")
def test_workers_end_with_identical_weights(pair):
    pair.require_finished()
    first, second = pair.weights(0, "train"), pair.weights(1, "train")
    gap = largest_gap(first, second)
    assert gap <= SAME_WEIGHTS_ATOL, (
        f"after training, workers 0 and 1 hold different weights (largest gap {gap:.3g}): they did not "
        "apply the same all-reduced updates"
    )


@pytest.mark.verdict("recomputed")
def test_training_follows_sgd_over_the_global_batches_in_order(pair, trajectory):
    """EPOCHS epochs of SGD over the global batches, from the suite's initial weights, recomputed here."""
    pair.require_finished()
    require_given_start(pair, "train")
    steps = trajectory.layout
    if steps.unusable:
        pytest.fail(f"the training run's global batches cannot be recomputed: {steps.unusable}", pytrace=False)
    if steps.problems:
        pytest.fail(
            f"the 2-worker training run did not read disjoint shards in order: {steps.problems[0]}", pytrace=False
        )
    for index in range(2):
        gap = largest_gap(pair.weights(index, "train"), trajectory.final)
        assert gap <= trajectory.weights_atol, (
            f"after {EPOCHS} epochs, worker {index}'s weights are not those of {len(steps.steps)} SGD steps "
            f"(learning rate {LEARNING_RATE}) on the mean loss of each global batch the workers read, recomputed "
            f"here from the same initial weights (largest gap {gap:.3g}): take exactly one step per global batch "
            "with the loss scaled by the global batch size"
        )


@pytest.mark.verdict("recomputed")
def test_each_epoch_reports_the_mean_of_its_global_batch_losses(pair, trajectory):
    pair.require_finished()
    require_given_start(pair, "train")
    if trajectory.final is None:
        pytest.fail(
            f"the training run's global batches cannot be recomputed: {trajectory.layout.unusable}", pytrace=False
        )
    if largest_gap(pair.weights(0, "train"), trajectory.final) > trajectory.weights_atol:
        pytest.fail(
            "the epoch losses cannot be checked: the training itself does not follow the recomputed SGD "
            "steps (see test_training_follows_sgd_over_the_global_batches_in_order)",
            pytrace=False,
        )
    expected = trajectory.epoch_losses(EPOCHS)
    per_epoch = len(trajectory.step_losses) // EPOCHS
    for index in range(2):
        losses = pair.job(index, "train").get("losses")
        assert (
            isinstance(losses, list) and len(losses) == EPOCHS and all(type(loss) in (int, float) for loss in losses)
        ), f"worker {index}'s train() returned the losses {losses!r}"
        atol = trajectory.loss_atol
        for epoch, (reported, mean) in enumerate(zip(losses, expected)):
            if abs(reported - mean) <= atol:
                continue
            last = trajectory.step_losses[(epoch + 1) * per_epoch - 1]
            if abs(reported - last) <= atol:
                cause = "it is the loss of the epoch's last global batch only"
            elif epoch and abs(reported - mean / (epoch + 1)) <= atol:
                cause = (
                    f"it is the epoch's summed loss divided by all the global batches since training began "
                    f"({(epoch + 1) * per_epoch}), not by this epoch's {per_epoch}: reset the count every epoch"
                )
            elif abs(reported - mean / 2) <= atol:
                cause = (
                    f"it is half the mean: the sum was divided by the number of per-replica batches "
                    f"({2 * per_epoch}), not by the {per_epoch} global batches"
                )
            else:
                cause = "average the reduced (summed over replicas) loss of every global batch of the epoch"
            pytest.fail(
                f"worker {index}'s train() reported a loss of {reported:.6f} for epoch {epoch + 1}, but the "
                f"mean of that epoch's {per_epoch} global-batch losses, recomputed here, is {mean:.6f}: the "
                f"reported epoch loss is not the mean of the epoch's batch losses ({cause})",
                pytrace=False,
            )
