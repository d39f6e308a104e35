"""Times as the store keeps them: UTC, ISO 8601 with microseconds (so text order is time order), days from 00:00."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
