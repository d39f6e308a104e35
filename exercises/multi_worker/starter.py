"""Exercise: synchronous training across worker processes with tf.distribute.MultiWorkerMirroredStrategy.
See README.md for the task.

Fill in make_strategy, make_dataset, compute_loss and train; keep build_model as it is. Test this file (saved
as solution.py) with:
    quiz grade multi_worker solution.py
and watch it train on 2 local worker processes with:
    quiz exercise run multi_worker --workers 2 solution.py
(`quiz exercise start multi_worker` writes this starter and the README into a folder of yours; in a source
checkout, `pytest exercises/multi_worker --submission solution.py` runs the same suite outside the sandbox.)
"""

from __future__ import annotations

import tensorflow as tf
import keras

NUM_PIXELS = 28 * 28
NUM_CLASSES = 10


def make_strategy() -> tf.distribute.MultiWorkerMirroredStrategy:
    """The strategy of this worker's cluster, as described by the TF_CONFIG environment variable.

    The worker calls this first, before any other TensorFlow op runs in the process.
    """
    raise NotImplementedError


def build_model() -> keras.Model:
    """Given: the digits MLP, 784 -> Dense(128, relu) -> Dense(10, softmax). No dropout, so that one step on
    2 workers can be compared with one step on 1 worker. Its variables belong to the strategy scope active when
    it is called."""
    return keras.Sequential(
        [
            keras.Input(shape=(NUM_PIXELS,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )


def make_dataset(
    input_context: tf.distribute.InputContext, features, labels, global_batch_size: int
) -> tf.data.Dataset:
    """The dataset ONE input pipeline (one worker) reads: its own shard of (features, labels), in order, in batches
    of the per-replica batch size. `features` is float32 (N, 784), `labels` int32 (N,).

    train() gives `lambda context: make_dataset(context, features, labels, global_batch_size)` to
    strategy.distribute_datasets_from_function, which calls it once per worker.
    """
    raise NotImplementedError


def compute_loss(labels, predictions, global_batch_size: int) -> tf.Tensor:
    """The loss of one replica's batch: the per-example sparse categorical cross-entropy of `predictions`
    (probabilities, (batch, 10)) against `labels` (class ids, (batch,)), scaled so that the all-reduced gradients
    equal those of the mean loss over the whole GLOBAL batch. Returns a scalar tensor."""
    raise NotImplementedError


def train(strategy, dataset_fn, *, epochs: int, global_batch_size: int, learning_rate: float = 0.1):
    """Train build_model() with plain SGD(learning_rate) in a custom training loop over
    strategy.distribute_datasets_from_function(dataset_fn): one strategy.run per global batch.

    (Keras 3's model.fit does not run under MultiWorkerMirroredStrategy.) Every worker calls train() with the same
    arguments. Returns (model, losses): losses holds one float per epoch, the mean loss of its global batches.
    """
    raise NotImplementedError
