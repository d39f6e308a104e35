"""What a worker trains on: the shipped digits by default, or the arrays the suite chose (--inputs FILE.npz)."""

from __future__ import annotations

WEIGHT_KEYS = ("initial_W1", "initial_b1", "initial_W2", "initial_b2")
INPUT_KEYS = {  # what --inputs FILE.npz may hold; every key is optional
    "features": "float32 (N, 784): the training data (instead of the shipped digits)",
    "labels": "int32 (N,): their labels",
    **{key: "the weights build_model()'s model is set to (all four or none)" for key in WEIGHT_KEYS},
    "loss_labels": "--probe: int32 (n,) labels for compute_loss",
    "loss_predictions": "--probe: float32 (n, 10) probabilities for compute_loss",
    "loss_global_batch_size": "--probe: the global batch size compute_loss is given",
    "shard_features": "--probe: float32 (m, 784) for make_dataset",
    "shard_labels": "--probe: int32 (m,) for make_dataset",
    "shard_global_batch_size": "--probe: the global batch size make_dataset is given",
    "shard_pipelines": "--probe: how many input pipelines to ask make_dataset for",
}


def practice_data(count: int):
    """The first `count` shipped digits as float32 (count, 784) in [0, 1] and int32 labels: the same on every host."""
    import numpy as np

    from quiz.exercises.datasets import load_digits

    digits = load_digits()
    if not 1 <= count <= len(digits.y_train):
        raise ValueError(f"--examples must be between 1 and {len(digits.y_train)}")
    features = digits.x_train[:count].reshape(count, -1).astype(np.float32) / 255.0
    return features, digits.y_train[:count].astype(np.int32)


def load_inputs(path: str | None) -> dict:
    """The arrays of --inputs (plain .npy data only: never unpickled), checked against INPUT_KEYS."""
    if not path:
        return {}
    import numpy as np

    with np.load(path, allow_pickle=False) as arrays:
        inputs = {key: arrays[key] for key in arrays.files}
    unknown = sorted(set(inputs) - set(INPUT_KEYS))
    if unknown:
        raise ValueError(f"--inputs holds unknown arrays: {', '.join(unknown)}")
    given = [key in inputs for key in WEIGHT_KEYS]
    if any(given) and not all(given):
        raise ValueError(f"--inputs must hold all of {', '.join(WEIGHT_KEYS)} or none")
    if ("features" in inputs) != ("labels" in inputs) or (
        "features" in inputs and len(inputs["features"]) != len(inputs["labels"])
    ):
        raise ValueError("--inputs must hold features and labels of the same length, or neither")
    return inputs


def scalar(value) -> int:
    """An integer given in --inputs as a number (a 0-d array, or a 1-element one)."""
    import numpy as np

    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"expected a number in --inputs, got an array of shape {array.shape}")
    return int(array.reshape(()))


def training_data(inputs: dict, examples: int):
    """The training data --inputs gave, or the first `examples` shipped digits."""
    if "features" in inputs:
        import numpy as np

        return (
            np.asarray(inputs["features"], dtype=np.float32).reshape(len(inputs["features"]), -1),
            np.asarray(inputs["labels"], dtype=np.int32),
        )
    return practice_data(examples)
