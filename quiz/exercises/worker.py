"""One worker of a multi-worker run: `python -m quiz.exercises.worker SUBMISSION --out DIR`.

The launcher starts one of these per worker with its TF_CONFIG; on real hosts you start one per host yourself.
It imports the submission and creates its MultiWorkerMirroredStrategy before anything else runs a TensorFlow op
(collective ops can only be configured at program start), trains on its shard of the shipped digits, and writes
what the suite compares into DIR/worker-<index>/: result.json (losses, where variables were created, any error),
and per job <job>-initial.npz (the weights build_model starts from) and <job>.npz (the final weights). Everything
is written even when the submission fails, so the suite can say what went wrong; the process then exits 1 after a
last line starting with FAILED_MARK.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

FAILED_MARK = "worker failed:"
LAUNCHER_PID_ENV = "QUIZ_LAUNCHER_PID"
READY_MARK = "strategy ready:"
SUBMISSION_MODULE = "submission"
RESULT_FILE = "result.json"
ONE_STEP, TRAIN = "one-step", "train"
DIE_EXIT_STATUS = 86  # --die-during-training: how the chosen worker ends, so the suite can tell it from a crash


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m quiz.exercises.worker",
                                     description="Run one worker of the multi_worker exercise (TF_CONFIG says which).")
    parser.add_argument("submission", help="the solution file (make_strategy, make_dataset, compute_loss, train)")
    parser.add_argument("--out", required=True, help="folder for results; this worker writes OUT/worker-<index>/")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the training job (0: no training job)")
    parser.add_argument("--global-batch-size", type=int, default=64)
    parser.add_argument("--examples", type=int, default=1024, help="how many shipped digits to train on")
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--probe", action="store_true",
                        help="also call compute_loss and make_dataset on small known inputs and record what they give")
    parser.add_argument("--one-step", action="store_true",
                        help="first run one SGD step on the first global batch (the suite compares it across clusters)")
    parser.add_argument("--die-during-training", type=int, metavar="INDEX",
                        help=f"worker INDEX ends itself (exit status {DIE_EXIT_STATUS}) --die-after seconds into its "
                             "training job: the suite's check that a dead worker fails the run instead of hanging it")
    parser.add_argument("--die-after", type=float, default=1.0, metavar="SECONDS")
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


def practice_data(count: int):
    """The first `count` shipped digits as float32 (count, 784) in [0, 1] and int32 labels: the same on every host."""
    import numpy as np

    from quiz.exercises.datasets import load_digits

    digits = load_digits()
    if not 1 <= count <= len(digits.y_train):
        raise ValueError(f"--examples must be between 1 and {len(digits.y_train)}")
    features = digits.x_train[:count].reshape(count, -1).astype(np.float32) / 255.0
    return features, digits.y_train[:count].astype(np.int32)


class SubmissionError(Exception):
    """A function of the submission raised, or is missing: the message names the function."""


def call(module, name: str, *args, **kwargs):
    function = getattr(module, name, None)
    if not callable(function):
        raise SubmissionError(f"the submission has no function {name}()")
    try:
        return function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported with the function's name; the traceback is printed too
        raise SubmissionError(f"{name}() raised {describe_error(exc)}") from exc


def import_submission(path: Path):
    spec = importlib.util.spec_from_file_location(SUBMISSION_MODULE, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[SUBMISSION_MODULE] = module
    spec.loader.exec_module(module)
    return module


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


def run_job(module, strategy, report: Report, job: str, features, labels, args: argparse.Namespace) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    epochs = 1 if job == ONE_STEP else args.epochs
    global_batch_size = args.global_batch_size

    def dataset_fn(input_context):
        return module.make_dataset(input_context, features, labels, global_batch_size)

    created: list[dict] = []

    def record_variables(next_creator, **kwargs):
        variable = next_creator(**kwargs)
        created.append({"name": str(kwargs.get("name") or getattr(variable, "name", "?")),
                        "in_strategy_scope": tf.distribute.has_strategy()})
        return variable

    entry = report.data["jobs"][job] = {"epochs": epochs, "global_batch_size": global_batch_size,
                                        "examples": int(len(labels)), "variables": created, "status": "started"}
    report.save()
    folder = report.folder
    keras.utils.set_random_seed(args.seed)
    initial = call(module, "build_model")  # the start of the model train() builds: same seed, same layers
    np.savez(folder / f"{job}-initial.npz", *initial.get_weights())
    del initial
    keras.utils.set_random_seed(args.seed)
    if job == TRAIN and args.die_during_training == report.data["index"]:
        print(f"worker {report.data['index']} will end itself {args.die_after:g} s into training", flush=True)
        threading.Timer(args.die_after, os._exit, args=(DIE_EXIT_STATUS,)).start()
    started = time.monotonic()
    try:
        with tf.variable_creator_scope(record_variables):
            returned = call(module, "train", strategy, dataset_fn, epochs=epochs,
                            global_batch_size=global_batch_size, learning_rate=args.learning_rate)
    finally:
        entry["seconds"] = round(time.monotonic() - started, 2)
        report.save()
    model, losses = check_returned(returned, epochs)
    np.savez(folder / f"{job}.npz", *model.get_weights())
    entry.update(losses=losses, status="ok",
                 variable_types=sorted({type(getattr(v, "value", v)).__name__ for v in model.weights}))
    report.save()
    print(f"{job}: {epochs} epoch(s) in {entry['seconds']} s, loss per epoch "
          + ", ".join(f"{loss:.4f}" for loss in losses), flush=True)


def probe_pieces(module) -> dict:
    """Call compute_loss and make_dataset on small known inputs and record inputs and answers, for the suite to
    judge. Runs here rather than in the test process so that process never loads TensorFlow (memory: a grader
    limits all of a submission's processes together, and each TensorFlow process holds ~700 MB)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=8).astype(np.int32)
    logits = rng.normal(size=(8, 10))
    predictions = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    loss: dict = {"labels": labels.tolist(), "predictions": predictions.tolist(), "global_batch_size": 16}
    try:
        value = np.asarray(module.compute_loss(tf.constant(labels), tf.constant(predictions), 16), dtype=np.float64)
        loss.update(shape=list(value.shape), value=value.tolist())
    except Exception as exc:  # noqa: BLE001 - recorded for the suite to report
        loss["error"] = describe_error(exc)

    count, pipelines, global_batch_size = 64, 2, 16
    ids = np.arange(count, dtype=np.int32)
    features = np.repeat(ids[:, None], 28 * 28, axis=1).astype(np.float32) / count
    shards: dict = {"count": count, "pipelines": pipelines, "global_batch_size": global_batch_size, "batches": []}
    try:
        for pipeline in range(pipelines):
            context = tf.distribute.InputContext(num_input_pipelines=pipelines, input_pipeline_id=pipeline,
                                                 num_replicas_in_sync=pipelines)
            dataset = module.make_dataset(context, features, ids, global_batch_size)
            shards["batches"].append([np.asarray(batch_labels).ravel().astype(int).tolist()
                                      for _, batch_labels in dataset.take(count + 1)])
    except Exception as exc:  # noqa: BLE001
        shards["error"] = describe_error(exc)
    return {"compute_loss": loss, "make_dataset": shards}


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


def describe_error(exc: BaseException) -> str:
    """One line: the exception's type and its first line; for TensorFlow's "in user code:" errors, the last line,
    which names the error that was raised in the traced function."""
    if isinstance(exc, SubmissionError):
        return str(exc)
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines and lines[0] == "in user code:" else (lines[0] if lines else "")
    name = type(exc).__name__
    text = text if text.startswith(name) else f"{name}: {text}"
    return text.strip().rstrip(":")


def print_submission_traceback(exc: BaseException) -> None:
    """The traceback of what the submission raised, without the worker's frames that wrapped it: that is what the
    candidate can fix. A missing function has no traceback worth showing; the FAILED_MARK line says it all."""
    if isinstance(exc, SubmissionError):
        if exc.__cause__ is None:
            return
        exc = exc.__cause__
    traceback.print_exception(exc)


def outside_scope_hint(report: Report) -> str:
    names = sorted({v["name"] for job in report.data["jobs"].values() for v in job.get("variables", [])
                    if not v["in_strategy_scope"]})
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
        module = import_submission(Path(args.submission).resolve())
        try:
            strategy = call(module, "make_strategy")  # the first TensorFlow work: collectives need it so
        finally:
            if args.probe:  # compute_loss and make_dataset do not need a working strategy: check them anyway
                report.data["probes"] = probe_pieces(module)
                report.save()
        import tensorflow as tf

        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        report.data.update(strategy=type(strategy).__name__, multi_worker=multi_worker,
                           replicas=int(strategy.num_replicas_in_sync))
        report.save()
        if not multi_worker:
            raise TypeError(f"make_strategy() returned {type(strategy).__name__}, not MultiWorkerMirroredStrategy")
        print(f"{READY_MARK} worker {index} of {workers}, {strategy.num_replicas_in_sync} replicas in sync",
              flush=True)
        features, labels = practice_data(args.examples)
        jobs = ([ONE_STEP] if args.one_step else []) + ([TRAIN] if args.epochs > 0 else [])
        for job in jobs:
            first = job == ONE_STEP
            run_job(module, strategy, report, job, features[:args.global_batch_size] if first else features,
                    labels[:args.global_batch_size] if first else labels, args)
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
    sys.exit(main())
