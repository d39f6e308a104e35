"""Progress: per-topic accuracy and reviews, reviews per day over the last 30 days and cards due in the next
14 days (Sparklines), all from the review store. A sparkline has no axis, so a caption under each names the
days at its two ends: without it nobody can tell which end is today."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Sparkline, Static

from quiz.tui.context import UsesContext
from quiz.tui.widgets.footer import TranslatedFooter


class StatsScreen(UsesContext, Screen):
    """Opened once the store is (flows.open_place)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="?")
        with VerticalScroll(id="stats"):
            yield Static(id="st-total")
            yield DataTable(id="topic-stats", cursor_type="row", zebra_stripes=True)
            yield Static(id="per-day-label", classes="spark-label")
            yield Sparkline([], id="per-day")
            with Horizontal(id="per-day-axis", classes="spark-axis"):
                yield Static(id="per-day-start", classes="axis-start")
                yield Static(id="per-day-end", classes="axis-end")
            yield Static(id="ahead-label", classes="spark-label")
            yield Sparkline([], id="ahead")
            with Horizontal(id="ahead-axis", classes="spark-axis"):
                yield Static(id="ahead-start", classes="axis-start")
                yield Static(id="ahead-end", classes="axis-end")
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        context = self.context
        self.figures = context.opened_store.stats(context.bank, now=context.clock.now())
        self.apply_lang()
        self.query_one("#topic-stats").focus()

    def apply_lang(self) -> None:
        app, figures = self.app, self.figures
        self.sub_title = app.tr("st.title")
        total = figures.total
        self.query_one("#st-total", Static).update(
            f"[b]{app.tr('st.title')}[/b] · {app.tr('st.accuracy')} {_pct(total.accuracy)} · "
            f"{app.tr('st.reviews')} {total.reviews} · {app.tr('st.due_now')} {total.due_now} · "
            f"{app.tr('st.due_week')} {total.due_week}"
        )
        table = self.query_one("#topic-stats", DataTable)
        table.clear(columns=True)
        table.add_columns(
            app.tr("topic"),
            app.tr("questions"),
            app.tr("st.accuracy"),
            app.tr("st.reviews"),
            app.tr("st.due_now"),
            app.tr("st.due_week"),
        )
        for topic, row in figures.topics.items():
            table.add_row(
                self.context.bank.topic_title(topic, self.context.lang),
                row.questions,
                _pct(row.accuracy),
                row.reviews,
                row.due_now,
                row.due_week,
                key=topic,
            )
        per_day = [n for _, n in figures.reviews_per_day]
        ahead = [n for _, n in figures.due_per_day]
        self.query_one("#per-day-label", Static).update(app.tr("st.per_day", n=sum(per_day)))
        self.query_one("#ahead-label", Static).update(app.tr("st.ahead", n=sum(ahead)))
        self.query_one("#per-day", Sparkline).data = per_day
        self.query_one("#ahead", Sparkline).data = ahead
        # the history ends today and the outlook starts today; their other ends are as far as the data reaches
        self.query_one("#per-day-start", Static).update(app.tr("st.days_ago", n=len(per_day) - 1))
        self.query_one("#per-day-end", Static).update(app.tr("st.today"))
        self.query_one("#ahead-start", Static).update(app.tr("st.today"))
        self.query_one("#ahead-end", Static).update(app.tr("st.in_days", n=len(ahead) - 1))


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"
