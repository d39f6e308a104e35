"""Shown instead of home when the bank is empty or invalid: every problem as the validator prints it
(PATH:LINE:COL: message), so the user can fix the files; the app then exits with status 1."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Label, ListItem, ListView, Static

from quiz.tui.context import UsesContext
from quiz.tui.widgets.footer import TranslatedFooter


class InvalidBankScreen(UsesContext, Screen):
    BINDINGS = [Binding("q,escape", "app.quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="?")
        yield Static(id="bank-invalid", markup=False)
        yield ListView(
            *[ListItem(Label(str(problem), markup=False)) for problem in self.context.problems], id="problems"
        )
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        self.apply_lang()
        self.query_one("#problems").focus()

    def apply_lang(self) -> None:
        app = self.app
        app.title = app.tr("title")
        self.query_one("#bank-invalid", Static).update(
            app.tr("bank.invalid", path=self.context.places.bank, n=len(self.context.problems))
        )
