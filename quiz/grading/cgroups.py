"""Control groups per sandbox (cgroup v1, the controllers these machines have): a CPU share of its own, a memory
limit that also charges its tmpfs, memfds and shared memory, and a cap on its processes.

    groups = ControlGroups.create("quiz-grade-abc", memory_mb=2048, pids=1024)   # None where none is writable
    command = groups.enter_command(command)     # the command, moved into the groups before it runs
    record.update(groups.describe(2048))        # the isolation record's cpu and memory entries
    groups.oom_killed()                         # the memory controller killed something in it
    groups.remove()                             # once its processes are gone; never raises

Each group is made under the grader's own group of that controller (so the machine's limits on the grader still
hold), named after the sandbox's folder. Only the standard library is used.
"""

from __future__ import annotations

import functools
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("cpu", "memory", "pids")
CPU_SHARES = 1024  # the same for every sandbox: under contention each gets an equal part of the CPU


@dataclass
class ControlGroups:
    paths: dict[str, Path]
    missing: list[str] = field(default_factory=list)  # controllers that could not be used, and why

    @classmethod
    def create(cls, name: str, *, memory_mb: int, pids: int) -> ControlGroups | None:
        """Groups for the controllers that are writable here, or None when none is (or a process cannot be
        moved into one: checked once per process, so a machine that half-allows them loses nothing)."""
        if not entering_works():
            return None
        return cls._make(name, memory_mb=memory_mb, pids=pids)

    @classmethod
    def _make(cls, name: str, *, memory_mb: int, pids: int) -> ControlGroups | None:
        paths, missing = {}, []
        for controller in CONTROLLERS:
            base = own_group(controller)
            if base is None:
                missing.append(f"{controller}: not mounted")
                continue
            folder = base / name
            try:
                folder.mkdir()
                settings = {
                    "cpu": {"cpu.shares": CPU_SHARES},
                    "memory": {
                        "memory.limit_in_bytes": memory_mb * 2**20,
                        "memory.memsw.limit_in_bytes": memory_mb * 2**20,
                        "memory.swappiness": 0,
                    },
                    "pids": {"pids.max": pids},
                }[controller]
                for setting, value in settings.items():
                    if (folder / setting).exists():
                        (folder / setting).write_text(str(value))
                paths[controller] = folder
            except OSError as exc:
                missing.append(f"{controller}: {exc.strerror or exc}")
                _rmdir(folder)
        if not paths:
            return None
        return cls(paths, missing)

    def enter_command(self, command: list[str]) -> list[str]:
        """`command`, run by a shell that first writes its own pid into every group (so all it starts is in)."""
        files = [str(path / "cgroup.procs") for path in self.paths.values()]
        script = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *files, "--", *command]

    def describe(self, memory_mb: int) -> dict[str, str]:
        """What the groups add to the isolation record (replacing its entries for a machine without them)."""
        found = {}
        if "cpu" in self.paths:
            found["cpu"] = f"own control group (cpu.shares {CPU_SHARES}: an equal share under contention)"
        if "memory" in self.paths:
            found["memory"] = (
                f"RLIMIT_DATA, the whole tree's RSS watched, and a memory control group "
                f"({memory_mb} MB; its tmpfs, memfds and shared memory count)"
            )
        if "pids" in self.paths:
            found["pids"] = "pids.max in its control group"
        return found

    def oom_killed(self) -> bool:
        path = self.paths.get("memory")
        if path is None:
            return False
        try:
            lines = (path / "memory.oom_control").read_text().splitlines()
        except OSError:
            return False
        counts = dict(line.split() for line in lines if len(line.split()) == 2)
        return int(counts.get("oom_kill", "0")) > 0

    def remove(self) -> None:
        for path in self.paths.values():
            for _ in range(50):  # the pid namespace's processes may take a moment to be reaped
                if _rmdir(path):
                    break
                time.sleep(0.02)


@functools.cache
def entering_works() -> bool:
    """Whether a process can be made and entered here: a trial group, a shell moved into it, removed."""
    # not "quiz-grade-...": another grader's sweep takes such a group, with no sandbox folder, for a stale one, and
    # removed between its making and its entering, the trial failed and this process went without groups
    trial = ControlGroups._make(f"{TRIAL_PREFIX}{os.getpid()}", memory_mb=256, pids=64)
    if trial is None:
        return False
    try:
        return (
            subprocess.run(
                trial.enter_command(["true"]),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=20,
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        trial.remove()


def own_group(controller: str) -> Path | None:
    """The folder of this process's own group of `controller` (v1), if that hierarchy is mounted here."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            folder = CGROUP_ROOT / controller / path.lstrip("/")
            return folder if (folder / "cgroup.procs").exists() else None
    return None


def sweep_stale(names_alive: callable) -> None:
    """Remove groups of sandboxes whose folder is gone (a grader killed before it could remove them)."""
    for controller in CONTROLLERS:
        base = own_group(controller)
        if base is None:
            continue
        try:
            children = [p for p in base.iterdir() if p.name.startswith("quiz-grade-") and p.is_dir()]
        except OSError:
            continue
        for child in children:
            if not names_alive(child.name):
                _rmdir(child)
        try:  # trials of graders that were killed while trying
            trials = [p for p in base.iterdir() if p.name.startswith(TRIAL_PREFIX) and p.is_dir()]
        except OSError:
            continue
        for trial in trials:
            if not _pid_alive(trial.name[len(TRIAL_PREFIX) :]):
                _rmdir(trial)


TRIAL_PREFIX = "quiz-trial-"


def _pid_alive(text: str) -> bool:
    try:
        os.kill(int(text), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _rmdir(path: Path) -> bool:
    try:
        os.rmdir(path)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False
