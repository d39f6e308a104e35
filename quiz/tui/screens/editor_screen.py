"""The built-in editor: a TextArea with Python highlighting; Ctrl+S saves. Read-only for the reference."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, TextArea

from quiz.tui.widgets.footer import TranslatedFooter


class EditorScreen(Screen):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "close", "Back", priority=True),  # the code editor would keep Escape for itself
    ]

    def __init__(self, path: Path, read_only: bool = False):
        super().__init__()
        self.path = Path(path)
        self.read_only = read_only
        self.saved_text = ""
        self.warned = False
        self.quit_warned = False
        self.sub_title = str(self.path)

    def compose(self) -> ComposeResult:
        self.saved_text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        language = "python" if "python" in TextArea().available_languages else None
        yield Header(show_clock=False, icon="?")
        yield TextArea.code_editor(
            self.saved_text, language=language, read_only=self.read_only, id="editor", soft_wrap=False
        )
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#editor").focus()

    def check_action(self, action: str, parameters) -> bool | None:
        return not (action == "save" and self.read_only)

    def action_save(self) -> None:
        text = self.query_one("#editor", TextArea).text
        self.path.write_text(text, encoding="utf-8")
        self.saved_text = text
        self.warned = self.quit_warned = False  # the next unsaved change warns again
        self.notify(self.app.tr("e.saved", path=self.path))

    def hold_quit(self) -> bool:
        """Ctrl+Q with unsaved changes: warn once and hold it; a second Ctrl+Q quits without saving."""
        if self.read_only or self.query_one("#editor", TextArea).text == self.saved_text or self.quit_warned:
            return False
        self.quit_warned = True
        self.notify(self.app.tr("e.unsaved_quit"), severity="warning")
        return True

    def action_close(self) -> None:
        """Unsaved changes need a second Escape, so a slip does not lose them."""
        if not self.read_only and self.query_one("#editor", TextArea).text != self.saved_text and not self.warned:
            self.warned = True
            self.notify(self.app.tr("e.unsaved"), severity="warning")
            return
        self.app.pop_screen()
