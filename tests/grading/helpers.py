"""Paths, limits and checks the grader's tests share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quiz.grading.isolation import isolation_mode
from tests.exercises.suite_process import UNUSED_PLUGINS  # noqa: F401 - off in the learner-style runs here too

HERE = Path(__file__).parent
TOY = HERE.parent / "data" / "exercises" / "toy"
HOSTILE = HERE / "fixtures" / "hostile"
BENIGN = HERE / "fixtures" / "benign"
TIMEOUT = 5.0  # generous for the toy (its runs take about half a second), small enough for hostile loops
MEMORY_MB = 512


needs_namespaces = pytest.mark.skipif(
    isolation_mode() != "namespaces", reason="needs root and unshare (the full sandbox)"
)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def processes_of(uid: int | None) -> list[int]:
    """Processes still running as a sandbox's uid (there should be none once grading returns)."""
    if uid is None:
        return []
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(entry.path).st_uid == uid:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (read from /proc, children lists of each thread)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    children = [int(c) for c in handle.read().split()]
            except OSError:
                continue
            found.extend(children)
            queue.extend(children)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
