"""The app under test: the real QuizApp on a small bank of its own, a real SQLite store in a tmp data dir,
a fixed date and a clock the test moves by hand (so timers and snapshots are stable)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from quiz.bank import load_bank
from quiz.tui.app import QuizApp

BANK_DIR = Path(__file__).parent / "bank"
TOY_EXERCISES = Path(__file__).parents[1] / "data" / "exercises"
FIXED_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class HandClock:
    """time.monotonic stand-in: moves only when the test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(scope="session")
def bank():
    return load_bank(BANK_DIR)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def make_app(bank, data_dir, clock):
    def make(lang: str = "en", **options) -> QuizApp:
        options.setdefault("now", FIXED_NOW)
        return QuizApp(bank=bank, bank_path=BANK_DIR, lang=lang, data_dir=data_dir, clock=clock, seed=7, **options)

    return make


def drive(app: QuizApp, scenario, size=(80, 24), notifications: bool = False):
    """Run `scenario(pilot)` against the app in a headless terminal of `size`. Textual's test mode shows no
    toasts unless `notifications` asks for them."""

    async def main():
        async with app.run_test(size=size, notifications=notifications) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()  # home's due counts load in a worker after the first paint
            await pilot.pause()
            return await scenario(pilot)

    return asyncio.run(main())


def rows(data_dir: Path, sql: str, params=()) -> list[tuple]:
    """Read the store file the way any other program would."""
    with sqlite3.connect(data_dir / "progress.sqlite3") as conn:
        return conn.execute(sql, params).fetchall()


def screen_text(app) -> str:
    """Every Static, Label, Markdown and table cell of the current screen, joined: what the user reads."""
    from textual.widgets import DataTable, Markdown, Static

    parts = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Markdown):
            parts.append(widget.source)
        elif isinstance(widget, Static):
            parts.append(str(widget.render()))
        elif isinstance(widget, DataTable):
            for r in range(widget.row_count):
                parts.append(" | ".join(str(c) for c in widget.get_row_at(r)))
            parts.append(" | ".join(str(c.label) for c in widget.columns.values()))
    return "\n".join(parts)


def footer_words(app) -> set[str]:
    """The descriptions the current screen's footer shows next to its keys."""
    from textual.widgets._footer import FooterKey

    return {key.description for key in app.screen.query(FooterKey) if key.description}
