"""Crashes, concurrent instances, damaged files and old schemas, on real files and real processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from quiz.review.store import ReviewStore, StoreError

WRITER = Path(__file__).with_name("answer_writer.py")
STORE = "progress.sqlite3"


def _writer(data_dir: Path, name: str, count: int, start_file: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, str(WRITER), str(data_dir), name, str(count)] + ([str(start_file)] if start_file else [])
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_sigkill_mid_session_loses_no_committed_answer(tmp_path):
    writer = _writer(tmp_path, "killed", 10**9)  # answers until killed
    acknowledged = []
    try:
        for line in writer.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) == 60:
                break
    finally:
        os.kill(writer.pid, signal.SIGKILL)  # while it is still writing
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert len(acknowledged) == 60, writer.stderr.read()
    with ReviewStore.open(tmp_path) as store:
        assert store.recovered_from is None
        history = store.history()
    kept = {a["id"] for a in history["attempts"]}
    assert set(acknowledged) <= kept
    assert len(history["reviews"]) >= 59  # each acknowledged answer was rated before the next one was written
    assert _integrity(tmp_path / STORE) == "ok"


def test_two_processes_writing_at_once_keep_every_row(tmp_path):
    go = tmp_path / "go"  # both start at once on an empty directory: creating the schema races too
    writers = [_writer(tmp_path, name, 120, go) for name in ("left", "right")]
    go.touch()
    outputs = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, outputs):
        assert writer.returncode == 0, err
        assert out.splitlines()[-1] == "done"
    with ReviewStore.open(tmp_path) as store:
        history = store.history()
    answers = [a["answer"] for a in history["attempts"]]
    assert len(answers) == 240 and len(set(answers)) == 240
    assert len(history["reviews"]) == 240
    assert _integrity(tmp_path / STORE) == "ok"


def _filled_store(data_dir: Path) -> None:
    with ReviewStore.open(data_dir) as store:
        session = store.start_session("practice")
        for i in range(400):
            store.record_attempt(session, f"q{i}", "答案 " * 50, None, 1.0)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "scribbled"])
def test_a_damaged_file_is_moved_aside_and_a_fresh_store_started(tmp_path, damage):
    path = tmp_path / STORE
    if damage == "garbage":
        path.write_bytes(os.urandom(40_000))
    else:
        _filled_store(tmp_path)
        assert not Path(str(path) + "-wal").exists()
        with open(path, "r+b") as handle:
            if damage == "truncated":
                handle.truncate(path.stat().st_size // 3)
            else:  # the header stays valid, the pages behind it do not: SQLite's own check finds many faults
                pages = bytearray(handle.read())
                pages[4096::7] = b"\xab" * len(pages[4096::7])
                handle.seek(0)
                handle.write(pages)
    damaged = path.read_bytes()
    with ReviewStore.open(tmp_path) as store:
        moved = store.recovered_from
        assert moved is not None and moved.parent == tmp_path and moved.name.startswith(f"{STORE}.unreadable-")
        assert moved.read_bytes() == damaged  # kept as it was, byte for byte
        message = store.recovery_message()
        assert "\n" not in message and str(moved) in message
        store.record_attempt(None, "q", "a fresh start", None, 1.0)
    with ReviewStore.open(tmp_path) as store:
        assert store.recovered_from is None
        assert [a["answer"] for a in store.history()["attempts"]] == ["a fresh start"]


def _damaged_at_the_end(path: Path) -> None:
    """7 MB of sound pages and a broken last one: checking it takes tens of milliseconds before it fails, so two
    instances started together are both still checking when the first one gives up on it."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.executemany("INSERT INTO notes VALUES (?)", (("答案 " * 50,) for _ in range(20_000)))
    conn.commit()
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek(-2000, os.SEEK_END)
        handle.write(b"\xab" * 2000)


def test_two_processes_opening_one_damaged_file_at_once_recover_it_once_and_keep_every_answer(tmp_path):
    """The second must not move the first one's fresh store aside: its answers would vanish into that file."""
    _damaged_at_the_end(tmp_path / STORE)
    damaged = (tmp_path / STORE).read_bytes()
    go = tmp_path / "go"
    writers = [_writer(tmp_path, name, 40, go) for name in ("left", "right")]
    go.touch()
    outputs = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, outputs):
        assert writer.returncode == 0, err
        assert out.splitlines()[-1] == "done"
    (moved,) = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert moved.read_bytes() == damaged
    assert sum("moved it to" in err for _, err in outputs) == 1  # one of them recovered, the other found it done
    with ReviewStore.open(tmp_path) as store:
        assert store.recovered_from is None
        answers = {a["answer"] for a in store.history()["attempts"]}
    assert answers == {f"{name} answer {i}" for name in ("left", "right") for i in range(40)}
    assert _integrity(tmp_path / STORE) == "ok"


def test_moving_aside_never_overwrites_an_earlier_one(tmp_path):
    path = tmp_path / STORE
    moved = []
    for n in range(3):
        path.write_bytes(b"not a database %d" % n * 100)
        store = ReviewStore.open(tmp_path)
        moved.append(store.recovered_from)
        store.close()
        path.unlink()
        for side in ("-wal", "-shm"):
            Path(str(path) + side).unlink(missing_ok=True)
    assert len(set(moved)) == 3
    assert sorted(p.read_bytes() for p in moved) == [b"not a database %d" % n * 100 for n in range(3)]


def test_someone_elses_database_is_not_taken_over(tmp_path):
    conn = sqlite3.connect(tmp_path / STORE)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with ReviewStore.open(tmp_path) as store:
        assert "not a quiz progress store" in store.recovery_message()
    kept = sqlite3.connect(store.recovered_from)
    assert kept.execute("SELECT name FROM sqlite_master").fetchall() == [("recipes",)]
    kept.close()


def test_a_store_from_a_newer_quiz_is_refused_and_left_alone(tmp_path):
    ReviewStore.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / STORE)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer quiz") as caught:
        ReviewStore.open(tmp_path)
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir() if "unreadable" in p.name) == []


# The first released schema, frozen here as it shipped: the migration test must not follow later edits.
SCHEMA_V1 = """
CREATE TABLE cards (question_id TEXT PRIMARY KEY, card TEXT NOT NULL, due TEXT NOT NULL, state INTEGER NOT NULL,
                    first_review TEXT NOT NULL, last_review TEXT NOT NULL);
CREATE INDEX cards_due ON cards (due);
CREATE TABLE review_logs (id INTEGER PRIMARY KEY, question_id TEXT NOT NULL, rating INTEGER NOT NULL,
                          reviewed_at TEXT NOT NULL, due_after TEXT NOT NULL, card_before TEXT);
CREATE INDEX review_logs_question ON review_logs (question_id);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, mode TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT);
CREATE TABLE attempts (id INTEGER PRIMARY KEY, session_id INTEGER, question_id TEXT NOT NULL, answer TEXT NOT NULL,
                       score REAL, covered TEXT, duration_s REAL NOT NULL, answered_at TEXT NOT NULL);
CREATE INDEX attempts_question ON attempts (question_id);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO sessions VALUES (1, 'drill', '2026-01-05T08:00:00.000000+00:00', '2026-01-05T08:30:00.000000+00:00');
INSERT INTO attempts VALUES (1, 1, 'cost.open-source', '免费，有预训练模型', 0.67, '["free", "pretrained"]', 42.0,
                             '2026-01-05T08:01:00.000000+00:00');
INSERT INTO cards VALUES ('cost.open-source',
  '{"card_id": 7, "state": 2, "step": null, "stability": 3.17, "difficulty": 5.3, "due": "2026-01-08T08:02:00+00:00", "last_review": "2026-01-05T08:02:00+00:00"}',
  '2026-01-08T08:02:00.000000+00:00', 2, '2026-01-05T08:02:00.000000+00:00', '2026-01-05T08:02:00.000000+00:00');
INSERT INTO review_logs VALUES (1, 'cost.open-source', 3, '2026-01-05T08:02:00.000000+00:00',
                                '2026-01-08T08:02:00.000000+00:00', NULL);
INSERT INTO settings VALUES ('new_per_day', '5');
PRAGMA user_version = 1;
"""


def test_a_v1_store_is_migrated_keeping_its_history(tmp_path):
    from datetime import datetime, timezone

    from quiz.review.scorer import ScoreResult

    conn = sqlite3.connect(tmp_path / STORE)
    conn.executescript(SCHEMA_V1)
    conn.close()
    with ReviewStore.open(tmp_path) as store:
        assert store.recovered_from is None
        history = store.history()
        (old,) = history["attempts"]
        assert old["answer"] == "免费，有预训练模型" and old["covered"] == ["free", "pretrained"]
        assert old["missed"] == [] and old["suggested_rating"] is None  # v2 columns, unknown for v1 rows
        assert old["contradicted"] == []  # v3
        assert store.settings().new_per_day == 5
        assert store.due_queue(["cost.open-source"], now=datetime(2026, 1, 9, tzinfo=timezone.utc)) == [
            "cost.open-source"
        ]
        due = store.rate("cost.open-source", 3, now=datetime(2026, 1, 9, tzinfo=timezone.utc))
        assert due > datetime(2026, 1, 12, tzinfo=timezone.utc)  # the v1 card's stability carried over
        store.record_attempt(
            None,
            "cost.open-source",
            "again",
            ScoreResult("cost.open-source", 0.25, ("free",), ("x",), 2, contradicted=("y",)),
            3.0,
        )
        newest = store.history()["attempts"][-1]
        assert newest["suggested_rating"] == 2 and newest["contradicted"] == ["y"]
        store.save_draft("cost.open-source", "半句")  # v4
        assert store.draft("cost.open-source") == "半句"
    conn = sqlite3.connect(tmp_path / STORE)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    conn.close()
    assert _integrity(tmp_path / STORE) == "ok"
