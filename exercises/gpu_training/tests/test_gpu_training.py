"""The gpu_training exercise: configure_gpus, training_device, make_dataset, build_model and train.

The submission runs in a sandboxed process of its own; this process never imports it, nor TensorFlow. The exercise's
probes (probes.py), run over there, turn its models, datasets and histories into plain data, and every verdict is
reached here. A test marked `verdict("recomputed")` checks that data against this suite's own computation: the
network recomputed from the model's weights (quiz.exercises.mlp), the batches against the inputs they came from.
A test marked `verdict("reported")` rests on a fact a probe reported (a class name, a dtype, a device, a count).
Everything that can be checked without a GPU is checked on the CPU for real; tests marked `gpu` need one and are
skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from quiz.exercises import mlp
from quiz.grading.remote import SubmissionError

EXPECTED_PARAMETERS = 784 * 128 + 128 + 128 * 10 + 10  # 101,770
ARCHITECTURE = "784 -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax)"
ACCURACY_THRESHOLD = 0.80
HELD_OUT = slice(1000, 1500)  # training digits the default run never sees (it trains on the first 1,000)
PROBE_SAMPLES = 64  # inputs for a forward pass
FLOAT32_ATOL = 1e-5  # a float32 forward pass against the float64 recomputation: measured 6e-8
FLOAT16_ATOL = 2e-2  # with float16 compute: measured 1e-4
DROPOUT_SAMPLES, DROPOUT_PASSES = 32, 400  # training-mode passes for the dropout fit (measured: 0.198-0.200 for 0.2)
DROPOUT_RANGE = (0.16, 0.24)
DROPOUT_RESIDUAL = 0.3  # measured: 0.13-0.14 for dropout on the hidden units, 0.45 on the inputs, 0.83 on the logits
ACCURACY_KEYS = ("accuracy", "acc", "categorical_accuracy")  # what compile(metrics=[...]) logs, by spelling
FEED_THE_DATASET = "feed model.fit the dataset make_dataset returns, not the numpy arrays"


def _not_implemented(exc: SubmissionError, name: str) -> None:
    if exc.type_name == "NotImplementedError":
        pytest.fail(f"{name} is not implemented yet (it raised NotImplementedError)", pytrace=False)


def call(function, *args, **kwargs):
    """A function of the submission, called over there; NotImplementedError fails the test as "not implemented"."""
    try:
        return function(*args, **kwargs)
    except SubmissionError as exc:
        _not_implemented(exc, function.__name__)
        raise


def _shape(shape) -> str:
    if shape is None:
        return "(unknown)"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# ---------------------------------------------------------------- recomputing the network


def network(arrays) -> list[np.ndarray]:
    """The model's weights as [W1, b1, W2, b2] (in whatever order get_weights gives them: they are told apart by
    their shapes), or the test fails naming what is wrong with the architecture."""
    arrays = [np.asarray(array) for array in arrays]
    shapes = [tuple(array.shape) for array in arrays]
    expected = list(mlp.WEIGHT_SHAPES)
    if len(shapes) == len(expected) and sorted(shapes) == sorted(expected):
        try:
            return mlp.check_weights([arrays[shapes.index(shape)] for shape in expected])
        except mlp.WeightsError as exc:
            pytest.fail(f"the model's weights are not usable: {exc}", pytrace=False)
    kernels = [shape for shape in shapes if len(shape) == 2]
    hidden = next((shape for shape in kernels if shape[0] == 784), None)
    if hidden is not None and hidden[1] != 128:
        pytest.fail(f"wrong architecture: the hidden Dense layer has {hidden[1]} units, expected 128", pytrace=False)
    output = next((shape for shape in kernels if shape[0] == 128), None)
    if output is not None and output[1] != 10:
        pytest.fail(f"wrong architecture: the output layer has {output[1]} units, expected 10", pytrace=False)
    count = sum(int(np.prod(shape)) for shape in shapes)
    pytest.fail(
        f"wrong architecture: expected {ARCHITECTURE}, whose weights are W1 (784, 128), b1 (128,), "
        f"W2 (128, 10), b2 (10,) ({EXPECTED_PARAMETERS:,} parameters); the model's weights have shapes "
        f"{', '.join(_shape(s) for s in shapes) or 'none'} ({count:,} parameters)",
        pytrace=False,
    )


def any_width(arrays) -> list[np.ndarray]:
    """[W1, b1, W2, b2] of a 784 -> k -> 10 network of any hidden width k, so that the clauses on precision and dropout
    are judged on their own when only the width is wrong (test_build_model_computes_the_network says that); else as
    `network`."""
    arrays = [np.asarray(array) for array in arrays]
    if len(arrays) == 4 and all(array.dtype.kind == "f" for array in arrays):
        w1, b1, w2, b2 = arrays
        if (
            w1.ndim == 2
            and w1.shape[0] == 784
            and b1.shape == (w1.shape[1],)
            and w2.shape == (w1.shape[1], 10)
            and b2.shape == (10,)
            and all(np.isfinite(array).all() for array in arrays)
        ):
            return [array.astype(np.float32) for array in arrays]
    return network(arrays)


def gap(probabilities: np.ndarray, weights, x) -> float:
    """Largest difference between the model's outputs and the network recomputed from its weights in float64."""
    return float(np.max(np.abs(probabilities.astype(np.float64) - mlp.predict(weights, x))))


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


HIDDEN_ACTIVATIONS = {
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "tanh": np.tanh,
    "no activation": lambda a: a,
}
OUTPUT_ACTIVATIONS = {"softmax": _softmax, "no activation": lambda z: z, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
EXERCISE_NETWORK = "Dense(128, relu) -> Dense(10, softmax)"


def closest_network(probabilities, weights, x) -> tuple[str, float, str]:
    """Which variant of the network (hidden and output activations; the exercise's first) the model's outputs are
    closest to, recomputed from its weights in float64, the largest difference from it, and its hidden activation."""
    probabilities = np.asarray(probabilities)
    if probabilities.shape != (len(x), 10):
        return ("", math.inf, "relu")
    w1, b1, w2, b2 = (w.astype(np.float64) for w in weights)
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    probabilities = probabilities.astype(np.float64)
    best = ("", math.inf, "relu")
    for hidden_name, hidden in HIDDEN_ACTIVATIONS.items():
        for output_name, output in OUTPUT_ACTIVATIONS.items():
            with np.errstate(over="ignore"):
                computed = output(hidden(x @ w1 + b1) @ w2 + b2)
            difference = float(np.max(np.abs(probabilities - computed)))
            if difference < best[1]:
                best = (f"Dense({w1.shape[1]}, {hidden_name}) -> Dense(10, {output_name})", difference, hidden_name)
    return best


def what_it_computes(probabilities, weights, x) -> str | None:
    """The other variant of the network the outputs match, if one does."""
    name, difference, _ = closest_network(probabilities, weights, x)
    return name if difference <= FLOAT16_ATOL and name != EXERCISE_NETWORK else None


def rounding(probabilities, weights, x) -> float:
    """How far the outputs are from the network the model computes (the exercise's, or a variant with other
    activations, which test_build_model_computes_the_network rejects): its rounding error, so that precision is
    judged on its own. Fails the test when the model computes none of them."""
    _, difference, _ = closest_network(probabilities, weights, x)
    if difference > FLOAT16_ATOL:
        pytest.fail(
            f"the model's outputs are not those of {ARCHITECTURE} recomputed from its own weights (largest "
            f"difference {difference:.3g}), so their precision cannot be judged",
            pytrace=False,
        )
    return difference


def float16_values(probabilities: np.ndarray) -> float:
    """The fraction of the outputs that are float16 numbers: nearly none computed in float32, all in float16."""
    as_float32 = probabilities.astype(np.float32)
    return float(np.mean(as_float32.astype(np.float16).astype(np.float32) == as_float32))


def layer_dtypes(facts: list[dict]) -> str:
    return ", ".join(f"{fact['class']} {fact['compute_dtype']}" for fact in facts) or "no layers"


def hidden_layer(facts: list[dict]) -> dict | None:
    return next((fact for fact in facts if fact["kernel"] and fact["kernel"][0] == 784), None)


def _build(submission, mixed_precision: bool):
    return call(submission.build_model, mixed_precision=mixed_precision)


# ---------------------------------------------------------------- training_device


@pytest.mark.verdict("reported")  # what to expect rests on the GPU count the submission's process reports
def test_training_device_names_the_gpu_or_the_cpu(submission, gpu_count):
    device = call(submission.training_device)
    expected = "/GPU:0" if gpu_count else "/CPU:0"
    assert device == expected, f"training_device() returned {device!r}, expected {expected!r} on this machine"


# ---------------------------------------------------------------- make_dataset


def _dataset(submission, digits, samples, batch_size, training):
    x, y = digits.x_train[:samples], digits.y_train[:samples]
    return call(submission.make_dataset, x, y, batch_size, training=training), x, y


def _batches(probes, dataset, samples, batch_size, passes=1) -> list[dict]:
    """Every batch of `passes` passes over the dataset, read over there; a pass is cut a few batches after the
    expected count, so that a dataset that repeats forever shows as too many batches instead of never ending."""
    return probes.dataset_batches(dataset, passes=passes, max_batches=math.ceil(samples / batch_size) + 3)


def _rows(x, y) -> list[bytes]:
    """The (image, label) pairs as a sorted list: equal for the same samples in any order."""
    pairs = np.hstack([np.asarray(x, np.float32).reshape(len(x), -1), np.asarray(y, np.float32).reshape(len(y), -1)])
    return sorted(row.tobytes() for row in pairs)


@pytest.mark.verdict("reported")
def test_make_dataset_element_spec(submission, probes, digits):
    dataset, _, _ = _dataset(submission, digits, 200, 64, training=True)
    facts = probes.dataset_facts(dataset)
    assert facts["is_dataset"], f"make_dataset must return a tf.data.Dataset, got {facts['type']}"
    assert facts["pair"], f"make_dataset's elements should be (x, y) pairs; its element spec is {facts['spec']}"
    for what, spec, width in zip(("images", "labels"), facts["spec"], (784, 10)):
        hint = ""
        if spec["shape"] and spec["shape"][0] == 64:
            hint = (
                ": a fixed batch dimension of 64 means the last partial batch is dropped; keep every sample "
                "(batch without drop_remainder=True)"
            )
        assert spec["shape"] == [None, width] and spec["dtype"] == "float32", (
            f"{what} should come in float32 batches of shape (None, {width}), got {spec['dtype']} batches of shape "
            f"{_shape(spec['shape'])}{hint}"
        )


@pytest.mark.verdict("recomputed")
def test_make_dataset_batches_keep_every_sample(submission, probes, digits):
    samples, batch_size = 200, 64  # 3 x 64 + 8: the last batch is a partial one
    dataset, x, y = _dataset(submission, digits, samples, batch_size, training=True)
    [read] = _batches(probes, dataset, samples, batch_size)
    sizes, full = read["sizes"], [batch_size] * (samples // batch_size)
    expected = full + [samples % batch_size]
    if sizes == full:
        pytest.fail(
            f"one pass over make_dataset({samples} samples, batch_size={batch_size}) gives batches of {sizes}: "
            f"the last partial batch of {samples % batch_size} samples is dropped; keep every sample (batch "
            "without drop_remainder=True)",
            pytrace=False,
        )
    endless = (
        " (and more: the dataset does not end after one pass; do not repeat it, fit repeats it per epoch)"
        if len(sizes) == math.ceil(samples / batch_size) + 3
        else ""
    )
    assert sizes == expected, (
        f"one pass over make_dataset({samples} samples, batch_size={batch_size}) gives batches of {sizes}{endless}, "
        f"expected {expected}: batches of batch_size, keeping every sample"
    )
    images, labels = read["x"], read["y"]
    assert images.dtype == np.float32 and labels.dtype == np.float32, (
        f"the batches hold {images.dtype} images and {labels.dtype} labels, expected float32"
    )
    assert images.shape == x.shape and labels.shape == y.shape, (
        f"the batches hold images of shape {images.shape[1:]} and labels of shape {labels.shape[1:]}, expected "
        f"{x.shape[1:]} and {y.shape[1:]}"
    )
    assert _rows(images, labels) == _rows(x, y), (
        "the batches do not hold the samples make_dataset was given (each image with its own label): batch the "
        "(x, y) pairs as they are"
    )


@pytest.mark.verdict("recomputed")
def test_make_dataset_shuffles_only_when_training(submission, probes, digits):
    dataset, x, y = _dataset(submission, digits, 256, 64, training=False)
    for number, read in enumerate(_batches(probes, dataset, 256, 64, passes=2), start=1):
        in_order = np.array_equal(read["x"], x) and np.array_equal(read["y"], y)
        assert in_order, (
            "with training=False the batches are not in the input order"
            + (" (on the second pass over the dataset)" if number == 2 else "")
            + ": shuffle only when training (validation data keeps its order)"
        )
    dataset, x, y = _dataset(submission, digits, 256, 64, training=True)
    [read] = _batches(probes, dataset, 256, 64)
    assert _rows(read["x"], read["y"]) == _rows(x, y), (
        "with training=True the dataset does not hold the same samples (each image with its own label)"
    )
    assert not np.array_equal(read["x"], x), (
        "with training=True the batches come in the input order: shuffle the training data"
    )


@pytest.mark.weight(2)
@pytest.mark.verdict("reported")
def test_make_dataset_prefetches_last(submission, probes, digits):
    for training in (True, False):
        dataset, _, _ = _dataset(submission, digits, 128, 32, training)
        end = probes.pipeline_end(dataset)
        assert end["is_dataset"], f"make_dataset must return a tf.data.Dataset, got {end['last']}"
        assert end["last"] == "PrefetchDataset", (
            f"the dataset (training={training}) does not end with prefetch (its last step is {end['last']}): end the "
            "pipeline with .prefetch(tf.data.AUTOTUNE) so the next batch is prepared while the device trains"
        )
        assert end["buffer_size"] == -1, (
            f"prefetch uses a fixed buffer of {end['buffer_size']} (training={training}): use tf.data.AUTOTUNE and let "
            "tf.data tune it"
        )


# ---------------------------------------------------------------- build_model


@pytest.mark.weight(2)
@pytest.mark.verdict("recomputed")
def test_build_model_computes_the_network(submission, probes, digits):
    model = _build(submission, mixed_precision=False)
    weights = network(probes.weights(model))
    x = digits.x_val[:PROBE_SAMPLES]
    probabilities = probes.outputs(model, x)
    assert probabilities.shape == (len(x), 10), (
        f"the model maps {len(x)} images to outputs of shape {probabilities.shape}, expected ({len(x)}, 10)"
    )
    difference = gap(probabilities, weights, x)
    if difference <= FLOAT16_ATOL:
        return
    sums = probabilities.astype(np.float64).sum(axis=1)
    assert np.allclose(sums, 1.0, atol=1e-3), (
        "the outputs are not probabilities (rows do not sum to 1): end with a softmax"
    )
    variant = what_it_computes(probabilities, weights, x)
    if variant is not None:
        pytest.fail(
            f"wrong architecture: the model computes {variant} from its own weights, expected {ARCHITECTURE}",
            pytrace=False,
        )
    pytest.fail(
        f"the model's outputs are not those of {ARCHITECTURE} recomputed from its own weights (largest "
        f"difference {difference:.3g} on {len(x)} digits)",
        pytrace=False,
    )


def dropout_fit(weights, x, probabilities: np.ndarray, activation: str = "relu") -> tuple[float, float]:
    """The dropout rate r on the hidden layer that explains how the training-mode outputs vary, and how well dropout
    there explains it (the relative residual: ~0.14 for dropout on the hidden units; 0.45 for dropout on the inputs,
    0.8 on the logits, 1 for none).

    With a mask m of kept hidden units (probability 1 - r) scaled by 1 / (1 - r), the logits are z_k = sum_j W2[j, k]
    m_j h_j / (1 - r) + b2[k], so their centred values c_k = z_k - mean_k(z), which log(p) - mean(log(p)) gives back
    from the probabilities p, have the covariance sum_j A[j, k] A[j, l] h_j^2 r / (1 - r) over the passes, A being W2
    less its row means: a fit of r / (1 - r) over every sample's 10 x 10 covariance."""
    w1, b1, w2, _ = (w.astype(np.float64) for w in weights)
    hidden = HIDDEN_ACTIVATIONS[activation](np.asarray(x, np.float64) @ w1 + b1)  # (N, 128)
    logs = np.log(np.clip(probabilities.astype(np.float64), 1e-30, None))  # (N, passes, 10)
    centred = logs - logs.mean(axis=2, keepdims=True)
    centred -= centred.mean(axis=1, keepdims=True)
    observed = np.einsum("npk,npl->nkl", centred, centred) / (centred.shape[1] - 1)
    spread = w2 - w2.mean(axis=1, keepdims=True)  # (128, 10)
    predicted = np.einsum("jk,nj,jl->nkl", spread, hidden**2, spread)  # per unit of r / (1 - r)
    ratio = float((observed * predicted).sum() / (predicted * predicted).sum())
    residual = float(np.linalg.norm(observed - ratio * predicted) / max(np.linalg.norm(observed), 1e-300))
    return ratio / (1 + ratio), residual


@pytest.mark.verdict("recomputed")
def test_build_model_drops_a_fifth_of_the_hidden_units_in_training(submission, probes, digits):
    model = _build(submission, mixed_precision=False)
    weights = any_width(probes.weights(model))
    x = digits.x_val[:DROPOUT_SAMPLES]
    passes = probes.outputs(model, x, training=True, repeat=DROPOUT_PASSES)
    assert passes.shape == (len(x) * DROPOUT_PASSES, 10), f"the model gave outputs of shape {passes.shape}"
    passes = passes.reshape(len(x), DROPOUT_PASSES, 10)
    layers = ", ".join(
        f"{fact['class']}" + (f"({fact['rate']:g})" if fact["rate"] is not None else "")
        for fact in probes.layers(model)
    )
    if np.max(np.abs(passes - passes[:, :1])) == 0:
        pytest.fail(
            f"wrong architecture: expected {ARCHITECTURE}, but in training mode the outputs never vary, so "
            f"nothing is dropped (layers: {layers})",
            pytrace=False,
        )
    # with the hidden activation the model computes (a wrong one is test_build_model_computes_the_network's to say)
    _, _, activation = closest_network(probes.outputs(model, x), weights, x)
    rate, residual = dropout_fit(weights, x, passes, activation)
    assert residual <= DROPOUT_RESIDUAL, (
        f"wrong architecture: expected {ARCHITECTURE}; in training mode the outputs do not vary the way dropout on "
        f"the hidden units makes them vary (their covariance is {residual:.0%} off, dropout there gives "
        f"< {DROPOUT_RESIDUAL:.0%}): put the Dropout between the two Dense layers (layers: {layers})"
    )
    low, high = DROPOUT_RANGE
    assert low <= rate <= high, (
        f"wrong architecture: expected {ARCHITECTURE}; in training mode the outputs vary as if {rate:.0%} of the "
        f"hidden units were dropped, expected 20% (layers: {layers})"
    )


@pytest.mark.verdict("recomputed")
def test_build_model_is_compiled_with_cross_entropy_and_accuracy(submission, probes, digits):
    model = _build(submission, mixed_precision=False)
    x, y = digits.x_val[:100], digits.y_val[:100]
    try:
        logged = probes.evaluate(model, x, y)
    except SubmissionError as exc:
        if "compile" in exc.message:
            pytest.fail(
                f"build_model must return a compiled model (call model.compile): evaluate raised {exc}", pytrace=False
            )
        raise
    probabilities = probes.outputs(model, x).astype(np.float64)
    assert probabilities.shape == y.shape and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-3), (
        "the outputs are not probabilities (rows do not sum to 1): end with a softmax"
    )
    # Keras's categorical cross-entropy of these outputs: from the softmax's logits (no clipping), or clipped to
    # [1e-7, 1 - 1e-7] when it is given plain probabilities; the two agree unless an output is that extreme
    exact = float(np.mean(-np.sum(y * np.log(np.clip(probabilities, 1e-300, None)), axis=1)))
    clipped = float(np.mean(-np.sum(y * np.log(np.clip(probabilities, 1e-7, 1 - 1e-7)), axis=1)))
    loss = logged.get("loss")
    assert loss is not None and min(abs(loss - exact), abs(loss - clipped)) <= 1e-4 * max(1.0, exact), (
        f"the model's loss on 100 digits is {loss}, but the categorical cross-entropy of its outputs is {exact:.6f} "
        "(recomputed here): compile with loss='categorical_crossentropy'"
    )
    key = next((key for key in ACCURACY_KEYS if key in logged), None)
    assert key is not None, (
        f"the model does not report accuracy (it logs {sorted(logged)}): compile with metrics=['accuracy']"
    )
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == np.argmax(y, axis=1)))
    assert abs(logged[key] - accuracy) <= 1 / len(x) + 1e-9, (
        f"the model's {key} on 100 digits is {logged[key]:.3f}, but it classifies {accuracy:.3f} of them right "
        "(recomputed from its outputs): compile with metrics=['accuracy']"
    )


@pytest.mark.verdict("reported")
def test_build_model_is_compiled_with_adam(submission, probes):
    facts = probes.optimizer(_build(submission, mixed_precision=False))
    assert facts["compiled"], "build_model must return a compiled model (call model.compile)"
    assert facts["adam"], f"compile the model with the Adam optimizer, got {facts['inner']}"


@pytest.mark.verdict("recomputed")
def test_build_model_without_mixed_precision_is_float32(submission, probes, digits):
    model = _build(submission, mixed_precision=False)
    _check_float32(probes, model, digits, "build_model(mixed_precision=False) should compute in float32 everywhere")


def _check_float32(probes, model, digits, what: str, why: str = "") -> None:
    """float32 everywhere: outputs as exact as float32 against the float64 recomputation, float32 variables and
    outputs, and every layer reported computing in float32."""
    arrays = probes.weights(model)
    weights = any_width(arrays)
    x = digits.x_val[:PROBE_SAMPLES]
    probabilities = probes.outputs(model, x)
    facts = probes.layers(model)
    difference = rounding(probabilities, weights, x)
    reduced = [fact for fact in facts if fact["compute_dtype"] != "float32"]
    dtypes = sorted({str(array.dtype) for array in arrays} | {str(probabilities.dtype)})
    assert difference <= FLOAT32_ATOL and not reduced and dtypes == ["float32"], (
        f"{what} (layers compute in: {layer_dtypes(facts)}; variables and outputs: {', '.join(dtypes)}; outputs "
        f"{difference:.0e} off a float32 computation, which gives < {FLOAT32_ATOL:.0e}){why}"
    )


@pytest.mark.weight(2)
@pytest.mark.verdict("recomputed")
def test_build_model_mixed_precision_computes_in_float16_with_float32_variables(submission, probes, digits):
    model = _build(submission, mixed_precision=True)
    arrays = probes.weights(model)
    variables = sorted({str(array.dtype) for array in arrays})
    weights = any_width(arrays)
    facts = probes.layers(model)
    hidden = hidden_layer(facts) or {"compute_dtype": "?", "variable_dtype": "?"}
    x = digits.x_val[:PROBE_SAMPLES]
    difference = rounding(probes.outputs(model, x), weights, x)
    assert hidden["compute_dtype"] == "float16" and difference > FLOAT32_ATOL and variables == ["float32"], (
        f"with mixed precision the hidden Dense layer should compute in float16 and keep float32 variables (policy "
        f"mixed_float16), got compute {hidden['compute_dtype']}, variables {', '.join(variables)}; the outputs "
        f"differ from a float32 computation by {difference:.1e} (float16 compute gives ~1e-4)"
    )


@pytest.mark.weight(2)
@pytest.mark.verdict("recomputed")
def test_build_model_mixed_precision_keeps_softmax_output_float32(submission, probes, digits):
    model = _build(submission, mixed_precision=True)
    probabilities = probes.outputs(model, digits.x_val[:PROBE_SAMPLES])
    facts = probes.layers(model)
    last = facts[-1]["compute_dtype"] if facts else "?"
    fix = (
        "give the output layer dtype='float32', e.g. keras.layers.Activation('softmax', dtype='float32'), so the "
        "probabilities and the loss stay in float32"
    )
    assert probabilities.dtype == np.float32, (
        f"the softmax output is {probabilities.dtype} under mixed precision (last layer computes in {last}): {fix}"
    )
    share = float16_values(probabilities)
    assert share < 0.5, (
        f"the softmax output is float16 under mixed precision, cast to float32 afterwards ({share:.0%} of the "
        f"probabilities are float16 numbers; last layer computes in {last}): compute the softmax itself in float32: "
        f"{fix}"
    )
    sums = probabilities.astype(np.float64).sum(axis=1)
    assert np.max(np.abs(sums - 1.0)) <= 1e-5, (
        f"under mixed precision the probabilities sum to 1 only within {np.max(np.abs(sums - 1.0)):.1e} (float32 "
        f"gives < 1e-5): {fix}"
    )


@pytest.mark.verdict("reported")
def test_build_model_mixed_precision_wraps_adam_in_a_loss_scale_optimizer(submission, probes):
    facts = probes.optimizer(_build(submission, mixed_precision=True))
    assert facts["loss_scale"], (
        f"with mixed precision the optimizer should be wrapped in a LossScaleOptimizer (got {facts['type']}): set the "
        "global policy to mixed_float16 before building the model, and compile will wrap it, or wrap Adam yourself: "
        "keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())"
    )
    assert facts["adam"], f"with mixed precision the LossScaleOptimizer should wrap Adam, it wraps {facts['inner']}"


@pytest.mark.weight(2)
@pytest.mark.verdict("recomputed")
def test_build_model_is_float32_again_after_a_mixed_precision_model(submission, probes, digits):
    _build(submission, mixed_precision=True)
    left = probes.global_policy()
    model = _build(submission, mixed_precision=False)
    cause = (
        f": build_model(mixed_precision=True) left Keras's global dtype policy at {left}" if left != "float32" else ""
    )
    _check_float32(
        probes,
        model,
        digits,
        "build_model(mixed_precision=False) after build_model(mixed_precision=True) in the same process "
        "built float16 layers",
        f"{cause}; with False everything must be float32 whatever ran before: set the policy to float32 (or "
        "restore it), or give the layers their own dtype",
    )


# ---------------------------------------------------------------- train


def trained_network(probes, run, digits) -> list[np.ndarray]:
    """The trained model's weights, once its outputs are checked to be the network's on them (else what is
    recomputed from the weights would not be the model)."""
    weights = network(probes.weights(run.model))
    x = digits.x_val[:PROBE_SAMPLES]
    difference = gap(probes.outputs(run.model, x), weights, x)
    if difference > FLOAT16_ATOL:
        pytest.fail(
            f"the trained model does not compute {ARCHITECTURE} from its own weights (largest difference "
            f"{difference:.3g}), so what it learned cannot be recomputed from them",
            pytrace=False,
        )
    return weights


@pytest.mark.weight(2)
@pytest.mark.verdict("recomputed")
def test_train_learns_the_digits(default_run, probes, digits):
    run = default_run.require()
    weights = trained_network(probes, run, digits)
    x, y = digits.x_train[HELD_OUT], digits.y_train[HELD_OUT]
    accuracy = mlp.accuracy(weights, x, y)
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"after {run.epochs} epochs on {run.samples:,} digits the model classifies {accuracy:.3f} of {len(x)} held-out "
        f"digits right (recomputed from its weights), expected at least {ACCURACY_THRESHOLD}"
    )


@pytest.mark.verdict("recomputed")
def test_train_returns_the_model_and_what_fit_returned(default_run, probes, digits, gpu_count):
    run = default_run.require()
    logged = probes.history(run.history)["history"]
    losses = logged.get("loss", [])
    assert len(losses) == run.epochs, (
        f"the history holds {len(losses)} epochs of loss (keys: {sorted(logged)}), expected epochs={run.epochs}: "
        "return what model.fit returned"
    )
    assert logged.get("val_loss"), (
        f"the history has no val_loss (keys: {sorted(logged)}): pass train's validation_data to fit (as a "
        "make_dataset pipeline)"
    )
    weights = trained_network(probes, run, digits)
    tolerance = 3e-2 if gpu_count else 1e-4  # mixed precision (the default with a GPU) evaluates in float16
    loss = mlp.cross_entropy(weights, digits.x_val, digits.y_val)
    if abs(logged["val_loss"][-1] - loss) > tolerance * max(1.0, loss):
        kept = len(digits.x_val) // run.batch_size * run.batch_size
        partial = mlp.cross_entropy(weights, digits.x_val[:kept], digits.y_val[:kept])
        hint = (
            f"it is the loss on the first {kept} of the {len(digits.x_val)} validation samples: the validation "
            "pipeline drops its last partial batch; keep every sample (batch without drop_remainder=True)"
            if abs(logged["val_loss"][-1] - partial) <= tolerance * max(1.0, partial)
            else "return the trained model and the History its fit returned, validated on validation_data"
        )
        pytest.fail(
            f"the history's last val_loss is {logged['val_loss'][-1]:.5f}, but the returned model's loss on "
            f"the validation data is {loss:.5f} (recomputed from its weights): {hint}",
            pytrace=False,
        )
    key = next((f"val_{key}" for key in ACCURACY_KEYS if f"val_{key}" in logged), None)
    assert key is not None, f"the history has no validation accuracy (keys: {sorted(logged)})"
    accuracy = mlp.accuracy(weights, digits.x_val, digits.y_val)
    assert abs(logged[key][-1] - accuracy) <= 2 / len(digits.x_val) + 1e-9, (
        f"the history's last {key} is {logged[key][-1]:.4f}, but the returned model classifies {accuracy:.4f} of the "
        "validation digits right (recomputed from its weights)"
    )


def _training_call(run) -> dict | None:
    return next((call for call in run.records if call["samples"] == run.samples and call["training"]), None)


@pytest.mark.verdict("reported")
def test_train_runs_the_requested_epochs_and_batches(default_run, probes):
    run = default_run.require()
    epochs_run = len(probes.history(run.history)["history"].get("loss", []))
    assert epochs_run == run.epochs, f"train ran {epochs_run} epochs, expected epochs={run.epochs}"
    per_epoch = math.ceil(run.samples / run.batch_size)
    expected = run.epochs * per_epoch
    facts = probes.optimizer(run.model)
    if not facts["loss_scale"]:  # a LossScaleOptimizer skips the steps whose float16 gradients overflowed
        steps = probes.optimizer_steps(run.model)
        hint = (
            "the last partial batch of every epoch was dropped: keep every sample (batch without drop_remainder=True)"
            if steps == run.epochs * (run.samples // run.batch_size)
            else "the returned model was never trained: return the model fit trained"
            if steps == 0
            else "pass train's batch_size to make_dataset, do not hard-code one"
        )
        assert steps == expected, (
            f"the optimizer took {steps} steps for {run.epochs} epochs of {run.samples} samples, expected {expected} "
            f"(epochs x ceil(N / batch_size={run.batch_size})): {hint}"
        )
    training = _training_call(run)
    if training is not None and training["batches"]:  # what fit read from the make_dataset pipeline
        batches = training["batches"]
        one_epoch = [run.batch_size] * (run.samples // run.batch_size) + [run.samples % run.batch_size] * bool(
            run.samples % run.batch_size
        )
        assert batches == one_epoch * run.epochs, (
            f"fit read {len(batches)} batches from the training pipeline (sizes {sorted(set(batches))}), expected "
            f"{run.epochs} epochs of {per_epoch} batches of batch_size={run.batch_size} (the last one "
            f"{run.samples % run.batch_size})"
        )


@pytest.mark.verdict("reported")  # what to expect rests on the GPU count the submission's process reports
def test_train_mixed_precision_defaults_to_on_with_a_gpu_only(default_run, probes, digits, gpu_count):
    run = default_run.require()
    hidden = hidden_layer(probes.layers(run.model)) or {"compute_dtype": "?"}
    weights = any_width(probes.weights(run.model))
    x = digits.x_val[:PROBE_SAMPLES]
    difference = rounding(probes.outputs(run.model, x), weights, x)
    computes = (
        "float16"
        if hidden["compute_dtype"] == "float16" and difference > FLOAT32_ATOL
        else "float32"
        if hidden["compute_dtype"] == "float32" and difference <= FLOAT32_ATOL
        else f"{hidden['compute_dtype']} (its outputs differ from a float32 computation by {difference:.1e})"
    )
    expected = "float16" if gpu_count else "float32"
    left = (
        f" (Keras's global dtype policy was {run.policy} when train was called, left by an earlier "
        "build_model(mixed_precision=True): build_model(False) must build float32 layers all the same)"
        if run.policy == "mixed_float16" and expected == "float32"
        else ""
    )
    assert computes == expected, (
        f"train(mixed_precision=None) built a model computing in {computes} on a machine with {gpu_count} GPU(s), "
        f"expected {expected}: None means mixed precision on when a GPU is present, off otherwise{left}"
    )


@pytest.mark.verdict("recomputed")
def test_train_with_mixed_precision_on_the_cpu(probes, digits, train_once):
    run = train_once(
        digits.x_train[:256], digits.y_train[:256], epochs=1, batch_size=64, mixed_precision=True
    ).require()
    weights = any_width(probes.weights(run.model))  # finite, or it says so
    x = digits.x_val[:PROBE_SAMPLES]
    probabilities = probes.outputs(run.model, x)
    difference = rounding(probabilities, weights, x)
    facts = probes.layers(run.model)
    assert difference > FLOAT32_ATOL, (
        f"train(mixed_precision=True) built a model whose outputs differ from a float32 computation by "
        f"{difference:.1e}, expected float16 compute (~1e-4); its layers: {layer_dtypes(facts)}"
    )
    assert probabilities.dtype == np.float32 and float16_values(probabilities) < 0.5, (
        f"the softmax output of train(mixed_precision=True)'s model is float16 (layers: {layer_dtypes(facts)}): give "
        "the output layer dtype='float32', e.g. keras.layers.Activation('softmax', dtype='float32')"
    )
    losses = probes.history(run.history)["history"].get("loss", [])
    assert losses and np.isfinite(losses[-1]), f"training with mixed precision gave the losses {losses}"


def _device(name: str) -> tuple[str, int]:
    """("CPU", 0) from "/job:localhost/replica:0/task:0/device:CPU:0" or "/CPU:0"."""
    found = re.search(r"([A-Za-z_]+):(\d+)\s*$", name or "")
    return (found.group(1).upper(), int(found.group(2))) if found else ((name or "").upper(), 0)


@pytest.mark.verdict("reported")
def test_train_uses_make_dataset_on_the_training_device(default_run, submission, probes, digits):
    run = default_run.require()
    assert default_run.recorded, "the suite could not wrap make_dataset: the submission has no make_dataset function"
    training = _training_call(run)
    assert training is not None, (
        "train did not build its input pipeline with make_dataset: call make_dataset(x_train, y_train, batch_size, "
        f"training=True) and {FEED_THE_DATASET}"
    )
    assert training["batch_size"] == run.batch_size, (
        f"train called make_dataset with batch_size={training['batch_size']!r}, expected {run.batch_size}: pass "
        "train's batch_size argument on, do not hard-code one"
    )
    assert sum(training["batches"]) > 0, (
        f"train called make_dataset but fit never read the training dataset it returned: {FEED_THE_DATASET}"
    )
    validation = next((call for call in run.records if call["samples"] == len(digits.x_val)), None)
    assert validation is not None and not validation["training"], (
        "train did not build its validation pipeline with make_dataset(x_val, y_val, batch_size, training=False) "
        "(not shuffled): pass that dataset as fit's validation_data, not the arrays"
    )
    assert sum(validation["batches"]) > 0, (
        "train called make_dataset for the validation data but fit never read that dataset: pass it as fit's "
        "validation_data, not the numpy arrays"
    )
    expected = call(submission.training_device)
    devices = probes.variable_devices(run.model)
    elsewhere = [device for device in devices if _device(device) != _device(expected)]
    assert devices and not elsewhere, (
        f"the model's variables are on {elsewhere[0] if elsewhere else 'no device'}, not on training_device() "
        f"({expected}): build the model and call fit inside `with tf.device(training_device()):`"
    )


@pytest.mark.gpu
@pytest.mark.verdict("reported")
def test_train_places_the_variables_on_the_gpu(default_run, probes):
    run = default_run.require()
    devices = probes.variable_devices(run.model)
    assert devices and all(_device(device) == ("GPU", 0) for device in devices), (
        f"the model's variables are on {sorted(set(devices))}, expected GPU:0"
    )


# ---------------------------------------------------------------- configure_gpus, in a fresh process
# (started with the first test and checked last, so its TensorFlow import overlaps the tests above)


def _gpus(configure_run) -> int:
    found = configure_run["gpus"]
    if found.error is not None:
        pytest.fail(f"the fresh process could not count the GPUs: {found.error}", pytrace=False)
    return int(found.value)


def _check_call(outcome, text: str, when: str, gpus: int) -> dict:
    error = outcome.error
    if error is not None:
        _not_implemented(error, "configure_gpus")
        raised = f"{error.type_name}: {error.message.strip().splitlines()[0] if error.message.strip() else ''}"
        where = f" (raised at {error.where})" if error.where else ""
        if not gpus:
            pytest.fail(
                f"{text} raised {raised} {when} on a machine without GPUs: with no GPU it must simply return []{where}",
                pytrace=False,
            )
        pytest.fail(
            f"{text} raised {raised} {when}: TensorFlow refuses GPU settings once it has initialized; "
            f"catch the RuntimeError, warn, and return the visible GPUs{where}",
            pytrace=False,
        )
    if not outcome.value["is_list"]:
        pytest.fail(f"configure_gpus must return a list, it returned {outcome.value['type']}", pytrace=False)
    return outcome.value


@pytest.mark.verdict("reported")
def test_configure_gpus_before_initialization(configure_run):
    gpus = _gpus(configure_run)
    before = _check_call(configure_run["before"], "configure_gpus(max_gpus=1)", "in a fresh process", gpus)
    assert len(before["returned"]) == min(gpus, 1), (
        f"configure_gpus(max_gpus=1) returned {before['returned']}, expected "
        + ("[] on a machine without GPUs" if not gpus else "the first GPU only")
    )


@pytest.mark.verdict("reported")
def test_configure_gpus_after_initialization_does_not_raise(configure_run):
    gpus = _gpus(configure_run)
    op = configure_run["op"]
    if op.error is not None:
        pytest.fail(f"a TensorFlow operation failed after configure_gpus(max_gpus=1): {op.error}", pytrace=False)
    after = _check_call(
        configure_run["after"], "configure_gpus(memory_growth=False)", "after TensorFlow had initialized", gpus
    )
    visible = configure_run["state_after"].value["visible"]
    assert len(after["returned"]) == len(visible), (
        f"after initialization configure_gpus returned {after['returned']}, but the visible GPUs are {visible}"
    )


@pytest.mark.gpu
@pytest.mark.verdict("reported")
def test_configure_gpus_sets_memory_growth_on_every_gpu(configure_run):
    _check_call(configure_run["before"], "configure_gpus(max_gpus=1)", "in a fresh process", _gpus(configure_run))
    state = configure_run["state"].value
    assert state["memory_growth"] and all(state["memory_growth"]), (
        f"memory growth is not enabled on every GPU ({state['memory_growth']}): call "
        "tf.config.experimental.set_memory_growth(gpu, True) for each GPU before any TensorFlow operation"
    )
    assert len(state["visible"]) == 1, f"max_gpus=1 left {state['visible']} visible, expected the first GPU only"


@pytest.mark.gpu
@pytest.mark.verdict("reported")
def test_configure_gpus_after_initialization_warns(configure_run):
    after = _check_call(
        configure_run["after"],
        "configure_gpus(memory_growth=False)",
        "after TensorFlow had initialized",
        _gpus(configure_run),
    )
    assert after["warnings"], (
        "configure_gpus changed nothing after TensorFlow had initialized its GPUs, and said nothing: warn "
        "(warnings.warn) that the settings could not be applied"
    )
