"""Training throughput (samples/s) of the source document's plain GPU program against the gpu_training reference
(tf.data with prefetch, mixed precision on a GPU, XLA through Keras's jit_compile="auto").

Each variant runs in its own process (mixed precision is a global Keras policy). Steady-state speed is taken as
(time of 1 + K epochs - time of 1 epoch) / K, so tracing and XLA compilation are left out. The data is real MNIST
when Keras has it cached, else the shipped digits tiled to --samples (throughput does not depend on the pixels).

    python benchmarks/bench_training_throughput.py [--samples 60000] [--epochs 3]

On a CPU-only machine the figures say what the reference's habits cost there (mixed precision is off by default
without a GPU); on a GPU they are the speed-up the exercise teaches. Record them with the device's name.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[4])
from quiz.exercises.datasets import load_mnist
variant, samples, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
import importlib.util
spec = importlib.util.spec_from_file_location("reference", sys.argv[5])
reference = importlib.util.module_from_spec(spec); spec.loader.exec_module(reference)
gpus = reference.configure_gpus()
import tensorflow as tf, keras
data = load_mnist(quiet=True)
reps = -(-samples // len(data.x_train))
x = np.tile(data.x_train.reshape(len(data.x_train), 784), (reps, 1))[:samples].astype(np.float32) / 255.0
y = np.eye(10, dtype=np.float32)[np.tile(data.y_train, reps)[:samples]]

def document(epochs):  # the source document's program, as written (less its data loading)
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)

def ref(epochs, mixed_precision=None):
    reference.train(x, y, epochs=epochs, batch_size=64, mixed_precision=mixed_precision)

run = {"document": document, "reference": ref,
       "reference-mixed-precision": lambda e: ref(e, mixed_precision=True)}[variant]
def timed(e):
    start = time.perf_counter(); run(e); return time.perf_counter() - start
first = timed(1)
longer = timed(1 + epochs)
steady = (longer - first) / epochs
print(json.dumps({"variant": variant, "samples": samples, "data": data.source, "device": reference.training_device(),
                  "gpus": [g.name for g in gpus], "first_epoch_s": first, "epoch_s": steady,
                  "samples_per_s": samples / steady}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=3, help="steady-state epochs timed after the first")
    args = parser.parse_args()
    reference = ROOT / "exercises" / "gpu_training" / "reference.py"
    results = {}
    for variant in ("document", "reference", "reference-mixed-precision"):
        done = subprocess.run(
            [sys.executable, "-c", WORKER, variant, str(args.samples), str(args.epochs), str(ROOT), str(reference)],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.returncode != 0:
            print(f"{variant}: failed\n{done.stderr[-1500:]}")
            continue
        results[variant] = json.loads(done.stdout.strip().splitlines()[-1])
    for variant, r in results.items():
        print(
            f"{variant:<27} {r['device']:<7} {r['samples_per_s']:>10,.0f} samples/s  "
            f"(steady epoch {r['epoch_s']:.2f} s, first epoch {r['first_epoch_s']:.2f} s, {r['data']})"
        )
    if "document" in results and "reference" in results:
        ratio = results["reference"]["samples_per_s"] / results["document"]["samples_per_s"]
        print(f"reference / document throughput: {ratio:.2f}x")


if __name__ == "__main__":
    main()
