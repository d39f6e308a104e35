"""Run a function over many arguments in worker processes, one per core, when that pays.

Workers are plain `python -m quiz.bank.parallel` subprocesses fed by pickle over a pipe, not `multiprocessing`:
its "spawn" and "forkserver" methods re-run the caller's main script in each worker (a library cannot ask its
callers for an `if __name__ == "__main__"` guard), and "fork" is unsafe in a process that runs threads. A worker
costs about 0.2 s to start and import what the function needs, so callers use this for big inputs only.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def map_in_workers(
    function: Callable, arguments: Sequence[tuple], weight: Callable[[tuple], int] = lambda args: 1
) -> list | None:
    """[function(*args) for args in arguments], spread over up to one worker per core (balanced by `weight`),
    in order. None when there is one core, or a worker cannot start or fails: the caller then does the work
    itself (and meets any exception `function` raises in its own process)."""
    workers = min(len(arguments), cores())
    if workers < 2:
        return None
    weights = [weight(args) for args in arguments]
    shares: list[list[int]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for index in sorted(range(len(arguments)), key=lambda i: -weights[i]):  # heaviest first, to the lightest
        lightest = loads.index(min(loads))
        shares[lightest].append(index)
        loads[lightest] += weights[index]
    target = (function.__module__, function.__qualname__)
    with ThreadPoolExecutor(workers) as threads:
        outcomes = list(threads.map(lambda share: _run_worker(target, [arguments[i] for i in share]), shares))
    if any(outcome is None for outcome in outcomes):
        return None
    results: list = [None] * len(arguments)
    for share, outcome in zip(shares, outcomes):
        for index, result in zip(share, outcome):
            results[index] = result
    return results


def _run_worker(target: tuple[str, str], arguments: list[tuple]) -> list | None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__],
            input=pickle.dumps((target, arguments)),
            capture_output=True,
            env=environment,
            check=False,
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None
    try:
        return pickle.loads(done.stdout)
    except (pickle.UnpicklingError, EOFError, ValueError):
        return None


def _serve() -> None:
    """A worker: read (function, arguments) from stdin, write the results to stdout; anything else the function
    prints goes to stderr so that it cannot spoil the results."""
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    (module, name), arguments = pickle.load(sys.stdin.buffer)
    function = getattr(importlib.import_module(module), name)
    with results:
        results.write(pickle.dumps([function(*args) for args in arguments], pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _serve()
