"""How strongly this machine can isolate a submission, and the limits put on it.

Isolation is detected once per process (`isolation_mode`) and the best available is used:

- "namespaces" (root, `unshare` works): new network, pid, mount, IPC, UTS and cgroup namespaces. pid 1 inside is
  `quiz.grading.sandbox_init`, which brings `lo` up and pivots into a minimal root (minimal_root.py: the system
  folders, the interpreter and the quiz package read-only; the box, /tmp, /dev/shm and the like on one bounded
  tmpfs), then runs the command as an unprivileged uid of its own (so RLIMIT_NPROC is enforced). Killing pid 1
  takes down every process, setsid'd or not.
- "user-namespaces" (not root, `unshare -r` works): the same namespaces inside a user namespace; no uid change.
- "session" (nothing else works): a new session and process group, rlimits, and sockets refused in-process.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from quiz.grading import default_limits

NAMESPACE_FLAGS = ["--net", "--pid", "--ipc", "--uts", "--cgroup", "--fork", "--kill-child", "--mount-proc"]


@dataclass
class Limits:
    timeout: float = default_limits.TIMEOUT_S
    memory_mb: int = default_limits.MEMORY_MB
    output_bytes: int = 4 * 2**20  # pytest's own terminal output (the submission's prints are captured per test)
    report_bytes: int = 16 * 2**20
    file_mb: int = 64
    disk_mb: int = default_limits.DISK_MB  # its own filesystem: its box, /tmp, /var/tmp, /run, /home, /dev/shm
    inodes: int = 65536
    nproc: int = 1024  # threads count too: TensorFlow starts a few per core
    nofile: int = 1024


def _probe(command: list[str]) -> bool:
    try:
        return (
            subprocess.run(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


MODES = ("namespaces", "user-namespaces", "session")  # strongest first
MODE_ENV = "QUIZ_GRADE_ISOLATION"  # ask for a weaker mode than the machine allows (debugging, tests)


@functools.cache
def available_mode() -> str:
    """The strongest isolation this machine allows, detected once."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return "session"
    if os.geteuid() == 0 and _probe(["unshare", *NAMESPACE_FLAGS, "true"]):
        return "namespaces"
    if _probe(["unshare", "--user", "--map-root-user", *NAMESPACE_FLAGS, "true"]):
        return "user-namespaces"
    return "session"


def isolation_mode() -> str:
    """The mode to use: the available one, or a weaker one named in $QUIZ_GRADE_ISOLATION (never stronger)."""
    best = available_mode()
    asked = os.environ.get(MODE_ENV)
    if asked in MODES and MODES.index(asked) > MODES.index(best):
        return asked
    return best


def describe_isolation(mode: str, uid: int | None, limits: Limits) -> dict:
    namespaced = mode != "session"
    return {
        "mode": mode,
        "namespaces": ["net", "pid", "mount", "ipc", "uts", "cgroup"] + (["user"] if mode == "user-namespaces" else [])
        if namespaced
        else [],
        "network": "network namespace, loopback only" if namespaced else "sockets refused in-process",
        "processes": "pid namespace (one kill takes every process)" if namespaced else "new session and process group",
        "filesystem": (
            "a new root: the system folders, the interpreter and the quiz package read-only; nothing "
            "else of the host" + ("; own uid" if uid is not None else "")
        )
        if namespaced
        else "the host's (same uid; the suite copy made read-only, the reference readable elsewhere)",
        "disk": f"own tmpfs of {limits.disk_mb} MB and {limits.inodes} inodes: box, /tmp, /var/tmp, /run, /home, "
        "/dev/shm"
        if namespaced
        else "the host's (RLIMIT_FSIZE per file only)",
        "uid": uid,
        "memory": f"RLIMIT_DATA and the whole tree's RSS watched ({limits.memory_mb} MB); not counted: its tmpfs, "
        "memfds and System V shared memory",
        "cpu": "no share of its own (no control group here)",
        "rlimits": rlimits(limits, uid is not None),
        "problems": [],
    }


def rlimits(limits: Limits, own_uid: bool) -> dict[str, int]:
    cpu = int((limits.timeout + 5) * (os.cpu_count() or 1))  # a backstop only: threads add up CPU time
    values = {
        "data": limits.memory_mb * 2**20,
        "fsize": limits.file_mb * 2**20,
        "core": 0,
        "nofile": limits.nofile,
        "cpu": cpu,
    }
    if own_uid:
        values["nproc"] = limits.nproc
    return values
