"""Progress figures for `quiz stats` and the app's statistics screen, computed from the store and the bank.

Questions no longer in the bank keep their history; they are counted under `removed_questions` by id, not
under a topic. Days are UTC days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class TopicFigures:
    """One topic's figures (or the whole bank's)."""

    questions: int = 0
    attempts: int = 0  # scored answers
    accuracy: float | None = None  # their mean score, 0..1; None without any
    reviews: int = 0
    pass_rate: float | None = None  # share of reviews rated Good or Easy; None without any
    due_now: int = 0
    due_week: int = 0
    new: int = 0  # never rated


@dataclass(frozen=True)
class Stats:
    now: str  # ISO time the figures are for
    topics: dict[str, TopicFigures]  # by topic id, sorted
    total: TopicFigures
    reviews_per_day: list[tuple[str, int]]  # ("YYYY-MM-DD", reviews) for the last HISTORY_DAYS days, oldest first
    due_per_day: list[tuple[str, int]]  # ("YYYY-MM-DD", cards due) for AHEAD_DAYS days from today (overdue: today)
    removed_questions: list[str]  # ids with history that the bank no longer has

    def to_json(self) -> dict:
        """What `quiz stats --json` prints."""
        return {
            "now": self.now,
            "topics": {topic: asdict(row) for topic, row in self.topics.items()},
            "total": asdict(self.total),
            "reviews_per_day": [{"date": day, "reviews": n} for day, n in self.reviews_per_day],
            "due_per_day": [{"date": day, "due": n} for day, n in self.due_per_day],
            "removed_questions": self.removed_questions,
        }


@dataclass
class _Tally:
    questions: int = 0
    attempts: int = 0
    score_sum: float = 0.0
    reviews: int = 0
    passed: int = 0
    due_now: int = 0
    due_week: int = 0
    new: int = 0

    def figures(self) -> TopicFigures:
        return TopicFigures(
            questions=self.questions,
            attempts=self.attempts,
            accuracy=round(self.score_sum / self.attempts, 4) if self.attempts else None,
            reviews=self.reviews,
            pass_rate=round(self.passed / self.reviews, 4) if self.reviews else None,
            due_now=self.due_now,
            due_week=self.due_week,
            new=self.new,
        )


def compute_stats(rows: StatsRows, bank, now: datetime) -> Stats:
    """The figures per topic and for the whole bank, reviews per day, cards due per day ahead."""
    topic_of = {q.id: q.topic for q in bank.questions}
    attempts, reviews, cards = rows.attempts, rows.reviews, rows.due

    cutoff, week = iso(now), iso(now + timedelta(days=7))
    total = _Tally()
    tallies: dict[str, _Tally] = {}
    for qid, topic in topic_of.items():
        for tally in (tallies.setdefault(topic, _Tally()), total):
            tally.questions += 1
            n, score_sum = attempts.get(qid, (0, 0.0))
            tally.attempts += n
            tally.score_sum += score_sum or 0.0
            n_reviews, passed = reviews.get(qid, (0, 0))
            tally.reviews += n_reviews
            tally.passed += passed or 0
            if qid in cards:
                tally.due_now += cards[qid] <= cutoff
                tally.due_week += cards[qid] <= week
            else:
                tally.new += 1

    today = day_start(now)
    first_day = history_start(now)
    reviews_per_day = [
        (d, rows.reviews_per_day.get(d, 0))
        for d in ((first_day + timedelta(days=i)).date().isoformat() for i in range(HISTORY_DAYS))
    ]
    ahead: dict[str, int] = defaultdict(int)
    for qid, due in cards.items():
        if qid in topic_of:
            ahead[max(parse_time(due), today).date().isoformat()] += 1
    due_per_day = [
        (d, ahead.get(d, 0)) for d in ((today + timedelta(days=i)).date().isoformat() for i in range(AHEAD_DAYS))
    ]

    known = set(topic_of)
    removed = sorted((set(attempts) | set(reviews) | set(cards) | rows.attempted) - known)
    return Stats(
        now=iso(now),
        topics={topic: tally.figures() for topic, tally in sorted(tallies.items())},
        total=total.figures(),
        reviews_per_day=reviews_per_day,
        due_per_day=due_per_day,
        removed_questions=removed,
    )
