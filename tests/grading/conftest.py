"""Fixtures for the grader's tests: the toy exercise and a canary outside the sandbox."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from .helpers import TOY

collect_ignore = ["fixtures", "golden", "exercism"]


@pytest.fixture
def toy() -> Path:
    return TOY


@pytest.fixture
def reference() -> Path:
    return TOY / "reference.py"


@pytest.fixture
def canary():
    """A world-writable folder in /tmp with a file in it: only the sandbox itself can keep a submission out.
    Hostile fixtures find it by its name pattern, /tmp/quiz-grading-canary-*."""
    folder = Path(tempfile.mkdtemp(prefix="quiz-grading-canary-", dir="/tmp"))
    folder.chmod(0o777)
    (folder / "canary.txt").write_text("original\n")
    (folder / "canary.txt").chmod(0o666)
    yield folder
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
