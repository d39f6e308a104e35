"""Removing sandbox folders: however deep a submission made them, and those left by a grader that was killed."""

from __future__ import annotations

import fcntl
import functools
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from quiz.grading.cgroups import sweep_stale

SANDBOX_PREFIX = "quiz-grade-"


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
