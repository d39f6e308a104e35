"""What the split costs (suite in one process, submission in a sandboxed one), and what --jobs buys.

1. One submission, side by side in one run, interleaved (median of --repeat):
   - in-process: the previous design, from a git worktree of --baseline (the submission imported into pytest's own
     process: `python -m pytest EXERCISE/tests --submission reference.py` with that revision's quiz on the path);
   - learner: the same suite in this checkout, `pytest EXERCISE/tests --submission reference.py` (two processes);
   - graded: `grade_submission` on the same file (the suite's process watched, the submission's sandboxed).
   Target: graded <= 1.3x in-process.
2. Batch: 8 copies of the reference graded with --jobs 2 (and --jobs 1), per submission against one graded run.
   Target: a submission of the batch takes no longer than a single graded run.

Usage: python benchmarks/bench_grading.py [--exercise data_parallel|toy|PATH] [--repeat N] [--batch 8]
       [--baseline REV]
The default exercise is data_parallel (TensorFlow, ~20 s a run on 2 cores: the whole script takes minutes);
`--exercise toy` (tests/data/exercises/toy) measures the fixed cost in seconds. Prints figures and ratios;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quiz import paths  # noqa: E402
from quiz.grading.isolation import isolation_mode  # noqa: E402
from quiz.grading.runner import grade_batch, grade_submission  # noqa: E402


def exercise_folder(name: str) -> Path:
    if name == "toy":
        return ROOT / "tests" / "data" / "exercises" / "toy"
    given = Path(name)
    return given if given.is_dir() else paths.exercises_dir() / name


BASELINE = "8ee58c9"  # the last revision whose suites imported the submission into pytest's own process


def baseline_checkout(revision: str, folder: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), revision], check=True, capture_output=True
    )
    return folder


def direct_run(exercise: Path, code_root: Path | None = None) -> float:
    """The suite run by pytest as a learner runs it; with `code_root`, that checkout's quiz package is used."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    if code_root is not None:
        env["PYTHONPATH"] = str(code_root)
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "quiz.grading.plugin",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(exercise),
            "-c",
            os.devnull,
            str(exercise / "tests"),
            "--submission",
            str(exercise / "reference.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=exercise,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the reference does not pass when run directly ({exercise}):\n{done.stdout[-2000:]}")
    return elapsed


def graded_run(exercise: Path, timeout: float, memory_mb: int) -> float:
    started = time.perf_counter()
    result = grade_submission(exercise, exercise / "reference.py", timeout=timeout, memory_mb=memory_mb)
    elapsed = time.perf_counter() - started
    if result.status != "pass":
        sys.exit(f"the reference does not pass in the sandbox: {result.message}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="data_parallel")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind for the overhead (median)")
    parser.add_argument("--batch", type=int, default=8, help="reference copies in the batch (0: skip it)")
    parser.add_argument("--baseline", default=BASELINE, help=f"the in-process design's revision (default {BASELINE})")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--memory", type=int, default=3072)
    args = parser.parse_args()
    exercise = exercise_folder(args.exercise)
    if not (exercise / "tests").is_dir():
        sys.exit(f"no exercise at {exercise}")
    print(
        f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"isolation: {isolation_mode()}; exercise: {exercise.name}; baseline {args.baseline}"
    )

    with tempfile.TemporaryDirectory() as scratch:
        old_root = baseline_checkout(args.baseline, Path(scratch) / "baseline")
        try:
            old_exercise = old_root / exercise.relative_to(ROOT)
            graded_run(exercise, args.timeout, args.memory)  # warm the file cache for every kind
            in_process, learner, graded = [], [], []
            for _ in range(args.repeat):  # interleaved, so load from other jobs hits every kind alike
                in_process.append(direct_run(old_exercise, old_root))
                learner.append(direct_run(exercise))
                graded.append(graded_run(exercise, args.timeout, args.memory))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_root)], capture_output=True
            )
    old, new, g = (statistics.median(x) for x in (in_process, learner, graded))
    print(
        f"one submission (median of {args.repeat}): in-process (baseline) {old:.2f} s, learner (split) "
        f"{new:.2f} s, graded (split) {g:.2f} s"
    )
    print(f"graded / in-process: {g / old:.2f}x (target <= 1.30x); learner / in-process: {new / old:.2f}x")

    if args.batch < 1:
        return
    with tempfile.TemporaryDirectory() as folder:
        copies = []
        for i in range(args.batch):
            copy = Path(folder) / f"reference_{i}.py"
            shutil.copy(exercise / "reference.py", copy)
            copies.append(copy)
        timings = {}
        for jobs in (2, 1):
            started = time.perf_counter()
            results = grade_batch(exercise, copies, jobs=jobs, timeout=args.timeout, memory_mb=args.memory)
            timings[jobs] = time.perf_counter() - started
            statuses = {r.status for r in results}
            print(
                f"batch of {args.batch}, --jobs {jobs}: {timings[jobs]:.2f} s "
                f"({timings[jobs] / args.batch:.2f} s a submission; statuses {sorted(statuses)})"
            )
        per = timings[2] / args.batch
        print(
            f"--jobs 2: {per:.2f} s a submission against {g:.2f} s for one graded run: {per / g:.2f}x "
            f"(target <= 1.00x); --jobs 2 takes {timings[2] / timings[1]:.2f}x the time of --jobs 1"
        )


if __name__ == "__main__":
    main()
