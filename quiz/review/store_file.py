"""The progress store's file: opening it in WAL mode with a busy timeout, checking it (`PRAGMA quick_check`),
migrating its schema, and, when it cannot be read, moving it aside under a timestamped name (never overwritten,
never deleted) under an exclusive lock on a lock file beside it, so that two instances finding the same damaged
file recover it once."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from quiz.review import migrations

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, recovery runs unguarded as before
    fcntl = None

BUSY_TIMEOUT_S = 10.0
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


class StoreError(Exception):
    """The store cannot be used; str() is one line for the user."""


class Unreadable(Exception):
    """The file is not a usable store (garbage, truncated, someone else's database): move it aside."""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # Check before switching to WAL: the switch rewrites the header of a file kept in another journal mode,
        # and a damaged file is to be moved aside exactly as it was.
        check = conn.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            raise Unreadable(f"it is damaged: {_first_finding(check)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"cannot use write-ahead logging for {path} (journal mode stays {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _first_finding(check: list[tuple[str]]) -> str:
    """quick_check's first finding on one line: a row can hold many lines, under a '*** in database' header."""
    findings = [line for (row,) in check for line in row.splitlines() if line.strip() and not line.startswith("***")]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return (findings[0] if findings else "quick_check failed") + more


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > migrations.CURRENT:
        raise StoreError(
            f"{path} was written by a newer quiz (schema v{version}; this one knows up to "
            f"v{migrations.CURRENT}): upgrade quiz, or pass --data-dir to use another store"
        )
    if version == migrations.CURRENT:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another instance may have just migrated
        if version == 0:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables:
                raise Unreadable("it is an SQLite database, but not a quiz progress store")
        for number in range(version + 1, migrations.CURRENT + 1):
            for statement in migrations.SCRIPTS[number - 1].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@contextmanager
def file_lock(path: Path, exclusive: bool) -> Iterator[None]:
    """Every open holds the lock file shared while it connects; recovery holds it exclusive. So no instance
    connects to a file while another moves it aside (and its WAL with it), and only one moves a file aside."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot open the lock file {lock_path}: {exc.strerror or exc}") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock; the file stays (deleting it would race)


def move_aside(path: Path, now: datetime) -> Path:
    """Rename the file (and its WAL and shared-memory files, which belong to it) to a name no file has."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        target = path.with_name(f"{path.name}.unreadable-{stamp}" + (f"-{n}" if n > 1 else ""))
        if not any(Path(str(target) + s).exists() for s in ("", "-wal", "-shm")):
            break
    else:  # pragma: no cover
        raise StoreError(f"cannot find a free name to move {path} aside")
    try:
        os.rename(path, target)
        for suffix in ("-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                os.rename(side, Path(str(target) + suffix))
    except OSError as exc:
        raise StoreError(f"{path} is unreadable and cannot be moved aside: {exc.strerror or exc}") from None
    return target


def connect_or_reason(path: Path) -> tuple[sqlite3.Connection | None, str | None]:
    """A connection, or why the file is unreadable (other errors are raised: they are not the file's fault)."""
    try:
        return connect(path), None
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) not in _CORRUPT_CODES:
            raise
        return None, f"it is not a readable SQLite database ({exc})"
    except Unreadable as exc:
        return None, str(exc)
