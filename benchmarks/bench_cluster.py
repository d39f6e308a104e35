"""What grading on a Dask cluster costs against grading on this machine: the same batch with `quiz grade --jobs 2`
and with `quiz grade --cluster` on a scheduler and two workers of one thread each, all on this machine, so the
difference is the cluster's overhead (its scheduling, the submission's bytes and the result's dict crossing
loopback, each worker's first check of itself).

Usage: python benchmarks/bench_cluster.py [--toy 16] [--tf 4] [--repeat 3]
Prints wall times, the overhead per submission and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "data" / "exercises" / "toy"
TOY_SOLUTION = TOY / "reference.py"
TF_SOLUTION = ROOT / "exercises" / "data_parallel" / "reference.py"


def start_cluster(folder: Path) -> tuple[str, list[subprocess.Popen]]:
    file = folder / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True, "cwd": folder}
    processes = [
        subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
            **quiet,
        )
    ]
    while not file.exists() or not file.read_text().strip():
        time.sleep(0.1)
    for name in ("w1", "w2"):
        processes.append(
            subprocess.Popen(
                [
                    *dask,
                    "worker",
                    "--scheduler-file",
                    str(file),
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    name,
                ],
                **quiet,
            )
        )
    address = json.loads(file.read_text())["address"]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
    return address, processes


def timed_grade(exercise: str, batch: list[Path], where: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "quiz", "grade", exercise, *map(str, batch), *where, "--format", "json"],
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started


def copies(folder: Path, solution: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"s{i:02d}.py" for i in range(count)]
    for path in paths:
        path.write_bytes(solution.read_bytes())
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--toy", type=int, default=16, help="toy submissions in the first batch")
    parser.add_argument("--tf", type=int, default=4, help="data_parallel reference copies in the second batch")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from quiz.grading.isolation import isolation_mode

    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"isolation {isolation_mode()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch:
        folder = Path(scratch)
        address, processes = start_cluster(folder)
        try:
            for label, exercise, batch in (
                (f"{args.toy} toy submissions", str(TOY), copies(folder / "toy", TOY_SOLUTION, args.toy)),
                (f"{args.tf} data_parallel references", "data_parallel", copies(folder / "tf", TF_SOLUTION, args.tf)),
            ):
                local, cluster = [], []
                for _ in range(args.repeat):  # interleaved, so drift in the machine's load hits both alike
                    local.append(timed_grade(exercise, batch, ["--jobs", "2"]))
                    cluster.append(timed_grade(exercise, batch, ["--cluster", address]))
                lo, cl = statistics.median(local), statistics.median(cluster)
                print(
                    f"{label}: --jobs 2 {lo:.2f} s, --cluster (2 workers x 1 thread) {cl:.2f} s; "
                    f"cluster/local {cl / lo:.2f}x; overhead {(cl - lo) / len(batch) * 1000:+.0f} ms per "
                    f"submission (medians of {args.repeat})"
                )
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


if __name__ == "__main__":
    main()
