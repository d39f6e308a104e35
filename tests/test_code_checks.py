"""The code's own checks, run by the README's test command: ruff's format and lint, and import-linter's contracts
in pyproject.toml (the rooms in layers, Textual only in the app, no TensorFlow on the quiz's path, no import cycle
between the modules of any package). Each tool is the one the test extra pins, run as a developer runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(tool: str, *args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("args", [("format", "--check", "."), ("check", ".")], ids=["format", "lint"])
def test_ruff_finds_nothing_to_change(args):
    done = run("ruff", *args)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]


def test_every_import_contract_holds():
    done = run("lint-imports", "--no-cache", "--no-logo")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "4 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    "module, line, broken",
    [
        ("quiz/bank/model.py", "import textual.app", "Only the app imports Textual"),
        ("quiz/review/scorer.py", "import tensorflow", "Nothing on the quiz's path imports TensorFlow"),
        ("quiz/bank/model.py", "import quiz.tui.app", "Rooms in layers"),
        ("quiz/review/clock.py", "import quiz.review.store", "No import cycle"),
    ],
    ids=["textual", "tensorflow", "layers", "cycle"],
)
def test_each_contract_fails_on_the_import_it_forbids(tmp_path, module, line, broken):
    shutil.copytree(ROOT / "quiz", tmp_path / "quiz", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}  # this copy, not the installed quiz
    done = run("lint-imports", "--no-cache", "--no-logo", cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stdout[-3000:]
    assert f"{broken}" in done.stdout and "BROKEN" in done.stdout, done.stdout[-3000:]
