"""The gpu_training exercise: configure_gpus, training_device, make_dataset, build_model and train.

Everything that can be checked without a GPU is checked on the CPU for real; tests marked `gpu` need one and are
skipped, with the reason, elsewhere. Training tests feed data the suite prepared itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
import keras

# Keras warns that fit's shuffle does not apply to a tf.data.Dataset: true, and not the candidate's concern.
pytestmark = pytest.mark.filterwarnings("ignore:`shuffle=True` was passed:UserWarning")

EXPECTED_PARAMETERS = 784 * 128 + 128 + 128 * 10 + 10  # 101,770
ACCURACY_THRESHOLD = 0.80


def _not_implemented(call):
    try:
        return call()
    except NotImplementedError:
        pytest.fail("not implemented yet (it raised NotImplementedError)", pytrace=False)


def _layers(model):
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _output_dtype(model, x) -> str:
    return str(keras.backend.standardize_dtype(model(x[:4], training=False).dtype))


# ---------------------------------------------------------------- training_device

def test_training_device_names_the_gpu_or_the_cpu(submission, gpu_count):
    device = _not_implemented(submission.training_device)
    expected = "/GPU:0" if gpu_count else "/CPU:0"
    assert device == expected, f"training_device() returned {device!r}, expected {expected!r} on this machine"


# ---------------------------------------------------------------- make_dataset

def _dataset(submission, digits, samples, batch_size, training):
    return _not_implemented(lambda: submission.make_dataset(
        digits.x_train[:samples], digits.y_train[:samples], batch_size, training=training))


def test_make_dataset_element_spec_and_batches(submission, digits):
    dataset = _dataset(submission, digits, 200, 64, training=True)
    assert isinstance(dataset, tf.data.Dataset), f"make_dataset must return a tf.data.Dataset, got {type(dataset)}"
    x_spec, y_spec = dataset.element_spec
    assert x_spec.shape.as_list() == [None, 784] and x_spec.dtype == tf.float32, (
        f"images should come in float32 batches of shape (None, 784), got {x_spec}")
    assert y_spec.shape.as_list() == [None, 10] and y_spec.dtype == tf.float32, (
        f"labels should come in float32 batches of shape (None, 10), got {y_spec}")
    sizes = [int(x.shape[0]) for x, _ in dataset]
    assert sizes[0] == 64, f"the first batch holds {sizes[0]} samples, expected batch_size=64"
    assert sum(sizes) == 200, f"one pass over the dataset gives {sum(sizes)} samples, expected all 200"


@pytest.mark.weight(2)
def test_make_dataset_prefetches_last(submission, digits):
    for training in (True, False):
        dataset = _dataset(submission, digits, 128, 32, training)
        assert type(dataset).__name__ == "_PrefetchDataset", (
            f"the dataset (training={training}) does not end with prefetch (its last step is "
            f"{type(dataset).__name__.strip('_')}): end the pipeline with .prefetch(tf.data.AUTOTUNE) so the next "
            "batch is prepared while the device trains")
        buffer = int(dataset._buffer_size)
        assert buffer == tf.data.AUTOTUNE, (
            f"prefetch uses a fixed buffer of {buffer}: use tf.data.AUTOTUNE and let tf.data tune it")


def test_make_dataset_shuffles_only_when_training(submission, digits):
    labels = np.argmax(digits.y_train[:256], axis=1)

    def order(training):
        dataset = _dataset(submission, digits, 256, 64, training)
        return np.concatenate([np.argmax(y.numpy(), axis=1) for _, y in dataset])

    assert np.array_equal(order(False), labels), (
        "with training=False the batches are not in the input order: shuffle only when training")
    shuffled = order(True)
    assert sorted(shuffled) == sorted(labels), "with training=True the dataset does not hold the same samples"
    assert not np.array_equal(shuffled, labels), (
        "with training=True the batches come in the input order: shuffle the training data")


# ---------------------------------------------------------------- build_model

def _check_architecture(model):
    layers = _layers(model)
    kinds = [type(layer).__name__ for layer in layers]
    if kinds[-2:] == ["Dense", "Activation"]:
        kinds = kinds[:-1]
    assert kinds == ["Dense", "Dropout", "Dense"], (
        "wrong architecture: expected Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax) (the softmax may be a "
        f"separate Activation layer), got {[type(layer).__name__ for layer in layers]}")
    hidden, dropout, output = layers[:3]
    assert hidden.units == 128, f"wrong architecture: the hidden Dense layer has {hidden.units} units, expected 128"
    assert hidden.activation.__name__ == "relu", (
        f"wrong architecture: the hidden activation is {hidden.activation.__name__}, expected relu")
    assert dropout.rate == pytest.approx(0.2), f"wrong architecture: dropout rate {dropout.rate}, expected 0.2"
    assert output.units == 10, f"wrong architecture: the output layer has {output.units} units, expected 10"
    assert model.count_params() == EXPECTED_PARAMETERS, (
        f"wrong architecture: {model.count_params():,} parameters, expected {EXPECTED_PARAMETERS:,}")


@pytest.mark.weight(2)
def test_build_model_architecture_and_compilation(submission, digits):
    model = _not_implemented(lambda: submission.build_model(mixed_precision=False))
    _check_architecture(model)
    probabilities = np.asarray(model(digits.x_train[:8], training=False))
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-3), (
        "the outputs are not probabilities (rows do not sum to 1): end with a softmax")
    assert model.compiled, "build_model must return a compiled model (call model.compile)"
    assert isinstance(model.optimizer, keras.optimizers.Adam), (
        f"compile the model with the Adam optimizer, got {type(model.optimizer).__name__}")


def test_build_model_without_mixed_precision_is_float32(submission, digits):
    model = _not_implemented(lambda: submission.build_model(mixed_precision=False))
    compute = {layer.name: layer.compute_dtype for layer in _layers(model)}
    assert set(compute.values()) == {"float32"}, (
        f"build_model(mixed_precision=False) should compute in float32 everywhere, got {compute}")


@pytest.mark.weight(2)
def test_build_model_mixed_precision_computes_hidden_layer_in_float16(submission):
    model = _not_implemented(lambda: submission.build_model(mixed_precision=True))
    hidden = _layers(model)[0]
    assert hidden.compute_dtype == "float16" and hidden.variable_dtype == "float32", (
        f"with mixed precision the hidden Dense layer should compute in float16 and keep float32 variables "
        f"(policy mixed_float16), got compute {hidden.compute_dtype}, variables {hidden.variable_dtype}")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer), (
        f"with mixed precision the optimizer should be wrapped in a LossScaleOptimizer (got "
        f"{type(model.optimizer).__name__}): set the global policy to mixed_float16 before building the model, "
        "and compile will wrap it")


@pytest.mark.weight(2)
def test_build_model_mixed_precision_keeps_softmax_output_float32(submission, digits):
    model = _not_implemented(lambda: submission.build_model(mixed_precision=True))
    last = _layers(model)[-1]
    dtype = _output_dtype(model, digits.x_train)
    assert dtype == "float32" and last.compute_dtype == "float32", (
        f"the softmax output is {dtype} under mixed precision (last layer computes in {last.compute_dtype}): "
        "give the output layer dtype='float32', e.g. keras.layers.Activation('softmax', dtype='float32'), so the "
        "probabilities and the loss stay in float32")


# ---------------------------------------------------------------- train

@pytest.mark.weight(2)
def test_train_learns_the_digits(default_run):
    run = default_run.require()
    history = run.history.history
    assert "val_accuracy" in history, (
        f"history has no val_accuracy (keys: {sorted(history)}): pass validation_data to fit and compile with "
        "metrics=['accuracy']")
    accuracy = history["val_accuracy"][-1]
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"validation accuracy after {run.epochs} epochs is {accuracy:.3f}, expected at least {ACCURACY_THRESHOLD}")


def test_train_runs_the_requested_epochs_and_batches(default_run):
    run = default_run.require()
    epochs_run = len(run.history.history.get("loss", []))
    assert epochs_run == run.epochs, f"train ran {epochs_run} epochs, expected epochs={run.epochs}"
    steps = int(np.asarray(run.model.optimizer.iterations.numpy()))
    expected = run.epochs * math.ceil(run.samples / run.batch_size)
    assert steps == expected, (
        f"the optimizer took {steps} steps for {run.epochs} epochs of {run.samples} samples, expected {expected} "
        f"(epochs x ceil(N / batch_size={run.batch_size})): pass train's batch_size to make_dataset, do not "
        "hard-code one")


def test_train_mixed_precision_defaults_to_on_with_a_gpu_only(default_run, gpu_count):
    run = default_run.require()
    hidden = _layers(run.model)[0]
    expected = "float16" if gpu_count else "float32"
    assert hidden.compute_dtype == expected, (
        f"train(mixed_precision=None) computed in {hidden.compute_dtype} on a machine with {gpu_count} GPU(s), "
        f"expected {expected}: None means mixed precision on when a GPU is present, off otherwise")


def test_train_with_mixed_precision_on_the_cpu(submission, digits, train_once):
    run = train_once(submission, digits.x_train[:256], digits.y_train[:256], epochs=1, batch_size=64,
                     mixed_precision=True).require()
    hidden, last = _layers(run.model)[0], _layers(run.model)[-1]
    assert hidden.compute_dtype == "float16", (
        f"train(mixed_precision=True) built a model computing in {hidden.compute_dtype}, expected float16")
    assert last.compute_dtype == "float32", (
        f"the softmax output is {last.compute_dtype} under mixed precision: give the output layer "
        "dtype='float32', e.g. keras.layers.Activation('softmax', dtype='float32')")
    loss = run.history.history.get("loss", [float("nan")])[-1]
    assert np.isfinite(loss), f"training with mixed precision gave a loss of {loss}"


PIPELINE_TRAIN_SAMPLES, PIPELINE_VAL_SAMPLES, PIPELINE_BATCH = 200, 120, 40  # sizes that tell the calls apart
FEED_THE_DATASET = "feed model.fit the dataset make_dataset returns, not the numpy arrays"


def _recording_make_dataset(make_dataset, calls: list):
    """Stands in for the submission's make_dataset: delegates to it, and records each call and how many samples
    were then read from the dataset it returned, so the test sees whether fit consumed that pipeline."""

    def recording(x, y, batch_size, training=True):
        call = {"samples": len(x), "batch_size": batch_size, "training": training, "read": 0}
        calls.append(call)

        def count(images):
            call["read"] += int(images.shape[0])
            return images

        def counted(images, labels):
            passed = tf.py_function(count, [images], images.dtype)
            passed.set_shape(images.shape)
            return passed, labels

        return make_dataset(x, y, batch_size, training=training).map(counted)

    return recording


def _pipeline_call(calls, samples, training):
    return next((call for call in calls if call["samples"] == samples and bool(call["training"]) == training), None)


def _same_device(device: str, expected: str) -> bool:
    found, wanted = tf.DeviceSpec.from_string(device), tf.DeviceSpec.from_string(expected)
    return (found.device_type or "").upper() == (wanted.device_type or "").upper() and \
        (found.device_index or 0) == (wanted.device_index or 0)


def test_train_uses_make_dataset_on_the_training_device(submission, digits, monkeypatch, train_once):
    calls = []
    monkeypatch.setattr(submission, "make_dataset", _recording_make_dataset(submission.make_dataset, calls))
    run = train_once(submission, digits.x_train[:PIPELINE_TRAIN_SAMPLES], digits.y_train[:PIPELINE_TRAIN_SAMPLES],
                     validation_data=(digits.x_val[:PIPELINE_VAL_SAMPLES], digits.y_val[:PIPELINE_VAL_SAMPLES]),
                     epochs=1, batch_size=PIPELINE_BATCH).require()
    training = _pipeline_call(calls, PIPELINE_TRAIN_SAMPLES, training=True)
    assert training is not None, (
        "train did not build its input pipeline with make_dataset: call make_dataset(x_train, y_train, batch_size, "
        f"training=True) and {FEED_THE_DATASET}")
    assert training["batch_size"] == PIPELINE_BATCH, (
        f"train called make_dataset with batch_size={training['batch_size']!r}, expected {PIPELINE_BATCH}: pass "
        "train's batch_size argument on, do not hard-code one")
    assert training["read"] > 0, (
        f"train called make_dataset but fit never read the training dataset it returned: {FEED_THE_DATASET}")
    validation = _pipeline_call(calls, PIPELINE_VAL_SAMPLES, training=False)
    assert validation is not None, (
        "train did not build its validation pipeline with make_dataset: call make_dataset(x_val, y_val, "
        "batch_size, training=False) (not shuffled) and pass that dataset as fit's validation_data, not the arrays")
    assert validation["read"] > 0, (
        "train called make_dataset for the validation data but fit never read that dataset: pass it as fit's "
        "validation_data, not the numpy arrays")
    expected = submission.training_device()
    device = run.model.trainable_variables[0].value.device
    assert _same_device(device, expected), (
        f"the model's variables are on {device}, not on training_device() ({expected}): build the model and call "
        "fit inside `with tf.device(training_device()):`")


@pytest.mark.gpu
def test_train_places_the_variables_on_the_gpu(default_run):
    run = default_run.require()
    device = run.model.trainable_variables[0].value.device
    assert "GPU:0" in device.upper(), f"the model's variables are on {device}, expected GPU:0"


# ---------------------------------------------------------------- configure_gpus, in a fresh process
# (started with the first test and checked last, so its TensorFlow import overlaps the tests above)

def _check_call(outcome, call, when, gpu_count):
    error = outcome["error"]
    if error and error.startswith("NotImplementedError"):
        pytest.fail("configure_gpus is not implemented yet (it raised NotImplementedError)", pytrace=False)
    if error and not gpu_count:
        pytest.fail(f"{call} raised {error} {when} on a machine without GPUs: with no GPU it must simply "
                    "return []", pytrace=False)
    if error:
        pytest.fail(f"{call} raised {error} {when}: TensorFlow refuses GPU settings once it has initialized; "
                    "catch the RuntimeError, warn, and return the visible GPUs", pytrace=False)
    if outcome["returned_type"] != "list":
        pytest.fail(f"configure_gpus must return a list, it returned {outcome['returned_type']}", pytrace=False)


def test_configure_gpus_before_initialization(configure_probe, gpu_count):
    before = configure_probe.report()["before"]
    _check_call(before, "configure_gpus(max_gpus=1)", "in a fresh process", gpu_count)
    assert len(before["returned"]) == min(gpu_count, 1), (
        f"configure_gpus(max_gpus=1) returned {before['returned']}, expected "
        + ("[] on a machine without GPUs" if not gpu_count else "the first GPU only"))


def test_configure_gpus_after_initialization_does_not_raise(configure_probe, gpu_count):
    report = configure_probe.report()
    after = report["after"]
    _check_call(after, "configure_gpus()", "after TensorFlow had initialized", gpu_count)
    assert len(after["returned"]) == len(report["visible_after"]), (
        f"after initialization configure_gpus returned {after['returned']}, but the visible GPUs are "
        f"{report['visible_after']}")


@pytest.mark.gpu
def test_configure_gpus_sets_memory_growth_on_every_gpu(configure_probe):
    report = configure_probe.report()
    assert report["memory_growth"] and all(report["memory_growth"]), (
        f"memory growth is not enabled on every GPU ({report['memory_growth']}): call "
        "tf.config.experimental.set_memory_growth(gpu, True) for each GPU before any TensorFlow operation")
    assert len(report["visible"]) == 1, f"max_gpus=1 left {report['visible']} visible, expected the first GPU only"


@pytest.mark.gpu
def test_configure_gpus_after_initialization_warns(configure_probe):
    after = configure_probe.report()["after"]
    assert after["warnings"], (
        "configure_gpus changed nothing after TensorFlow had initialized its GPUs, and said nothing: warn "
        "(warnings.warn) that the settings could not be applied")
