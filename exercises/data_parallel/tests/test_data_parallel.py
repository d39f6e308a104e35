"""The data_parallel exercise: preprocess, make_strategy, build_model and train under MirroredStrategy.

This process never runs the submission: it runs in its own process, over two replicas on one CPU split into two
logical devices (probes.py), and only plain data comes back. Each test says how its verdict is reached:
`recomputed` when this process decides from data it checks against its own computation (the preprocessed arrays,
the model's forward pass and loss, accuracy on held-out digits from the returned weights, the exact SGD step);
`reported` when it rests on a fact a probe read off a TensorFlow object in the submission's process.
"""

from __future__ import annotations

import numpy as np
import pytest

from quiz.exercises import mlp
from quiz.grading.remote import Remote, SubmissionError

SHAPES = [(784, 128), (128,), (128, 10), (10,)]
EXPECTED_PARAMETERS = 784 * 128 + 128 + 128 * 10 + 10  # 101,770
ACCURACY_THRESHOLD = 0.80
FORWARD_ATOL = 1e-4


def _not_implemented(call):
    try:
        return call()
    except SubmissionError as exc:
        if exc.type_name == "NotImplementedError":
            pytest.fail("not implemented yet (it raised NotImplementedError)", pytrace=False)
        raise


def _weights_of(facts: dict) -> list[np.ndarray]:
    """The model's weights, checked to be the contract's network (shapes in order, finite)."""
    shapes = [tuple(np.shape(w)) for w in facts["weights"]]
    if shapes != SHAPES:
        count = sum(int(np.prod(shape)) for shape in shapes)
        pytest.fail(
            f"wrong architecture: the model's weights have shapes {shapes} ({count:,} parameters), "
            f"expected {SHAPES} ({EXPECTED_PARAMETERS:,}): Dense(128, relu) -> Dropout(0.2) -> "
            "Dense(10, softmax) on 784 inputs",
            pytrace=False,
        )
    try:
        return mlp.check_weights(facts["weights"])
    except mlp.WeightsError as exc:
        pytest.fail(f"the model's weights are not usable: {exc}", pytrace=False)


# ---------------------------------------------------------------- preprocess


@pytest.mark.verdict("recomputed")
def test_preprocess_flattens_and_scales_images(submission, digits):
    x, _ = _not_implemented(lambda: submission.preprocess(digits.raw_x[:100], digits.raw_y[:100]))
    assert isinstance(x, np.ndarray), f"preprocess should return numpy arrays, the images came back as {x!r}"
    assert x.shape == (100, 784), f"images should be flattened to (N, 784), got shape {x.shape}"
    assert x.dtype == np.float32, f"images should be float32, got {x.dtype}"
    assert x.max() <= 1.0 and x.min() >= 0.0, (
        f"images are not scaled to [0, 1] (values run from {x.min():g} to {x.max():g}): divide the uint8 pixels by 255"
    )
    expected = digits.raw_x[:100].reshape(100, 784) / 255.0
    assert np.allclose(x, expected, atol=1e-6), (
        "images are not the pixels divided by 255 in row-major order: use x.reshape(-1, 784) / 255.0"
    )


@pytest.mark.verdict("recomputed")
def test_preprocess_one_hot_labels(submission, digits):
    _, y = _not_implemented(lambda: submission.preprocess(digits.raw_x[:100], digits.raw_y[:100]))
    assert isinstance(y, np.ndarray), f"preprocess should return numpy arrays, the labels came back as {y!r}"
    assert y.shape == (100, 10), (
        f"labels are not one-hot: expected shape (N, 10), got {y.shape}. categorical_crossentropy needs "
        "one-hot labels: keras.utils.to_categorical(y, 10)"
    )
    assert y.dtype == np.float32, f"one-hot labels should be float32, got {y.dtype}"
    assert np.array_equal(y, np.eye(10, dtype=np.float32)[digits.raw_y[:100]]), (
        "labels are not one-hot: each row must hold a single 1 at the digit's index"
    )


# ---------------------------------------------------------------- make_strategy


@pytest.mark.verdict("reported")
def test_make_strategy_over_given_devices_keeps_two_replicas_in_sync(submission, probes, two_replicas):
    strategy = _not_implemented(lambda: submission.make_strategy(["/cpu:0", "/cpu:1"]))
    facts = probes.strategy_facts(strategy)
    assert facts["mirrored"], f"make_strategy should return a tf.distribute.MirroredStrategy, got {facts['class']}"
    assert facts["replicas"] == 2 and facts["devices"] == ["CPU:0", "CPU:1"], (
        f"make_strategy(['/cpu:0', '/cpu:1']) has {facts['replicas']} replica(s) on {facts['devices']}, expected 2 "
        "on CPU:0 and CPU:1: pass the devices to MirroredStrategy(devices)"
    )


@pytest.mark.verdict("reported")
def test_make_strategy_defaults_to_gpus_else_cpu(submission, probes):
    strategy = _not_implemented(lambda: submission.make_strategy())
    facts = probes.strategy_facts(strategy)
    assert facts["mirrored"], f"make_strategy() should return a tf.distribute.MirroredStrategy, got {facts['class']}"
    default = probes.default_devices()
    accepted = [default["devices"]]  # what MirroredStrategy() itself chooses here
    if not default["gpus"]:
        accepted.append(["CPU:0"])  # the CPU alone, as the contract says
    else:
        accepted.append([f"GPU:{i}" for i in range(default["gpus"])])
    assert facts["devices"] in accepted, (
        f"make_strategy() runs on {facts['devices']}, expected one replica per visible GPU or, without one, the CPU "
        f"({' or '.join(map(str, accepted))})"
    )


# ---------------------------------------------------------------- build_model


@pytest.mark.verdict("recomputed")
def test_build_model_computes_the_network(submission, probes, digits):
    model = _not_implemented(submission.build_model)
    facts = probes.model_facts(model)
    assert facts["keras_model"], f"build_model should return a keras.Model, got {facts['class']}"
    weights = _weights_of(facts)
    inputs = digits.x_val[:16]
    got = probes.outputs(model, inputs, training=False)
    assert got.shape == (16, 10), f"the model maps 16 images to outputs of shape {got.shape}, expected (16, 10)"
    expected = mlp.predict(weights, inputs)
    if not np.allclose(got.sum(axis=1), 1.0, atol=1e-3):
        pytest.fail(
            "the outputs are not probabilities (rows do not sum to 1): end with Dense(10, activation='softmax')",
            pytrace=False,
        )
    gap = float(np.abs(got - expected).max())
    assert gap < FORWARD_ATOL, (
        f"the model does not compute relu(x W1 + b1) W2 + b2 followed by a softmax from its own weights (largest "
        f"difference {gap:.2e}): the hidden layer must be Dense(128, activation='relu') and the output "
        "Dense(10, activation='softmax')"
    )


@pytest.mark.verdict("reported")
def test_build_model_has_dropout_0_2_active_only_in_training(submission, probes, digits):
    model = _not_implemented(submission.build_model)
    facts = probes.model_facts(model)
    assert facts["keras_model"], f"build_model should return a keras.Model, got {facts['class']}"
    rates = facts["dropout_rates"]
    assert rates == [pytest.approx(0.2)], (
        f"the model should have one Dropout(0.2) between the hidden and the output layer, found rates {rates}"
    )
    inputs = digits.x_val[:32]
    first, second = (probes.outputs(model, inputs, training=True) for _ in range(2))
    assert not np.allclose(first, second), (
        "in training the model's outputs do not vary: dropout is not applied between the layers"
    )


@pytest.mark.verdict("recomputed")
def test_build_model_is_compiled_with_crossentropy_and_accuracy(submission, probes, digits):
    model = _not_implemented(submission.build_model)
    facts = probes.model_facts(model)
    assert facts["compiled"], "build_model must return a compiled model (call model.compile)"
    weights = _weights_of(facts)
    x, y = digits.x_val[:64], digits.y_val[:64]
    found = probes.evaluate(model, x, y)
    loss = mlp.cross_entropy(weights, x, y)
    assert found.get("loss") == pytest.approx(loss, rel=1e-3, abs=1e-5), (
        f"the model's loss on 64 digits is {found.get('loss')}, categorical cross-entropy gives {loss:.5f}: compile "
        "with loss='categorical_crossentropy' (one-hot labels, probabilities out)"
    )
    accuracy = mlp.accuracy(weights, x, y)
    metrics = {name: value for name, value in found.items() if name != "loss"}
    assert any(value == pytest.approx(accuracy, abs=1e-6) for value in metrics.values()), (
        f"no compiled metric gives the accuracy ({accuracy:.4f}) on 64 digits (metrics: {metrics}): compile with "
        "metrics=['accuracy']"
    )


@pytest.mark.verdict("reported")
def test_build_model_optimizer_is_adam(submission, probes):
    model = _not_implemented(submission.build_model)
    facts = probes.model_facts(model)
    assert facts["compiled"], "build_model must return a compiled model (call model.compile)"
    assert facts["adam"], f"compile the model with the Adam optimizer, got {facts['optimizer']}"


@pytest.mark.verdict("reported")
def test_build_model_creates_variables_in_the_active_scope(submission, probes, two_replicas):
    built = _not_implemented(lambda: probes.build_in_scope(two_replicas))
    kinds = {variable["class"] for variable in built.get("variables", [])}
    assert kinds == {"MirroredVariable"}, (
        f"build_model called inside strategy.scope() made {sorted(kinds) or 'no'} variables, not MirroredVariable: "
        "create the layers inside the function, in whatever scope is active (do not build the model at import "
        "time or in another strategy)"
    )


# ---------------------------------------------------------------- train (one shared run on two replicas)


@pytest.mark.weight(2)
@pytest.mark.verdict("reported")
def test_train_mirrors_the_model_variables(two_replica_run):
    run = two_replica_run.require()
    plain = [v["path"] for v in run.facts["variables"] if v["class"] != "MirroredVariable"]
    assert run.facts["variables"] and not plain, (
        f"the model's variables are not mirrored ({(plain or ['all'])[0]} is a plain variable), so training ran on "
        "one device only: build and compile the model inside strategy.scope()"
    )


@pytest.mark.weight(2)
@pytest.mark.verdict("reported")
def test_train_uses_the_strategy_it_is_given(two_replica_run, probes):
    run = two_replica_run.require()
    kernel = run.facts["variables"][0] if run.facts["variables"] else {"class": None, "devices": []}
    if kernel["class"] != "MirroredVariable":
        pytest.fail(
            "the model's variables are not mirrored: build and compile the model inside strategy.scope() "
            "of the strategy passed to train",
            pytrace=False,
        )
    if not probes.belongs_to(run.model, run.strategy):
        pytest.fail(
            "train ignored the strategy it was given: the model belongs to another strategy. Build it "
            "inside `with strategy.scope():` of the `strategy` argument; do not create another one",
            pytrace=False,
        )
    assert kernel["devices"] == ["CPU:0", "CPU:1"], (
        f"train ignored the strategy it was given: the variables live on {kernel['devices']}, not on the given "
        "strategy's devices ['CPU:0', 'CPU:1']. Use the `strategy` argument (strategy.scope()), do not create "
        "another one"
    )


@pytest.mark.weight(2)
@pytest.mark.verdict("reported")
def test_train_splits_the_global_batch_across_replicas(two_replica_run):
    run = two_replica_run.require()
    history = run.history or {}
    epochs_run = len(history.get("loss", []))
    assert epochs_run == run.epochs, (
        f"train ran {epochs_run} epochs (history: {sorted(history) or 'none'}), expected epochs={run.epochs}: "
        "return what model.fit returned"
    )
    steps = run.facts["steps"]
    hint = ""
    if steps == run.epochs * -(-run.samples // (run.batch_size // 2)):
        hint = (
            " It looks like the per-replica batch (batch_size / replicas) was passed to fit: pass the GLOBAL "
            "batch_size; MirroredStrategy splits each batch across the replicas itself."
        )
    elif steps == run.epochs * -(-run.samples // (run.batch_size * 2)):
        hint = (
            " It looks like batch_size was multiplied by the number of replicas: it already is the GLOBAL "
            "batch; pass it to fit as it is."
        )
    assert steps == run.expected_steps, (
        f"the optimizer took {steps} steps for {run.epochs} epochs of {run.samples} samples with "
        f"batch_size={run.batch_size}, expected {run.expected_steps} (epochs x ceil(N / batch_size)).{hint}"
    )


@pytest.mark.weight(2)
@pytest.mark.verdict("recomputed")
def test_train_learns_the_digits(two_replica_run, probes, digits):
    """Accuracy from the returned model's weights, computed here on digits the submission never saw; and those
    weights must be what the model computes with."""
    run = two_replica_run.require()
    weights = _weights_of(run.facts)
    got = probes.outputs(run.model, digits.x_held_out[:16], training=False)
    gap = float(np.abs(np.asarray(got) - mlp.predict(weights, digits.x_held_out[:16])).max())
    assert gap < FORWARD_ATOL, (
        f"the returned model does not compute the contract's network from its own weights (gap {gap:.2e})"
    )
    accuracy = mlp.accuracy(weights, digits.x_held_out, digits.y_held_out)
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"after {run.epochs} epochs the returned model classifies {accuracy:.1%} of {len(digits.y_held_out)} "
        f"held-out digits correctly, expected at least {ACCURACY_THRESHOLD:.0%} (the reference reaches about 90%): "
        "does train fit the model it returns, on the data it is given?"
    )


# ---------------------------------------------------------------- one step on 2 replicas == one step computed here

STEP_SAMPLES = 96  # neither 64 (train's default) nor 32 (fit's): a train that ignores batch_size takes 2 steps
STEP_LEARNING_RATE = 0.5
STEP_ATOL = 1e-5  # measured: the TensorFlow step and the one computed here agree to ~5e-8


def initial_weights() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [
        rng.normal(0, 0.05, (784, 128)).astype(np.float32),
        np.zeros(128, np.float32),
        rng.normal(0, 0.2, (128, 10)).astype(np.float32),
        np.zeros(10, np.float32),
    ]


def _one_step(submission, probes, strategy: Remote, digits, train_once, replicas: int) -> list[np.ndarray]:
    probes.use_deterministic_build_model(initial_weights(), STEP_LEARNING_RATE)
    try:
        run = train_once(
            submission,
            probes,
            strategy,
            digits.x_train[:STEP_SAMPLES],
            digits.y_train[:STEP_SAMPLES],
            epochs=1,
            batch_size=STEP_SAMPLES,
        )
        created = probes.deterministic_models()
    finally:
        probes.restore_build_model()
    if run.error is not None and created:
        built = probes.model_facts(created[0])
        if built["variables"] and built["variables"][0]["class"] != "MirroredVariable" and replicas > 1:
            pytest.fail(
                f"{run.error}; the model was built outside strategy.scope(): build AND compile the model "
                "inside `with strategy.scope():`",
                pytrace=False,
            )
    run.require()
    if not any(run.model.handle == model.handle for model in created):
        pytest.fail(
            "train did not build its model by calling build_model(): the suite swaps build_model for a "
            "deterministic one to check the gradient step, so train must call build_model() (inside "
            "strategy.scope()) and not re-create the layers itself",
            pytrace=False,
        )
    if not run.facts["sgd"]:
        pytest.fail(
            "train re-compiled the model that build_model() returned: compile it once, in build_model", pytrace=False
        )
    steps = run.facts["steps"]
    why = (
        "batch_size is the GLOBAL batch, split across the replicas"
        if replicas > 1
        else "pass train's batch_size argument to fit (do not hard-code a batch size)"
    )
    assert steps == 1, (
        f"one epoch of {STEP_SAMPLES} samples with batch_size={STEP_SAMPLES} took {steps} optimizer steps on "
        f"{replicas} replica(s), expected 1: {why}"
    )
    return _weights_of(run.facts)


@pytest.mark.weight(3)
@pytest.mark.verdict("recomputed")
def test_one_step_on_two_replicas_equals_one_step_on_one_device(submission, probes, digits, train_once, two_replicas):
    """The step `train` takes is compared with the SGD step this process computes itself from the same initial
    weights and batch: on one replica, and on two (where a gradient not averaged over the global batch shows)."""
    start = initial_weights()
    expected = mlp.sgd_step(start, digits.x_train[:STEP_SAMPLES], digits.y_train[:STEP_SAMPLES], STEP_LEARNING_RATE)
    one_device = _one_step(submission, probes, probes.one_replica(), digits, train_once, replicas=1)
    gap = max(float(np.abs(a - b).max()) for a, b in zip(one_device, expected))
    moved = max(float(np.abs(a - b).max()) for a, b in zip(one_device, start))
    assert moved > 1e-4, "train did not change the weights in one step: does it call fit on the data it is given?"
    assert gap < STEP_ATOL, (
        f"one SGD step of train on 1 replica is not the step on the mean cross-entropy of the batch (largest weight "
        f"difference {gap:.2e}): train must fit the model build_model() returned on the data it is given"
    )
    on_two = _one_step(submission, probes, two_replicas, digits, train_once, replicas=2)
    gap = max(float(np.abs(a - b).max()) for a, b in zip(on_two, expected))
    ratio = max(
        float(np.abs(a - i).max()) / max(float(np.abs(b - i).max()), 1e-12) for a, b, i in zip(on_two, expected, start)
    )
    assert gap < STEP_ATOL, (
        f"one SGD step on 2 replicas differs from the same step on the whole batch (largest weight difference "
        f"{gap:.2e}; the 2-replica update is {ratio:.2f}x the right one): the gradients are not averaged over the "
        "global batch. With model.fit this cannot happen; in a custom loop compute the per-replica loss with "
        "tf.nn.compute_average_loss(per_example_loss, global_batch_size=...)"
    )
