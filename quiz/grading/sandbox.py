"""The untrusted side's sandbox: a fresh folder, a separate process tree, limits, and the watch over it.

The suite never runs here: only the submission's process (quiz.grading.untrusted) and whatever it starts. The
layout of a sandbox (a fresh temporary folder, mode 0711 so other sandboxes cannot list it):

    box/          the process's working directory and HOME: the files given (submission.py, probes.py),
                  box/tmp/ (its TMPDIR)

Isolation is detected once per process (`isolation_mode`) and the best available is used:

- "namespaces" (root, `unshare` works): new network, pid, mount, IPC, UTS and cgroup namespaces. pid 1 inside is
  `quiz.grading.sandbox_init`, which brings `lo` up and pivots into a minimal root (minimal_root.py: the system
  folders, the interpreter and the quiz package read-only; the box, /tmp, /dev/shm and the like on one bounded
  tmpfs), then runs the command as an unprivileged uid of its own (so RLIMIT_NPROC is enforced). Killing pid 1
  takes down every process, setsid'd or not.
- "user-namespaces" (not root, `unshare -r` works): the same namespaces inside a user namespace; no uid change.
- "session" (nothing else works): a new session and process group, rlimits, and sockets refused in-process.

In every mode: rlimits (data = the memory limit, file size, no core dumps, open files, CPU as a backstop), a
scrubbed environment, a wall-clock limit that kills everything, the whole tree's RSS watched and killed over
the memory limit, and its output read with a cap.
"""

from __future__ import annotations

import fcntl
import functools
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from quiz import paths
from quiz.grading import default_limits
from quiz.grading.cgroups import ControlGroups, sweep_stale
from quiz.grading.results import clean_text

SANDBOX_PREFIX = "quiz-grade-"
UID_BASE = 1_900_000_000  # unprivileged uids with no passwd entry: one per sandbox, so NPROC counts are separate
NAMESPACE_FLAGS = ["--net", "--pid", "--ipc", "--uts", "--cgroup", "--fork", "--kill-child", "--mount-proc"]
PASSTHROUGH_ENV = ("CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "TZ")
POLL_SECONDS = 0.2
_uids = itertools.count()


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


class Sandbox:
    """The folder of one untrusted process tree: `start` runs a command in it under the isolation and limits,
    watched from a thread of ours; `remove` cleans up. Files given are copied into box/ under their names."""

    def __init__(
        self, files: dict[str, Path], limits: Limits, hide: list[Path] = (), env: dict[str, str] | None = None
    ) -> None:
        self.limits = limits
        self.extra_env = dict(env or {})
        self.mode = isolation_mode()
        self.uid = UID_BASE + (os.getpid() % 100_000) * 100 + next(_uids) % 100 if self.mode == "namespaces" else None
        sweep_stale_sandboxes()
        self.root = Path(tempfile.mkdtemp(prefix=SANDBOX_PREFIX))
        self.lock = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(self.lock, fcntl.LOCK_EX)  # "in use" for as long as this process lives
        self.groups = None
        try:
            self._build(files, list(hide))
            if self.mode != "session":
                self.groups = ControlGroups.create(self.root.name, memory_mb=limits.memory_mb, pids=limits.nproc)
        except BaseException:
            self.remove()
            raise

    def _build(self, files: dict[str, Path], hide: list[Path]) -> None:
        self.root.chmod(0o711)
        self.box = self.root / "box"
        (self.box / "tmp").mkdir(parents=True)
        for name, source in files.items():
            shutil.copyfile(source, self.box / name)
        shipped = paths.exercises_dir()
        self.binds = needed_paths()  # the host paths the new root holds
        self.hidden = hidden_paths(
            [*hide, shipped, *installed_data(), *git_dirs([*hide, shipped]), *project_tests([shipped])],
            [self.root, *self.binds],
        )
        self.box.chmod(0o700)  # with namespaces pid 1 copies it onto the sandbox's own disk, owned by self.uid

    def remove(self) -> None:
        if self.groups is not None:
            self.groups.remove()
        remove_tree(self.root)
        os.close(self.lock)

    def environment(self) -> dict[str, str]:
        venv_bin = os.path.dirname(sys.executable)
        env = {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.box),
            "TMPDIR": str(self.box / "tmp"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "USER": "sandbox",
            "LOGNAME": "sandbox",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONFAULTHANDLER": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "MPLBACKEND": "Agg",
        }
        env.update({k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ})
        env.update(self.extra_env)
        return env

    def command(self, argv: list[str], keep_fds: list[int], lifeline_fd: int, notes_fd: int) -> list[str]:
        namespaced = self.mode != "session"
        root = (
            {
                "staging": str(self.root / "mnt"),
                "box": str(self.box),
                "binds": self.binds,
                "hide": self.hidden,
                "uid": self.uid,
                "disk_mb": self.limits.disk_mb,
                "inodes": self.limits.inodes,
            }
            if namespaced
            else None
        )
        spec = {
            "loopback": namespaced,
            "root": root,
            "uid": self.uid,
            "rlimits": rlimits(self.limits, self.uid is not None),
            "cwd": str(self.box),
            "argv": argv,
            "env": self.environment(),
            "close_fds": keep_fds,
            "lifeline": lifeline_fd,
            "notes": notes_fd,
            "pid1": namespaced,
        }
        command = [sys.executable, "-I", "-B", "-m", "quiz.grading.sandbox_init", json.dumps(spec)]
        if self.mode == "namespaces":
            command = ["unshare", *NAMESPACE_FLAGS, *command]
        elif self.mode == "user-namespaces":
            command = ["unshare", "--user", "--map-root-user", *NAMESPACE_FLAGS, *command]
        return self.groups.enter_command(command) if self.groups is not None else command

    def start(self, argv: list[str], keep_fds: list[int]) -> Guard:
        """Start `argv` in the sandbox with `keep_fds` inherited (the caller closes its copies of them), and
        watch it from a thread: time, the whole tree's memory, its output. Returns at once."""
        lifeline_r, lifeline_w = os.pipe()  # held open while we watch; its EOF tells pid 1 to kill everything
        notes_r, notes_w = os.pipe()  # pid 1's notes on the isolation (what it could not do)
        os.set_blocking(notes_r, False)
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                self.command(argv, keep_fds, lifeline_r, notes_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                env=self.environment(),
                pass_fds=(*keep_fds, lifeline_r, notes_w),
                start_new_session=True,
            )
        except BaseException:
            os.close(lifeline_w)
            os.close(notes_r)
            raise
        finally:
            os.close(lifeline_r)
            os.close(notes_w)
        isolation = describe_isolation(self.mode, self.uid, self.limits)
        if self.groups is not None:
            isolation.update(self.groups.describe(self.limits.memory_mb))
        return Guard(Watch(process, self.mode, self.limits, started), lifeline_w, notes_r, isolation, self.groups)


class Guard:
    """Watches one running sandbox from a thread of its own until the tree is gone; `stop` ends it early."""

    def __init__(
        self, watch: Watch, lifeline_w: int, notes_r: int, isolation: dict, groups: ControlGroups | None = None
    ) -> None:
        self.watch = watch
        self.groups = groups
        self.lifeline_w = lifeline_w
        self.notes_r = notes_r
        self.isolation = isolation
        self.outcome: RunOutcome | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="quiz-sandbox-guard", daemon=True)
        self.thread.start()

    @property
    def killed_for(self) -> KilledFor | None:
        return self.watch.killed_for

    def _watch(self) -> None:
        watch = self.watch
        try:
            watch.follow()
        finally:
            watch.kill_all()
            os.close(self.lifeline_w)
            watch.process.stdout.close()
            watch.process.wait()
            if watch.killed_for is None and self.groups is not None and self.groups.oom_killed():
                watch.killed_for = KilledFor.MEMORY  # the memory controller's kill: its tmpfs and memfds count there
            self.isolation["problems"] = read_notes(self.notes_r) + (self.groups.missing if self.groups else [])
            os.close(self.notes_r)
            self.outcome = RunOutcome(
                exit_code=watch.process.returncode if watch.killed_for is None else None,
                killed_for=watch.killed_for,
                duration=time.monotonic() - watch.started,
                output=watch.output_text(),
                isolation=self.isolation,
            )
            self.done.set()

    def stop(self, reason: str | None = None) -> RunOutcome:
        """End the tree now (recording `reason` as why, if given) and wait for the watch to finish."""
        if not self.done.is_set():
            self.watch.stop(reason) if reason else self.watch.kill_all()
        self.done.wait()
        return self.outcome


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


def remove_tree(root: Path) -> None:
    """Remove a folder however deep, never raising: no recursion (a 3,000-deep tree overflows shutil.rmtree's
    stack) and no path longer than one name (every step is relative to an open folder). Folders made read-only
    are made writable first. What cannot be removed stays, and the rest still goes."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(root, flags)
    except FileNotFoundError:
        return
    except OSError:
        _ignore(os.unlink, root)
        return
    names: list[str] = []  # the path from root down to fd
    stuck: set[int] = set()  # inodes of folders that could not be opened or removed
    while True:
        _ignore(os.fchmod, fd, 0o700)
        child = _first_folder_emptying_the_rest(fd, stuck)
        if child is not None:
            try:
                below = os.open(child[0], flags, dir_fd=fd)
            except OSError:
                stuck.add(child[1])
                continue
            os.close(fd)
            fd = below
            names.append(child[0])
            continue
        if not names:
            os.close(fd)
            _ignore(os.rmdir, root)
            return
        inode = os.fstat(fd).st_ino
        try:
            above = os.open("..", flags, dir_fd=fd)
        except OSError:
            os.close(fd)
            return
        os.close(fd)
        fd = above
        name = names.pop()
        try:
            os.rmdir(name, dir_fd=fd)
        except OSError:
            stuck.add(inode)


def _first_folder_emptying_the_rest(fd: int, stuck: set[int]) -> tuple[str, int] | None:
    """Unlink every non-folder in the open folder `fd`; the first subfolder (name, inode) not in `stuck`."""
    try:
        with os.scandir(fd) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.inode() not in stuck:
                        return entry.name, entry.inode()
                else:
                    _ignore(os.unlink, entry.name, dir_fd=fd)
    except OSError:
        pass
    return None


def _ignore(function: Callable, *args, **kwargs) -> None:
    try:
        function(*args, **kwargs)
    except OSError:
        pass


@functools.cache
def sweep_stale_sandboxes() -> None:
    """Remove sandbox folders left by graders that were killed (SIGKILL runs no cleanup), once per process. A
    live grader holds a lock on its folder; a folder whose lock is free and that is a minute old is stale."""
    for folder in Path(tempfile.gettempdir()).glob(SANDBOX_PREFIX + "*"):
        try:
            if folder.stat().st_uid != os.geteuid() or time.time() - folder.stat().st_mtime < 60:
                continue
            handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            remove_tree(folder)
        except OSError:
            pass  # a live grader's
        finally:
            os.close(handle)
    sweep_stale(lambda name: (Path(tempfile.gettempdir()) / name).exists())


def hidden_paths(candidates: list[Path], keep: list) -> list[str]:
    """The exercise folders (the reference solutions), to be covered by an empty tmpfs inside the sandbox,
    unless covering one would also hide something the run needs."""
    hidden = []
    for candidate in candidates:
        folder = os.path.realpath(candidate)
        if not os.path.isdir(folder) or folder in hidden:
            continue
        if any(os.path.commonpath([folder, os.path.realpath(k)]) == folder for k in keep):
            continue
        hidden.append(folder)
    return hidden


def git_dirs(folders: list[Path]) -> list[Path]:
    """The .git folders of the checkouts holding these folders: their objects hold every committed reference.py."""
    found = []
    for folder in folders:
        for parent in (Path(os.path.realpath(folder)), *Path(os.path.realpath(folder)).parents):
            if (parent / ".git").is_dir():
                found.append(parent / ".git")
                break
    return found


def project_tests(folders: list[Path]) -> list[Path]:
    """The tests/ folder of a checkout holding these folders: its fixtures hold correct solutions and the toy
    exercise's suite."""
    return [
        Path(os.path.realpath(folder)).parent / "tests"
        for folder in folders
        if (Path(os.path.realpath(folder)).parent / "tests").is_dir()
    ]


def needed_paths() -> list[str]:
    """What the new root holds of the host besides the system: the interpreter's installation, the venv, every
    site-packages folder on the path (a .pth may add another venv's), and the quiz package (its folder only, not
    the checkout around it). Outermost first, none inside another."""
    import quiz

    site_folders = [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    wanted = sorted(
        {
            os.path.realpath(p)
            for p in (
                sys.base_prefix,
                sys.prefix,
                os.path.dirname(sys.executable),
                os.path.dirname(os.path.realpath(sys.executable)),
                os.path.dirname(os.path.abspath(quiz.__file__)),
                *site_folders,
            )
            if os.path.isdir(p)
        }
    )
    kept: list[str] = []
    for path in wanted:
        if path.startswith(("/usr/", "/bin/", "/lib")) or path == "/usr":
            continue  # in the system folders already
        if not any(os.path.commonpath([path, k]) == k for k in kept):
            kept.append(path)
    return kept


def installed_data() -> list[Path]:
    """Copies of the shipped exercises an install put beside the package (site-packages/quiz/_data: a wheel's, and
    an editable install's too): their reference solutions, to hide."""
    found = []
    for entry in sys.path:
        candidate = Path(entry) / "quiz" / "_data"
        if entry and candidate.is_dir():
            found.append(candidate)
    return found


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
