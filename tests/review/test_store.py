"""The store and the scheduler on real SQLite files: what a user relies on between sessions."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from quiz.review.progress import DueCounts, Settings
from quiz.review.scorer import ScoreResult
from quiz.review.stats import TopicFigures
from quiz.review.store import ReviewStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def test_the_store_lives_in_the_data_dir_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZ_DATA_DIR", str(tmp_path / "from-env"))
    with ReviewStore.open() as store:
        assert store.path.parent == tmp_path / "from-env"
        assert store.recovered_from is None
    with ReviewStore.open(tmp_path / "explicit") as store:  # --data-dir wins over the environment
        assert store.path.parent == tmp_path / "explicit"
    conn = sqlite3.connect(tmp_path / "explicit" / "progress.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4


def test_answers_and_ratings_survive_reopening(tmp_path):
    with ReviewStore.open(tmp_path) as store:
        session = store.start_session("drill")
        result = ScoreResult("q.one", 0.5, ("a",), ("b",), 2)
        store.record_attempt(session, "q.one", "我的答案", result, 12.5)
        due = store.rate("q.one", 3, now=T0)
        store.end_session(session)
    with ReviewStore.open(tmp_path) as store:
        history = store.history()
    (attempt,) = history["attempts"]
    assert attempt["answer"] == "我的答案" and attempt["score"] == 0.5 and attempt["mode"] == "drill"
    assert attempt["covered"] == ["a"] and attempt["missed"] == ["b"] and attempt["duration_s"] == 12.5
    (review,) = history["reviews"]
    assert review["rating"] == 3 and datetime.fromisoformat(review["due_after"]) == due


def test_ratings_schedule_in_utc_and_longer_for_easier_ratings(store):
    dues = {rating: store.rate(f"q.{rating}", rating, now=T0) for rating in (1, 2, 3, 4)}
    assert all(d.tzinfo is not None and d.utcoffset() == timedelta(0) for d in dues.values())
    assert dues[1] < dues[3] < dues[4] and dues[2] <= dues[3]
    assert dues[4] - T0 >= timedelta(days=1)  # Easy on a new card graduates it


def test_naive_times_and_bad_ratings_are_refused(store):
    with pytest.raises(ValueError):
        store.rate("q", 3, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        store.rate("q", 5, now=T0)
    with pytest.raises(ValueError):
        store.start_session("nap")
    assert store.history()["reviews"] == []


def test_due_queue_puts_most_overdue_first_then_new_cards_up_to_the_daily_limit(store):
    store.update_settings(new_per_day=3)
    store.rate("late", 4, now=T0 - timedelta(days=30))
    store.rate("later", 4, now=T0 - timedelta(days=40))
    store.rate("fresh", 4, now=T0)  # not due for days
    day = T0 + timedelta(days=1)
    ids = ["fresh", "late", "n1", "later", "n2", "n3", "n4"]
    # two cards were first rated on an earlier day; "fresh" used one of today's three new cards (day of T0)
    assert store.due_queue(ids, now=T0) == ["later", "late", "n1", "n2"]
    assert store.due_queue(ids, now=day) == ["later", "late", "n1", "n2", "n3"]
    assert store.due_counts(ids, now=day) == DueCounts(due=2, new=3, unseen=4, week=3)  # 3 of 4 unseen today
    # the home screen asks for every deck and topic at once: each group counts as if asked alone
    groups = {"all": ids, "old": ["late", "later", "fresh"], "unseen": ["n1", "n2", "n3", "n4"], "none": []}
    assert store.due_counts_by_group(groups, now=day) == {
        "all": DueCounts(due=2, new=3, unseen=4, week=3),
        "old": DueCounts(due=2, new=0, unseen=0, week=3),
        "unseen": DueCounts(due=0, new=3, unseen=4, week=0),
        "none": DueCounts(due=0, new=0, unseen=0, week=0),
    }


def test_settings_change_the_schedule_and_are_checked(store):
    assert store.settings() == Settings(new_per_day=20, desired_retention=0.9)
    relaxed = store.rate("a", 3, now=T0)
    relaxed = store.rate("a", 3, now=relaxed)
    store.update_settings(desired_retention=0.97, new_per_day=0)
    strict = store.rate("b", 3, now=T0)
    strict = store.rate("b", 3, now=strict)
    assert strict - T0 < relaxed - T0  # higher retention: review sooner
    assert store.due_queue(["never-seen"], now=T0) == []
    for bad in ({"new_per_day": -1}, {"new_per_day": 2.5}, {"desired_retention": 1.5}, {"colour": "red"}):
        with pytest.raises(ValueError):
            store.update_settings(**bad)
    assert store.settings() == Settings(new_per_day=0, desired_retention=0.97)


def test_undo_restores_the_card_and_drops_the_review(store):
    first = store.rate("q", 3, now=T0)
    second = store.rate("q", 1, now=first)
    assert store.undo_last_rating() == "q"
    assert [r["rating"] for r in store.history()["reviews"]] == [3]
    assert store.due_queue(["q"], now=first) == ["q"]  # due again as after the first rating
    assert store.rate("q", 1, now=first) == second  # and rating again gives the same result
    assert store.undo_last_rating() == "q"
    assert store.undo_last_rating() == "q"  # back to a new card, counted as new again
    assert store.due_counts(["q"], now=T0) == DueCounts(due=0, new=1, unseen=1, week=0)
    assert store.undo_last_rating() is None


def test_undo_takes_back_this_instances_rating_not_the_newest_in_the_file(tmp_path):
    with ReviewStore.open(tmp_path) as mine, ReviewStore.open(tmp_path) as other:
        mine.rate("mine.q", 3, now=T0)
        other.rate("other.q", 1, now=T0 + timedelta(minutes=1))  # the newest rating in the file is not mine
        assert mine.undo_last_rating() == "mine.q"
        assert [(r["question_id"], r["rating"]) for r in mine.history()["reviews"]] == [("other.q", 1)]
        assert mine.due_counts(["mine.q", "other.q"], now=T0 + timedelta(days=1)) == DueCounts(
            due=1, new=1, unseen=1, week=1
        )  # mine is new again, the other one is still there
        assert mine.undo_last_rating() is None  # nothing of mine is left, though the file has a rating
        assert other.undo_last_rating() == "other.q"
        assert other.history()["reviews"] == []


def test_undoing_my_rating_keeps_a_later_rating_of_the_same_question_by_another_instance(tmp_path):
    later = T0 + timedelta(hours=1)
    with ReviewStore.open(tmp_path / "alone") as alone:  # what the other rating alone gives
        due_alone = alone.rate("q", 1, now=later)
    with ReviewStore.open(tmp_path) as mine, ReviewStore.open(tmp_path) as other:
        mine.rate("q", 4, now=T0)
        other.rate("q", 1, now=later)
        assert mine.undo_last_rating() == "q"
        (kept,) = other.history()["reviews"]
        assert kept["rating"] == 1 and datetime.fromisoformat(kept["due_after"]) == due_alone
        assert other.due_queue(["q"], now=due_alone) == ["q"]
        assert other.due_queue(["q"], now=due_alone - timedelta(seconds=1)) == []
        assert other.due_counts(["q"], now=later) == DueCounts(due=0, new=0, unseen=0, week=1)  # rated once
        assert other.undo_last_rating() == "q"  # and the other's own undo still makes it new
        assert other.due_counts(["q"], now=later) == DueCounts(due=0, new=1, unseen=1, week=0)
        assert other.history()["reviews"] == []


def test_stats_per_topic_and_history_of_removed_questions(store, review_bank):
    session = store.start_session("practice")
    store.record_attempt(session, "test.hw-accel", "a", ScoreResult("test.hw-accel", 1.0, (), (), 4), 5)
    store.record_attempt(session, "test.pick", "b", ScoreResult("test.pick", 0.0, (), (), 1), 5)
    store.record_attempt(session, "removed.question", "c", ScoreResult("removed.question", 1.0, (), (), 4), 5)
    store.rate("test.hw-accel", 4, now=T0 - timedelta(days=2))
    store.rate("test.pick", 1, now=T0 - timedelta(days=1))
    store.rate("removed.question", 3, now=T0)
    figures = store.stats(review_bank, now=T0)
    assert figures.topics["speed"] == TopicFigures(
        questions=2, attempts=2, accuracy=0.5, reviews=2, pass_rate=0.5, due_now=1, due_week=2, new=0
    )
    assert figures.topics["cost"].new == 2 and figures.topics["cost"].accuracy is None
    assert figures.total.attempts == 2  # the removed question is not counted under a topic...
    assert figures.removed_questions == ["removed.question"]  # ...but its history is kept and listed
    assert len(figures.reviews_per_day) == 30 and figures.reviews_per_day[-1] == ("2026-03-02", 1)
    assert [n for _, n in figures.reviews_per_day[-3:]] == [1, 1, 1]
    assert len(figures.due_per_day) == 14 and figures.due_per_day[0] == ("2026-03-02", 1)
    shown = json.loads(json.dumps(figures.to_json()))  # what `quiz stats --json` prints: plain values only
    assert shown["topics"]["speed"]["pass_rate"] == 0.5 and shown["total"]["attempts"] == 2
    assert shown["reviews_per_day"][-1] == {"date": "2026-03-02", "reviews": 1}
    assert shown["due_per_day"][0] == {"date": "2026-03-02", "due": 1}


def test_without_overrides_the_store_goes_to_the_xdg_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("QUIZ_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with ReviewStore.open() as store:
        assert store.path == tmp_path / "xdg" / "quiz" / "progress.sqlite3"


def test_a_draft_is_kept_until_its_answer_is_submitted(tmp_path):
    with ReviewStore.open(tmp_path) as store:
        store.save_draft("q.one", "half")
        store.save_draft("q.one", "half an answer")  # the newest text wins
        store.save_draft("q.two", "other")
        store.record_attempt(None, "q.two", "", None, 1.0)  # revealed without answering: the draft stays
    with ReviewStore.open(tmp_path) as store:
        assert (store.draft("q.one"), store.draft("q.two")) == ("half an answer", "other")
        store.record_attempt(None, "q.one", "half an answer, done", None, 5.0)
        store.save_draft("q.two", "   ")  # emptied: nothing to keep
        assert (store.draft("q.one"), store.draft("q.two")) == (None, None)
        assert store.history()["drafts"] == []
