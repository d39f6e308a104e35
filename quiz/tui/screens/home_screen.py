"""Home: decks and topics with their question counts and cards due, and the way into each mode."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from quiz.tui import messages
from quiz.tui.context import UsesContext
from quiz.tui.widgets.count_table import CountTable
from quiz.tui.widgets.footer import TranslatedFooter

if TYPE_CHECKING:
    from quiz.review.progress import DueCounts

MODE_BUTTONS = (
    ("practice", "mode.practice", "p"),
    ("drill", "mode.drill", "d"),
    ("mock", "mode.mock", "m"),
    ("exercises", "mode.exercises", "e"),
    ("stats", "mode.stats", "s"),
)


class HomeScreen(UsesContext, Screen):
    BINDINGS = [
        Binding("p", "practice", "Practice"),
        Binding("d", "drill", "Drill"),
        Binding("m", "mock", "Mock"),
        Binding("e", "exercises", "Exercises"),
        Binding("s", "stats", "Stats"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.due: dict[str, DueCounts] | None = None  # per group: '' (the bank), deck:<id>, topic:<id>

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="?")
        with Horizontal(id="home-tables"):
            yield CountTable(id="decks")
            yield CountTable(id="topics")
        yield Static(id="home-summary")
        yield Static(id="modes")
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        self.apply_lang()

    def on_screen_resume(self) -> None:
        self.show_progress()

    @on(messages.StoreOpened)
    def show_progress(self) -> None:
        """Due counts per deck and topic, once the store is open (the app opens it after the first paint) and
        whenever this screen is shown again."""
        store = self.context.store
        if store is None:
            return
        bank, now = self.context.bank, self.context.clock.now()
        groups: dict[str, list[str]] = {"": [q.id for q in bank.questions]}
        for deck in bank.decks:
            groups[f"deck:{deck.id}"] = [q.id for q in deck.questions]
        for q in bank.questions:
            groups.setdefault(f"topic:{q.topic}", []).append(q.id)
        self.due = store.due_counts_by_group(groups, now=now)
        self.apply_lang()

    def apply_lang(self) -> None:
        app, lang = self.app, self.context.lang
        self.app.title = app.tr("title")
        bank = self.context.bank
        counts = self.due or {}
        deck_rows = [
            (
                deck.title(lang),
                len(deck.questions),
                _n(counts.get(f"deck:{deck.id}"), "due"),
                _n(counts.get(f"deck:{deck.id}"), "unseen"),
            )
            for deck in bank.decks
        ]
        self.query_one("#decks", CountTable).show(
            (app.tr("deck"), app.tr("questions"), app.tr("due"), app.tr("unseen")), deck_rows
        )
        per_topic = Counter(q.topic for q in bank.questions)
        topic_rows = [
            (bank.topic_title(topic, lang), per_topic[topic], _n(counts.get(f"topic:{topic}"), "due"))
            for topic in bank.topics()
        ]
        self.query_one("#topics", CountTable).show((app.tr("topic"), app.tr("questions"), app.tr("due")), topic_rows)
        total = counts.get("")
        summary = (
            app.tr(
                "home.summary",
                questions=len(bank.questions),
                due=total.due,
                new=total.new,
                unseen=total.unseen,
                week=total.week,
            )
            if total
            else app.tr("home.summary.loading", questions=len(bank.questions))
        )
        self.query_one("#home-summary", Static).update(summary)
        # clickable links rather than Buttons: the first screen paints sooner without them
        self.query_one("#modes", Static).update(
            Content.from_markup(
                "   ".join(
                    f"[@click=screen.{mode}][b]{app.tr(key)}[/b] ({letter})[/]" for mode, key, letter in MODE_BUTTONS
                )
            )
        )

    def action_practice(self) -> None:
        self.post_message(messages.OpenSetup("practice"))

    def action_mock(self) -> None:
        self.post_message(messages.OpenSetup("mock"))

    def action_drill(self) -> None:
        self.post_message(messages.StartDrill())

    def action_exercises(self) -> None:
        self.post_message(messages.OpenExercises())

    def action_stats(self) -> None:
        self.post_message(messages.OpenStats())


def _n(counts: DueCounts | None, field: str) -> str | int:
    return "…" if counts is None else getattr(counts, field)
