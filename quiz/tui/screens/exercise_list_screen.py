"""The coding exercises shipped with the quiz; Enter opens one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from quiz import paths
from quiz.tui.context import UsesContext
from quiz.tui.messages import OpenExercise
from quiz.tui.widgets.footer import TranslatedFooter


class ExerciseListScreen(UsesContext, Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="?")
        yield Static(id="ex-list-title")
        yield OptionList(
            *[Option("", id=name) for name in paths.exercise_names(self.context.places.exercises)], id="exercise-list"
        )
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        self.apply_lang()
        self.query_one("#exercise-list").focus()

    def apply_lang(self) -> None:
        app = self.app
        self.sub_title = app.tr("e.title")
        empty = not paths.exercise_names(self.context.places.exercises)
        self.query_one("#ex-list-title", Static).update(
            app.tr("e.none", path=self.context.places.exercises) if empty else f"[b]{app.tr('e.title')}[/b]"
        )
        listing = self.query_one("#exercise-list", OptionList)
        for index, name in enumerate(paths.exercise_names(self.context.places.exercises)):
            listing.replace_option_prompt_at_index(
                index, f"{paths.exercise_title(self.context.places.exercises, name, self.context.lang)} · {name}"
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.post_message(OpenExercise(event.option.id))
