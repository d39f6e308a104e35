"""FSRS scheduling through py-fsrs: one card per question id, cards kept as py-fsrs JSON.

Fuzzing is off so that the same history always gives the same due dates (a bank has tens of questions, not the
thousands of cards whose due days fuzz is meant to spread out).
"""

from __future__ import annotations

import zlib
from datetime import datetime, timezone

import fsrs
from fsrs import Card, Scheduler

from quiz.review.rating import Rating


def utc(moment: datetime | None) -> datetime:
    """Now, or the given moment in UTC; a naive datetime is refused rather than guessed."""
    if moment is None:
        return datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return moment.astimezone(timezone.utc)


def scheduler(desired_retention: float) -> Scheduler:
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=False)


def new_card(question_id: str, now: datetime) -> Card:
    """A card id derived from the question id: stable across machines, and py-fsrs needs no clock wait."""
    return Card(card_id=zlib.crc32(question_id.encode("utf-8")), due=now)


def review(sched: Scheduler, card: Card, rating: int, now: datetime) -> Card:
    if rating not in tuple(Rating) or isinstance(rating, bool):
        raise ValueError(f"rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), not {rating!r}")
    reviewed, _log = sched.review_card(card, fsrs.Rating(int(rating)), review_datetime=utc(now))
    return reviewed
