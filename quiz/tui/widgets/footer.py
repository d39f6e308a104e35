"""Textual's footer, with each key's description in the app's language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

from quiz.tui.context import UsesContext
from quiz.tui.i18n import tr_binding


class TranslatedFooter(UsesContext, Footer):
    """Bindings are declared in English; this footer shows them in the context's language and is recomposed on a
    switch. Its keys are the children with a description (Textual keeps their class, FooterKey, private)."""

    def compose(self) -> ComposeResult:
        lang = self.context.lang
        for widget in super().compose():
            if getattr(widget, "description", None):
                widget.description = tr_binding(widget.description, lang)
            yield widget
