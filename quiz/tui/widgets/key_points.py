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
            if point.id in covered:
                text.append("  ✓ ", style="bold green")
                text.append(f"{point.point(self.lang)}", style="green")
                text.append(f"  ({tr('r.covered', self.lang)})\n", style="dim")
            else:
                text.append("  ✗ ", style="bold red")
                text.append(f"{point.point(self.lang)}", style="red")
                text.append(f"  ({tr('r.missed', self.lang)})\n", style="dim")
        text.rstrip()
        return text
