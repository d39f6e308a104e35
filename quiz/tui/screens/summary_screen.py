"""The end of a session: per question its score, the key points missed and the time taken; for a mock
interview, the same as a report against the time budget."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Markdown, Static

from quiz.tui import messages
from quiz.tui.context import UsesContext
from quiz.tui.i18n import clock_text
from quiz.tui.widgets.footer import TranslatedFooter
from quiz.tui.widgets.inline import inline


class SummaryScreen(UsesContext, Screen):
    BINDINGS = [
        Binding("escape,enter", "home", "Home"),
        Binding("s", "stats", "Stats"),
        Binding("u", "undo", "Undo", tooltip="Take back the last rating"),
    ]

    def __init__(self, session):
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="?")
        yield Static(id="s-totals")
        yield DataTable(id="summary", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="s-missed"):
            yield Markdown(id="missed")
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        self.apply_lang()
        self.query_one("#summary").focus()

    def apply_lang(self) -> None:
        app, lang, session = self.app, self.context.lang, self.session
        mock = session.mode == "mock"
        title = self.sub_title = app.tr("s.title.mock" if mock else "s.title")
        mean = session.mean_score()
        totals = app.tr(
            "s.totals",
            answered=len(session.answered()),
            total=len(session.items),
            mean="-" if mean is None else f"{mean:.0%}",
            time=clock_text(session.total_s),
        )
        if mock:
            over = sum(item.duration > session.budget_s for item in session.answered())
            totals += " · " + app.tr("s.over_budget", n=over, budget=clock_text(session.budget_s))
        self.query_one("#s-totals", Static).update(f"[b]{title}[/b] · {totals}")
        table = self.query_one("#summary", DataTable)
        table.clear(columns=True)
        table.add_columns("#", app.tr("s.question"), app.tr("s.score"), app.tr("s.rating"), app.tr("s.time"))
        missed_lines = []
        for number, item in enumerate(session.items, 1):
            q = item.question
            if not item.done:
                score = app.tr("s.skipped")
            elif item.result is None:
                score = app.tr("s.revealed")
            else:
                score = f"{item.result.score:.0%}"
            rating = app.tr(f"rating.{item.rating}") if item.rating else "-"
            time_text = clock_text(item.duration) if item.done else "-"
            if mock and item.done and item.duration > session.budget_s:
                time_text += " !"
            table.add_row(number, _short(inline(q.prompt(lang)).plain, 34), score, rating, time_text, key=str(number))
            if item.done:
                missed = [f"**{app.tr('s.wrong')}:** {point}" for point in wrong_points(q, item.result, lang)]
                missed += missed_points(q, item.result, lang)
                if missed:
                    listed = "; ".join(missed)
                else:
                    listed = app.tr("s.none" if item.result is not None else "s.revealed")
                missed_lines.append(f"{number}. **{q.id}** — {listed}")
        text = f"**{app.tr('s.missed')}**\n\n" + "\n".join(f"- {line}" for line in missed_lines)
        self.query_one("#missed", Markdown).update(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """The table has the focus and takes Enter; Enter still goes home, as the footer says."""
        self.action_home()

    def action_home(self) -> None:
        self.app.pop_screen()

    def action_stats(self) -> None:
        self.post_message(messages.OpenStats())

    def action_undo(self) -> None:
        self.post_message(messages.UndoRating(self.session))  # going back into the session reopens it


def wrong_points(question, result, lang: str) -> list[str]:
    """The key points whose opposite the answer stated, as their correct statements."""
    names = {kp.id: kp.point(lang) for kp in question.key_points}
    return [names.get(i, i) for i in result.contradicted] if result is not None else []


def missed_points(question, result, lang: str) -> list[str]:
    """The points the user did not show. A revealed question (result None) was never answered, so every key
    point of it (the correct options of a choice question) counts as missed. Choice questions miss options:
    their text reads better than their letters."""
    names = {kp.id: kp.point(lang) for kp in question.key_points}
    names.update({option.id: option.text(lang) for option in question.options})
    if result is None:
        ids = [kp.id for kp in question.key_points] or list(question.correct)
    else:
        ids = list(result.missed)
    return [names.get(i, i) for i in ids]


def _short(text: str, width: int) -> str:
    from rich.cells import cell_len

    line = " ".join(text.split())
    if cell_len(line) <= width:
        return line
    out, used = "", 0
    for char in line:
        used += cell_len(char)
        if used > width - 1:
            break
        out += char
    return out + "…"
