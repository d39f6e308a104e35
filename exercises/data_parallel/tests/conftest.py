"""Setup for the data_parallel suite, in the suite's own process: the data, and one training run shared by several
tests. No TensorFlow here and no submission code: the submission runs in its own process (probes.py splits its CPU
into two logical devices before it is imported), and what comes back is plain data this suite checks itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from quiz.exercises.datasets import load_digits
from quiz.grading.plugin import ProbeProxy, connect, shared_process
from quiz.grading.remote import Remote, SubmissionError

TRAIN_SAMPLES, TRAIN_EPOCHS, TRAIN_BATCH = 1200, 3, 64


def one_hot(labels: np.ndarray) -> np.ndarray:
    return np.eye(10, dtype=np.float32)[labels]


def flatten(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


@dataclass(repr=False)
class Digits:
    """The shipped digits, prepared by the suite itself so training tests do not depend on `preprocess`. The
    held-out part (the training split past TRAIN_SAMPLES) is never sent to the submission: accuracy is measured
    there, here, from the weights `train` returned."""

    raw_x: np.ndarray
    raw_y: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_held_out: np.ndarray
    y_held_out: np.ndarray

    def __repr__(self) -> str:  # keeps failure reports short
        return f"<digits: {len(self.x_train)} training, {len(self.x_val)} validation, {len(self.x_held_out)} held out>"


@pytest.fixture(scope="session")
def digits() -> Digits:
    data = load_digits()
    x, y = flatten(data.x_train), one_hot(data.y_train)
    return Digits(
        data.x_train,
        data.y_train,
        x[:TRAIN_SAMPLES],
        y[:TRAIN_SAMPLES],
        flatten(data.x_val),
        one_hot(data.y_val),
        x[TRAIN_SAMPLES:],
        y[TRAIN_SAMPLES:],
    )


@pytest.fixture(scope="session")
def candidate(request: pytest.FixtureRequest):
    """The submission's proxy, for session-scoped fixtures (the plugin's `submission` fixture is per test)."""
    return connect(request.config, Path(__file__))


@pytest.fixture(scope="session")
def remote(request: pytest.FixtureRequest, candidate) -> ProbeProxy:
    """The probes (probes.py), for session-scoped fixtures."""
    return ProbeProxy(shared_process(request.config, Path(__file__)))


@pytest.fixture(scope="session")
def two_replicas(remote) -> Remote:
    """The run's two-replica MirroredStrategy over the two logical CPUs (it lives in the submission's process)."""
    return remote.two_replicas()


def explain_training_error(exc: SubmissionError) -> str:
    """Turn what TensorFlow raises for the usual mistakes into the mistake's name."""
    if exc.type_name == "NotImplementedError":
        return "train is not implemented yet (it raised NotImplementedError)"
    for symptom in ("Mixing different tf.distribute.Strategy objects", "colocate_vars_with"):
        if symptom in exc.message:
            return (
                f"train raised {exc.type_name} ({symptom!r}): the model was built or compiled outside "
                "strategy.scope() and then trained inside it. Build AND compile the model inside "
                "`with strategy.scope():`"
            )
    lines = [line.strip() for line in exc.message.splitlines() if line.strip()]
    summary = lines[0] if lines else ""
    if summary.endswith(":") and len(lines) > 1:  # e.g. "Graph execution error:": the cause is further down
        causes = [line for line in lines if line.startswith("(0)")] or lines[-1:]
        summary = f"{summary} {causes[0]}"
    where = f" (at {exc.where})" if exc.where else ""
    return f"train raised {exc.type_name}: {summary}"[:400] + where


@dataclass
class TrainingRun:
    """What `train` returned (or raised) for one call, with the facts the probes read off its model and history;
    `require()` fails the test that needs a trained model."""

    strategy: Remote
    samples: int
    epochs: int
    batch_size: int
    model: Remote | None = None
    facts: dict = field(default_factory=dict)
    history: dict | None = None
    error: str | None = None

    def require(self) -> TrainingRun:
        if self.error is not None:
            pytest.fail(self.error, pytrace=False)
        return self

    @property
    def expected_steps(self) -> int:
        return self.epochs * math.ceil(self.samples / self.batch_size)


def run_train(submission, probes, strategy: Remote, x, y, **kwargs) -> TrainingRun:
    run = TrainingRun(strategy, len(x), kwargs.get("epochs", 5), kwargs.get("batch_size", 64))
    try:
        result = submission.train(strategy, x, y, **kwargs)
    except SubmissionError as exc:
        run.error = explain_training_error(exc)
        return run
    if not (isinstance(result, list) and len(result) == 2 and all(isinstance(r, Remote) for r in result)):
        run.error = f"train must return (model, history) where history is what model.fit returns, got {result!r}"
        return run
    run.model, history = result
    run.facts = probes.model_facts(run.model)
    if not run.facts.get("keras_model"):
        run.error = f"train must return (model, history): the model is a {run.facts.get('class')}, not a Keras model"
        return run
    run.history = probes.history_facts(history)["history"]
    return run


@pytest.fixture(scope="session")
def two_replica_run(candidate, remote, digits: Digits, two_replicas) -> TrainingRun:
    """One honest training run on two replicas, shared by the tests that inspect its result."""
    return run_train(
        candidate,
        remote,
        two_replicas,
        digits.x_train,
        digits.y_train,
        validation_data=(digits.x_val, digits.y_val),
        epochs=TRAIN_EPOCHS,
        batch_size=TRAIN_BATCH,
    )


@pytest.fixture
def train_once():
    """`train_once(submission, probes, strategy, x, y, **kwargs) -> TrainingRun`: call `train`, keep what it
    raised."""
    return run_train
