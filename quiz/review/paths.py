"""Where progress is kept: --data-dir, else $QUIZ_DATA_DIR, else the platform's user data directory."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "QUIZ_DATA_DIR"
STORE_NAME = "progress.sqlite3"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("quiz", appauthor=False))
