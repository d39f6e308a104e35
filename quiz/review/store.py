"""The progress store: one SQLite file in the user's data directory.

Built so that nothing already answered is lost: WAL mode, and every answer and rating is its own transaction,
committed before the call returns. Several instances may share the file: each waits for a lock (busy timeout)
and every read-modify-write runs inside BEGIN IMMEDIATE. A file that cannot be read is moved aside and a fresh
store started in its place (store_file.py: opening, checking, migrating and recovering the file).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fsrs import Card

from quiz.review import export, schedule, stats
from quiz.review.clock import day_start, iso, parse_time
from quiz.review.progress import DueCounts, Settings
from quiz.paths import STORE_NAME, data_dir as default_data_dir
from quiz.review.scorer import ScoreResult
from quiz.review.store_file import (
    StoreError,
    Unreadable,
    connect,
    connect_or_reason,
    file_lock,
    move_aside,
)

MODES = ("practice", "drill", "mock")


class ReviewStore:
    """Sessions, answers, FSRS cards and review logs of one user. Thread-safe: one connection behind a lock."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        recovered_from: Path | None = None,
        recovered_reason: str | None = None,
    ):
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.recovered_from = recovered_from  # where an unreadable file was moved, when one was
        self.recovered_reason = recovered_reason
        self._own_reviews: list[int] = []  # review ids this instance wrote, newest last: what undo takes back

    @classmethod
    def open(cls, data_dir: Path | str | None = None) -> "ReviewStore":
        directory = default_data_dir(data_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {directory}: {exc.strerror or exc}") from None
        path = directory / STORE_NAME
        try:
            with file_lock(path, exclusive=False):
                conn, reason = connect_or_reason(path)
            if conn is not None:
                return cls(conn, path)
            with file_lock(path, exclusive=True):
                conn, reason = connect_or_reason(path)  # another instance may have recovered it meanwhile
                if conn is not None:
                    return cls(conn, path)
                moved = move_aside(path, datetime.now(timezone.utc))
                return cls(connect(path), path, recovered_from=moved, recovered_reason=reason)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the progress store {path}: {exc}") from None
        except Unreadable as exc:  # pragma: no cover - a fresh file is always readable
            raise StoreError(f"cannot start a fresh progress store at {path}: {exc}") from None

    def recovery_message(self) -> str | None:
        """One line for the user when open() had to move an unreadable file aside."""
        if self.recovered_from is None:
            return None
        return (
            f"the progress store {self.path} was unreadable ({self.recovered_reason}); "
            f"moved it to {self.recovered_from} and started a fresh one"
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "ReviewStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A short read-modify-write transaction that holds the write lock from its first read."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # --- sessions and answers -------------------------------------------------------------------------------

    def start_session(self, mode: str) -> int:
        if mode not in MODES:
            raise ValueError(f"session mode must be one of {', '.join(MODES)}, not {mode!r}")
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO sessions (mode, started_at) VALUES (?, ?)", (mode, iso(schedule.utc(None)))
            )
            return cursor.lastrowid

    def end_session(self, session_id: int) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                (iso(schedule.utc(None)), session_id),
            )

    def record_attempt(
        self, session_id: int | None, question_id: str, answer: str, result: ScoreResult | None, duration_s: float
    ) -> int:
        """Committed before it returns: a crash afterwards cannot lose this answer."""
        covered = json.dumps(list(result.covered)) if result else None
        missed = json.dumps(list(result.missed)) if result else None
        contradicted = json.dumps(list(result.contradicted)) if result else None
        with self._write() as conn:  # the answer and the end of its draft, together
            cursor = conn.execute(
                "INSERT INTO attempts (session_id, question_id, answer, score, covered, missed, contradicted,"
                " suggested_rating, duration_s, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    question_id,
                    answer,
                    result.score if result else None,
                    covered,
                    missed,
                    contradicted,
                    result.suggested_rating if result else None,
                    float(duration_s),
                    iso(schedule.utc(None)),
                ),
            )
            if answer:
                conn.execute("DELETE FROM drafts WHERE question_id = ?", (question_id,))
            return cursor.lastrowid

    # --- drafts ---------------------------------------------------------------------------------------------

    def save_draft(self, question_id: str, text: str) -> None:
        """What the answer box holds now; committed before it returns. Blank text removes the draft."""
        with self._lock:
            if text.strip():
                self._conn.execute(
                    "INSERT INTO drafts (question_id, text, saved_at) VALUES (?, ?, ?) ON CONFLICT (question_id)"
                    " DO UPDATE SET text = excluded.text, saved_at = excluded.saved_at",
                    (question_id, text, iso(schedule.utc(None))),
                )
            else:
                self._conn.execute("DELETE FROM drafts WHERE question_id = ?", (question_id,))

    def draft(self, question_id: str) -> str | None:
        rows = self._query("SELECT text FROM drafts WHERE question_id = ?", (question_id,))
        return rows[0][0] if rows else None

    # --- scheduling -----------------------------------------------------------------------------------------

    def rate(self, question_id: str, rating: int, now: datetime | None = None) -> datetime:
        """Apply the user's rating to the question's card; returns when it is due next (UTC)."""
        now = schedule.utc(now)
        sched = schedule.scheduler(self.settings().desired_retention)
        with self._lock:  # the review joins this instance's undo stack only once it is committed
            with self._write() as conn:
                row = conn.execute(
                    "SELECT card, first_review FROM cards WHERE question_id = ?", (question_id,)
                ).fetchone()
                before = Card.from_json(row[0]) if row else schedule.new_card(question_id, now)
                after = schedule.review(sched, before, rating, now)
                conn.execute(
                    "INSERT INTO cards (question_id, card, due, state, first_review, last_review)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (question_id) DO UPDATE SET"
                    " card = excluded.card, due = excluded.due, state = excluded.state,"
                    " last_review = excluded.last_review",
                    (question_id, after.to_json(), iso(after.due), int(after.state), iso(now), iso(now)),
                )
                review_id = conn.execute(
                    "INSERT INTO review_logs (question_id, rating, reviewed_at, due_after, card_before)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (question_id, rating, iso(now), iso(after.due), row[0] if row else None),
                ).lastrowid
            self._own_reviews.append(review_id)
        return after.due.astimezone(timezone.utc)

    def undo_last_rating(self) -> str | None:
        """Take back this instance's most recent rating (another instance on the same file keeps its own) and
        put the card back as it was; None when this instance has none left. Ratings of the same question made
        since by another instance are kept: they are applied again to the card as it was."""
        with self._lock:  # the stack changes only with the transaction that committed
            with self._write() as conn:
                while self._own_reviews:
                    log_id = self._own_reviews[-1]
                    found = conn.execute(
                        "SELECT question_id, card_before FROM review_logs WHERE id = ?", (log_id,)
                    ).fetchone()
                    if found is not None:
                        break
                    self._own_reviews.pop()  # no longer in the file: nothing of it to take back
                else:
                    return None
                question_id, card_before = found
                later = conn.execute(
                    "SELECT id, rating, reviewed_at FROM review_logs WHERE question_id = ? AND id > ? ORDER BY id",
                    (question_id, log_id),
                ).fetchall()
                conn.execute("DELETE FROM review_logs WHERE id = ?", (log_id,))
                self._replay(conn, question_id, card_before, later)
            self._own_reviews.pop()
        return question_id

    def _replay(
        self, conn: sqlite3.Connection, question_id: str, card_before: str | None, later: list[tuple[int, int, str]]
    ) -> None:
        """Set the card to `card_before` with the `later` reviews applied again, in order, and give each of them
        its new card_before (so its own undo stays right). No card and no review left: the question is new."""
        card = Card.from_json(card_before) if card_before else None
        sched = schedule.scheduler(self.settings().desired_retention)
        first_review = later[0][2] if card is None and later else None  # the undone one was the first
        for review_id, rating, reviewed_at in later:
            moment = parse_time(reviewed_at)
            before = card
            card = schedule.review(sched, before or schedule.new_card(question_id, moment), rating, moment)
            conn.execute(
                "UPDATE review_logs SET card_before = ?, due_after = ? WHERE id = ?",
                (before.to_json() if before else None, iso(card.due), review_id),
            )
        if card is None:
            conn.execute("DELETE FROM cards WHERE question_id = ?", (question_id,))
            return
        conn.execute(
            "UPDATE cards SET card = ?, due = ?, state = ?, last_review = ?,"
            " first_review = COALESCE(?, first_review) WHERE question_id = ?",
            (
                card.to_json(),
                iso(card.due),
                int(card.state),
                iso(card.last_review or card.due),
                first_review,
                question_id,
            ),
        )

    def _cards_due(self) -> dict[str, str]:
        return dict(self._query("SELECT question_id, due FROM cards"))

    def _new_left_today(self, now: datetime) -> int:
        started = self._query("SELECT COUNT(*) FROM cards WHERE first_review >= ?", (iso(day_start(now)),))[0][0]
        return max(0, self.settings().new_per_day - started)

    def due_queue(self, question_ids: Iterable[str], now: datetime | None = None) -> list[str]:
        """Due cards, most overdue first; then cards never rated, in the given order, up to what is left of
        today's (UTC) new-card limit."""
        now = schedule.utc(now)
        ids = list(dict.fromkeys(question_ids))
        cards = self._cards_due()
        cutoff = iso(now)
        due = sorted((cards[q], q) for q in ids if q in cards and cards[q] <= cutoff)
        new = [q for q in ids if q not in cards][: self._new_left_today(now)]
        return [q for _, q in due] + new

    def due_counts(self, question_ids: Iterable[str], now: datetime | None = None) -> DueCounts:
        """How many of these cards are due now, new today, never rated, and due within the week."""
        return self.due_counts_by_group({"": question_ids}, now=now)[""]

    def due_counts_by_group(
        self, groups: dict[str, Iterable[str]], now: datetime | None = None
    ) -> dict[str, DueCounts]:
        """due_counts for each group of question ids, reading the cards and today's allowance once (the home
        screen asks for the whole bank, every deck and every topic at once)."""
        now = schedule.utc(now)
        cards = self._cards_due()
        new_left = self._new_left_today(now)
        cutoff, week = iso(now), iso(now + timedelta(days=7))
        counts = {}
        for key, question_ids in groups.items():
            ids = list(dict.fromkeys(question_ids))
            unseen = sum(1 for q in ids if q not in cards)
            counts[key] = DueCounts(
                due=sum(1 for q in ids if q in cards and cards[q] <= cutoff),
                new=min(unseen, new_left),
                unseen=unseen,
                week=sum(1 for q in ids if q in cards and cards[q] <= week),
            )
        return counts

    # --- settings -------------------------------------------------------------------------------------------

    def settings(self) -> Settings:
        known = Settings.names()
        saved = {
            key: json.loads(value) for key, value in self._query("SELECT key, value FROM settings") if key in known
        }
        return Settings(**saved)

    def update_settings(self, **values) -> None:
        """new_per_day: 0..1000 new cards a UTC day; desired_retention: 0.70..0.99 (FSRS's target recall)."""
        checked = {}
        for key, value in values.items():
            if key == "new_per_day":
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
                    raise ValueError(f"new_per_day must be a whole number from 0 to 1000, not {value!r}")
            elif key == "desired_retention":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.7 <= value <= 0.99:
                    raise ValueError(f"desired_retention must be between 0.70 and 0.99, not {value!r}")
                value = float(value)
            else:
                raise ValueError(f"unknown setting {key!r} (known: {', '.join(Settings.names())})")
            checked[key] = value
        with self._write() as conn:
            for key, value in checked.items():
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, json.dumps(value)),
                )

    # --- history --------------------------------------------------------------------------------------------

    def stats(self, bank, now: datetime | None = None) -> stats.Stats:
        """Progress figures per topic and per day (see stats.compute_stats)."""
        now = schedule.utc(now)
        return stats.compute_stats(self._stats_rows(stats.history_start(now)), bank, now)

    def _stats_rows(self, since: datetime) -> stats.StatsRows:
        with self._lock:
            conn = self._conn
            return stats.StatsRows(
                attempts={
                    qid: (n, total)
                    for qid, n, total in conn.execute(
                        "SELECT question_id, COUNT(*), SUM(score) FROM attempts WHERE score IS NOT NULL"
                        " GROUP BY question_id"
                    )
                },
                reviews={
                    qid: (n, passed)
                    for qid, n, passed in conn.execute(
                        "SELECT question_id, COUNT(*), SUM(rating >= 3) FROM review_logs GROUP BY question_id"
                    )
                },
                due=dict(conn.execute("SELECT question_id, due FROM cards")),
                attempted=frozenset(qid for (qid,) in conn.execute("SELECT DISTINCT question_id FROM attempts")),
                reviews_per_day=dict(
                    conn.execute(
                        "SELECT substr(reviewed_at, 1, 10), COUNT(*) FROM review_logs WHERE reviewed_at >= ?"
                        " GROUP BY 1",
                        (iso(since),),
                    )
                ),
            )

    def history(self) -> dict[str, list[dict]]:
        """Every attempt, review and draft, oldest first, as plain values (what `quiz export` writes)."""
        with self._lock:
            conn = self._conn
            attempts = [
                export.attempt_row(row)
                for row in conn.execute(
                    "SELECT a.id, a.answered_at, a.question_id, a.session_id, s.mode, a.answer, a.score, a.covered,"
                    " a.missed, a.contradicted, a.suggested_rating, a.duration_s"
                    " FROM attempts a LEFT JOIN sessions s ON s.id = a.session_id ORDER BY a.answered_at, a.id"
                )
            ]
            reviews = [
                {"id": id_, "time": time, "question_id": qid, "rating": rating, "due_after": due_after}
                for id_, time, qid, rating, due_after in conn.execute(
                    "SELECT id, reviewed_at, question_id, rating, due_after FROM review_logs ORDER BY reviewed_at, id"
                )
            ]
            drafts = [
                {"time": time, "question_id": qid, "answer": text}
                for qid, text, time in conn.execute(
                    "SELECT question_id, text, saved_at FROM drafts ORDER BY saved_at, question_id"
                )
            ]
        return {"attempts": attempts, "reviews": reviews, "drafts": drafts}
