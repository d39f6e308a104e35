"""Reference solution: synchronous data-parallel training across worker processes with
tf.distribute.MultiWorkerMirroredStrategy and a custom training loop.

Keras 3's `model.fit` does not run under MultiWorkerMirroredStrategy (it fails converting a PerReplica value to a
tensor), so the loop is written by hand: each worker reads its own shard, each replica computes the loss of its
part of the global batch scaled by the GLOBAL batch size, and the optimizer all-reduces (sums) the gradients across
workers, so every worker applies the same update and their weights stay identical.
"""

from __future__ import annotations

import tensorflow as tf
import keras

NUM_PIXELS = 28 * 28
NUM_CLASSES = 10


def make_strategy() -> tf.distribute.MultiWorkerMirroredStrategy:
    """The cluster comes from the TF_CONFIG environment variable, so it must be set before this runs, and this must
    run before any other TensorFlow op in the process."""
    return tf.distribute.MultiWorkerMirroredStrategy()


def build_model() -> keras.Model:
    """The digits MLP without dropout: dropout draws different masks on each replica, so a one-step comparison
    between clusters would not hold."""
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
    """This input pipeline's shard, in batches of the per-replica batch size. `distribute_datasets_from_function`
    neither shards nor rebatches: both are this function's job."""
    dataset = tf.data.Dataset.from_tensor_slices((features, labels))
    dataset = dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    return dataset.batch(input_context.get_per_replica_batch_size(global_batch_size))


def compute_loss(labels, predictions, global_batch_size: int) -> tf.Tensor:
    """Sum of this replica's per-example losses divided by the GLOBAL batch size: summed over all replicas by the
    all-reduce, the gradients then equal those of the mean loss over the whole global batch."""
    per_example_loss = keras.losses.sparse_categorical_crossentropy(labels, predictions)
    return tf.nn.compute_average_loss(per_example_loss, global_batch_size=global_batch_size)


def train(strategy, dataset_fn, *, epochs: int, global_batch_size: int, learning_rate: float = 0.1):
    """Custom training loop; returns (model, losses) with the mean loss over the global batches of each epoch."""
    with strategy.scope():  # variables created here are mirrored on every worker and updated with all-reduce
        model = build_model()
        optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    dataset = strategy.distribute_datasets_from_function(dataset_fn)

    def replica_step(features, labels):
        with tf.GradientTape() as tape:
            predictions = model(features, training=True)
            loss = compute_loss(labels, predictions, global_batch_size)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    @tf.function
    def distributed_step(features, labels):
        per_replica_loss = strategy.run(replica_step, args=(features, labels))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_loss, axis=None)

    losses = []
    for _ in range(epochs):
        total, steps = 0.0, 0
        for features, labels in dataset:
            total += float(distributed_step(features, labels))
            steps += 1
        losses.append(total / steps)
    return model, losses
