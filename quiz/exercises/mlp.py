"""The exercises' digits MLP in plain NumPy, for the grader to recompute what a candidate's Keras code should give.

The network: 784 -> Dense(128, relu) -> [Dropout: identity at inference] -> Dense(10, softmax). Weights are the list
`model.get_weights()` returns: [W1 (784, 128), b1 (128,), W2 (128, 10), b2 (10,)]. Inputs `x` are what the model is
fed: (N, 784) or anything that reshapes to it, e.g. (N, 28, 28), already scaled (nothing here divides by 255).
Labels are integer classes (N,) or one-hot / probability rows (N, 10).

How Keras 3 computes the loss, which this module matches: `categorical_crossentropy` clips probabilities to
[1e-7, 1 - 1e-7] only when it is given plain probabilities. The output of a softmax activation carries its logits
(`_keras_logits`), and then Keras (TensorFlow backend) uses `softmax_cross_entropy_with_logits` instead: no clipping,
so `fit` and `evaluate` report log-sum-exp(z) - z[label] (above 16.12 when the model is confidently wrong) and the
gradient is exactly softmax(z) - y. Pass `clip_probabilities=True` to `cross_entropy` to get Keras's value for arrays of
probabilities, e.g. `keras.losses.categorical_crossentropy(y, model.predict(x))`. While every probability lies inside
(1e-7, 1 - 1e-7), as it does for small weights, both give the same loss and the same gradient.

Keras works in float32; everything here is computed in float64 and weights are returned as float32, like
`get_weights()`. The differences from Keras are float32 rounding, around 1e-7. Numpy only: no TensorFlow, no Keras.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

NUM_PIXELS = 28 * 28
HIDDEN_UNITS = 128
NUM_CLASSES = 10
KERAS_EPSILON = 1e-7  # keras.config.epsilon(), the clip in categorical_crossentropy on probabilities
WEIGHT_NAMES = ("W1", "b1", "W2", "b2")
WEIGHT_SHAPES = ((NUM_PIXELS, HIDDEN_UNITS), (HIDDEN_UNITS,), (HIDDEN_UNITS, NUM_CLASSES), (NUM_CLASSES,))


class WeightsError(ValueError):
    """The weights are not the four finite arrays of the exercises' MLP."""


def check_weights(weights: Sequence[np.ndarray]) -> list[np.ndarray]:
    """[W1, b1, W2, b2] as float32 arrays; raises WeightsError naming the first thing wrong."""
    if isinstance(weights, (np.ndarray, str, bytes, Mapping)) or not isinstance(weights, Iterable):
        raise WeightsError(f"expected a list of 4 weight arrays (W1, b1, W2, b2), got {type(weights).__name__}")
    weights = list(weights)
    if len(weights) != len(WEIGHT_NAMES):
        raise WeightsError(f"expected 4 weight arrays (W1, b1, W2, b2), got {len(weights)}")
    checked = []
    for name, expected, array in zip(WEIGHT_NAMES, WEIGHT_SHAPES, weights):
        try:
            array = np.asarray(array)
        except ValueError:  # ragged nested lists
            raise WeightsError(f"{name} is not a rectangular array") from None
        is_real_number = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
        if not is_real_number:  # bool, complex, strings, objects
            raise WeightsError(f"{name} has dtype {array.dtype}, expected a real numeric array")
        if array.shape != expected:
            raise WeightsError(f"{name} has shape {array.shape}, expected {expected}")
        with np.errstate(over="ignore"):
            array = array.astype(np.float32)
        if not np.isfinite(array).all():
            raise WeightsError(f"weights contain NaN or infinity (in {name})")
        checked.append(array)
    return checked


def logits(weights: Sequence[np.ndarray], x: np.ndarray) -> np.ndarray:
    """Pre-softmax outputs z (N, 10), float64."""
    w1, b1, w2, b2 = _float64(check_weights(weights))
    hidden = np.maximum(_inputs(x) @ w1 + b1, 0.0)
    return hidden @ w2 + b2


def predict(weights: Sequence[np.ndarray], x: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10), float64 (`model.predict` gives the same in float32)."""
    return _softmax(logits(weights, x))


def accuracy(weights: Sequence[np.ndarray], x: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose most probable class is the label (Keras's categorical / sparse accuracy)."""
    x = _inputs(x)
    predicted = np.argmax(logits(weights, x), axis=1)
    return float(np.mean(predicted == np.argmax(_targets(labels, len(x)), axis=1)))


def cross_entropy(
    weights: Sequence[np.ndarray], x: np.ndarray, labels: np.ndarray, *, clip_probabilities: bool = False
) -> float:
    """Mean categorical cross-entropy over the batch, as `fit` / `evaluate` report it for a softmax output.

    clip_probabilities=True: Keras's value when given probabilities rather than the softmax's output tensor (clipped to
    [1e-7, 1 - 1e-7] after renormalising each row)."""
    x = _inputs(x)
    targets = _targets(labels, len(x))
    z = logits(weights, x)
    if clip_probabilities:
        probabilities = _softmax(z)
        probabilities = np.clip(
            probabilities / probabilities.sum(axis=1, keepdims=True), KERAS_EPSILON, 1.0 - KERAS_EPSILON
        )
        per_sample = -np.sum(targets * np.log(probabilities), axis=1)
    else:
        per_sample = -np.sum(targets * _log_softmax(z), axis=1)
    return float(np.mean(per_sample))


def sgd_step(
    weights: Sequence[np.ndarray], x: np.ndarray, labels: np.ndarray, learning_rate: float
) -> list[np.ndarray]:
    """Weights after one plain SGD step (no momentum) on the batch's mean cross-entropy, as float32.

    What `fit(batch_size=len(x))` with `SGD(learning_rate)` does for one batch, and what a correct MirroredStrategy /
    MultiWorkerMirroredStrategy step does with the global batch. Dropout, if the model has any, is taken as rate 0:
    a training step with dropout is random and cannot be recomputed."""
    new_weights, _ = _step_and_loss(weights, x, labels, learning_rate)
    return new_weights


def sgd_trajectory(
    weights: Sequence[np.ndarray], batches: Iterable[tuple[np.ndarray, np.ndarray]], learning_rate: float
) -> tuple[list[np.ndarray], list[float]]:
    """Final weights after `sgd_step` on each (x, labels) batch in order, and each batch's loss before its step.

    The losses are what a training loop reports per step. Keras 3's `history["loss"][epoch]` is their mean weighted
    by batch size (its running mean over the epoch): `np.average(losses, weights=batch_sizes)`."""
    current = check_weights(weights)
    losses = []
    for x, labels in batches:
        current, loss = _step_and_loss(current, x, labels, learning_rate)
        losses.append(loss)
    return current, losses


def _step_and_loss(
    weights: Sequence[np.ndarray], x: np.ndarray, labels: np.ndarray, learning_rate: float
) -> tuple[list[np.ndarray], float]:
    """One SGD step by manual backprop, and the batch's loss before it (computed from logits, as Keras does)."""
    w1, b1, w2, b2 = _float64(check_weights(weights))
    x = _inputs(x)
    targets = _targets(labels, len(x))
    pre_activation = x @ w1 + b1
    hidden = np.maximum(pre_activation, 0.0)
    z = hidden @ w2 + b2
    log_probabilities = _log_softmax(z)
    loss = float(np.mean(-np.sum(targets * log_probabilities, axis=1)))
    # d(mean loss)/dz: softmax(z) * sum(target) - target, over N (Keras's "sum_over_batch_size" reduction).
    grad_z = (np.exp(log_probabilities) * targets.sum(axis=1, keepdims=True) - targets) / len(x)
    grad_w2 = hidden.T @ grad_z
    grad_b2 = grad_z.sum(axis=0)
    grad_pre = (grad_z @ w2.T) * (pre_activation > 0)  # relu's gradient at 0 is 0, as in TensorFlow
    grad_w1 = x.T @ grad_pre
    grad_b1 = grad_pre.sum(axis=0)
    rate = float(learning_rate)
    updated = [w - rate * g for w, g in zip((w1, b1, w2, b2), (grad_w1, grad_b1, grad_w2, grad_b2))]
    return [w.astype(np.float32) for w in updated], loss


def _float64(weights: list[np.ndarray]) -> list[np.ndarray]:
    return [w.astype(np.float64) for w in weights]


def _inputs(x: np.ndarray) -> np.ndarray:
    """x as float64 (N, 784); raises ValueError when it is not N images of 784 finite values."""
    x = np.asarray(x)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError(f"x must hold at least one sample, got shape {x.shape}")
    if x.size != len(x) * NUM_PIXELS:
        raise ValueError(f"x has shape {x.shape}, expected (N, {NUM_PIXELS}) or (N, 28, 28)")
    x = x.reshape(len(x), NUM_PIXELS).astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or infinity")
    return x


def _targets(labels: np.ndarray, count: int) -> np.ndarray:
    """Labels as float64 (N, 10) rows: integer classes (N,) become one-hot; (N, 10) rows are taken as they are."""
    labels = np.asarray(labels)
    if labels.shape == (count,):
        if not np.issubdtype(labels.dtype, np.integer) and not np.array_equal(labels, np.round(labels)):
            raise ValueError("labels of shape (N,) must be integer classes 0-9")
        if labels.min() < 0 or labels.max() >= NUM_CLASSES:
            raise ValueError(f"labels must be classes 0-9, got values from {labels.min()} to {labels.max()}")
        return np.eye(NUM_CLASSES)[labels.astype(np.int64)]
    if labels.shape == (count, NUM_CLASSES):
        labels = labels.astype(np.float64)
        if not np.isfinite(labels).all():
            raise ValueError("labels contain NaN or infinity")
        return labels
    raise ValueError(f"labels have shape {labels.shape}, expected ({count},) or ({count}, {NUM_CLASSES})")


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(z))
