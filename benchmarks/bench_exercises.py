"""How long one grading run of each exercise suite takes: the wall time of `python -m pytest exercises/<name>
--submission FILE` in a fresh process, against the 60 s budget per submission, with TensorFlow's import time
(the floor of any run) beside it.

    python benchmarks/bench_exercises.py [--repeat N] [--exercise NAME ...]

Prints figures and ratios; asserts nothing. Record results in benchmarks/RESULTS.md with the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 60.0
EXERCISES = ("data_parallel", "gpu_training")


def timed(command: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, result.returncode


def suite_command(exercise: str, submission: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        f"exercises/{exercise}",
        "--submission",
        str(submission),
        "-q",
        "-p",
        "no:cacheprovider",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs per figure (median reported)")
    parser.add_argument("--exercise", action="append", choices=EXERCISES, help="default: all")
    args = parser.parse_args()
    exercises = args.exercise or EXERCISES

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; median of {args.repeat} runs")
    imports = [timed([sys.executable, "-c", "import tensorflow"])[0] for _ in range(args.repeat)]
    floor = statistics.median(imports)
    print(f"{'import tensorflow':<46} {floor:6.1f} s")
    for exercise in exercises:
        for label, submission in (
            ("reference", ROOT / "exercises" / exercise / "reference.py"),
            ("starter", ROOT / "exercises" / exercise / "starter.py"),
        ):
            runs = [timed(suite_command(exercise, submission)) for _ in range(args.repeat)]
            wall = statistics.median(seconds for seconds, _ in runs)
            codes = sorted({code for _, code in runs})
            print(
                f"{exercise + ' suite, ' + label:<46} {wall:6.1f} s   exit {codes}   "
                f"{wall / BUDGET_S:5.0%} of the {BUDGET_S:.0f} s budget   {wall / floor:4.1f}x the TF import"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
