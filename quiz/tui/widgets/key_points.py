"""Every key point of a question, marked covered, missed or wrong (the answer stated its opposite) by the scorer,
with the answer's words each covered or wrong point rests on."""

from __future__ import annotations

from rich.text import Text as RichText
from textual.widgets import Static

from quiz.tui.i18n import tr
from quiz.tui.widgets.inline import inline


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
        contradicted = set(self.result.contradicted) if self.result is not None else set()
        for point in self.question.key_points:
            if point.id in contradicted:  # the point's correct statement, and that the answer said otherwise
                mark, style, word, note = "✗", "bold red", "r.contradicted", "bold red"
            elif point.id in covered:
                mark, style, word, note = "✓", "green", "r.covered", "dim"
            else:
                mark, style, word, note = "✗", "red", "r.missed", "dim"
            text.append(f"  {mark} ", style=f"bold {style.split()[-1]}")
            text.append_text(inline(point.point(self.lang), style))
            text.append(f"  ({tr(word, self.lang)})\n", style=note)
            if self.result is not None and (words := self.result.evidence_of(point.id)):
                text.append(f"      “{words}”\n", style="italic dim")  # what the verdict rests on
        text.rstrip()
        return text
