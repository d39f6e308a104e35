"""The first process inside a submission's sandbox: it finishes the isolation, then runs pytest as its child.

Run by the grader as `python -I -m quiz.grading.sandbox_init SPEC_JSON`, usually under
`unshare --net --pid --ipc --uts --cgroup --fork --kill-child --mount-proc`, where it is pid 1 of a new pid
namespace. Why a process of our own rather than a `preexec_fn`: the steps that need root inside the namespaces
(bringing `lo` up, building the new root) must happen after `unshare` and before the privileges are dropped; and
pid 1 has to stay alive to reap the submission's orphans and to take every one of them down when it exits (the
kernel kills the whole namespace with its init). Only the standard library is used here: this runs before pytest
and the submission.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import signal
import socket
import struct
import sys
import threading

from quiz.grading import minimal_root

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
PR_SET_NO_NEW_PRIVS = 38  # setuid programs (su, mount...) cannot raise the submission's privileges

_libc = ctypes.CDLL(None, use_errno=True)

RLIMITS = {
    "data": resource.RLIMIT_DATA,
    "fsize": resource.RLIMIT_FSIZE,
    "core": resource.RLIMIT_CORE,
    "nproc": resource.RLIMIT_NPROC,
    "nofile": resource.RLIMIT_NOFILE,
    "cpu": resource.RLIMIT_CPU,
}


NOTES_FD = [2]  # where warn() writes: the grader's notes pipe (spec["notes"]), never the submission's output


def warn(text: str) -> None:
    """A note for the isolation record, on a pipe of its own: whatever the submission prints, it cannot add one."""
    try:
        os.write(NOTES_FD[0], f"{text}\n".encode(errors="replace"))
    except OSError:
        pass


def loopback_up() -> None:
    """Bring `lo` up in the new network namespace, so the submission's own processes can talk over
    127.0.0.1 while nothing outside the namespace is reachable."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def become_submission(spec: dict) -> None:
    """In the child, just before exec: limits, then an unprivileged uid (RLIMIT_NPROC is not enforced for
    root) and no way back up through setuid programs, then the sandbox folder as the working directory."""
    for name, value in spec["rlimits"].items():
        resource.setrlimit(RLIMITS[name], (value, value))
    uid = spec.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        warn("could not set no_new_privs: setuid programs keep their powers")
    os.chdir(spec["cwd"])
    os.umask(0o077)


def die_with_the_grader(lifeline: int, child: int, pid1: bool) -> None:
    """The grader holds the other end of `lifeline` for the whole run. If it dies (killed, crashed) the pipe
    reads EOF and everything in the sandbox goes with it, instead of running on unsupervised."""
    while os.read(lifeline, 1):
        pass
    if pid1:
        os.kill(-1, signal.SIGKILL)  # inside our own pid namespace: every process but us
    else:
        os.killpg(os.getpgid(0), signal.SIGKILL)
    os._exit(137)


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    if spec.get("notes") is not None:
        NOTES_FD[0] = spec["notes"]
        os.set_inheritable(spec["notes"], False)  # closed when the tests are exec'd: theirs to write never
    if spec.get("loopback"):
        try:
            loopback_up()
        except OSError as exc:
            warn(f"could not bring lo up: {exc}")
    if spec.get("root"):
        try:
            minimal_root.build(spec)
        except minimal_root.RootError as exc:
            warn(f"could not build the sandbox's filesystem: {exc}")
            return 126  # never run the submission with more of the host than it was promised
        if _libc.sethostname(b"sandbox", 7) != 0:
            warn("could not set the hostname in the new UTS namespace")
    child = os.fork()
    if child == 0:
        try:
            if spec.get("lifeline") is not None:
                os.close(spec["lifeline"])
            become_submission(spec)
            os.execve(spec["argv"][0], spec["argv"], spec["env"])
        except BaseException as exc:  # noqa: BLE001 - report and leave; never return into the parent's code
            warn(f"could not start the tests: {type(exc).__name__}: {exc}")
        os._exit(127)
    if spec.get("lifeline") is not None:
        threading.Thread(
            target=die_with_the_grader, args=(spec["lifeline"], child, spec.get("pid1")), daemon=True
        ).start()
    for fd in spec.get("close_fds", []):
        try:
            os.close(fd)  # the report pipe belongs to pytest; our copy would keep it open after pytest dies
        except OSError:
            pass
    while True:  # as pid 1, reap every orphan until our own child is done
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        if pid == child:
            return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
