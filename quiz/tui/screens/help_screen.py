"""`?`: what the app does and the keys of the screen it was opened from."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown

from quiz.tui.context import UsesContext
from quiz.tui.i18n import BINDING_WORDS, tr_binding


def is_ours(binding: Binding) -> bool:
    """A binding the app declares: every one of them has its Chinese words (tests/tui/test_binding_words.py)."""
    return binding.description in BINDING_WORDS and not binding.action.startswith(("app.focus_", "screen.copy"))


class HelpScreen(UsesContext, ModalScreen):
    BINDINGS = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close help"),
        Binding("l", "app.toggle_lang", "中/EN", show=False),
    ]  # a modal screen hides the app's bindings

    def __init__(self, under):
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(self.text())

    def apply_lang(self) -> None:
        self.query_one(Markdown).update(self.text())

    def text(self) -> str:
        app = self.app
        rows = []
        seen = set()
        for key, active in self.under.active_bindings.items():
            binding = active.binding
            if (
                not binding.description
                or binding.description in seen
                or binding.system
                or binding.action == "command_palette"
            ):  # listed once, below
                continue
            if not (isinstance(active.node, (Screen, App)) and is_ours(binding)):
                continue  # a widget's own keys (scrolling, cursor) and Textual's defaults (focus, copy)
            seen.add(binding.description)
            action = tr_binding(binding.description, self.context.lang)
            if binding.tooltip:
                action += f": {tr_binding(binding.tooltip, self.context.lang)}"
            rows.append(f"| `{binding.key_display or app.get_key_display(binding)}` | {action} |")
        rows.append(f"| `Ctrl+P` | {tr_binding('Command palette', self.context.lang)} |")
        return (
            f"## {app.tr('help.title')}\n\n{app.tr('help.body')}\n\n### {app.tr('help.keys')}\n\n"
            f"| {app.tr('help.key')} | {app.tr('help.action')} |\n|---|---|\n" + "\n".join(rows)
        )
