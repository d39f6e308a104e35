"""Where the packaged question bank and exercises live, in a source checkout and in an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BANK_ENV = "QUIZ_BANK"


def _shipped(name: str) -> Path:
    installed = PACKAGE_DIR / "_data" / name  # the wheel puts questions/ and exercises/ here
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / name  # a source checkout or an editable install


def packaged_bank_dir() -> Path:
    return _shipped("questions")


def exercises_dir() -> Path:
    return _shipped("exercises")


def exercise_names(root: Path | None = None) -> list[str]:
    """The exercises under `root` (default: the shipped ones): its folders that hold a tests/ suite."""
    root = exercises_dir() if root is None else root
    return sorted(p.name for p in root.iterdir() if (p / "tests").is_dir()) if root.is_dir() else []


def bank_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The bank to use: --bank, else $QUIZ_BANK, else the packaged one."""
    if explicit:
        return Path(explicit)
    if os.environ.get(BANK_ENV):
        return Path(os.environ[BANK_ENV])
    return packaged_bank_dir()
