"""Reference solution: data-parallel training of the digits MLP with tf.distribute.MirroredStrategy.

The point of the exercise is the one thing the source document gets wrong: a model's variables are created by the
strategy that is active when the model is built, so the model must be built and compiled inside `strategy.scope()`.
Built outside, `fit` either raises ("Mixing different tf.distribute.Strategy objects") or, with no scope at all,
silently trains on one device.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import keras

NUM_PIXELS = 28 * 28
NUM_CLASSES = 10


def preprocess(x, y):
    """uint8 images (N, 28, 28) -> float32 (N, 784) in [0, 1]; labels (N,) -> one-hot float32 (N, 10)."""
    images = np.asarray(x, dtype=np.float32).reshape(len(x), NUM_PIXELS) / 255.0
    labels = keras.utils.to_categorical(np.asarray(y), NUM_CLASSES).astype(np.float32)
    return images, labels


def make_strategy(devices=None) -> tf.distribute.MirroredStrategy:
    """One replica per device; by default every visible GPU, else the CPU (one replica)."""
    if devices is None:
        devices = [device.name for device in tf.config.list_logical_devices("GPU")] or ["/cpu:0"]
    return tf.distribute.MirroredStrategy(devices)


def build_model() -> keras.Model:
    """The document's MLP. Its variables belong to whatever strategy scope is active when this runs."""
    model = keras.Sequential(
        [
            keras.Input(shape=(NUM_PIXELS,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train(strategy, x_train, y_train, *, validation_data=None, epochs=5, batch_size=64):
    """Build and compile inside the scope, then fit with the global batch: the strategy splits each batch of
    `batch_size` into `batch_size / num_replicas_in_sync` per replica and sums the gradients."""
    with strategy.scope():
        model = build_model()
        history = model.fit(
            x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=validation_data, verbose=0
        )
    return model, history


if __name__ == "__main__":  # python exercises/data_parallel/reference.py: the whole program, on MNIST if cached
    from quiz.exercises.datasets import load_mnist

    data = load_mnist()
    x_train, y_train = preprocess(data.x_train, data.y_train)
    x_val, y_val = preprocess(data.x_val, data.y_val)
    strategy = make_strategy()
    model, history = train(strategy, x_train, y_train, validation_data=(x_val, y_val))
    print(
        f"{strategy.num_replicas_in_sync} replica(s), {data.source}: "
        f"validation accuracy {history.history['val_accuracy'][-1]:.3f}"
    )
