"""`quiz exercise run multi_worker --workers N SUBMISSION`, driven through the real entry point.

What a user relies on: both workers' output shows up prefixed with their index and the run ends with one summary;
a worker that dies stops the whole run quickly and is named; Ctrl+C stops every worker; a killed launcher leaves
no worker behind; bad arguments get one line and exit 2.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from quiz.exercises.launcher import free_ports, run_cluster, tf_config, worker_environment

from .mutants import write_mutant

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "exercises" / "multi_worker" / "reference.py"
RUN = [sys.executable, "-m", "quiz", "exercise", "run", "multi_worker"]
WAIT = 240  # seconds: bounds every wait below; a run takes about 15 s


def as_a_terminal_job() -> None:
    """SIGINT as a terminal's foreground job has it. A test run started in the background by a shell (`pytest &`)
    ignores SIGINT, its children inherit that, and Python then never turns SIGINT into KeyboardInterrupt: the
    launcher would not hear the test's Ctrl+C (seen once: a full run started so hung here for 240 s)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class LiveRun:
    """The CLI running in the background, its output lines readable as they come."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            [*RUN, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env=env,
            preexec_fn=as_a_terminal_job,
        )
        self.lines: list[str] = []
        self.pids: list[int] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, count: int = 1) -> list[re.Match]:
        """The first `count` lines matching `pattern`, reading at most WAIT seconds."""
        deadline = time.monotonic() + WAIT
        matches = [m for m in map(re.compile(pattern).search, self.lines) if m]
        while len(matches) < count:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                pytest.fail(f"never saw {count} line(s) matching {pattern!r}:\n" + "\n".join(self.lines[-40:]))
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                matches.append(match)
        return matches

    def worker_pids(self, workers: int) -> list[int]:
        self.pids = [int(m.group(1)) for m in self.wait_for(r"^\[worker \d\] started: pid (\d+)", workers)]
        return self.pids

    def finish(self) -> int:
        try:
            code = self.process.wait(WAIT)
        except subprocess.TimeoutExpired:  # say where it is stuck: the launcher dumps its stacks on SIGUSR1
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(2)
            self.process.kill()
            while (line := self._queue.get(timeout=10)) is not None:
                self.lines.append(line)
            pytest.fail("the launcher did not end; its last lines and stacks:\n" + "\n".join(self.lines[-80:]))
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def live_runs():
    runs: list[LiveRun] = []
    yield lambda *args, env=None: runs.append(LiveRun(*args, env=env)) or runs[-1]
    for run in runs:
        run.kill()
        for pid in filter(alive, run.pids):  # only after a failed assertion: leave no worker behind
            os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_gone(pids: list[int], seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(alive, pids)):
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


def run_cli(*args: str, timeout: float = WAIT) -> subprocess.CompletedProcess:
    return subprocess.run([*RUN, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


pytestmark = pytest.mark.slow


def test_two_workers_train_and_the_run_says_their_weights_agree(tmp_path):
    result = run_cli("--workers", "2", "--epochs", "2", "--out", str(tmp_path), str(REFERENCE))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    for index in (0, 1):
        assert re.search(
            rf"^\[worker {index}\] strategy ready: worker {index} of 2, 2 replicas in sync$",
            result.stdout,
            re.MULTILINE,
        ), result.stdout
        assert re.search(rf"^\[worker {index}\] train: 2 epoch\(s\)", result.stdout, re.MULTILINE)
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"quiz: all 2 workers finished in [\d.]+ s; final weights identical on every worker; "
        r"loss per epoch (\d\.\d{4}) -> (\d\.\d{4})",
        summary,
    ), summary
    first, last = map(float, re.findall(r"\d\.\d{4}", summary.split("loss per epoch")[1]))
    assert last < first
    assert "I0000" not in result.stdout, "TensorFlow's start-up chatter should be hidden without --verbose"
    saved = json.loads((tmp_path / "worker-1" / "result.json").read_text())
    assert saved["status"] == "ok" and saved["workers"] == 2


def test_a_worker_that_dies_stops_the_run_and_is_named(live_runs, tmp_path):
    crashing = write_mutant("multi_worker", "worker_one_crashes", tmp_path)
    run = live_runs("--out", str(tmp_path), "--workers", "2", "--epochs", "50", str(crashing))
    pids = run.worker_pids(2)
    code = run.finish()
    assert code == 1, "\n".join(run.lines[-30:])
    assert "quiz: worker 1 failed (exit status 3)" in "\n".join(run.lines)
    assert not any("retried" in line for line in run.lines), "a submission's own failure must not be retried"
    assert not wait_until_gone(pids), "a worker outlived the failed run"


def test_a_cluster_that_could_not_bind_its_port_is_run_once_more(tmp_path):
    with socket.socket() as squatter:  # holds worker 0's port, as another program could between pick and bind
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        ports = [squatter.getsockname()[1], free_ports(1)[0]]
        outcome = run_cluster(REFERENCE, 2, tmp_path, options=["--epochs", "1"], ports=ports, timeout=WAIT)
    assert outcome.ok, outcome.reason
    assert outcome.attempts == 2
    [earlier] = outcome.earlier_failures
    assert earlier.startswith("worker 0 failed (exit status 1)") and "Could not start gRPC server" in earlier, earlier


def test_ctrl_c_stops_every_worker(live_runs, tmp_path):
    run = live_runs("--out", str(tmp_path), "--workers", "2", "--epochs", "500", str(REFERENCE))
    pids = run.worker_pids(2)
    run.wait_for(r"^\[worker \d\] strategy ready", 2)
    run.process.send_signal(signal.SIGINT)
    assert run.finish() == 130
    assert run.lines[-1] == "quiz: interrupted"
    assert not wait_until_gone(pids), "a worker survived Ctrl+C"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_launcher_stops_its_workers_and_removes_its_temporary_folder(live_runs, tmp_path, stop):
    sleeper = tmp_path / "sleeper.py"  # no TensorFlow: the workers wait in make_strategy
    sleeper.write_text("import time\n\n\ndef make_strategy():\n    print('waiting', flush=True)\n    time.sleep(120)\n")
    temp = tmp_path / "temp"
    temp.mkdir()
    run = live_runs("--workers", "2", str(sleeper), env={**os.environ, "TMPDIR": str(temp)})
    pids = run.worker_pids(2)
    run.wait_for(r"^\[worker \d\] waiting", 2)
    assert [p.name for p in temp.iterdir()][0].startswith("quiz-multi-worker-")
    run.process.send_signal(stop)
    assert run.finish() == 130
    assert run.lines[-1] == "quiz: interrupted"
    assert not wait_until_gone(pids), "a worker survived its launcher's end"
    assert list(temp.iterdir()) == []


def test_workers_die_with_a_killed_launcher(live_runs, tmp_path):
    run = live_runs("--out", str(tmp_path), "--workers", "2", "--epochs", "500", str(REFERENCE))
    pids = run.worker_pids(2)
    run.wait_for(r"^\[worker \d\] strategy ready", 2)
    run.process.kill()  # SIGKILL: the launcher gets no chance to clean up
    run.process.wait(10)
    assert not wait_until_gone(pids), "workers outlived their launcher"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--workers", "0", str(REFERENCE)], "quiz: --workers must be between 1 and 8, not 0"),
        (
            ["--workers", "2", "--global-batch-size", "63", str(REFERENCE)],
            "quiz: --global-batch-size must be a multiple of --workers (2), not 63",
        ),
        (["--workers", "2", "missing.py"], "quiz: no such file: missing.py"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(args, message):
    result = run_cli(*args, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""


def test_an_exercise_without_workers_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "quiz", "exercise", "run", "data_parallel", str(REFERENCE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("quiz: 'data_parallel' cannot be run on workers")


def test_each_worker_gets_the_whole_cluster_and_its_own_index():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    addresses = [f"127.0.0.1:{port}" for port in ports]
    configs = [json.loads(worker_environment(tf_config(addresses, i), base={})["TF_CONFIG"]) for i in range(3)]
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    assert all(c["cluster"] == {"worker": addresses} for c in configs)


def test_an_echo_that_fails_stops_the_echo_not_the_collecting(tmp_path):
    """`quiz exercise run ... | head -2`: the reader of our output goes away; the workers' output is still read
    (a full pipe would block them) and the reason for the failure is still the worker's own."""
    chatty = tmp_path / "chatty.py"
    chatty.write_text(
        "def make_strategy():\n    for i in range(2000):\n        print('line', i)\n    raise RuntimeError('boom')\n"
    )
    echoed = []

    def echo(index, line):
        echoed.append(line)
        if len(echoed) == 2:
            raise BrokenPipeError(32, "Broken pipe")

    outcome = run_cluster(chatty, 1, tmp_path / "out", echo=echo, timeout=WAIT)
    assert len(echoed) == 2
    assert not outcome.ok and not outcome.timed_out
    assert outcome.reason.startswith("worker 0 failed (exit status 1): make_strategy() raised RuntimeError: boom")
