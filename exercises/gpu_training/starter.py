"""Exercise: train on a GPU when there is one, with memory growth, a prefetching pipeline and mixed precision.
See README.md for the task. Test this file (saved as solution.py) with:
    quiz grade gpu_training solution.py
(`quiz exercise start gpu_training` writes this starter and the README into a folder of yours; in a source
checkout, `pytest exercises/gpu_training --submission solution.py` runs the same suite outside the sandbox.)
"""

from __future__ import annotations

import warnings  # noqa: F401 - for your solution

import tensorflow as tf
import keras

NUM_PIXELS = 28 * 28
NUM_CLASSES = 10


def configure_gpus(memory_growth=True, max_gpus=None) -> list:
    """Enable memory growth (when `memory_growth` is True) on every GPU and keep only the first `max_gpus` visible
    (all when None), before TensorFlow initializes its GPUs. Returns the GPUs left visible.

    No GPU: returns []. Called after TensorFlow has initialized (some operation already ran): must not raise;
    warn (warnings.warn) and return the GPUs that are visible.
    """
    raise NotImplementedError


def training_device() -> str:
    """ "/GPU:0" when a GPU is visible, else "/CPU:0"."""
    raise NotImplementedError


def make_dataset(x, y, batch_size, *, training=True) -> tf.data.Dataset:
    """A tf.data pipeline of (x, y) batches of `batch_size` (keeping every sample): shuffled only when
    `training`, and ending with prefetch(tf.data.AUTOTUNE)."""
    raise NotImplementedError


def build_model(mixed_precision=False) -> keras.Model:
    """Input 784 -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax), compiled with Adam, categorical
    cross-entropy and accuracy.

    With mixed_precision=True the dtype policy is "mixed_float16" (float16 compute, float32 variables) and the
    softmax output stays float32. With False, everything is float32.
    """
    raise NotImplementedError


def train(x_train, y_train, *, validation_data=None, epochs=5, batch_size=64, mixed_precision=None):
    """Train build_model(...) on training_device() with make_dataset pipelines (global batch `batch_size`).

    mixed_precision=None means: on when a GPU is present, off otherwise. Returns (model, history) where history is
    what model.fit returns.
    """
    raise NotImplementedError
