"""The untrusted side's sandbox: a fresh folder, a separate process tree, limits, and the watch over it.

The suite never runs here: only the submission's process (quiz.grading.untrusted) and whatever it starts. The
layout of a sandbox (a fresh temporary folder, mode 0711 so other sandboxes cannot list it):

    box/          the process's working directory and HOME: the files given (submission.py, probes.py),
                  box/tmp/ (its TMPDIR)

The isolation (isolation.py: namespaces, user namespaces or a session, the strongest the machine allows) and, in
every mode: rlimits (data = the memory limit, file size, no core dumps, open files, CPU as a backstop), a
scrubbed environment, a wall-clock limit that kills everything, the whole tree's RSS watched and killed over
the memory limit, and its output read with a cap (watch.py).
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from quiz import paths
from quiz.grading.cgroups import ControlGroups
from quiz.grading.cleanup import SANDBOX_PREFIX, remove_tree, sweep_stale_sandboxes
from quiz.grading.host_paths import git_dirs, hidden_paths, installed_data, needed_paths, project_tests
from quiz.grading.isolation import NAMESPACE_FLAGS, Limits, describe_isolation, isolation_mode, rlimits
from quiz.grading.watch import KilledFor, RunOutcome, Watch, read_notes

UID_BASE = 1_900_000_000  # unprivileged uids with no passwd entry: one per sandbox, so NPROC counts are separate
PASSTHROUGH_ENV = ("CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "TZ")
_uids = itertools.count()


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
