"""quiz.exercises.mlp against real Keras on the CPU, in-process: the NumPy MLP must do what `model.fit` does.

Keras (float32) and the NumPy module (float64 inside, float32 weights out) differ by float32 rounding only. Largest
absolute gaps measured on the development machine (TF 2.21, Keras 3.15, CPU):
  one SGD(0.5) step on 96 samples: weights 4.5e-8, reported loss 1.4e-7
  four SGD(0.1) steps of 32: weights 1.5e-8; per-step losses 2.5e-7, their running means (Keras's batch logs) 8.9e-8,
    history["loss"][0] vs their mean 7.3e-8
  sparse integer labels, one SGD(0.5) step: weights 4.5e-8
  predict vs model.predict 1.5e-7; evaluate: loss 8.8e-9, accuracy equal
Each comparison allows 1e-5.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from quiz.exercises import datasets, mlp

TOLERANCE = 1e-5
SAMPLES = 96  # one batch of 96 for the single step; the trajectory takes 128 samples, four batches of 32
TRAJECTORY_SAMPLES = 128


@pytest.fixture(scope="module")
def keras():
    """Keras with the TensorFlow backend, imported only when a test here runs (not when the suite is collected)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    module = pytest.importorskip("keras")
    assert module.backend.backend() == "tensorflow"
    return module


@pytest.fixture(scope="module")
def digits():
    """96 training digits flattened to (96, 784) in [0, 1], their one-hot labels, integer labels; and the validation
    set the same way."""
    x, classes = training_digits(SAMPLES)
    data = datasets.load_digits()
    x_val = data.x_val.reshape(len(data.x_val), -1).astype(np.float32) / 255.0
    val_classes = data.y_val.astype(np.int64)
    return x, one_hot(classes), classes, x_val, one_hot(val_classes), val_classes


def training_digits(count):
    """The first `count` training digits as float32 (count, 784) in [0, 1], and their classes."""
    data = datasets.load_digits()
    x = data.x_train[:count].reshape(count, -1).astype(np.float32) / 255.0
    return x, data.y_train[:count].astype(np.int64)


@pytest.fixture(scope="module")
def initial_weights():
    """Glorot-uniform kernels and small non-zero biases, from a fixed seed."""
    rng = np.random.default_rng(1234)

    def glorot(fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)

    return [
        glorot(784, 128),
        rng.normal(0.0, 0.01, 128).astype(np.float32),
        glorot(128, 10),
        rng.normal(0.0, 0.01, 10).astype(np.float32),
    ]


@pytest.fixture(scope="module")
def model(keras, initial_weights):
    """One compiled model for the tests with one-hot labels, so Keras traces its functions once (a few seconds
    saved); `reset` gives it each test's weights and learning rate. Plain SGD keeps no state between steps."""
    return build_model(keras, initial_weights)


def reset(model, weights, learning_rate=0.1):
    model.set_weights(weights)
    model.optimizer.learning_rate.assign(learning_rate)
    return model


def one_hot(classes):
    return np.eye(10, dtype=np.float32)[classes]


def build_model(keras, weights, learning_rate=0.1, loss="categorical_crossentropy"):
    """The exercises' MLP without dropout, with the given weights, compiled with plain SGD."""
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss=loss, metrics=["accuracy"])
    return model


def max_gap(first, second):
    return max(
        float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
        for a, b in zip(first, second, strict=True)
    )


def fit_recording_batch_logs(keras, model, x, y, batch_size):
    """fit for one epoch without shuffling; returns the history and the "loss" Keras logs after each batch."""
    logged = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: logged.append(logs["loss"]))
    history = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[record])
    return history, np.array(logged, dtype=np.float64)


def test_one_step_on_the_whole_batch_matches_fit(keras, model, digits, initial_weights):
    x, y, *_ = digits
    reset(model, initial_weights, 0.5)
    history = model.fit(x, y, batch_size=SAMPLES, epochs=1, shuffle=False, verbose=0)
    expected = mlp.sgd_step(initial_weights, x, y, 0.5)
    assert all(w.dtype == np.float32 for w in expected)
    assert max_gap(model.get_weights(), expected) < TOLERANCE  # measured 4.5e-8
    assert max_gap(model.get_weights(), initial_weights) > 1e-3  # the step moved the weights
    # The loss fit reports is the batch's, before the step.
    assert abs(history.history["loss"][0] - mlp.cross_entropy(initial_weights, x, y)) < TOLERANCE


def test_trajectory_of_four_batches_matches_fit_and_its_losses(keras, model, initial_weights):
    """Keras 3 logs, after each batch, the running mean of the batch losses so far (weighted by batch size), and
    history["loss"][0] is that mean over the epoch."""
    x, classes = training_digits(TRAJECTORY_SAMPLES)
    y = one_hot(classes)
    reset(model, initial_weights, 0.1)
    history, logged = fit_recording_batch_logs(keras, model, x, y, batch_size=32)
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, TRAJECTORY_SAMPLES, 32)]
    final, losses = mlp.sgd_trajectory(initial_weights, batches, 0.1)
    assert len(losses) == 4 and len(logged) == 4
    assert max_gap(model.get_weights(), final) < TOLERANCE  # measured 1.5e-8
    running_mean = np.cumsum(losses) / np.arange(1, 5)
    assert np.max(np.abs(logged - running_mean)) < TOLERANCE
    assert abs(history.history["loss"][0] - np.mean(losses)) < TOLERANCE  # measured 7.3e-8
    assert losses[0] == pytest.approx(mlp.cross_entropy(initial_weights, *batches[0]))
    assert losses[-1] < losses[0]  # each loss is taken before its own step: the steps so far lowered it


def test_history_loss_weights_a_short_last_batch_by_its_size(keras, model, digits, initial_weights):
    x, y, *_ = digits
    reset(model, initial_weights, 0.1)
    history, _ = fit_recording_batch_logs(keras, model, x, y, batch_size=40)  # batches of 40, 40, 16
    batches = [(x[i : i + 40], y[i : i + 40]) for i in range(0, SAMPLES, 40)]
    final, losses = mlp.sgd_trajectory(initial_weights, batches, 0.1)
    assert max_gap(model.get_weights(), final) < TOLERANCE
    weighted = np.average(losses, weights=[40, 40, 16])
    assert abs(history.history["loss"][0] - weighted) < TOLERANCE
    assert abs(weighted - np.mean(losses)) > 1e-4  # the plain mean would not match


def test_predict_matches_model_predict(keras, model, digits, initial_weights):
    x, *_, x_val, _, _ = digits
    reset(model, initial_weights)
    for inputs in (x, x_val):
        ours = mlp.predict(initial_weights, inputs)
        assert ours.shape == (len(inputs), 10) and ours.dtype == np.float64
        assert np.max(np.abs(ours - model.predict(inputs, batch_size=len(inputs), verbose=0))) < TOLERANCE
    images = x.reshape(SAMPLES, 28, 28)  # unflattened images are accepted too
    assert np.array_equal(mlp.predict(initial_weights, images), mlp.predict(initial_weights, x))


def test_accuracy_and_loss_match_evaluate_after_training(keras, model, digits, initial_weights):
    x, y, _, x_val, y_val, _ = digits
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, SAMPLES, 16)] * 5  # five epochs of six steps
    trained, _ = mlp.sgd_trajectory(initial_weights, batches, 0.1)  # (0.5 is too large for 30 steps: stuck at 12%)
    reset(model, trained)
    loss, accuracy = model.evaluate(x_val, y_val, batch_size=len(x_val), verbose=0)
    assert mlp.accuracy(trained, x_val, y_val) == pytest.approx(accuracy, abs=1e-6)
    assert accuracy > 0.5  # trained enough that accuracy means something
    assert abs(mlp.cross_entropy(trained, x_val, y_val) - loss) < TOLERANCE


def test_sparse_integer_labels_match_sparse_categorical_crossentropy(keras, digits, initial_weights):
    x, y, classes, x_val, y_val, val_classes = digits
    model = build_model(keras, initial_weights, learning_rate=0.5, loss="sparse_categorical_crossentropy")
    model.fit(x, classes, batch_size=SAMPLES, epochs=1, shuffle=False, verbose=0)
    from_classes = mlp.sgd_step(initial_weights, x, classes, 0.5)
    assert max_gap(model.get_weights(), from_classes) < TOLERANCE
    assert max_gap(from_classes, mlp.sgd_step(initial_weights, x, y, 0.5)) < 1e-6
    assert mlp.cross_entropy(initial_weights, x, classes) == pytest.approx(mlp.cross_entropy(initial_weights, x, y))
    assert mlp.accuracy(initial_weights, x_val, val_classes) == mlp.accuracy(initial_weights, x_val, y_val)


def test_keras_clips_probabilities_only_when_given_plain_probabilities(keras, model, digits, initial_weights):
    """fit / evaluate compute the loss from the softmax's logits (no clip); categorical_crossentropy on
    model.predict's array clips to [1e-7, 1 - 1e-7]. With weights large enough to saturate the softmax they differ."""
    x, y, *_ = digits
    saturated = [w * 8 for w in initial_weights]
    reset(model, saturated)
    probabilities = model.predict(x, batch_size=SAMPLES, verbose=0)
    assert probabilities.min() < 1e-7  # some probabilities are clipped
    evaluated, _ = model.evaluate(x, y, batch_size=SAMPLES, verbose=0)
    clipped = float(np.mean(keras.losses.categorical_crossentropy(y, probabilities)))
    assert abs(mlp.cross_entropy(saturated, x, y) - evaluated) < 1e-4 * evaluated
    assert abs(mlp.cross_entropy(saturated, x, y, clip_probabilities=True) - clipped) < 1e-4 * clipped
    assert clipped < evaluated - 1.0


def test_clip_changes_nothing_for_small_weights(digits, initial_weights):
    """No probability reaches 1e-7 or 1 - 1e-7, so the clip is the identity there and its gradient is 1: the step
    computed from logits is the one Keras takes, whichever path the loss goes through."""
    x, y, *_ = digits
    probabilities = mlp.predict(initial_weights, x)
    assert probabilities.min() > 1e-4 and probabilities.max() < 1 - 1e-4
    assert mlp.cross_entropy(initial_weights, x, y, clip_probabilities=True) == pytest.approx(
        mlp.cross_entropy(initial_weights, x, y), rel=1e-12
    )


def test_check_weights_accepts_get_weights_and_returns_float32(keras, model, initial_weights):
    reset(model, initial_weights)
    checked = mlp.check_weights(model.get_weights())
    assert [w.shape for w in checked] == [(784, 128), (128,), (128, 10), (10,)]
    as_float64 = mlp.check_weights(tuple(w.astype(np.float64) for w in initial_weights))
    assert all(w.dtype == np.float32 for w in as_float64)
    assert max_gap(as_float64, initial_weights) == 0.0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda w: w + [np.zeros(3), np.zeros(3)], "expected 4 weight arrays (W1, b1, W2, b2), got 6"),
        (lambda w: w[:3], "expected 4 weight arrays (W1, b1, W2, b2), got 3"),
        (lambda w: [np.zeros((784, 64))] + w[1:], "W1 has shape (784, 64), expected (784, 128)"),
        (lambda w: w[:2] + [w[2].T] + w[3:], "W2 has shape (10, 128), expected (128, 10)"),
        (lambda w: w[:1] + [np.full(128, np.nan)] + w[2:], "weights contain NaN or infinity (in b1)"),
        (lambda w: w[:3] + [np.full(10, np.inf)], "weights contain NaN or infinity (in b2)"),
        (lambda w: w[:3] + [np.full(10, 1e39)], "weights contain NaN or infinity (in b2)"),  # overflows float32
        (lambda w: w[:3] + [np.array(["a"] * 10)], "b2 has dtype <U1, expected a real numeric array"),
        (lambda w: np.zeros(4), "expected a list of 4 weight arrays (W1, b1, W2, b2), got ndarray"),
    ],
)
def test_check_weights_names_what_is_wrong(initial_weights, change, message):
    with pytest.raises(mlp.WeightsError) as raised:
        mlp.check_weights(change(list(initial_weights)))
    assert str(raised.value) == message and "\n" not in message
    assert isinstance(raised.value, ValueError)


def test_every_function_checks_the_weights(digits):
    x, y, *_ = digits
    with pytest.raises(mlp.WeightsError, match="got 2"):
        mlp.predict([np.zeros((784, 128)), np.zeros(128)], x)


def test_bad_inputs_and_labels_raise_value_errors(digits, initial_weights):
    x, y, classes, *_ = digits
    with pytest.raises(ValueError, match=r"x has shape \(96, 100\)"):
        mlp.predict(initial_weights, np.zeros((96, 100)))
    with pytest.raises(ValueError, match=r"labels have shape \(95,\)"):
        mlp.accuracy(initial_weights, x, classes[:95])
    with pytest.raises(ValueError, match="classes 0-9"):
        mlp.cross_entropy(initial_weights, x, classes + 5)


def test_importing_the_module_loads_neither_tensorflow_nor_keras():
    code = (
        "import sys, numpy as np, quiz.exercises.mlp as m; "
        "m.sgd_step([np.zeros(s, np.float32) for s in m.WEIGHT_SHAPES], np.zeros((2, 784)), [0, 1], 0.1); "
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('tensorflow', 'keras')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
