"""After an answer: the reference answer, every key point covered or missed, the score, and the self-rating as
in Anki (1-4, the scorer's suggestion preselected). The rating is saved at once; u undoes the last one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Markdown, Static

from quiz.tui import messages
from quiz.tui.context import UsesContext
from quiz.tui.i18n import tr
from quiz.tui.widgets.footer import TranslatedFooter
from quiz.tui.widgets.inline import option_label, option_prompt
from quiz.tui.widgets.key_points import KeyPointList
from quiz.tui.widgets.rating_bar import RatingBar


def reference_markdown(question, lang: str) -> str:
    parts = [question.answer(lang).strip()]
    if question.type == "choice":
        labels = {o.id: option_label(n, o, lang) for n, o in enumerate(question.options, 1)}
        parts.insert(0, "**" + "; ".join(labels.get(c, c) for c in question.correct) + "**")
    for snippet in question.code:
        if snippet.correction is not None:
            parts.append(snippet.correction(lang).strip())
    return "\n\n".join(parts)


def choices_review(question, picked: set[str], lang: str) -> Text:
    """Every option, the ones picked and the right ones marked: what you chose, and whether it was right."""
    text = Text(tr("r.your_choices" if picked else "r.options", lang) + "\n", style="bold")
    for number, option in enumerate(question.options, 1):
        right, chosen = option.id in question.correct, option.id in picked
        if chosen:
            mark, style, word = ("✓", "green", "r.picked_right") if right else ("✗", "bold red", "r.picked_wrong")
        elif right:
            mark, style, word = "✓", "green", "r.right" if not picked else "r.not_picked"
        else:
            mark, style, word = " ", "", None
        text.append(f"  {mark} ", style=f"bold {style.split()[-1]}" if style else "")
        text.append_text(option_prompt(number, option, lang, style))
        if word:
            text.append(f"  ({tr(word, lang)})", style="bold red" if word == "r.picked_wrong" else "dim")
        text.append("\n")
    text.rstrip()
    return text


class ReviewScreen(UsesContext, Screen):
    BINDINGS = [
        Binding("1", "rate(1)", "Again"),
        Binding("2", "rate(2)", "Hard"),
        Binding("3", "rate(3)", "Good"),
        Binding("4", "rate(4)", "Easy"),
        Binding("u", "undo", "Undo", tooltip="Take back the last rating"),
        Binding("escape", "back", "Finish", tooltip="End the session and see its summary"),
        Binding("down", "scroll(1)", "Scroll down", show=False),
        Binding("up", "scroll(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll(10)", "Page down", show=False),
        Binding("pageup", "scroll(-10)", "Page up", show=False),
    ]

    def __init__(self, session):
        super().__init__()
        self.session = session
        self.item = session.current
        self.question = self.item.question

    def compose(self) -> ComposeResult:
        result = self.item.result
        yield Header(show_clock=False, icon="?")
        yield Static(id="r-header")
        with VerticalScroll(id="r-body"):  # what was missed first: the reference answer can be long
            if self.question.key_points:
                yield KeyPointList(self.question, result, self.context.lang, id="key-points")
            yield Static(id="your-answer")
            yield Markdown(id="reference")
        yield RatingBar(self.context.lang, result.suggested_rating if result is not None else None, id="ratings")
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        self.apply_lang()
        if self.item.result is None:
            self.query_one("#r-body").focus()

    def apply_lang(self) -> None:
        app, lang, item = self.app, self.context.lang, self.item
        self.sub_title = app.tr(f"mode.{self.session.mode}")
        if item.result is None:
            header = app.tr("r.revealed")
        else:
            header = app.tr("r.score", score=item.result.score, rating=app.tr(f"rating.{item.result.suggested_rating}"))
        self.query_one("#r-header", Static).update(f"{self.question.id} · {header}")
        self.query_one("#reference", Markdown).update(
            f"### {app.tr('r.reference')}\n\n{reference_markdown(self.question, lang)}"
        )
        if self.question.key_points:
            self.query_one(KeyPointList).set_lang(lang)
        answer = item.answer.strip()
        your_answer = self.query_one("#your-answer", Static)
        if self.question.type == "choice":
            your_answer.set_class(False, "-empty")
            your_answer.update(choices_review(self.question, set(answer.split()), lang))
        else:
            your_answer.set_class(not answer, "-empty")
            your_answer.update(f"[b]{app.tr('r.your_answer')}[/b]\n{_escape(answer)}")
        self.query_one(RatingBar).set_lang(lang)

    def action_scroll(self, lines: int) -> None:
        """The rating buttons keep the focus; the arrows still scroll a long reference answer."""
        body = self.query_one("#r-body")
        body.scroll_relative(y=lines, animate=False)

    def on_rating_bar_rated(self, event: RatingBar.Rated) -> None:
        self.action_rate(event.rating)

    def action_rate(self, rating: int) -> None:
        """The app saves the rating, then shows the next question or the summary."""
        self.post_message(messages.RatingChosen(self.session, rating))

    def action_undo(self) -> None:
        self.post_message(messages.UndoRating(self.session))

    def action_back(self) -> None:
        self.post_message(messages.EndSession(self.session))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
