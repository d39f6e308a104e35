"""Choosing what to practise (decks, topics, tags, types, count, order) or how long a mock interview is."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, SelectionList, Static, Switch

from quiz.bank.model import QuestionType
from quiz.tui import session as sessions
from quiz.tui.context import UsesContext
from quiz.tui.messages import StartSession
from quiz.tui.widgets.footer import TranslatedFooter

TYPES = tuple(QuestionType)
DEFAULT_COUNT = {"practice": 10, "mock": 5}
DEFAULT_BUDGET_S = 180


class SetupScreen(UsesContext, Screen):
    BINDINGS = [
        Binding("ctrl+s", "start", "Start"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, mode: str):
        super().__init__(classes=f"-{mode}")
        self.mode = mode

    def compose(self) -> ComposeResult:
        bank, lang = self.context.bank, self.context.lang
        yield Header(show_clock=False, icon="?")
        with VerticalScroll(id="setup"):
            yield Static(id="setup-intro")
            if self.mode == "practice":
                with Grid(id="filters"):
                    yield SelectionList(*[(d.title(lang), d.id) for d in bank.decks], id="pick-decks")
                    yield SelectionList(*[(bank.topic_title(t, lang), t) for t in bank.topics()], id="pick-topics")
                    yield SelectionList(
                        *[(t, t) for t in sorted({t for q in bank.questions for t in q.tags})], id="pick-tags"
                    )
                    yield SelectionList(*[(self.app.tr(f"type.{t}"), t) for t in TYPES], id="pick-types")
            with Horizontal(classes="setup-row"):
                yield Label(id="count-label")
                yield Input(str(DEFAULT_COUNT[self.mode]), id="count", type="integer", compact=True)
                if self.mode == "practice":
                    yield Label(id="shuffle-label")
                    yield Switch(value=False, id="shuffle", animate=False)
                else:
                    yield Label(id="budget-label")
                    yield Input(str(DEFAULT_BUDGET_S), id="budget", type="integer", compact=True)
            with Horizontal(classes="setup-row"):
                yield Button(id="start", variant="primary", compact=True)
                yield Static(id="matching")
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        self.apply_lang()
        self.query_one("#pick-decks" if self.mode == "practice" else "#count").focus()

    def apply_lang(self) -> None:
        app = self.app
        self.sub_title = app.tr(f"mode.{self.mode}")
        self.query_one("#setup-intro", Static).update(app.tr("setup.mock") if self.mode == "mock" else "")
        self.query_one("#count-label", Label).update(app.tr("setup.count"))
        self.query_one("#start", Button).label = f"{app.tr('setup.start')} (Ctrl+S)"
        if self.mode == "practice":
            self.query_one("#shuffle-label", Label).update(app.tr("setup.shuffle"))
            for name in ("decks", "topics", "tags", "types"):
                self.query_one(f"#pick-{name}", SelectionList).border_title = app.tr(f"setup.{name}")
            types = self.query_one("#pick-types", SelectionList)
            for index, kind in enumerate(TYPES):
                types.replace_option_prompt_at_index(index, app.tr(f"type.{kind}"))
            decks = self.query_one("#pick-decks", SelectionList)
            for index, deck in enumerate(self.context.bank.decks):
                decks.replace_option_prompt_at_index(index, deck.title(self.context.lang))
            topics = self.query_one("#pick-topics", SelectionList)
            for index, topic in enumerate(self.context.bank.topics()):
                topics.replace_option_prompt_at_index(index, self.context.bank.topic_title(topic, self.context.lang))
        else:
            self.query_one("#budget-label", Label).update(app.tr("setup.budget"))
        self.update_matching()

    def filters(self) -> dict:
        if self.mode != "practice":
            return {}
        return {
            name: tuple(self.query_one(f"#pick-{name}", SelectionList).selected)
            for name in ("decks", "topics", "tags", "types")
        }

    def update_matching(self) -> None:
        if self.mode == "practice":
            n = len(sessions.matching(self.context.bank, **self.filters()))
        else:
            n = len(sessions.mock_pool(self.context.bank))
        self.query_one("#matching", Static).update(self.app.tr("setup.matching", n=n))

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        self.update_matching()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_start()

    def _number(self, widget_id: str, default: int) -> int:
        try:
            return max(1, int(self.query_one(widget_id, Input).value))
        except ValueError:
            return default

    def action_start(self) -> None:
        count = self._number("#count", DEFAULT_COUNT[self.mode])
        if self.mode == "practice":
            questions = sessions.practice_questions(
                self.context.bank,
                count=count,
                seed=self.context.seed,
                shuffle=self.query_one("#shuffle", Switch).value,
                **self.filters(),
            )
            self.post_message(StartSession("practice", questions))
        else:
            self.post_message(
                StartSession(
                    "mock",
                    sessions.mock_questions(self.context.bank, count, seed=self.context.seed),
                    budget_s=self._number("#budget", DEFAULT_BUDGET_S),
                )
            )
