"""Setup for the gpu_training suite: GPU detection for `gpu` tests, the submission for session fixtures, the data,
and a subprocess that exercises configure_gpus before and after TensorFlow initializes.

configure_gpus is about the moment TensorFlow starts its runtime, which happens once per process; so it is run
in a fresh Python process (started early, so its TensorFlow import overlaps the other tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import tensorflow as tf
import keras

from quiz.exercises.datasets import load_digits
from quiz.grading.plugin import import_submission, submission_path

GPU_COUNT = len(tf.config.list_physical_devices("GPU"))  # does not initialize the runtime
PROBE_TIMEOUT_S = 180


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if GPU_COUNT:
        return
    skip = pytest.mark.skip(reason="needs a GPU: tf.config.list_physical_devices('GPU') is empty on this machine")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def gpu_count() -> int:
    return GPU_COUNT


@pytest.fixture(scope="session")
def candidate_path(request: pytest.FixtureRequest) -> Path:
    return submission_path(request.config, Path(__file__))


@pytest.fixture(scope="session")
def candidate(candidate_path: Path) -> ModuleType:
    """The submission, for session-scoped fixtures (the plugin's `submission` fixture is per test)."""
    return import_submission(candidate_path)


@pytest.fixture(autouse=True)
def float32_policy_after_each_test():
    """build_model(mixed_precision=True) may set Keras's global dtype policy: put it back after every test."""
    yield
    keras.mixed_precision.set_global_policy("float32")


@dataclass(repr=False)
class Digits:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    def __repr__(self) -> str:  # keeps failure reports short
        return f"<digits: {len(self.x_train)} training, {len(self.x_val)} validation>"


@pytest.fixture(scope="session")
def digits() -> Digits:
    """The shipped digits, flattened, scaled and one-hot encoded by the suite itself."""
    data = load_digits()

    def flat(images):
        return images.reshape(len(images), -1).astype(np.float32) / 255.0

    eye = np.eye(10, dtype=np.float32)
    return Digits(flat(data.x_train), eye[data.y_train], flat(data.x_val), eye[data.y_val])


PROBE = r'''
import importlib.util, json, logging, sys, warnings

records = []


class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())


logging.getLogger().addHandler(Keep(level=logging.WARNING))


def call(function, **kwargs):
    """Call configure_gpus, recording what it returned, raised and warned."""
    outcome = {"error": None, "returned": None, "returned_type": None, "warnings": []}
    del records[:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = function(**kwargs)
        except BaseException as exc:
            outcome["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        else:
            outcome["returned_type"] = type(result).__name__
            outcome["returned"] = [getattr(device, "name", repr(device)) for device in result] \
                if isinstance(result, (list, tuple)) else repr(result)[:200]
    outcome["warnings"] = [str(w.message)[:200] for w in caught] + records[:]
    return outcome


spec = importlib.util.spec_from_file_location("submission", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
import tensorflow as tf

report = {"before": call(module.configure_gpus, memory_growth=True, max_gpus=1)}
gpus = tf.config.list_physical_devices("GPU")
report["memory_growth"] = [bool(tf.config.experimental.get_memory_growth(gpu)) for gpu in gpus]
report["visible"] = [device.name for device in tf.config.get_visible_devices("GPU")]
tf.constant(1.0) + 1.0  # TensorFlow initializes its runtime (and its GPUs) here
report["after"] = call(module.configure_gpus, memory_growth=False, max_gpus=None)
report["visible_after"] = [device.name for device in tf.config.get_visible_devices("GPU")]
print("PROBE-REPORT " + json.dumps(report))
'''


class ConfigureProbe:
    """configure_gpus called in a fresh process: first before any TensorFlow operation (memory_growth=True,
    max_gpus=1), then after one (memory_growth=False, max_gpus=None), which TensorFlow can no longer apply."""

    def __init__(self, path: Path):
        self.process = subprocess.Popen([sys.executable, "-c", PROBE, str(path)], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self._report: dict | None = None
        self._failure: str | None = None

    def report(self) -> dict:
        if self._report is None and self._failure is None:
            try:
                out, err = self.process.communicate(timeout=PROBE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                out, err = self.process.communicate()
                self._failure = f"configure_gpus did not return within {PROBE_TIMEOUT_S} s in a fresh process"
            else:
                lines = [line for line in out.splitlines() if line.startswith("PROBE-REPORT ")]
                if lines:
                    self._report = json.loads(lines[-1].removeprefix("PROBE-REPORT "))
                else:
                    tail = [line for line in err.strip().splitlines() if line.strip()][-1:]
                    self._failure = ("importing the submission in a fresh process failed: "
                                     + (tail[0][:300] if tail else f"exit status {self.process.returncode}"))
        if self._failure:
            pytest.fail(self._failure, pytrace=False)
        return self._report

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture(scope="session")
def configure_probe(candidate_path: Path):
    probe = ConfigureProbe(candidate_path)
    yield probe
    probe.stop()


@pytest.fixture(scope="session", autouse=True)
def _start_probe_early(configure_probe):
    """Starts the probe with the first test, so its TensorFlow import runs while other tests do."""
    return configure_probe


@dataclass
class TrainingRun:
    samples: int
    epochs: int
    batch_size: int
    model: object = None
    history: object = None
    error: BaseException | None = None

    def require(self) -> TrainingRun:
        if isinstance(self.error, NotImplementedError):
            pytest.fail("train is not implemented yet (it raised NotImplementedError)", pytrace=False)
        if self.error is not None:
            text = f"{type(self.error).__name__}: {self.error}".strip().splitlines()[0][:300]
            pytest.fail(f"train raised {text}", pytrace=False)
        if self.model is None or not hasattr(self.history, "history"):
            pytest.fail("train must return (model, history) where history is what model.fit returns",
                        pytrace=False)
        return self


def run_train(module: ModuleType, x, y, **kwargs) -> TrainingRun:
    run = TrainingRun(len(x), kwargs.get("epochs", 5), kwargs.get("batch_size", 64))
    try:
        result = module.train(x, y, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported by the tests that need the run
        run.error = exc
        return run
    finally:
        keras.mixed_precision.set_global_policy("float32")
    if isinstance(result, tuple) and len(result) == 2:
        run.model, run.history = result
    return run


@pytest.fixture(scope="session")
def default_run(candidate: ModuleType, digits: Digits) -> TrainingRun:
    """train with its defaults for mixed precision (on with a GPU, off without), shared by several tests."""
    # batch_size 50, not train's default 64: a train that ignores its batch_size argument takes the wrong step count
    return run_train(candidate, digits.x_train[:1000], digits.y_train[:1000],
                     validation_data=(digits.x_val, digits.y_val), epochs=3, batch_size=50)


@pytest.fixture
def train_once():
    """`train_once(module, x, y, **kwargs) -> TrainingRun`: call `train`, keeping what it raised."""
    return run_train
