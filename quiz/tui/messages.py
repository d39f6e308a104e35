"""What a screen asks of the app, and the one thing the app tells screens (StoreOpened). Screens post these and
render; the app (quiz/tui/flows.py) decides what they do to the store and which screen comes next, so no screen
module imports another. Dataclasses, as Textual allows (eq=False: a message is compared by identity)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from pathlib import Path

    from quiz.bank import Question
    from quiz.tui.session import Session


# --- a session: start, answer, rate, undo, end -------------------------------------------------------------------
@dataclass(eq=False)
class StartSession(Message):
    """Open a session of these questions (an empty list: say there is nothing to practise)."""

    mode: str  # practice, drill or mock
    questions: list[Question]
    budget_s: float = 180.0


@dataclass(eq=False)
class StartDrill(Message):
    """Open a drill on the cards FSRS says are due."""


@dataclass(eq=False)
class Answered(Message):
    """The current question of the session was answered (result None: revealed without answering)."""

    session: Session
    answer: str
    result: Any  # quiz.review.scorer.ScoreResult or None


@dataclass(eq=False)
class RatingChosen(Message):
    """The user rated the current question 1-4."""

    session: Session
    rating: int


@dataclass(eq=False)
class UndoRating(Message):
    """Take back the last rating saved, and go back to its question when it is in this session."""

    session: Session


@dataclass(eq=False)
class EndSession(Message):
    """Close the session and show its summary."""

    session: Session


# --- places --------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class OpenSetup(Message):
    mode: str  # practice or mock


@dataclass(eq=False)
class OpenStats(Message):
    pass


@dataclass(eq=False)
class OpenExercises(Message):
    pass


@dataclass(eq=False)
class OpenExercise(Message):
    name: str


@dataclass(eq=False)
class OpenEditor(Message):
    path: Path
    read_only: bool = False


# --- what the app tells screens -----------------------------------------------------------------------------------
@dataclass(eq=False)
class StoreOpened(Message):
    """The progress store is open (context.store): screens that show progress can fill it in."""
