"""Setup for the gpu_training suite: the submission's processes, GPU detection for `gpu` tests, the data, one training
run shared by several tests, and configure_gpus in a fresh process.

This process never imports TensorFlow or the submission (numpy only). The submission runs in a sandboxed process of
its own, shared by the tests, and the suite asks it for plain data through the exercise's probes (probes.py).
configure_gpus is about the moment TensorFlow starts its runtime, once per process: it is judged in a second,
fresh process, started with the first test that needs it so that its TensorFlow import overlaps the other tests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from quiz.exercises.datasets import load_digits
from quiz.grading.plugin import ProbeProxy, connect, shared_process, start_process
from quiz.grading.remote import Remote, SubmissionError, SubmissionProcess

NO_GPU = (
    "needs a GPU: tf.config.list_physical_devices('GPU') is empty on this machine (asked in the submission's process)"
)


def not_implemented(exc: SubmissionError, name: str) -> None:
    """A NotImplementedError from the submission fails the test with a message a beginner reads at once."""
    if exc.type_name == "NotImplementedError":
        pytest.fail(f"{name} is not implemented yet (it raised NotImplementedError)", pytrace=False)


# ---------------------------------------------------------------- the shared submission process


@pytest.fixture(scope="session")
def remote(request: pytest.FixtureRequest):
    """The submission, for session-scoped fixtures (the plugin's `submission` fixture is per test)."""
    return connect(request.config, Path(__file__))


@pytest.fixture(scope="session")
def remote_probes(request: pytest.FixtureRequest, remote) -> ProbeProxy:
    return ProbeProxy(shared_process(request.config, Path(__file__)))


@pytest.fixture(scope="session")
def gpu_count(request: pytest.FixtureRequest) -> int:
    """How many GPUs the submission's process sees (the probes answer even when the submission did not import)."""
    return int(shared_process(request.config, Path(__file__)).probe("gpu_count"))


@pytest.fixture(autouse=True)
def _gpu_tests_need_a_gpu(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("gpu") and not request.getfixturevalue("gpu_count"):
        pytest.skip(NO_GPU)


# ---------------------------------------------------------------- data


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


# ---------------------------------------------------------------- training runs


@dataclass
class TrainingRun:
    samples: int
    epochs: int
    batch_size: int
    model: Remote | None = None
    history: Remote | None = None
    error: SubmissionError | None = None
    returned: str = ""
    records: list[dict] = field(default_factory=list)
    recorded: bool = False  # whether make_dataset was wrapped with the recorder while train ran
    policy: str = ""  # Keras's global dtype policy when train was called

    def require(self) -> TrainingRun:
        if self.error is not None:
            not_implemented(self.error, "train")
            pytest.fail(f"train raised {self.error}", pytrace=False)
        if self.model is None or self.history is None:
            pytest.fail(
                f"train must return (model, history) where history is what model.fit returns; it returned "
                f"{self.returned}",
                pytrace=False,
            )
        return self


def run_train(probes: ProbeProxy, x, y, *, record: bool = False, **kwargs) -> TrainingRun:
    """Calls the submission's train over there, keeping what it raised; with `record`, make_dataset is wrapped by
    the recorder of probes.py for the call."""
    run = TrainingRun(len(x), kwargs.get("epochs", 5), kwargs.get("batch_size", 64))
    run.policy = probes.global_policy()
    if record:
        try:
            probes.record_make_dataset()
            run.recorded = True
        except SubmissionError:  # no make_dataset to wrap: the tests that need the records say so
            pass
    try:
        result = probes.train(x, y, **kwargs)
    except SubmissionError as exc:
        run.error = exc
        return run
    finally:
        if run.recorded:
            run.records = probes.stop_recording()
    if isinstance(result, list) and len(result) == 2 and all(isinstance(part, Remote) for part in result):
        run.model, run.history = result
    else:
        run.returned = repr(result)[:200]
    return run


TRAIN_SAMPLES = 1000
EPOCHS = 3
# batch_size 48, not train's default 64: 1,000 = 20 x 48 + 40, so a train that ignores its batch_size argument (64)
# and a pipeline that drops the last partial batch both take the wrong number of steps (63 are right)
BATCH_SIZE = 48


@pytest.fixture(scope="session")
def default_run(remote, remote_probes: ProbeProxy, digits: Digits) -> TrainingRun:
    """train with its default for mixed precision (on with a GPU, off without) on the first 1,000 training digits,
    validated on the validation digits, make_dataset recorded; shared by several tests. The digits after the first
    1,000 are held out: train never sees them."""
    return run_train(
        remote_probes,
        digits.x_train[:TRAIN_SAMPLES],
        digits.y_train[:TRAIN_SAMPLES],
        record=True,
        validation_data=[digits.x_val, digits.y_val],
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
    )


@pytest.fixture
def train_once(remote_probes: ProbeProxy):
    """`train_once(x, y, **kwargs) -> TrainingRun`: call the submission's train, keeping what it raised."""
    return lambda x, y, **kwargs: run_train(remote_probes, x, y, **kwargs)


# ---------------------------------------------------------------- configure_gpus in a fresh process


class FreshProcess:
    """A second submission process, started in the background (its TensorFlow import takes a few seconds)."""

    def __init__(self, config: pytest.Config) -> None:
        self.process: SubmissionProcess | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._start, args=(config,), daemon=True)
        self.thread.start()

    def _start(self, config: pytest.Config) -> None:
        try:
            self.process = start_process(config, Path(__file__))
        except BaseException as exc:  # noqa: BLE001 - raised again in the test that needs the process
            self.error = exc

    def get(self) -> SubmissionProcess:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.process


@pytest.fixture(scope="session")
def fresh_process(request: pytest.FixtureRequest) -> FreshProcess:
    return FreshProcess(request.config)


@pytest.fixture(scope="session", autouse=True)
def _start_the_fresh_process_early(request: pytest.FixtureRequest) -> None:
    """Starts the fresh process with the first test, when a configure_gpus test is to run."""
    if any("configure_run" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("fresh_process")


@dataclass
class Outcome:
    """One probe call: what it returned, or what the submission raised."""

    value: object = None
    error: SubmissionError | None = None


def _attempt(process: SubmissionProcess, probe: str, **kwargs) -> Outcome:
    try:
        return Outcome(value=process.probe(probe, **kwargs))
    except SubmissionError as exc:
        return Outcome(error=exc)


@pytest.fixture(scope="session")
def configure_run(fresh_process: FreshProcess) -> dict[str, Outcome]:
    """In the fresh process: configure_gpus(memory_growth=True, max_gpus=1) before any TensorFlow operation, the GPU
    state it left, a TensorFlow operation (the runtime starts), then configure_gpus(memory_growth=False,
    max_gpus=None), which TensorFlow can no longer apply, and the GPUs then visible."""
    process = fresh_process.get()
    if process.import_error:
        pytest.fail(f"in a fresh process: {process.import_error}", pytrace=False)
    run = {"gpus": _attempt(process, "gpu_count")}  # list_physical_devices does not start the runtime
    run["before"] = _attempt(process, "configure", memory_growth=True, max_gpus=1)
    run["state"] = _attempt(process, "gpu_state")
    run["op"] = _attempt(process, "run_an_op")
    run["after"] = _attempt(process, "configure", memory_growth=False, max_gpus=None)
    run["state_after"] = _attempt(process, "gpu_state")
    return run
