"""What every screen reads: the bank, the progress store, the clock, the language and the app's folders.

The app builds one Context when it starts and owns it; screens read it as `self.context` (UsesContext) instead
of reaching into the app. The store is opened once, by the app, after the first paint (QuizApp.open_store).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from quiz import paths

if TYPE_CHECKING:
    from quiz.bank import Bank, Problem
    from quiz.review.store import ReviewStore


@dataclass(frozen=True)
class Places:
    """The folders the app works in."""

    bank: Path
    exercises: Path  # the shipped exercises, or the toy ones tests give
    data: Path | None = None  # --data-dir; None: $QUIZ_DATA_DIR or the platform's (paths.data_dir)

    def workspace(self, exercise: str) -> Path:
        """The learner's folder for one exercise (their solution.py and last result)."""
        return paths.workspace_dir(self.data) / exercise


@dataclass(frozen=True)
class Clock:
    """The date the store schedules by, and the stopwatch answers are timed with."""

    fixed_now: datetime | None = None  # tests and snapshots pin the date; None: the real one
    monotonic: Callable[[], float] = time.monotonic

    def now(self) -> datetime | None:
        return self.fixed_now


@dataclass
class Context:
    bank: Bank | None  # None when the bank could not be loaded: `problems` says why
    places: Places
    clock: Clock = field(default_factory=Clock)
    problems: list[Problem] = field(default_factory=list)
    lang: str = "en"  # switched by the app's `l`
    editor: str | None = None  # $VISUAL or $EDITOR
    seed: int | None = None  # fixes the order of shuffled sessions (tests)
    store: ReviewStore | None = None  # set once by QuizApp.open_store

    @property
    def opened_store(self) -> ReviewStore:
        """The store, for steps that only happen once it is open (a session is started through it)."""
        if self.store is None:
            raise RuntimeError("the progress store is not open: a session starts by opening it")
        return self.store


class UsesContext:
    """For screens and widgets: `self.context`, the app's Context."""

    @property
    def context(self) -> Context:
        return self.app.context  # type: ignore[attr-defined]  # QuizApp's; a Textual node's `app`
