"""Probes of the multi_worker suite: they run in the SUBMISSION's sandboxed process (quiz.grading.untrusted), where
they start real clusters of worker processes on 127.0.0.1 and hand back, as plain data, everything the workers
wrote. The suite decides in its own process.

`IMPORT_SUBMISSION = False`: this process never imports the submission, and never imports TensorFlow. The
submission runs only in the workers (quiz.exercises.worker), each a TensorFlow process of ~700 MB, and the sandbox
limits the memory of all of its processes together: the two workers of a cluster fit, a third TensorFlow process
would not. Clusters run one at a time.

The suite chooses every input the verdicts depend on (the training data, the initial weights, the inputs of
compute_loss and make_dataset) and sends them with the call; `run_cluster` writes them to a file in the sandbox
for the workers (`--inputs`). What comes back was written by worker processes that ran the submission: a
submission can make it say anything, so the suite recomputes what it can from it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from quiz.exercises import launcher

IMPORT_SUBMISSION = False  # the workers import it, each in its own process
OPTIONS = {  # run_cluster's options -> the worker's command line; anything else is refused
    "probe": "--probe",
    "one_step": "--one-step",
    "record_reads": "--record-reads",
    "epochs": "--epochs",
    "global_batch_size": "--global-batch-size",
    "learning_rate": "--learning-rate",
}
RESULT_LIMIT = 16 * 2**20  # bytes of one worker's result.json this probe reads


def submission_file() -> Path:
    """The submission this sandbox was started for: the box holds it next to this file (sandbox.py's layout),
    and the untrusted server's spec names it."""
    try:
        return Path(json.loads(sys.argv[1])["submission"])
    except (IndexError, KeyError, TypeError, ValueError):
        return Path(__file__).with_name("submission.py")


def command_line(options: dict) -> list[str]:
    flags = []
    for name, value in options.items():
        if name not in OPTIONS:
            raise ValueError(f"unknown cluster option {name!r}")
        if isinstance(value, bool):
            flags += [OPTIONS[name]] if value else []
        elif isinstance(value, (int, float)):
            flags += [OPTIONS[name], str(value)]
        else:
            raise TypeError(f"cluster option {name!r} must be a number or a bool, not {type(value).__name__}")
    return flags


def run_cluster(workers: int, options: dict, inputs: dict | None = None, timeout: float = 240.0) -> dict:
    """Run `workers` worker processes of the submission to the end (quiz.exercises.launcher.run_cluster) with
    `options` (see OPTIONS) and `inputs` (arrays, see quiz.exercises.worker_inputs.INPUT_KEYS); return how the run ended
    and what every worker wrote: its result.json and its .npz files (weights as lists of arrays, the make_dataset
    probe's batches as a dict of arrays)."""
    folder = Path(tempfile.mkdtemp(prefix=f"cluster-{int(workers)}-"))
    flags = command_line(options)
    if inputs:
        np.savez(folder / "inputs.npz", **{str(key): np.asarray(value) for key, value in inputs.items()})
        flags += ["--inputs", str(folder / "inputs.npz")]
    outcome = launcher.run_cluster(
        submission_file(), int(workers), folder / "out", options=flags, timeout=float(timeout)
    )
    return {
        "ok": outcome.ok,
        "reason": outcome.reason,
        "failed_worker": outcome.failed_worker,
        "timed_out": outcome.timed_out,
        "seconds": outcome.seconds,
        "attempts": outcome.attempts,
        "earlier_failures": list(outcome.earlier_failures),
        "tails": [list(tail)[-20:] for tail in outcome.tails],
        "workers": [worker_files(outcome.out_dir / f"worker-{index}") for index in range(int(workers))],
    }


def worker_files(folder: Path) -> dict:
    """One worker's result.json ({} if it wrote none) and its .npz files by name."""
    found: dict = {"result": {}, "arrays": {}}
    result = folder / "result.json"
    if result.is_file() and result.stat().st_size <= RESULT_LIMIT:
        try:
            found["result"] = json.loads(result.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            found["result"] = {"status": "failed", "error": f"result.json is not JSON ({exc})"}
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            with np.load(path, allow_pickle=False) as arrays:
                names = list(arrays.files)
                if names and names == [f"arr_{i}" for i in range(len(names))]:  # np.savez(*weights)
                    found["arrays"][path.stem] = [arrays[name] for name in names]
                else:
                    found["arrays"][path.stem] = {name: arrays[name] for name in names}
        except (OSError, ValueError) as exc:
            found["arrays"][path.stem] = {"error": f"{path.name} could not be read ({exc})"}
    return found
