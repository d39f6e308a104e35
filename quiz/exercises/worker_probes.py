"""What a worker records beyond training: the examples each batch of its input pipeline held (--record-reads) and
what compute_loss and make_dataset give on small known inputs (--probe). TensorFlow is imported inside, as the
worker's own process runs them."""

from __future__ import annotations

from pathlib import Path

from quiz.exercises.worker_inputs import scalar
from quiz.exercises.worker_submission import describe_error

PROBE_DATASET_FILE = "make_dataset.npz"  # --probe: per input pipeline, x_<p> and y_<p> (its batches one after
# the other) and sizes_<p> (how many examples each batch held)


def record_reads(dataset, rows: dict[bytes, int], reads: list[list[int]]):
    """`dataset` unchanged, except that each element it yields first appends the ids of its feature rows (their
    index in the data given to make_dataset, -1 for a row that is not there) to `reads`: what this input pipeline
    read, batch by batch, in order. The features are the element's float tensor of shape (batch, 784)."""
    import numpy as np
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        return dataset  # train() will say what is wrong with it

    def note(batch) -> np.int64:
        batch = np.asarray(batch, dtype=np.float32)
        reads.append([rows.get(row.tobytes(), -1) for row in batch.reshape(len(batch), -1)])
        return np.int64(len(reads))

    def tapped(*element):
        structure = element[0] if len(element) == 1 else element
        flat = tf.nest.flatten(structure)
        features = next(
            (
                t
                for t in flat
                if isinstance(t, tf.Tensor) and t.dtype.is_floating and t.shape.rank == 2 and t.shape[-1] == 784
            ),
            None,
        )
        if features is None:
            return structure
        token = tf.py_function(note, [features], tf.int64)
        with tf.control_dependencies([token]):
            flat = [tf.identity(t) for t in flat]
        return tf.nest.pack_sequence_as(structure, flat)

    return dataset.map(tapped)


def default_probe_inputs() -> dict:
    """The probes' inputs when --inputs gives none: 8 labels and softmax rows for compute_loss (global batch 16),
    and 64 examples whose labels are their ids, for make_dataset over 2 input pipelines (global batch 16)."""
    import numpy as np

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(8, 10))
    count = 64
    return {
        "loss_labels": rng.integers(0, 10, size=8).astype(np.int32),
        "loss_predictions": (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32),
        "loss_global_batch_size": np.array(16),
        "shard_features": np.repeat(np.arange(count)[:, None], 28 * 28, axis=1).astype(np.float32) / count,
        "shard_labels": np.arange(count, dtype=np.int32),
        "shard_global_batch_size": np.array(16),
        "shard_pipelines": np.array(2),
    }


def probe_pieces(module, inputs: dict, folder: Path) -> dict:
    """Call compute_loss and make_dataset on small inputs (the caller's, or default_probe_inputs) and record what
    they give: compute_loss's value and shape in the result; every batch make_dataset yields, per input pipeline,
    in folder/PROBE_DATASET_FILE. Runs here rather than in the suite's process so that process never loads
    TensorFlow (and never runs the submission)."""
    import numpy as np
    import tensorflow as tf

    given = {**default_probe_inputs(), **{k: v for k, v in inputs.items() if k.startswith(("loss_", "shard_"))}}
    labels, predictions = given["loss_labels"].astype(np.int32), given["loss_predictions"].astype(np.float32)
    global_batch_size = scalar(given["loss_global_batch_size"])
    loss: dict = {"examples": int(len(labels)), "global_batch_size": global_batch_size}
    try:
        value = np.asarray(
            module.compute_loss(tf.constant(labels), tf.constant(predictions), global_batch_size), dtype=np.float64
        )
        loss.update(shape=list(value.shape), value=value.tolist())
    except Exception as exc:  # noqa: BLE001 - recorded for the suite to report
        loss["error"] = describe_error(exc)

    features = given["shard_features"].astype(np.float32)
    ids = given["shard_labels"].astype(np.int32)
    pipelines, global_batch_size = scalar(given["shard_pipelines"]), scalar(given["shard_global_batch_size"])
    shards: dict = {
        "count": int(len(ids)),
        "pipelines": pipelines,
        "global_batch_size": global_batch_size,
        "batches": [],
    }
    arrays: dict[str, np.ndarray] = {}
    try:
        for pipeline in range(pipelines):
            context = tf.distribute.InputContext(
                num_input_pipelines=pipelines, input_pipeline_id=pipeline, num_replicas_in_sync=pipelines
            )
            dataset = module.make_dataset(context, features, ids, global_batch_size)
            read = [(np.asarray(x), np.asarray(y)) for x, y in dataset.take(len(ids) + 1)]
            shards["batches"].append(len(read))
            if read:  # one array per pipeline and part, and the batch sizes: a frame holds few arrays
                arrays[f"x_{pipeline}"] = np.concatenate([x for x, _ in read])
                arrays[f"y_{pipeline}"] = np.concatenate([y for _, y in read])
            arrays[f"sizes_{pipeline}"] = np.array([len(y) for _, y in read], dtype=np.int64)
    except Exception as exc:  # noqa: BLE001
        shards["error"] = describe_error(exc)
    np.savez(folder / PROBE_DATASET_FILE, **arrays)
    return {"compute_loss": loss, "make_dataset": shards}
