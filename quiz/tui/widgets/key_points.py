"""Every key point of a question, marked covered or missed by the scorer."""

from __future__ import annotations

from rich.text import Text as RichText
from textual.widgets import Static

from quiz.tui.i18n import tr


class KeyPointList(Static):
    def __init__(self, question, result, lang: str, **kwargs):
        super().__init__(**kwargs)
        self.question = question
        self.result = result
        self.lang = lang

    def on_mount(self) -> None:
        self.set_lang(self.lang)

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.update(self.render_points())

    def render_points(self) -> RichText:
        text = RichText()
        text.append(tr("r.key_points", self.lang) + "\n", style="bold")
        covered = set(self.result.covered) if self.result is not None else set()
        for point in self.question.key_points:
            mark, colour, word = ("✓", "green", "r.covered") if point.id in covered else ("✗", "red", "r.missed")
            text.append(f"  {mark} ", style=f"bold {colour}")
            text.append(point.point(self.lang), style=colour)
            text.append(f"  ({tr(word, self.lang)})\n", style="dim")
        text.rstrip()
        return text
