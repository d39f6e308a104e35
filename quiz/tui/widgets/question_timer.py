"""The mock interview's clock: time on this question against its budget, and the session's total."""

from __future__ import annotations

from textual.widgets import Static

from quiz.tui.i18n import clock_text, tr


class QuestionTimer(Static):
    def __init__(self, session, clock, lang: str, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.clock = clock
        self.lang = lang

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1.0, self.tick)

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.tick()

    def tick(self) -> None:
        now = self.clock()
        on_question = now - self.session.question_started_at
        total = self.session.total_s + on_question
        self.set_class(on_question > self.session.budget_s, "-over")
        self.update(
            tr(
                "q.timer",
                self.lang,
                q=clock_text(on_question),
                budget=clock_text(self.session.budget_s),
                total=clock_text(total),
            )
        )
