"""How much the sandbox costs, and what --jobs buys.

1. Overhead: the exercise's suite on its reference, run directly (`python -m pytest EXERCISE/tests
   --submission reference.py`) against `grade_submission` on the same file. Target: at most 1.3x.
2. Batch: 8 copies of the reference graded with --jobs 2 against --jobs 1.

Usage: python benchmarks/bench_grading.py [--exercise data_parallel|toy|PATH] [--repeat N] [--batch 8]
The default exercise is data_parallel (TensorFlow, ~20 s a run on 2 cores: the whole script takes minutes);
`--exercise toy` (tests/data/exercises/toy) measures the grader's fixed cost in seconds.
Prints figures and ratios; asserts nothing.
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
from quiz.grading.runner import grade_batch, grade_submission  # noqa: E402
from quiz.grading.sandbox import isolation_mode  # noqa: E402


def exercise_folder(name: str) -> Path:
    if name == "toy":
        return ROOT / "tests" / "data" / "exercises" / "toy"
    given = Path(name)
    return given if given.is_dir() else paths.exercises_dir() / name


def direct_run(exercise: Path) -> float:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "quiz.grading.plugin", "-p",
                           "no:cacheprovider", "--rootdir", str(exercise), "-c", os.devnull,
                           str(exercise / "tests"), "--submission", str(exercise / "reference.py")],
                          capture_output=True, text=True, env=env, cwd=exercise)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the reference does not pass when run directly:\n{done.stdout[-2000:]}")
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
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--memory", type=int, default=3072)
    args = parser.parse_args()
    exercise = exercise_folder(args.exercise)
    if not (exercise / "tests").is_dir():
        sys.exit(f"no exercise at {exercise}")
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"isolation: {isolation_mode()}; exercise: {exercise.name}")

    graded_run(exercise, args.timeout, args.memory)  # warm the file cache for both kinds
    direct, graded = [], []
    for _ in range(args.repeat):  # interleaved, so load from other jobs hits both kinds alike
        direct.append(direct_run(exercise))
        graded.append(graded_run(exercise, args.timeout, args.memory))
    d, g = statistics.median(direct), statistics.median(graded)
    print(f"overhead: direct pytest {d:.2f} s, quiz grade {g:.2f} s (median of {args.repeat}); "
          f"ratio {g / d:.2f}x (target <= 1.30x); fixed cost {g - d:+.2f} s")

    if args.batch < 1:
        return
    with tempfile.TemporaryDirectory() as folder:
        copies = []
        for i in range(args.batch):
            copy = Path(folder) / f"reference_{i}.py"
            shutil.copy(exercise / "reference.py", copy)
            copies.append(copy)
        timings = {}
        for jobs in (1, 2):
            started = time.perf_counter()
            results = grade_batch(exercise, copies, jobs=jobs, timeout=args.timeout, memory_mb=args.memory)
            timings[jobs] = time.perf_counter() - started
            statuses = {r.status for r in results}
            print(f"batch of {args.batch}, --jobs {jobs}: {timings[jobs]:.2f} s "
                  f"({timings[jobs] / args.batch:.2f} s a submission; statuses {sorted(statuses)})")
        print(f"jobs ratio: --jobs 2 takes {timings[2] / timings[1]:.2f}x the time of --jobs 1 "
              f"(speed-up {timings[1] / timings[2]:.2f}x)")


if __name__ == "__main__":
    main()
