"""The watch over one running process tree: its output read with a cap, its time, the whole tree's memory, and
the kill that ends every process of it. What it saw is a RunOutcome."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from quiz.grading.isolation import Limits
from quiz.grading.results import clean_text

POLL_SECONDS = 0.2


class KilledFor(StrEnum):
    """Why the watch ended a process tree before it was done."""

    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT = "output"  # more output than the limit
    TAMPERING = "tampering"  # the report channel carried what the reporter did not write
    PROTOCOL = "protocol"  # the submission's process broke the wire protocol (remote.py)


@dataclass
class RunOutcome:
    """What the watch saw: the exit, why it killed (if it did), pytest's output, and the isolation used."""

    exit_code: int | None
    killed_for: KilledFor | None
    duration: float
    output: str
    isolation: dict = field(default_factory=dict)


class Watch:
    """Reads both pipes with caps, keeps time, sums the tree's memory, and kills the whole tree."""

    def __init__(self, process: subprocess.Popen, mode: str, limits: Limits, started: float) -> None:
        self.process = process
        self.mode = mode
        self.limits = limits
        self.started = started
        self.deadline = started + limits.timeout
        self.killed_for: KilledFor | None = None
        self.head = bytearray()
        self.tail = bytearray()
        self.output_total = 0
        self.report_total = 0
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.own_pidns = _readlink("/proc/self/ns/pid")

    def follow(self, report_fd: int | None = None, on_report_line: Callable[[bytes], bool] | None = None) -> None:
        """Until the tree is done or a limit is reached: keep its output, and hand each line of `report_fd`
        (if given) to `on_report_line`, which returns False to stop the run (its channel was abused)."""
        out_fd = self.process.stdout.fileno()
        open_fds = {out_fd} if report_fd is None else {report_fd, out_fd}
        pending = b""
        next_memory_check = 0.0
        exited_at = None
        while open_fds:
            now = time.monotonic()
            if now >= self.deadline:
                return self.stop(KilledFor.TIMEOUT)
            if now >= next_memory_check:
                next_memory_check = now + POLL_SECONDS
                if self.tree_rss() > self.limits.memory_mb * 2**20:
                    return self.stop(KilledFor.MEMORY)
                if self.process.poll() is not None:
                    exited_at = exited_at or now
                    if now - exited_at > 2.0:  # pipes held open by leftovers of a finished run
                        return
            ready, _, _ = select.select(list(open_fds), [], [], min(POLL_SECONDS, max(0.0, self.deadline - now)))
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    open_fds.discard(fd)
                    continue
                if fd == out_fd:
                    self.keep_output(chunk)
                    if self.output_total > self.limits.output_bytes:
                        return self.stop(KilledFor.OUTPUT)
                    continue
                self.report_total += len(chunk)
                if self.report_total > self.limits.report_bytes:
                    return self.stop(KilledFor.OUTPUT)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if not on_report_line(line):
                        return self.stop(KilledFor.TAMPERING)
        if pending and not on_report_line(pending):
            self.stop(KilledFor.TAMPERING)

    def keep_output(self, chunk: bytes) -> None:
        self.output_total += len(chunk)
        if len(self.head) < 8192:
            self.head += chunk[: 8192 - len(self.head)]
        self.tail = (self.tail + chunk)[-8192:]

    def output_text(self) -> str:
        if self.output_total <= len(self.head):
            return self.head.decode(errors="replace")
        return self.head.decode(errors="replace") + "\n[...]\n" + self.tail.decode(errors="replace")

    def stop(self, reason: KilledFor) -> None:
        self.killed_for = self.killed_for or KilledFor(reason)
        self.kill_all()

    def members(self) -> list[int]:
        """Every process of this sandbox: those in its pid namespace, or (without one) in its session."""
        found = []
        target = None
        if self.mode != "session":
            target = _readlink(f"/proc/{self.process.pid}/ns/pid_for_children")
            if target is None or target == self.own_pidns:
                return []  # unshare has not made the namespace yet: nothing of ours runs so far
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if target is not None:
                if _readlink(f"/proc/{pid}/ns/pid") == target:
                    found.append(pid)
            elif _session_of(pid) == self.process.pid:
                found.append(pid)
        return found

    def tree_rss(self) -> int:
        total = 0
        for pid in self.members():
            try:
                with open(f"/proc/{pid}/statm", "rb") as statm:
                    total += int(statm.read().split()[1]) * self.page
            except (OSError, IndexError, ValueError):
                continue
        return total

    def kill_all(self) -> None:
        if self.process.poll() is None or self.mode == "session":
            for pid in self.members():
                _kill(pid)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.process.poll() is None:
            self.process.kill()


def read_notes(fd: int, cap: int = 65536) -> list[str]:
    """What pid 1 wrote on its notes pipe (non-blocking: whatever is there once the tree is gone), cleaned."""
    data = b""
    while len(data) < cap:
        try:
            chunk = os.read(fd, cap - len(data))
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    return [clean_text(line.strip())[:300] for line in data.decode(errors="replace").splitlines() if line.strip()]


def _readlink(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _session_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return int(fields[3])
    except (OSError, IndexError, ValueError):
        return None


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
