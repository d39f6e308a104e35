"""Where things are: the packaged question bank and exercises (in a source checkout and in an installed wheel),
the bank in use, the progress store and the exercise workspaces. A path given by the user, on the command line or
in the environment, may start with ~."""

from __future__ import annotations

import os
import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BANK_ENV = "QUIZ_BANK"
DATA_DIR_ENV = "QUIZ_DATA_DIR"
STORE_NAME = "progress.sqlite3"
WORKSPACE = "workspace"  # under the data directory: one folder per exercise started
_HAN = re.compile(r"[\u4e00-\u9fff]")


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
        return Path(explicit).expanduser()
    if os.environ.get(BANK_ENV):
        return Path(os.environ[BANK_ENV]).expanduser()
    return packaged_bank_dir()


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Where progress is kept: --data-dir, else $QUIZ_DATA_DIR, else the platform's user data directory."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("quiz", appauthor=False))


def workspace_dir(explicit_data_dir: str | os.PathLike | None = None) -> Path:
    """Where the exercises a user started are kept (their solution.py and last results)."""
    return data_dir(explicit_data_dir) / WORKSPACE


def exercise_title(root: Path, name: str, lang: str) -> str:
    """The README's first heading, `中文标题 / English title (`name`)`, in `lang`; the name when there is none."""
    readme = root / name / "README.md"
    try:
        heading = next(
            (line[2:].strip() for line in readme.read_text(encoding="utf-8").splitlines() if line.startswith("# ")), ""
        )
    except OSError:
        heading = ""
    heading = re.sub(rf"\s*\(`{re.escape(name)}`\)$", "", heading).strip()
    parts = [part.strip() for part in heading.split(" / ") if part.strip()]
    if not parts:
        return name
    chinese = [p for p in parts if _HAN.search(p)]
    other = [p for p in parts if not _HAN.search(p)]
    return ((chinese if lang == "zh" else other) or parts)[0]
