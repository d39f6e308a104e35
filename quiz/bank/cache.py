"""A cache of bank files that passed every check of their own, keyed by the hash of their bytes.

Parsing YAML is the bulk of loading a bank (PyYAML's C loader reads ~2-3 MB/s of bank text here); a file that
has not changed since it was last checked is read back with `marshal` instead, in a fraction of the time. Any
change to the file, the schema or the quiz version changes the key. The cache is an optimisation only: when it
cannot be read or written, loading goes on without it. Set QUIZ_CACHE_DIR to move it, QUIZ_NO_CACHE=1 to disable.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from functools import cache
from pathlib import Path

from quiz import __version__
from quiz.bank.schema import deck_schema_text


@cache
def cache_dir() -> Path | None:
    if os.environ.get("QUIZ_NO_CACHE"):
        return None
    if os.environ.get("QUIZ_CACHE_DIR"):
        return Path(os.environ["QUIZ_CACHE_DIR"]) / "bank"
    import platformdirs

    return Path(platformdirs.user_cache_dir("quiz")) / "bank"


@cache
def _salt() -> bytes:
    return f"{__version__}:{marshal.version}:{deck_schema_text()}".encode()


def _entry(raw: bytes) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    return folder / hashlib.sha256(_salt() + raw).hexdigest()


def load(raw: bytes) -> object | None:
    entry = _entry(raw)
    if entry is None:
        return None
    try:
        return marshal.loads(entry.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def store(raw: bytes, data: object) -> None:
    entry = _entry(raw)
    if entry is None:
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(data))
        os.replace(temporary, entry)
    except (OSError, ValueError):
        pass
