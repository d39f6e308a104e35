"""What grading an Exercism exercise costs: the split (tests in our pytest, the solution in a sandbox) and the
advisory single-process run, against plain pytest on the folder (the solution imported beside its tests, as
Exercism's runner does, with no sandbox).

Usage: python benchmarks/bench_exercism.py [--repeat N] [--batch 8]
Prints medians and ratios; asserts nothing.
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

from quiz.grading.isolation import isolation_mode  # noqa: E402
from quiz.grading.runner import grade_batch, grade_submission  # noqa: E402

SPLIT_CASE = ROOT / "tests" / "grading" / "exercism" / "subtests-partial"  # 21 results: 4 tests, 17 subtests
ADVISORY_CASE = ROOT / "tests" / "data" / "exercises" / "clock_live"


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def plain_pytest(case: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / case.name
        shutil.copytree(case, copy)
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pytest_subtests.plugin", str(copy)],
            capture_output=True,
            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
            cwd=copy,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"isolation {isolation_mode()}"
    )

    solution = SPLIT_CASE / "devices.py"
    clock = ADVISORY_CASE / "submissions" / "correct.py"
    runs = {"plain pytest (no sandbox)": [], "graded, split": [], "graded, advisory": []}
    for _ in range(args.repeat):  # interleaved, so drift in the machine's load hits each kind alike
        runs["plain pytest (no sandbox)"].append(timed(lambda: plain_pytest(SPLIT_CASE)))
        runs["graded, split"].append(timed(lambda: grade_submission(SPLIT_CASE, solution, timeout=60)))
        runs["graded, advisory"].append(timed(lambda: grade_submission(ADVISORY_CASE, clock, timeout=60)))
    base = statistics.median(runs["plain pytest (no sandbox)"])
    print(f"\none submission, median of {args.repeat}:")
    for name, times in runs.items():
        median = statistics.median(times)
        print(f"  {name:<28} {median:6.2f} s   {median / base:4.1f}x plain pytest")

    if args.batch:
        with tempfile.TemporaryDirectory() as scratch:
            copies = []
            for number in range(args.batch):
                copy = Path(scratch) / f"devices_{number}.py"
                shutil.copyfile(solution, copy)
                copies.append(copy)
            single = statistics.median(runs["graded, split"])
            for jobs in (1, 2):
                took = timed(lambda: grade_batch(SPLIT_CASE, copies, jobs=jobs, timeout=60))
                print(
                    f"\nbatch of {args.batch}, --jobs {jobs}: {took:.2f} s, {took / args.batch:.2f} s a submission "
                    f"({took / args.batch / single:.2f}x one graded run)"
                )


if __name__ == "__main__":
    main()
