"""One run through a list of questions, and how each mode picks its list. Plain Python: the screens show a
Session, the review store keeps what it records; nothing here knows about Textual."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quiz.bank import Bank, Question


@dataclass
class Item:
    """A question as this session saw it: what was answered, how it scored, how it was rated."""

    question: Question
    answer: str = ""
    result: Any = None  # quiz.review.scorer.ScoreResult, or None when revealed without answering
    duration: float = 0.0
    rating: int | None = None
    attempt_id: int | None = None
    done: bool = False  # answered or revealed


@dataclass
class Session:
    mode: str
    items: list[Item]
    session_id: int | None = None
    index: int = 0
    budget_s: float = 180.0  # mock interviews show each question's time against this
    question_started_at: float = 0.0
    total_s: float = 0.0
    ended: bool = False

    @property
    def current(self) -> Item:
        return self.items[self.index]

    @property
    def finished(self) -> bool:
        return self.index >= len(self.items)

    def answered(self) -> list[Item]:
        return [item for item in self.items if item.done]

    def mean_score(self) -> float | None:
        """Mean over the answers that were scored (revealed ones have no score); None when there are none."""
        scored = [item.result.score for item in self.items if item.done and item.result is not None]
        return sum(scored) / len(scored) if scored else None


def matching(bank: Bank, *, decks=(), topics=(), tags=(), types=()) -> list[Question]:
    """Questions in bank order that pass every filter; an empty filter lets everything through."""
    decks, topics, tags, types = set(decks), set(topics), set(tags), set(types)
    return [
        q
        for q in bank.questions
        if (not decks or q.deck in decks)
        and (not topics or q.topic in topics)
        and (not tags or tags.intersection(q.tags))
        and (not types or q.type in types)
    ]


def practice_questions(bank: Bank, *, count: int, shuffle: bool, seed: int | None = None, **filters) -> list[Question]:
    chosen = matching(bank, **filters)
    if shuffle:
        random.Random(seed).shuffle(chosen)
    return chosen[: max(count, 0)]


def mock_pool(bank: Bank) -> list[Question]:
    """A mock interview talks: coding exercises are left to the exercise screen."""
    return [q for q in bank.questions if q.type != "exercise"]


def mock_questions(bank: Bank, count: int, seed: int | None = None) -> list[Question]:
    pool = mock_pool(bank)
    return random.Random(seed).sample(pool, min(count, len(pool)))


def drill_questions(bank: Bank, store, *, limit: int, now=None) -> list[Question]:
    """The store's queue: cards FSRS says are due, most overdue first, then new cards (today's allowance)."""
    queue = store.due_queue([q.id for q in bank.questions], now=now)
    return [bank.by_id[i] for i in queue[:limit] if i in bank.by_id]
