"""Handwritten digits for the exercises, without the network.

`load_mnist()` gives real MNIST when Keras already has it cached, and otherwise the small UCI digits set the project
ships, resampled to MNIST's 28x28 uint8 shape, so exercises and their suites run offline. `load_digits()` always gives
the shipped set: the suites use it so their accuracy thresholds do not depend on what a machine has cached.
Numpy only at import; Keras is imported only on the real-MNIST path.
"""

from __future__ import annotations

import functools
import gzip
import os
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

DIGITS_FILE = Path(__file__).resolve().parent / "data" / "digits.csv.gz"
IMAGE_SIDE = 28
SPLIT_SEED = 0
MNIST = "mnist"
DIGITS = "uci-digits"


class DigitSplits(NamedTuple):
    """Images (N, 28, 28) uint8 0-255 and labels (N,) uint8 0-9, split into training and validation."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    source: str  # MNIST or DIGITS: which data this is


def keras_mnist_cache() -> Path:
    """Where `keras.datasets.mnist.load_data()` looks before it downloads (it honours $KERAS_HOME)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def load_mnist(*, quiet: bool = False) -> DigitSplits:
    """Real MNIST (60,000 / 10,000) when Keras has it cached, else the shipped digits; says which on stderr."""
    if keras_mnist_cache().is_file():
        try:
            import keras

            (x_train, y_train), (x_val, y_val) = keras.datasets.mnist.load_data()
        except Exception as exc:  # a corrupt or stale cache makes Keras try the network, which fails here
            _say(f"quiz: the MNIST cache at {keras_mnist_cache()} could not be used ({type(exc).__name__}); "
                 "using the shipped UCI digits instead", quiet)
        else:
            _say(f"quiz: using MNIST from {keras_mnist_cache()}", quiet)
            return DigitSplits(x_train, y_train, x_val, y_val, MNIST)
    else:
        _say("quiz: MNIST is not cached (~/.keras/datasets/mnist.npz); "
             "using the shipped UCI digits (1,797 images resampled to 28x28)", quiet)
    return load_digits()


def load_digits(validation_size: int = 297) -> DigitSplits:
    """The shipped UCI digits as 28x28 uint8 images, split the same way on every machine."""
    images, labels = _digits_28x28()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    train, val = order[:-validation_size], order[-validation_size:]
    return DigitSplits(images[train], labels[train], images[val], labels[val], DIGITS)


@functools.lru_cache(maxsize=1)
def _digits_28x28() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(DIGITS_FILE, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.float32)
    pixels = table[:, :64].reshape(-1, 8, 8) / 16.0
    labels = table[:, 64].astype(np.uint8)
    resample = _bilinear_matrix(8, IMAGE_SIDE)
    images = np.einsum("ij,njk,lk->nil", resample, pixels, resample)
    images = np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:
    """(size_out, size_in) weights of linear interpolation with pixel centres aligned, as image resizers do."""
    centres = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
    centres = np.clip(centres, 0, size_in - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    frac = centres - low
    weights = np.zeros((size_out, size_in), dtype=np.float32)
    weights[np.arange(size_out), low] += 1 - frac
    weights[np.arange(size_out), high] += frac
    return weights


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr)
