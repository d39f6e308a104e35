"""`quiz exercise run multi_worker --workers N SUBMISSION`: train a solution on a real local cluster.

Starts N worker processes on 127.0.0.1 through the launcher, streams their output prefixed with the worker's
index, stops all of them when one fails or on Ctrl+C, and ends with one summary line. Exit status: 0 all workers
finished, 1 a worker failed (the message names it), 124 the run timed out, 130 interrupted, 2 usage error.
TensorFlow runs only in the workers.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import re
import signal
import sys
from pathlib import Path

from quiz.errors import ExitCode, UsageError

RUNNABLE = ("multi_worker",)
MAX_WORKERS = 8
# TensorFlow's start-up chatter (absl INFO/WARNING lines, the no-GPU notice): hidden unless --verbose
NOISE = re.compile(
    r"^(?:[IW]\d{4} [\d:.]+\s+\d+ \S+:\d+\]|WARNING: All log messages before absl"
    r"|E\d{4} .*(?:cuInit|cuda_platform|cuda_dnn|cuda_fft|cuda_blas)"
    r"|To enable the following instructions)"
)


def register(sub, parent: argparse.ArgumentParser) -> None:
    exercise = sub.add_parser(
        "exercise",
        parents=[parent],
        help="run a coding exercise's solution",
        description="Run a coding exercise's solution outside the test suite.",
    )
    actions = exercise.add_subparsers(dest="exercise_command", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        parents=[parent],
        help="train a solution on a local cluster of worker processes",
        description="Train SUBMISSION with N real worker processes on 127.0.0.1 (ports from the OS, one TF_CONFIG "
        "each), streaming their output. Stops every worker when one fails or on Ctrl+C. Exit status: "
        "0 all finished, 1 a worker failed, 124 timed out, 130 interrupted, 2 usage error.",
    )
    run.add_argument("name", metavar="EXERCISE", help=f"the exercise ({', '.join(RUNNABLE)})")
    run.add_argument(
        "submission", metavar="SUBMISSION", help="your solution file (e.g. exercises/multi_worker/starter.py)"
    )
    run.add_argument(
        "--workers", type=int, default=2, metavar="N", help=f"worker processes, 1-{MAX_WORKERS} (default 2)"
    )
    run.add_argument("--epochs", type=int, default=3, help="training epochs (default 3)")
    run.add_argument(
        "--global-batch-size", type=int, default=64, metavar="B", help="examples per step over all workers (default 64)"
    )
    run.add_argument("--examples", type=int, default=1024, help="shipped digits to train on (default 1024)")
    run.add_argument(
        "--timeout", type=float, default=600.0, metavar="SECONDS", help="stop the run after this long (default 600)"
    )
    run.add_argument(
        "--out",
        metavar="DIR",
        help="keep each worker's result.json and weights here (default: a temporary folder, removed afterwards)",
    )
    run.add_argument("--verbose", action="store_true", help="also show TensorFlow's start-up log lines")
    run.set_defaults(run=run_exercise)
    start = actions.add_parser(
        "start",
        parents=[parent],
        help="copy an exercise's statement and starter into a folder of yours",
        description="Write the exercise's statement (README.md) and its starter (as solution.py) into DIR "
        "(default: ./EXERCISE), then say how to test it. An existing solution.py is never overwritten.",
    )
    start.add_argument("name", metavar="EXERCISE", help="the exercise (quiz exercise list names them)")
    start.add_argument("folder", metavar="DIR", nargs="?", help="where to write it (default: ./EXERCISE)")
    start.set_defaults(run=start_exercise)
    listing = actions.add_parser(
        "list",
        parents=[parent],
        help="the shipped exercises",
        description="The shipped exercises, one per line: name and title.",
    )
    listing.set_defaults(run=list_exercises)


def start_exercise(args: argparse.Namespace) -> int:
    from quiz import paths

    names = paths.exercise_names()
    if args.name not in names:
        raise UsageError(f"no exercise named '{args.name}' (there are: {', '.join(names)})")
    from quiz.exercises.workspace import Workspace

    folder = Path(args.folder or args.name)
    workspace = Workspace(paths.exercises_dir() / args.name, folder)
    solution = workspace.solution
    try:
        kept = not workspace.start(with_statement=True)
    except IsADirectoryError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    zh = args.lang == "zh"
    if kept:
        print(f"{solution} 已存在，保留不动" if zh else f"kept your {solution} (never overwritten)")
    else:
        print(
            f"已写入 {folder / 'README.md'}（题目）和 {solution}（起始代码）"
            if zh
            else f"wrote {folder / 'README.md'} (the statement) and {solution} (the starter)"
        )
    print(
        f"完成后评测：quiz grade {args.name} {solution}"
        if zh
        else f"when it is done, test it: quiz grade {args.name} {solution}"
    )
    if args.name in RUNNABLE:
        print(
            f"在本机多个 worker 上运行：quiz exercise run {args.name} --workers 2 {solution}"
            if zh
            else f"run it on local workers: quiz exercise run {args.name} --workers 2 {solution}"
        )
    return ExitCode.OK


def list_exercises(args: argparse.Namespace) -> int:
    from quiz import paths

    for name in paths.exercise_names():
        print(f"{name}  {paths.exercise_title(paths.exercises_dir(), name, args.lang)}")
    return ExitCode.OK


def check_args(args: argparse.Namespace) -> Path:
    if args.name not in RUNNABLE:
        raise UsageError(
            f"'{args.name}' cannot be run on workers (runnable: {', '.join(RUNNABLE)}); "
            f"test it with: pytest exercises/{args.name} --submission FILE"
        )
    if not 1 <= args.workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {MAX_WORKERS}, not {args.workers}")
    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, not {args.epochs}")
    if args.global_batch_size < args.workers or args.global_batch_size % args.workers:
        raise UsageError(
            f"--global-batch-size must be a multiple of --workers ({args.workers}), not {args.global_batch_size}"
        )
    if not 1 <= args.examples <= 1500:
        raise UsageError(f"--examples must be between 1 and 1500, not {args.examples}")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    submission = Path(args.submission)
    if not submission.is_file():
        raise UsageError(f"no such file: {submission}")
    return submission.resolve()


def run_exercise(args: argparse.Namespace) -> int:
    submission = check_args(args)
    # `kill -USR1` prints every thread's stack: how to see where a run that does not stop is stuck
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    with stop_signals_interrupt():
        if args.out:
            return run_workers(args, submission, Path(args.out))
        import tempfile  # here, not at the top: every `quiz` command builds this room's parser

        with tempfile.TemporaryDirectory(prefix="quiz-multi-worker-") as folder:
            return run_workers(args, submission, Path(folder))


@contextlib.contextmanager
def stop_signals_interrupt():
    """SIGTERM and SIGHUP (a closed terminal, `kill`) take the Ctrl+C path: the workers are stopped in order and
    the temporary folder is removed, instead of the process just ending."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_workers(args: argparse.Namespace, submission: Path, out_dir: Path) -> int:
    from quiz.exercises.launcher import run_cluster

    def echo(index: int, line: str) -> None:
        if args.verbose or not NOISE.match(line):
            print(f"[worker {index}] {line}", flush=True)

    options = [
        "--epochs",
        str(args.epochs),
        "--global-batch-size",
        str(args.global_batch_size),
        "--examples",
        str(args.examples),
    ]
    print(f"quiz: starting {args.workers} worker(s) on 127.0.0.1 with {submission.name}", flush=True)
    outcome = run_cluster(submission, args.workers, out_dir, options=options, timeout=args.timeout, echo=echo)
    for reason in outcome.earlier_failures:
        print(f"quiz: retried the run once after: {reason}", file=sys.stderr)
    if not outcome.ok:
        print(f"quiz: {outcome.reason}", file=sys.stderr)
        return ExitCode.TIMED_OUT if outcome.timed_out else ExitCode.INVALID
    print(f"quiz: {outcome.reason} in {outcome.seconds:.1f} s; {summarize(outcome.out_dir, args.workers)}", flush=True)
    return ExitCode.OK


def summarize(out_dir: Path, workers: int) -> str:
    """What a user checks first: did every worker end with the same weights, and did the loss fall."""
    import json

    import numpy as np

    weights = []
    for index in range(workers):
        with np.load(out_dir / f"worker-{index}" / "train.npz") as arrays:
            weights.append([arrays[f"arr_{i}"] for i in range(len(arrays.files))])
    gap = max((float(np.abs(a - b).max()) for other in weights[1:] for a, b in zip(weights[0], other)), default=0.0)
    same = (
        "one worker"
        if workers == 1
        else "final weights identical on every worker"
        if gap <= 1e-6
        else f"final weights DIFFER across workers (up to {gap:.3g})"
    )
    losses = json.loads((out_dir / "worker-0" / "result.json").read_text())["jobs"]["train"]["losses"]
    return f"{same}; loss per epoch {' -> '.join(f'{loss:.4f}' for loss in losses)}"
