"""The data_parallel exercise: preprocess, make_strategy, build_model and train under MirroredStrategy.

Two replicas run on one CPU split into two logical devices (see conftest.py). Training tests feed data the suite
prepared itself, so a mistake in `preprocess` fails only the preprocess tests.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import keras

EXPECTED_PARAMETERS = 784 * 128 + 128 + 128 * 10 + 10  # 101,770
ACCURACY_THRESHOLD = 0.80


def steps_taken(model) -> int:
    """How many updates the optimizer applied (its `iterations` counter)."""
    return int(np.asarray(model.optimizer.iterations.numpy()))


def _not_implemented(call):
    try:
        return call()
    except NotImplementedError:
        pytest.fail("not implemented yet (it raised NotImplementedError)", pytrace=False)


# ---------------------------------------------------------------- preprocess

def test_preprocess_flattens_and_scales_images(submission, digits):
    x, _ = _not_implemented(lambda: submission.preprocess(digits.raw_x[:100], digits.raw_y[:100]))
    x = np.asarray(x)
    assert x.shape == (100, 784), f"images should be flattened to (N, 784), got shape {x.shape}"
    assert x.dtype == np.float32, f"images should be float32, got {x.dtype}"
    assert x.max() <= 1.0 and x.min() >= 0.0, (
        f"images are not scaled to [0, 1] (values run from {x.min():g} to {x.max():g}): divide the uint8 "
        "pixels by 255")
    expected = digits.raw_x[:100].reshape(100, 784) / 255.0
    assert np.allclose(x, expected, atol=1e-6), (
        "images are not the pixels divided by 255 in row-major order: use x.reshape(-1, 784) / 255.0")


def test_preprocess_one_hot_labels(submission, digits):
    _, y = _not_implemented(lambda: submission.preprocess(digits.raw_x[:100], digits.raw_y[:100]))
    y = np.asarray(y)
    assert y.shape == (100, 10), (
        f"labels are not one-hot: expected shape (N, 10), got {y.shape}. categorical_crossentropy needs "
        "one-hot labels: keras.utils.to_categorical(y, 10)")
    assert y.dtype == np.float32, f"one-hot labels should be float32, got {y.dtype}"
    assert np.array_equal(y, np.eye(10, dtype=np.float32)[digits.raw_y[:100]]), (
        "labels are not one-hot: each row must hold a single 1 at the digit's index")


# ---------------------------------------------------------------- make_strategy

def test_make_strategy_over_given_devices_keeps_two_replicas_in_sync(submission, two_replicas):
    strategy = _not_implemented(lambda: submission.make_strategy(["/cpu:0", "/cpu:1"]))
    assert isinstance(strategy, tf.distribute.MirroredStrategy), (
        f"make_strategy should return a tf.distribute.MirroredStrategy, got {type(strategy).__name__}")
    assert strategy.num_replicas_in_sync == 2, (
        f"make_strategy(['/cpu:0', '/cpu:1']) has {strategy.num_replicas_in_sync} replica(s), expected 2: "
        "pass the devices to MirroredStrategy(devices)")


def test_make_strategy_defaults_to_gpus_else_cpu(submission):
    strategy = _not_implemented(lambda: submission.make_strategy())
    assert isinstance(strategy, tf.distribute.MirroredStrategy), (
        f"make_strategy() should return a tf.distribute.MirroredStrategy, got {type(strategy).__name__}")
    expected = max(1, len(tf.config.list_logical_devices("GPU")))
    assert strategy.num_replicas_in_sync == expected, (
        f"make_strategy() has {strategy.num_replicas_in_sync} replicas, expected {expected} "
        "(one per visible GPU, or the CPU alone when there is none)")


# ---------------------------------------------------------------- build_model

@pytest.mark.weight(2)
def test_build_model_architecture(submission):
    model = _not_implemented(submission.build_model)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    kinds = [type(layer).__name__ for layer in layers]
    assert kinds == ["Dense", "Dropout", "Dense"], (
        f"wrong architecture: expected Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax), got {kinds}")
    hidden, dropout, output = layers
    assert model.input_shape == (None, 784), f"the model should take (None, 784) inputs, got {model.input_shape}"
    assert hidden.units == 128, f"wrong architecture: the hidden Dense layer has {hidden.units} units, expected 128"
    assert hidden.activation.__name__ == "relu", (
        f"wrong architecture: the hidden layer's activation is {hidden.activation.__name__}, expected relu")
    assert dropout.rate == pytest.approx(0.2), f"wrong architecture: dropout rate {dropout.rate}, expected 0.2"
    assert output.units == 10, f"wrong architecture: the output layer has {output.units} units, expected 10"
    assert output.activation.__name__ == "softmax", (
        f"wrong architecture: the output activation is {output.activation.__name__}, expected softmax")
    assert model.count_params() == EXPECTED_PARAMETERS, (
        f"wrong architecture: {model.count_params():,} parameters, expected {EXPECTED_PARAMETERS:,}")


def _name_of(thing) -> str:
    if isinstance(thing, str):
        return thing
    if isinstance(thing, dict):  # a serialized object in a compile config
        return str(thing.get("config", {}).get("name") or thing.get("class_name"))
    return str(getattr(thing, "name", None) or getattr(thing, "__name__", None) or type(thing).__name__)


def test_build_model_is_compiled_with_adam_crossentropy_and_accuracy(submission):
    model = _not_implemented(submission.build_model)
    assert model.compiled, "build_model must return a compiled model (call model.compile)"
    assert isinstance(model.optimizer, keras.optimizers.Adam), (
        f"compile the model with the Adam optimizer, got {type(model.optimizer).__name__}")
    loss = _name_of(model.loss).lower()
    assert "categorical_crossentropy" in loss.replace("categoricalcrossentropy", "categorical_crossentropy") \
        and "sparse" not in loss, f"compile with loss='categorical_crossentropy', got {loss!r}"
    metrics = [_name_of(metric).lower() for metric in (model.get_compile_config().get("metrics") or [])]
    assert any("acc" in metric for metric in metrics), f"compile with metrics=['accuracy'], got {metrics}"


def test_build_model_creates_variables_in_the_active_scope(submission, two_replicas):
    with two_replicas.scope():
        model = _not_implemented(submission.build_model)
    kernel = model.layers[0].kernel.value if hasattr(model.layers[0], "kernel") else None
    assert type(kernel).__name__ == "MirroredVariable", (
        "build_model called inside strategy.scope() made plain variables: create the layers inside the "
        "function, in whatever scope is active (do not build the model at import time or in another strategy)")


# ---------------------------------------------------------------- train (one shared run on two replicas)

def _mirrored_state(model):
    return [(variable.path, type(variable.value).__name__) for variable in model.trainable_variables]


@pytest.mark.weight(2)
def test_train_mirrors_the_model_variables(two_replica_run):
    run = two_replica_run.require()
    plain = [path for path, kind in _mirrored_state(run.model) if kind != "MirroredVariable"]
    assert not plain, (
        f"the model's variables are not mirrored ({plain[0]} is a plain variable), so training ran on one device "
        "only: build and compile the model inside strategy.scope()")


def _device_names(devices) -> list[str]:
    """'/job:localhost/replica:0/task:0/device:CPU:1' -> 'CPU:1'."""
    return sorted(f"{spec.device_type}:{spec.device_index}" for spec in map(tf.DeviceSpec.from_string, devices))


@pytest.mark.weight(2)
def test_train_uses_the_strategy_it_is_given(two_replica_run):
    run = two_replica_run.require()
    kernel = run.model.trainable_variables[0]
    if type(kernel.value).__name__ != "MirroredVariable":
        pytest.fail("the model's variables are not mirrored: build and compile the model inside strategy.scope() "
                    "of the strategy passed to train", pytrace=False)
    if run.model.distribute_strategy is not run.strategy:
        pytest.fail("train ignored the strategy it was given: the model belongs to another strategy "
                    f"({type(run.model.distribute_strategy).__name__} with "
                    f"{run.model.distribute_strategy.num_replicas_in_sync} replica(s)). Build it inside "
                    "`with strategy.scope():` of the `strategy` argument; do not create another one", pytrace=False)
    devices = _device_names(copy.device for copy in run.strategy.experimental_local_results(kernel.value))
    wanted = _device_names(run.strategy.extended.worker_devices)
    assert devices == wanted, (
        f"train ignored the strategy it was given: the variables live on {devices}, not on the given "
        f"strategy's devices {wanted}. Use the `strategy` argument (strategy.scope()), do not create another one")


@pytest.mark.weight(2)
def test_train_splits_the_global_batch_across_replicas(two_replica_run):
    run = two_replica_run.require()
    epochs_run = len(run.history.history.get("loss", []))
    assert epochs_run == run.epochs, f"train ran {epochs_run} epochs, expected epochs={run.epochs}"
    steps = steps_taken(run.model)
    hint = ""
    if steps == run.epochs * -(-run.samples // (run.batch_size // 2)):
        hint = (" It looks like the per-replica batch (batch_size / replicas) was passed to fit: pass the GLOBAL "
                "batch_size; MirroredStrategy splits each batch across the replicas itself.")
    elif steps == run.epochs * -(-run.samples // (run.batch_size * 2)):
        hint = (" It looks like batch_size was multiplied by the number of replicas: it already is the GLOBAL "
                "batch; pass it to fit as it is.")
    assert steps == run.expected_steps, (
        f"the optimizer took {steps} steps for {run.epochs} epochs of {run.samples} samples with "
        f"batch_size={run.batch_size}, expected {run.expected_steps} (epochs x ceil(N / batch_size)).{hint}")


@pytest.mark.weight(2)
def test_train_learns_the_digits(two_replica_run):
    run = two_replica_run.require()
    history = run.history.history
    assert "val_accuracy" in history, (
        f"history has no val_accuracy (keys: {sorted(history)}): pass validation_data to fit and compile with "
        "metrics=['accuracy']")
    accuracy = history["val_accuracy"][-1]
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"validation accuracy after {run.epochs} epochs is {accuracy:.3f}, expected at least "
        f"{ACCURACY_THRESHOLD} (the reference reaches about 0.9)")


# ---------------------------------------------------------------- one step on 2 replicas == one step on 1 device

STEP_SAMPLES = 96  # neither 64 (train's default) nor 32 (fit's): a train that ignores batch_size takes 2 steps
STEP_LEARNING_RATE = 0.5


def _deterministic_builder(created: list):
    """Stands in for build_model: same network without dropout, fixed weights and plain SGD, so that one step
    on two replicas must give exactly the weights of one step on one device (Adam's normalised update and
    dropout's random masks would hide a wrong gradient scale)."""

    def build_model():
        rng = np.random.default_rng(7)
        model = keras.Sequential([
            keras.Input(shape=(784,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.set_weights([rng.normal(0, 0.05, (784, 128)).astype(np.float32), np.zeros(128, np.float32),
                           rng.normal(0, 0.2, (128, 10)).astype(np.float32), np.zeros(10, np.float32)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=STEP_LEARNING_RATE),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        created.append(model)
        return model

    return build_model


def _one_step(submission, monkeypatch, strategy, digits, train_once):
    created = []
    monkeypatch.setattr(submission, "build_model", _deterministic_builder(created))
    run = train_once(submission, strategy, digits.x_train[:STEP_SAMPLES], digits.y_train[:STEP_SAMPLES],
                     epochs=1, batch_size=STEP_SAMPLES)
    if run.error is not None and created and type(created[0].trainable_variables[0].value).__name__ != \
            "MirroredVariable":
        pytest.fail(f"train raised {type(run.error).__name__} after building the model outside "
                    "strategy.scope(): build AND compile the model inside `with strategy.scope():`", pytrace=False)
    run.require()
    if not any(run.model is model for model in created):
        pytest.fail("train did not build its model by calling build_model(): the suite swaps build_model for a "
                    "deterministic one to check the gradient step, so train must call build_model() (inside "
                    "strategy.scope()) and not re-create the layers itself", pytrace=False)
    if not isinstance(run.model.optimizer, keras.optimizers.SGD):
        pytest.fail("train re-compiled the model that build_model() returned: compile it once, in build_model",
                    pytrace=False)
    steps = steps_taken(run.model)
    replicas = strategy.num_replicas_in_sync
    why = ("batch_size is the GLOBAL batch, split across the replicas" if replicas > 1 else
           "pass train's batch_size argument to fit (do not hard-code a batch size)")
    assert steps == 1, (
        f"one epoch of {STEP_SAMPLES} samples with batch_size={STEP_SAMPLES} took {steps} optimizer steps on "
        f"{replicas} replica(s), expected 1: {why}")
    return [np.asarray(weight) for weight in run.model.get_weights()]


@pytest.mark.weight(3)
def test_one_step_on_two_replicas_equals_one_step_on_one_device(submission, digits, monkeypatch, train_once,
                                                                 two_replicas):
    initial = [np.asarray(weight) for weight in _deterministic_builder([])().get_weights()]
    one_device = _one_step(submission, monkeypatch, tf.distribute.MirroredStrategy(["/cpu:0"]), digits, train_once)
    on_two = _one_step(submission, monkeypatch, two_replicas, digits, train_once)
    moved = max(float(np.abs(after - before).max()) for after, before in zip(one_device, initial))
    assert moved > 1e-4, "train did not change the weights in one step: does it call fit on the data it is given?"
    gap = max(float(np.abs(a - b).max()) for a, b in zip(on_two, one_device))
    ratio = max(float(np.abs(a - i).max()) / max(float(np.abs(b - i).max()), 1e-12)
                for a, b, i in zip(on_two, one_device, initial))
    assert gap < 1e-5, (
        f"one SGD step on 2 replicas differs from the same step on 1 device (largest weight difference "
        f"{gap:.2e}; the 2-replica update is {ratio:.2f}x the single-device one): the gradients are not averaged "
        "over the global batch. With model.fit this cannot happen; in a custom loop compute the per-replica loss "
        "with tf.nn.compute_average_loss(per_example_loss, global_batch_size=...)")
