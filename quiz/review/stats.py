"""Progress figures for `quiz stats` and the app's statistics screen, computed from the store and the bank.

Questions no longer in the bank keep their history; they are counted under `removed_questions` by id, not
under a topic. Days are UTC days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from quiz.review.clock import day_start, iso, parse_time

HISTORY_DAYS = 30
AHEAD_DAYS = 14


@dataclass(frozen=True)
class StatsRows:
    """What the store holds that the figures are made from (ReviewStore._stats_rows reads it)."""

    attempts: dict[str, tuple[int, float]]  # question id -> (scored answers, sum of their scores)
    reviews: dict[str, tuple[int, int]]  # question id -> (reviews, rated Good or Easy)
    due: dict[str, str]  # question id -> its card's due time (ISO)
    attempted: frozenset[str]  # ids with any answer, scored or not
    reviews_per_day: dict[str, int]  # "YYYY-MM-DD" -> reviews that day, from the first of HISTORY_DAYS days


def history_start(now: datetime) -> datetime:
    """The first of the HISTORY_DAYS days whose reviews are counted: the store reads from it, the figures show it."""
    return day_start(now) - timedelta(days=HISTORY_DAYS - 1)


def _empty() -> dict:
    return {
        "questions": 0,
        "attempts": 0,
        "accuracy": None,
        "reviews": 0,
        "pass_rate": None,
        "due_now": 0,
        "due_week": 0,
        "new": 0,
    }


def compute_stats(rows: StatsRows, bank, now: datetime) -> dict:
    """{
      "now": ISO time,
      "topics": {topic: {questions, attempts, accuracy (mean answer score 0..1 or None), reviews,
                         pass_rate (share of reviews rated Good/Easy or None), due_now, due_week, new}},
      "total": the same over the whole bank,
      "reviews_per_day": [{"date": "YYYY-MM-DD", "reviews": n}] for the last 30 days, oldest first,
      "due_per_day": [{"date": "YYYY-MM-DD", "due": n}] for the next 14 days from today (overdue count today),
      "removed_questions": [ids with history that the bank no longer has],
    }"""
    topic_of = {q.id: q.topic for q in bank.questions}
    attempts, reviews, cards = rows.attempts, rows.reviews, rows.due

    cutoff, week = iso(now), iso(now + timedelta(days=7))
    sums: dict[str, dict] = defaultdict(lambda: {"score_sum": 0.0, "passed": 0})
    topics: dict[str, dict] = {}
    for qid, topic in topic_of.items():
        for key in (topic, "__total__"):
            row = topics.setdefault(key, _empty())
            row["questions"] += 1
            n, score_sum = attempts.get(qid, (0, 0.0))
            row["attempts"] += n
            sums[key]["score_sum"] += score_sum or 0.0
            n_reviews, passed = reviews.get(qid, (0, 0))
            row["reviews"] += n_reviews
            sums[key]["passed"] += passed or 0
            if qid in cards:
                row["due_now"] += cards[qid] <= cutoff
                row["due_week"] += cards[qid] <= week
            else:
                row["new"] += 1
    for key, row in topics.items():
        if row["attempts"]:
            row["accuracy"] = round(sums[key]["score_sum"] / row["attempts"], 4)
        if row["reviews"]:
            row["pass_rate"] = round(sums[key]["passed"] / row["reviews"], 4)
    total = topics.pop("__total__", _empty())

    today = day_start(now)
    first_day = history_start(now)
    reviews_per_day = [
        {"date": d, "reviews": rows.reviews_per_day.get(d, 0)}
        for d in ((first_day + timedelta(days=i)).date().isoformat() for i in range(HISTORY_DAYS))
    ]
    ahead: dict[str, int] = defaultdict(int)
    for qid, due in cards.items():
        if qid in topic_of:
            ahead[max(parse_time(due), today).date().isoformat()] += 1
    due_per_day = [
        {"date": d, "due": ahead.get(d, 0)}
        for d in ((today + timedelta(days=i)).date().isoformat() for i in range(AHEAD_DAYS))
    ]

    known = set(topic_of)
    removed = sorted((set(attempts) | set(reviews) | set(cards) | rows.attempted) - known)
    return {
        "now": iso(now),
        "topics": dict(sorted(topics.items())),
        "total": total,
        "reviews_per_day": reviews_per_day,
        "due_per_day": due_per_day,
        "removed_questions": removed,
    }
