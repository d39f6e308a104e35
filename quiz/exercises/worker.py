"""One worker of a multi-worker run: `python -m quiz.exercises.worker SUBMISSION --out DIR`.

The launcher starts one of these per worker with its TF_CONFIG; on real hosts you start one per host yourself.
It imports the submission and creates its MultiWorkerMirroredStrategy before anything else runs a TensorFlow op
(collective ops can only be configured at program start), trains on its shard of the data, and writes what it saw
into DIR/worker-<index>/: result.json (losses, where variables were created, any error) and per job <job>.npz (the
final weights). Everything is written even when the submission fails, so a caller can say what went wrong; the
process then exits 1 after a last line starting with FAILED_MARK.

By default the data are the first --examples shipped digits and the model starts from build_model()'s own seeded
weights (saved as <job>-initial.npz). The suite instead chooses every input itself and passes them with
`--inputs FILE.npz` (see INPUT_KEYS): the training data, the weights build_model()'s model must start from (the
worker sets them on the model build_model() returns), and the small inputs of `--probe`. With `--record-reads` the
worker also records which examples each batch of its input pipeline held, in the order they were read (the
features rows given to make_dataset, looked up by value), so a caller can recompute the run's global batches.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

from quiz.exercises.worker_inputs import INPUT_KEYS, WEIGHT_KEYS, load_inputs, training_data
from quiz.exercises.worker_probes import probe_pieces, record_reads
from quiz.exercises.worker_submission import (
    call,
    describe_error,
    import_submission,
    print_submission_traceback,
)
from quiz.exercises.worker_wire import FAILED_MARK, LAUNCHER_PID_ENV
from quiz.fast_exit import leave

READY_MARK = "strategy ready:"
RESULT_FILE = "result.json"
ONE_STEP, TRAIN = "one-step", "train"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m quiz.exercises.worker",
        description="Run one worker of the multi_worker exercise (TF_CONFIG says which).",
    )
    parser.add_argument("submission", help="the solution file (make_strategy, make_dataset, compute_loss, train)")
    parser.add_argument("--out", required=True, help="folder for results; this worker writes OUT/worker-<index>/")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the training job (0: no training job)")
    parser.add_argument("--global-batch-size", type=int, default=64)
    parser.add_argument("--examples", type=int, default=1024, help="how many shipped digits to train on")
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--probe",
        action="store_true",
        help="also call compute_loss and make_dataset on small known inputs and record what they give",
    )
    parser.add_argument(
        "--one-step",
        action="store_true",
        help="first run one SGD step on the first global batch (the suite compares it across clusters)",
    )
    parser.add_argument(
        "--inputs",
        metavar="FILE.npz",
        help="the training data, initial weights and probe inputs to use (keys: " + ", ".join(INPUT_KEYS) + ")",
    )
    parser.add_argument(
        "--record-reads",
        action="store_true",
        help="record which examples each batch of this worker's input pipeline held",
    )
    return parser.parse_args(argv)


def cluster_place(environ: dict[str, str] | None = None) -> tuple[int, int]:
    """(this worker's index, number of workers) from TF_CONFIG; (0, 1) without it, as TensorFlow does."""
    raw = (environ if environ is not None else os.environ).get("TF_CONFIG")
    if not raw:
        return 0, 1
    config = json.loads(raw)
    cluster = config.get("cluster", {})
    workers = len(cluster.get("worker", [])) + len(cluster.get("chief", []))
    task = config.get("task", {})
    index = int(task.get("index", 0)) + (len(cluster.get("chief", [])) if task.get("type") == "worker" else 0)
    return index, max(workers, 1)


@contextlib.contextmanager
def long_lived_imports():
    """TensorFlow's import makes about a million objects that live as long as the worker: the cycle collector is off
    while they are made and they are then frozen out of it, instead of being scanned again in every collection
    (~1 s of CPU per process measured here; quiz.grading.untrusted does the same for the probes' import)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


class Report:
    """result.json of one worker, rewritten after every stage so a crash still leaves what was known."""

    def __init__(self, folder: Path, index: int, workers: int):
        self.folder = folder
        self.data: dict = {"index": index, "workers": workers, "status": "started", "jobs": {}, "error": None}
        self.save()

    def save(self) -> None:
        tmp = self.folder / (RESULT_FILE + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=2))
        tmp.replace(self.folder / RESULT_FILE)


def run_job(
    module, strategy, report: Report, job: str, features, labels, args: argparse.Namespace, initial: list | None = None
) -> None:
    """One call of train(): `epochs` epochs (one for ONE_STEP) on (features, labels). With `initial`, the model
    build_model() returns is set to those weights; without, build_model()'s own seeded start is saved."""
    import keras
    import numpy as np
    import tensorflow as tf

    epochs = 1 if job == ONE_STEP else args.epochs
    global_batch_size = args.global_batch_size
    reads: list[list[int]] = []
    rows = {row.tobytes(): i for i, row in reversed(list(enumerate(features)))} if args.record_reads else None

    def dataset_fn(input_context):
        dataset = module.make_dataset(input_context, features, labels, global_batch_size)
        return record_reads(dataset, rows, reads) if rows is not None else dataset

    created: list[dict] = []

    def record_variables(next_creator, **kwargs):
        variable = next_creator(**kwargs)
        created.append(
            {
                "name": str(kwargs.get("name") or getattr(variable, "name", "?")),
                "in_strategy_scope": tf.distribute.has_strategy(),
            }
        )
        return variable

    entry = report.data["jobs"][job] = {
        "epochs": epochs,
        "global_batch_size": global_batch_size,
        "examples": int(len(labels)),
        "variables": created,
        "status": "started",
        "initial_weights": "given" if initial is not None else "seeded",
    }
    if rows is not None:
        entry["reads"] = reads
    report.save()
    folder = report.folder
    keras.utils.set_random_seed(args.seed)
    if initial is None:
        start = call(module, "build_model")  # the start of the model train() builds: same seed, same layers
        np.savez(folder / f"{job}-initial.npz", *start.get_weights())
        del start
        keras.utils.set_random_seed(args.seed)
    builds = entry["build_model_calls"] = []
    original = getattr(module, "build_model", None)
    if initial is not None and callable(original):

        def build_model(*given, **named):  # the contract's build_model, started from the caller's weights
            model = original(*given, **named)
            builds.append({"in_strategy_scope": tf.distribute.has_strategy()})
            model.set_weights(initial)
            return model

        module.build_model = build_model
    started = time.monotonic()
    try:
        with tf.variable_creator_scope(record_variables):
            returned = call(
                module,
                "train",
                strategy,
                dataset_fn,
                epochs=epochs,
                global_batch_size=global_batch_size,
                learning_rate=args.learning_rate,
            )
    finally:
        if initial is not None and callable(original):
            module.build_model = original
        entry["seconds"] = round(time.monotonic() - started, 2)
        report.save()
    model, losses = check_returned(returned, epochs)
    np.savez(folder / f"{job}.npz", *model.get_weights())
    entry.update(
        losses=losses,
        status="ok",
        variable_types=sorted({type(getattr(v, "value", v)).__name__ for v in model.weights}),
    )
    report.save()
    print(
        f"{job}: {epochs} epoch(s) in {entry['seconds']} s, loss per epoch "
        + ", ".join(f"{loss:.4f}" for loss in losses),
        flush=True,
    )


def check_returned(returned, epochs: int):
    if not (isinstance(returned, tuple) and len(returned) == 2):
        raise TypeError(f"train() must return (model, losses), not {type(returned).__name__}")
    model, losses = returned
    if not hasattr(model, "get_weights"):
        raise TypeError(f"train() must return a Keras model first, not {type(model).__name__}")
    try:
        losses = [float(loss) for loss in losses]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"train()'s losses must be numbers, one per epoch ({exc})") from None
    if len(losses) != epochs:
        raise ValueError(f"train() returned {len(losses)} losses for {epochs} epoch(s): give one per epoch")
    if not all(math.isfinite(loss) for loss in losses):
        raise ValueError(f"train() returned non-finite losses: {losses}")
    return model, losses


def die_with_launcher() -> None:
    """When started by the launcher: ask Linux to SIGKILL this worker when the launcher dies, so a killed test
    run or grader never leaves workers waiting on each other. (Set here, not in a preexec_fn, which is unsafe
    while the launcher's reader threads run.)"""
    launcher = os.environ.get(LAUNCHER_PID_ENV)
    if not launcher or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(launcher):  # the launcher died before we asked
        os._exit(1)


def outside_scope_hint(report: Report) -> str:
    names = sorted(
        {
            v["name"]
            for job in report.data["jobs"].values()
            for v in job.get("variables", [])
            if not v["in_strategy_scope"]
        }
    )
    return f" (train() created variables outside strategy.scope(): {', '.join(names)})" if names else ""


def main(argv: list[str] | None = None) -> int:
    die_with_launcher()
    args = parse_args(argv)
    try:
        index, workers = cluster_place()
    except (ValueError, TypeError, AttributeError) as exc:
        print(f"{FAILED_MARK} TF_CONFIG is not a valid cluster description ({exc})", file=sys.stderr)
        return 2
    folder = Path(args.out).resolve() / f"worker-{index}"
    folder.mkdir(parents=True, exist_ok=True)
    report = Report(folder, index, workers)
    try:
        inputs = load_inputs(args.inputs)
        with long_lived_imports():  # the submission imports TensorFlow
            module = import_submission(Path(args.submission).resolve())
        try:
            strategy = call(module, "make_strategy")  # the first TensorFlow work: collectives need it so
        finally:
            if args.probe:  # compute_loss and make_dataset do not need a working strategy: check them anyway
                report.data["probes"] = probe_pieces(module, inputs, folder)
                report.save()
        import numpy as np
        import tensorflow as tf

        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        report.data.update(
            strategy=type(strategy).__name__, multi_worker=multi_worker, replicas=int(strategy.num_replicas_in_sync)
        )
        report.save()
        if not multi_worker:
            raise TypeError(f"make_strategy() returned {type(strategy).__name__}, not MultiWorkerMirroredStrategy")
        print(f"{READY_MARK} worker {index} of {workers}, {strategy.num_replicas_in_sync} replicas in sync", flush=True)
        features, labels = training_data(inputs, args.examples)
        initial = [inputs[key].astype(np.float32) for key in WEIGHT_KEYS] if WEIGHT_KEYS[0] in inputs else None
        jobs = ([ONE_STEP] if args.one_step else []) + ([TRAIN] if args.epochs > 0 else [])
        for job in jobs:
            first = job == ONE_STEP
            run_job(
                module,
                strategy,
                report,
                job,
                features[: args.global_batch_size] if first else features,
                labels[: args.global_batch_size] if first else labels,
                args,
                initial,
            )
    except BaseException as exc:  # noqa: BLE001 - whatever the submission raises is the candidate's to see
        if isinstance(exc, KeyboardInterrupt):
            raise
        message = describe_error(exc) + outside_scope_hint(report)
        report.data.update(status="failed", error=message)
        report.save()
        print_submission_traceback(exc)
        print(f"{FAILED_MARK} {message}", flush=True)
        sys.stdout.flush()
        os._exit(1)  # TensorFlow's collective threads can keep a normal exit waiting for a dead peer
    report.data["status"] = "ok"
    report.save()
    return 0


if __name__ == "__main__":
    leave(main())
