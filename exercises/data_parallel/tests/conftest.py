"""Setup for the data_parallel suite: two replicas on one CPU, and one training run shared by several tests.

TensorFlow fixes its device list when its runtime starts, so the CPU is split into two logical devices here, at
import time, before any test (or the submission) runs an op. The suite must run in a fresh process for this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import tensorflow as tf

from quiz.exercises.datasets import load_digits
from quiz.grading.plugin import import_submission, submission_path

TWO_DEVICES = ["/cpu:0", "/cpu:1"]


def _split_cpu_in_two() -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    except RuntimeError:  # the runtime already started: the `two_replicas` fixture says so
        pass


_split_cpu_in_two()


@pytest.fixture(scope="session")
def two_replicas() -> tf.distribute.MirroredStrategy:
    """The one two-replica strategy of the session. One only: strategies over the same devices number their
    all-reduce operations independently, and a second one would collide with the first one's (TensorFlow then
    reports a shape mismatch in a collective)."""
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.fail("TensorFlow had started before this suite's conftest.py could split the CPU into two devices: "
                    "run the suite in its own pytest process (pytest exercises/data_parallel --submission FILE)",
                    pytrace=False)
    return tf.distribute.MirroredStrategy(TWO_DEVICES)


def one_hot(labels: np.ndarray) -> np.ndarray:
    return np.eye(10, dtype=np.float32)[labels]


def flatten(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


@dataclass(repr=False)
class Digits:
    """The shipped digits, prepared by the suite itself so training tests do not depend on `preprocess`."""

    raw_x: np.ndarray
    raw_y: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    def __repr__(self) -> str:  # keeps failure reports short
        return f"<digits: {len(self.x_train)} training, {len(self.x_val)} validation>"


@pytest.fixture(scope="session")
def digits() -> Digits:
    data = load_digits()
    return Digits(data.x_train, data.y_train, flatten(data.x_train), one_hot(data.y_train),
                  flatten(data.x_val), one_hot(data.y_val))


@pytest.fixture(scope="session")
def candidate(request: pytest.FixtureRequest) -> ModuleType:
    """The submission, for session-scoped fixtures (the plugin's `submission` fixture is per test)."""
    return import_submission(submission_path(request.config, Path(__file__)))


def explain_training_error(exc: BaseException) -> str:
    """Turn what TensorFlow raises for the usual mistakes into the mistake's name."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    summary = lines[0] if lines else ""
    if summary.endswith(":") and len(lines) > 1:  # e.g. "Graph execution error:": the cause is further down
        causes = [line for line in lines if line.startswith("(0)")] or lines[-1:]
        summary = f"{summary} {causes[0]}"
    text = f"{type(exc).__name__}: {summary}"[:400]
    if isinstance(exc, NotImplementedError):
        return "train is not implemented yet (it raised NotImplementedError)"
    for symptom in ("Mixing different tf.distribute.Strategy objects", "colocate_vars_with"):
        if symptom in str(exc):
            return (f"train raised {type(exc).__name__} ({symptom!r}): the model was built or compiled outside "
                    "strategy.scope() and then trained inside it. Build AND compile the model inside "
                    "`with strategy.scope():`")
    return f"train raised {text}"


@dataclass
class TrainingRun:
    """What `train` returned (or raised) for one call; `require()` fails the test that needs a model."""

    strategy: tf.distribute.Strategy
    samples: int
    epochs: int
    batch_size: int
    model: object = None
    history: object = None
    error: BaseException | None = field(default=None, repr=False)

    def require(self) -> TrainingRun:
        if self.error is not None:
            pytest.fail(explain_training_error(self.error), pytrace=False)
        if self.model is None or not hasattr(self.history, "history"):
            pytest.fail("train must return (model, history) where history is what model.fit returns",
                        pytrace=False)
        return self

    @property
    def expected_steps(self) -> int:
        return self.epochs * math.ceil(self.samples / self.batch_size)


def run_train(module: ModuleType, strategy, x, y, **kwargs) -> TrainingRun:
    run = TrainingRun(strategy, len(x), kwargs.get("epochs", 5), kwargs.get("batch_size", 64))
    try:
        result = module.train(strategy, x, y, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported by the tests that need the run
        run.error = exc
        return run
    if not (isinstance(result, tuple) and len(result) == 2):
        run.error = TypeError(f"train must return (model, history), it returned {type(result).__name__}")
        return run
    run.model, run.history = result
    return run


TRAIN_SAMPLES, TRAIN_EPOCHS, TRAIN_BATCH = 1200, 3, 64


@pytest.fixture(scope="session")
def two_replica_run(candidate: ModuleType, digits: Digits, two_replicas) -> TrainingRun:
    """One honest training run on two replicas, shared by the tests that inspect its result."""
    return run_train(candidate, two_replicas, digits.x_train[:TRAIN_SAMPLES],
                     digits.y_train[:TRAIN_SAMPLES], validation_data=(digits.x_val, digits.y_val),
                     epochs=TRAIN_EPOCHS, batch_size=TRAIN_BATCH)


@pytest.fixture
def train_once():
    """`train_once(module, strategy, x, y, **kwargs) -> TrainingRun`: call `train`, keeping what it raised."""
    return run_train
