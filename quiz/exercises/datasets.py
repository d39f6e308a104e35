"""Handwritten digits for the exercises, without the network.

`load_mnist()` gives real MNIST when Keras already has it cached, and otherwise the small UCI digits set the project
ships, resampled to MNIST's 28x28 uint8 shape, so exercises and their suites run offline. `load_digits()` always gives
the shipped set: the suites use it so their accuracy thresholds do not depend on what a machine has cached.
Numpy only: no Keras, no TensorFlow, no network.
"""

from __future__ import annotations

import functools
import gzip
import os
import sys
import zipfile
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
    """Real MNIST (60,000 / 10,000) when Keras has it cached, else the shipped digits; says which on stderr.

    The cache file is read directly, as Keras's `mnist.load_data()` reads it, but not through that function: on a
    file whose hash does not match, Keras deletes it and downloads it again, and nothing here may download."""
    cache = keras_mnist_cache()
    if cache.is_file():
        try:
            with np.load(cache) as arrays:
                x_train, y_train, x_val, y_val = (arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))
            if x_train.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or len(x_train) != len(y_train):
                raise ValueError(f"x_train has shape {x_train.shape}, not (N, 28, 28)")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            _say(
                f"quiz: the MNIST cache at {cache} could not be read ({type(exc).__name__}: {exc}); "
                "using the shipped UCI digits instead",
                quiet,
            )
        else:
            _say(f"quiz: using MNIST from {cache}", quiet)
            return DigitSplits(x_train, y_train, x_val, y_val, MNIST)
    else:
        _say(
            "quiz: MNIST is not cached (~/.keras/datasets/mnist.npz); "
            "using the shipped UCI digits (1,797 images resampled to 28x28)",
            quiet,
        )
    return load_digits()


def load_digits(validation_size: int = 297) -> DigitSplits:
    """The shipped UCI digits as 28x28 uint8 images, split the same way on every machine."""
    images, labels = _digits_28x28()
    if not 0 <= validation_size < len(labels):
        raise ValueError(f"validation_size must be between 0 and {len(labels) - 1}")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    cut = len(order) - validation_size
    train, val = order[:cut], order[cut:]
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
