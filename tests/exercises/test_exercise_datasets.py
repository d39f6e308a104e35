"""quiz.exercises.datasets: the digits every exercise trains on, offline."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from quiz.exercises import datasets


def test_load_digits_has_mnist_shapes_and_dtypes():
    data = datasets.load_digits()
    assert data.source == datasets.DIGITS
    assert data.x_train.shape == (1500, 28, 28) and data.x_val.shape == (297, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    assert data.x_train.max() == 255 and data.x_train.min() == 0
    assert set(np.unique(data.y_train)) == set(range(10)) and set(np.unique(data.y_val)) == set(range(10))


def test_load_digits_splits_the_same_way_every_time():
    first, second = datasets.load_digits(), datasets.load_digits()
    assert np.array_equal(first.x_val, second.x_val) and np.array_equal(first.y_train, second.y_train)
    _, all_labels = datasets._digits_28x28()
    assert np.array_equal(np.sort(np.concatenate([first.y_train, first.y_val])), np.sort(all_labels))


def test_digits_keep_their_shape_when_resampled():
    """At the centres of the original 8x8 pixels, the 28x28 image shows the original digit."""
    import gzip

    images, _ = datasets._digits_28x28()
    with gzip.open(datasets.DIGITS_FILE, "rt") as handle:
        original = np.loadtxt(handle, delimiter=",", max_rows=50)[:, :64].reshape(-1, 8, 8) / 16.0
    centres = np.rint(np.arange(8) * 3.5 + 1.25).astype(int)
    sampled = images[:50][:, centres][:, :, centres] / 255.0
    correlation = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(sampled, original)]
    assert min(correlation) > 0.9


def test_load_mnist_falls_back_to_the_shipped_digits_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # a Keras home without the MNIST cache
    data = datasets.load_mnist()
    assert data.source == datasets.DIGITS and data.x_train.shape[1:] == (28, 28)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MNIST is not cached" in err and "shipped UCI digits" in err


def test_load_mnist_reads_a_cached_mnist_file(tmp_path, monkeypatch, capsys):
    """The file in Keras's format (a few images here; the real one has 70,000)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cache = datasets.keras_mnist_cache()
    cache.parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(
        cache,
        x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        y_train=np.arange(6, dtype=np.uint8),
        x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        y_test=np.arange(4, dtype=np.uint8),
    )
    data = datasets.load_mnist()
    assert data.source == datasets.MNIST and data.x_train.shape == (6, 28, 28) and list(data.y_val) == [0, 1, 2, 3]
    assert capsys.readouterr().err == f"quiz: using MNIST from {cache}\n"


def test_a_damaged_mnist_cache_is_left_alone_and_the_shipped_digits_are_used(tmp_path, monkeypatch, capsys):
    """Keras's own loader would delete such a file and download MNIST again: nothing here may download."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cache = datasets.keras_mnist_cache()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"not an npz file")
    data = datasets.load_mnist()
    assert data.source == datasets.DIGITS
    assert cache.read_bytes() == b"not an npz file"
    err = capsys.readouterr().err
    assert err.startswith(f"quiz: the MNIST cache at {cache} could not be read (") and "shipped UCI digits" in err


def test_a_validation_split_of_zero_keeps_every_image_for_training():
    data = datasets.load_digits(validation_size=0)
    assert len(data.x_train) == 1797 and len(data.x_val) == 0


def test_load_mnist_can_be_quiet(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    datasets.load_mnist(quiet=True)
    assert capsys.readouterr().err == ""


def test_keras_cache_path_follows_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert datasets.keras_mnist_cache() == tmp_path / "datasets" / "mnist.npz"


def test_the_shipped_data_carries_its_attribution():
    note = (datasets.DIGITS_FILE.parent / "README.md").read_text()
    assert "CC BY 4.0" in note and "Alpaydin" in note


def test_importing_the_module_loads_neither_tensorflow_nor_keras():
    code = (
        "import sys, quiz.exercises.datasets as d; d.load_digits(); "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
