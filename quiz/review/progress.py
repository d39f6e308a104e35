"""What the store answers about progress, as frozen dataclasses: the cards due in a group of questions, and the
scheduling settings."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class DueCounts:
    """For a group of questions at one moment."""

    due: int  # cards due now
    new: int  # cards never rated that a drill takes today (up to what is left of the day's allowance)
    unseen: int  # cards never rated at all
    week: int  # cards due within 7 days, including those due now


@dataclass(frozen=True)
class Settings:
    new_per_day: int = 20  # new cards a UTC day, 0..1000
    desired_retention: float = 0.9  # FSRS's target recall, 0.70..0.99

    @classmethod
    def names(cls) -> list[str]:
        return [field.name for field in fields(cls)]
