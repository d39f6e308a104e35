"""Start a MultiWorkerMirroredStrategy cluster of real worker processes on this machine, and stop it for sure.

Each worker is `python -m quiz.exercises.worker SUBMISSION ...` with its own TF_CONFIG naming every worker at
127.0.0.1 on ports the OS handed out. Their output is streamed line by line, prefixed with the worker's index. The
first worker that fails, or a deadline, or Ctrl+C stops all the others: a peer of a dead worker would otherwise
wait in its all-reduce. Workers run in their own process groups (so a terminal's Ctrl+C reaches only the launcher,
which stops them in order) and ask the kernel to kill them if the launcher dies, so no run leaves workers behind.
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from quiz.exercises.worker_wire import FAILED_MARK, LAUNCHER_PID_ENV

HOST = "127.0.0.1"
TAIL_LINES = 60
RETRYABLE = ("UnavailableError", "Could not start gRPC server", "Address already in use", "Failed to bind")
Echo = Callable[[int, str], None]


def free_ports(count: int) -> list[int]:
    """Ports the OS picked as free on the loopback interface (held together, so they are distinct). In a process
    that may not open sockets itself (the grader's sandbox without a network namespace refuses them in-process;
    the workers are child processes, which it does not reach), a child process asks for them."""
    try:
        return _free_ports_here(count)
    except PermissionError:
        found = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from quiz.exercises.launcher import _free_ports_here; print(*_free_ports_here({int(count)}))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=_finds_this_package(dict(os.environ)),
        )
        return [int(port) for port in found.stdout.split()]


def _free_ports_here(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(addresses: list[str], index: int) -> dict:
    """What worker `index` of the cluster `addresses` finds in TF_CONFIG; worker 0 is the chief."""
    return {"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}}


def worker_command(submission: Path, out_dir: Path, options: list[str]) -> list[str]:
    return [sys.executable, "-m", "quiz.exercises.worker", str(submission), "--out", str(out_dir), *options]


def worker_environment(config: dict, base: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment plus TF_CONFIG; PYTHONPATH only when the worker would not find `quiz` otherwise."""
    env = dict(os.environ if base is None else base)
    env["TF_CONFIG"] = json.dumps(config)
    env[LAUNCHER_PID_ENV] = str(os.getpid())
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return _finds_this_package(env)


def _finds_this_package(env: dict[str, str]) -> dict[str, str]:
    """`env`, with PYTHONPATH extended only when a child with it would not find `quiz` otherwise."""
    package_root = os.path.abspath(Path(__file__).resolve().parents[2])
    if package_root not in _child_search_path(env):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def _child_search_path(env: dict[str, str]) -> set[str]:
    """Where a `python -m` child with `env` looks for modules: this interpreter's site setup (an install, an
    editable install's .pth) and the child's own PYTHONPATH; not our sys.path[0] nor our PYTHONPATH."""

    def split(value: str | None) -> set[str]:
        return {os.path.abspath(p) for p in (value or "").split(os.pathsep) if p}

    from_site = {os.path.abspath(p) for p in sys.path[1:] if p} - split(os.environ.get("PYTHONPATH"))
    return from_site | split(env.get("PYTHONPATH"))


def connection_trouble(lines: Iterable[str]) -> bool:
    """A worker's output says it failed because a peer or a port went away: a consequence of another worker's
    failure, or a flake worth one retry."""
    return any(mark in line for line in lines for mark in RETRYABLE)


@dataclass
class Worker:
    index: int
    address: str
    process: subprocess.Popen
    tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=TAIL_LINES))
    reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def failure_line(self) -> str:
        """The worker's own last word on why it failed, else the last error it printed, else its last line."""
        lines = [line.strip() for line in self.tail if line.strip()]
        for line in reversed(lines):
            if line.startswith(FAILED_MARK):
                return line[len(FAILED_MARK) :].strip()
        for line in reversed(lines):
            if "Error" in line or "Exception" in line:
                return line
        return f"no error message; its last output was: {lines[-1]}" if lines else "no output"


@dataclass
class Outcome:
    """How a cluster run ended. `failed_worker` is the first worker that failed; None when all finished."""

    ok: bool
    reason: str
    out_dir: Path
    failed_worker: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    attempts: int = 1
    tails: list[list[str]] = field(default_factory=list)
    earlier_failures: list[str] = field(default_factory=list)

    def retryable(self) -> bool:
        """The failed worker died of a connection problem, not of the submission's own error or a signal."""
        if self.ok or self.failed_worker is None:
            return False
        return connection_trouble(self.tails[self.failed_worker])


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class Cluster:
    """N worker processes of one run. Use as a context manager: leaving it stops every worker still alive."""

    def __init__(
        self,
        submission: Path,
        workers: int,
        out_dir: Path,
        options: list[str] | None = None,
        echo: Echo | None = None,
        base_env: dict[str, str] | None = None,
        ports: list[int] | None = None,
    ):
        if workers < 1:
            raise ValueError("a cluster needs at least one worker")
        if ports is not None and len(ports) != workers:
            raise ValueError(f"{workers} workers need {workers} ports, not {len(ports)}")
        self.ports = ports
        self.submission = Path(submission).resolve()
        self.count = workers
        self.out_dir = Path(out_dir).resolve()
        self.options = list(options or [])
        self.echo = echo
        self.base_env = base_env
        self.workers: list[Worker] = []
        self._lock = threading.Lock()
        self.started_at = 0.0

    def start(self) -> Cluster:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        addresses = [f"{HOST}:{port}" for port in (self.ports or free_ports(self.count))]
        self.started_at = time.monotonic()
        for index, address in enumerate(addresses):
            process = subprocess.Popen(
                worker_command(self.submission, self.out_dir, self.options),
                env=worker_environment(tf_config(addresses, index), self.base_env),
                cwd=self.out_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
            worker = Worker(index, address, process)
            self.workers.append(worker)  # at once: whatever fails next, stop() must see this process
            self._echo(index, f"started: pid {process.pid}, {address}")
            worker.reader = threading.Thread(target=self._read, args=(worker,), daemon=True)
            worker.reader.start()
        return self

    def _echo(self, index: int, line: str) -> None:
        with self._lock:
            if self.echo is None:
                return
            try:
                self.echo(index, line)
            except OSError:  # whoever reads our output went away (`| head`): keep running, stop echoing
                self.echo = None

    def _read(self, worker: Worker) -> None:
        assert worker.process.stdout is not None
        for line in worker.process.stdout:
            line = line.rstrip("\n")
            with self._lock:
                worker.tail.append(line)
            self._echo(worker.index, line)

    def wait(self, timeout: float) -> Outcome:
        """Block until every worker finished, one failed, or `timeout` seconds passed; the cluster is stopped
        in the last two cases. Ctrl+C stops it too, then propagates."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                codes = [w.process.poll() for w in self.workers]
                failures = [w for w, code in zip(self.workers, codes) if code not in (None, 0)]
                if failures:
                    for worker in failures:
                        if worker.reader is not None:
                            worker.reader.join(timeout=2)  # its last lines say why
                    # a peer's connection error is a consequence: name the worker that failed on its own
                    failed = min(failures, key=lambda w: (connection_trouble(w.tail), w.index))
                    self.stop()
                    how = describe_exit(failed.process.returncode)
                    return self._outcome(
                        False,
                        f"worker {failed.index} failed ({how}){_colon(failed.failure_line())}",
                        failed_worker=failed.index,
                    )
                if all(code == 0 for code in codes):
                    self._drain()
                    return self._outcome(True, f"all {self.count} workers finished")
                if time.monotonic() > deadline:
                    running = [w.index for w, code in zip(self.workers, codes) if code is None]
                    self.stop()
                    return self._outcome(
                        False,
                        f"timed out after {timeout:.0f} s; worker(s) "
                        f"{', '.join(map(str, running))} still running (a peer may be waiting in "
                        f"an all-reduce for a worker that never joined)",
                        timed_out=True,
                    )
                time.sleep(0.05)
        except KeyboardInterrupt:
            self.stop()
            raise

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM every live worker's process group, then SIGKILL what is left after `grace` seconds."""
        alive = [w for w in self.workers if w.process.poll() is None]
        for worker in alive:
            _signal_group(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for worker in alive:
            try:
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for worker in self.workers:
            if worker.process.returncode is None:  # not reaped yet, so its pid is still its own group's id
                _signal_group(worker.pid, signal.SIGKILL)  # also takes anything it started in its group
            try:
                worker.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._drain()

    def _drain(self) -> None:
        for worker in self.workers:
            if worker.reader is not None:
                worker.reader.join(timeout=2)

    def _outcome(self, ok: bool, reason: str, **extra) -> Outcome:
        return Outcome(
            ok=ok,
            reason=reason,
            out_dir=self.out_dir,
            seconds=round(time.monotonic() - self.started_at, 1),
            tails=[list(w.tail) for w in self.workers],
            **extra,
        )

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:  # __exit__ does not run when __enter__ raises: stop what did start
            self.stop()
            raise

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _colon(text: str) -> str:
    return f": {text}" if text else ""


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # each worker leads its own group (setsid), so its group id is its pid
    except (ProcessLookupError, PermissionError):
        pass


def run_cluster(
    submission: Path,
    workers: int,
    out_dir: Path,
    *,
    options: list[str] | None = None,
    timeout: float = 300.0,
    retries: int = 1,
    echo: Echo | None = None,
    base_env: dict[str, str] | None = None,
    ports: list[int] | None = None,
) -> Outcome:
    """Run a cluster to the end, on `ports` (default: free ones from the OS). A run that failed on a connection
    problem between workers (UnavailableError, a port taken before the worker could bind it) is run again on fresh
    ports from the OS, `retries` times; the outcome lists the earlier failures."""
    earlier: list[str] = []
    attempt = 0
    while True:
        attempt += 1
        run_dir = Path(out_dir) if attempt == 1 else Path(out_dir) / f"retry-{attempt - 1}"
        with Cluster(submission, workers, run_dir, options, echo, base_env, ports if attempt == 1 else None) as cluster:
            outcome = cluster.wait(timeout)
        outcome.attempts, outcome.earlier_failures = attempt, earlier
        if outcome.ok or attempt > retries or not outcome.retryable():
            return outcome
        earlier = earlier + [outcome.reason]
