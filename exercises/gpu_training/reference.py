"""Reference solution: training the digits MLP on a GPU when there is one, with the habits that make it fast.

What the source document leaves out: GPU memory growth must be set before TensorFlow initializes its GPUs (later it
raises RuntimeError, which the document prints and carries on); the input pipeline should prefetch so the GPU is
not left waiting for the next batch; and mixed precision (float16 compute, float32 variables) needs the softmax
output kept in float32. Keras's default `jit_compile="auto"` already compiles the train step with XLA on a GPU
(and leaves it off on CPU-only machines, where compilation costs more than it saves), so nothing is forced here.
"""

from __future__ import annotations

import warnings

import tensorflow as tf
import keras

NUM_PIXELS = 28 * 28
NUM_CLASSES = 10


def configure_gpus(memory_growth=True, max_gpus=None) -> list:
    """Set memory growth on every GPU and keep the first `max_gpus` visible; returns the visible GPUs.

    Must run before the first TensorFlow operation. Later, TensorFlow refuses to change either setting: then this
    warns and returns what is visible, so a notebook that re-runs the cell keeps working.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return []
    try:
        for gpu in gpus:
            tf.config.experimental.set_memory_growth(gpu, memory_growth)
        if max_gpus is not None:
            tf.config.set_visible_devices(gpus[:max_gpus], "GPU")
    except RuntimeError as exc:  # the runtime already initialized the GPUs
        warnings.warn(
            f"GPU settings left unchanged: TensorFlow already initialized its GPUs ({exc}). "
            "Call configure_gpus() before any TensorFlow operation.",
            RuntimeWarning,
            stacklevel=2,
        )
    return tf.config.get_visible_devices("GPU")


def training_device() -> str:
    """The device to train on: the first GPU when one is visible, else the CPU."""
    return "/GPU:0" if tf.config.get_visible_devices("GPU") else "/CPU:0"


def make_dataset(x, y, batch_size, *, training=True) -> tf.data.Dataset:
    """Batches of (x, y); shuffled each epoch when training; the next batch is prepared while the device works."""
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        dataset = dataset.shuffle(len(x), reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def build_model(mixed_precision=False) -> keras.Model:
    """The digits MLP. With mixed precision the layers compute in float16 and keep float32 variables; the softmax
    stays in float32 so probabilities and the loss do not lose precision. Sets Keras's global dtype policy."""
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed_precision else "float32")
    model = keras.Sequential(
        [
            keras.Input(shape=(NUM_PIXELS,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(NUM_CLASSES),
            keras.layers.Activation("softmax", dtype="float32"),
        ]
    )
    # Under mixed_float16, compile wraps Adam in a LossScaleOptimizer so small float16 gradients do not vanish.
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train(x_train, y_train, *, validation_data=None, epochs=5, batch_size=64, mixed_precision=None):
    """Train on training_device() from make_dataset pipelines; mixed precision defaults to on with a GPU."""
    device = training_device()
    if mixed_precision is None:
        mixed_precision = device.startswith("/GPU")
    train_data = make_dataset(x_train, y_train, batch_size, training=True)
    val_data = None
    if validation_data is not None:
        val_data = make_dataset(*validation_data, batch_size, training=False)
    with tf.device(device):
        model = build_model(mixed_precision)
        history = model.fit(train_data, epochs=epochs, validation_data=val_data, verbose=0)
    return model, history


if __name__ == "__main__":  # python exercises/gpu_training/reference.py: the whole program, on MNIST if cached
    import numpy as np

    from quiz.exercises.datasets import load_mnist

    gpus = configure_gpus()  # first, before any TensorFlow operation
    data = load_mnist()

    def prepare(images, labels):
        return (
            images.reshape(len(images), NUM_PIXELS).astype(np.float32) / 255.0,
            np.eye(NUM_CLASSES, dtype=np.float32)[labels],
        )

    model, history = train(*prepare(data.x_train, data.y_train), validation_data=prepare(data.x_val, data.y_val))
    print(
        f"{len(gpus)} GPU(s), trained on {training_device()}, {data.source}: "
        f"validation accuracy {history.history['val_accuracy'][-1]:.3f}"
    )
