"""Exercise: data-parallel training with tf.distribute.MirroredStrategy. See README.md for the task.

Fill in the four functions, then test this file (saved as solution.py) with:
    quiz grade data_parallel solution.py
(`quiz exercise start data_parallel` writes this starter and the README into a folder of yours; in a source
checkout, `pytest exercises/data_parallel --submission solution.py` runs the same suite outside the sandbox.)
"""

from __future__ import annotations

import numpy as np  # noqa: F401 - for your solution
import tensorflow as tf
import keras

NUM_PIXELS = 28 * 28
NUM_CLASSES = 10


def preprocess(x, y):
    """Turn uint8 images (N, 28, 28) into float32 (N, 784) in [0, 1], and integer labels (N,) into one-hot
    float32 (N, 10).

    Returns (images, labels).
    """
    raise NotImplementedError


def make_strategy(devices=None) -> tf.distribute.MirroredStrategy:
    """A MirroredStrategy with one replica per device in `devices` (e.g. ["/cpu:0", "/cpu:1"]).

    With devices=None: every visible GPU, or the CPU alone when there is no GPU.
    """
    raise NotImplementedError


def build_model() -> keras.Model:
    """The network: input 784 -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax), compiled with Adam,
    categorical cross-entropy and the accuracy metric.

    It creates its variables in whatever strategy scope is active when it is called.
    """
    raise NotImplementedError


def train(strategy, x_train, y_train, *, validation_data=None, epochs=5, batch_size=64):
    """Train a model from build_model() with data parallelism over `strategy`'s replicas.

    `batch_size` is the GLOBAL batch: each step, every replica gets batch_size / num_replicas_in_sync samples.
    Returns (model, history) where history is what model.fit returns.
    """
    raise NotImplementedError
