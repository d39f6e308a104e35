"""The four ratings of a review, as Anki and FSRS number them. A module of its own, with nothing to import: the
scorer suggests one and must stay cheap to load; the scheduler hands it to py-fsrs (whose import costs 0.1 s) as
`fsrs.Rating`, which has the same numbers."""

from __future__ import annotations

from enum import IntEnum


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        """Again, Hard, Good, Easy (the app shows them translated: i18n's rating.1 ... rating.4)."""
        return self.name.title()
