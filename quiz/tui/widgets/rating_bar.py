"""The four Anki ratings as buttons; the scorer's suggestion is marked and focused so Enter accepts it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Label

from quiz.review.rating import Rating
from quiz.tui.i18n import tr

RATINGS = tuple(Rating)


class RatingBar(Horizontal):
    class Rated(Message):
        """The user picked a rating (1 Again, 2 Hard, 3 Good, 4 Easy)."""

        def __init__(self, rating: int):
            super().__init__()
            self.rating = rating

    def __init__(self, lang: str, suggested: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.lang = lang
        self.suggested = suggested

    def compose(self) -> ComposeResult:
        yield Label(tr("r.rate", self.lang), id="rate-label")
        for rating in RATINGS:
            button = Button(
                self._label(rating),
                id=f"rate-{rating}",
                compact=True,
                classes="rating -suggested" if rating == self.suggested else "rating",
            )
            yield button

    def _label(self, rating: int) -> str:
        return f"{rating} {tr(f'rating.{rating}', self.lang)}"

    def on_mount(self) -> None:
        if self.suggested in RATINGS:
            self.query_one(f"#rate-{self.suggested}", Button).focus()

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.query_one("#rate-label", Label).update(tr("r.rate", lang))
        for rating in RATINGS:
            self.query_one(f"#rate-{rating}", Button).label = self._label(rating)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Rated(int(event.button.id.removeprefix("rate-"))))
