"""One question: the prompt as Markdown (code snippets as highlighted fenced blocks) and a way to answer it:
a multi-line answer for open and code-review questions, keys 1-9 (or arrows and Enter) for choice questions.
Ctrl+S submits, Space reveals the reference without answering, Escape leaves the answer box, then the session."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Markdown, OptionList, SelectionList, Static, TextArea
from textual.widgets.option_list import Option

from quiz.tui import messages
from quiz.tui.context import UsesContext
from quiz.tui.widgets.footer import TranslatedFooter
from quiz.tui.widgets.inline import option_prompt
from quiz.tui.widgets.question_timer import QuestionTimer

DRAFT_SAVE_S = 0.5  # a killed app loses at most this much typing


def prompt_markdown(question, lang: str) -> str:
    parts = [question.prompt(lang).strip()]
    for snippet in question.code:
        if snippet.title is not None:
            parts.append(f"**{snippet.title(lang)}**")
        parts.append(f"```{snippet.language}\n{snippet.source.rstrip()}\n```")
    return "\n\n".join(parts)


class ChoiceList(SelectionList, inherit_bindings=False):
    """The options of a question with several right answers. Numbers and Enter tick them; Space is left to the
    screen, where it reveals the answer as on every other question."""

    BINDINGS = OptionList.BINDINGS


class QuestionScreen(UsesContext, Screen):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit"),
        Binding("space", "reveal", "Reveal"),
        Binding("1", "choose(1)", "Choose", key_display="1-9"),
        *[Binding(str(n), f"choose({n})", "Choose", show=False) for n in range(2, 10)],
        Binding("o", "open_exercise", "Exercise"),
        Binding("u", "undo", "Undo", tooltip="Take back the last rating"),
        Binding("escape", "back", "Finish", tooltip="End the session and see its summary"),
    ]

    def __init__(self, session):
        super().__init__()
        self.session = session
        self.item = session.current
        self.question = self.item.question
        self.unsaved = False  # the answer box changed since the last save
        self.saved_text = ""  # what the store holds as this question's draft

    @property
    def multiple(self) -> bool:
        return len(self.question.correct) > 1

    def compose(self) -> ComposeResult:
        q = self.question
        yield Header(show_clock=False, icon="?")
        with Horizontal(id="q-top"):
            yield Static(id="q-header")
            if self.session.mode == "mock":
                yield QuestionTimer(self.session, self.context.clock.monotonic, self.context.lang, id="timer")
        with VerticalScroll(id="q-body"):
            yield Markdown(id="prompt")
            if q.type == "choice":
                if self.multiple:
                    yield ChoiceList(
                        *[(option_prompt(n, o, self.context.lang), o.id) for n, o in enumerate(q.options, 1)],
                        id="choices",
                    )
                else:
                    yield OptionList(*[Option("", id=o.id) for o in q.options], id="choices")
            yield Static(id="q-hint")
        if q.type in ("open", "code-review"):
            yield TextArea(id="answer", soft_wrap=True, show_line_numbers=False)
        with Horizontal(id="q-buttons"):
            yield Button(id="submit", variant="primary", compact=True)
            yield Button(id="reveal", compact=True)
            if q.type == "exercise":
                yield Button(id="open-exercise", compact=True)
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        self.session.question_started_at = self.context.clock.monotonic()
        self.apply_lang()
        if self.question.type in ("open", "code-review"):
            self.query_one("#answer", TextArea).focus()
            self.call_after_refresh(self.restore_draft)  # after the first paint
            self.set_interval(DRAFT_SAVE_S, self.save_draft)
        elif self.question.type == "choice":
            self.query_one("#choices").focus()
        else:
            self.query_one("#q-body").focus()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "choose":
            return self.question.type == "choice"
        if action == "open_exercise":
            return self.question.type == "exercise"
        return True

    def apply_lang(self) -> None:
        app, lang, q = self.app, self.context.lang, self.question
        self.sub_title = app.tr(f"mode.{self.session.mode}")
        self.query_one("#q-header", Static).update(
            app.tr(
                "q.header",
                n=self.session.index + 1,
                total=len(self.session.items),
                topic=self.context.bank.topic_title(q.topic, lang),
                difficulty=app.tr(f"difficulty.{q.difficulty}"),
                type=app.tr(f"type.{q.type}"),
            )
            + (
                app.tr("q.one_language", language=app.tr(f"language.{q.shown_in(lang)}"))
                if q.shown_in(lang) != lang
                else ""
            )
        )
        self.query_one("#prompt", Markdown).update(prompt_markdown(q, lang))
        hint = ""
        if q.type == "choice":
            choices = self.query_one("#choices")
            for index, option in enumerate(q.options):
                choices.replace_option_prompt_at_index(index, option_prompt(index + 1, option, lang))
            hint = app.tr("q.choose_many" if self.multiple else "q.choose")
        elif q.type == "exercise":
            hint = app.tr("q.exercise_hint")
            self.query_one("#open-exercise", Button).label = f"{app.tr('q.open_exercise')} (o)"
        else:
            self.query_one("#answer", TextArea).placeholder = app.tr("q.answer_here")
        self.query_one("#q-hint", Static).update(hint)
        self.query_one("#submit", Button).label = f"{app.tr('q.submit')} (Ctrl+S)"
        self.query_one("#reveal", Button).label = f"{app.tr('q.reveal')} (Space)"
        if self.session.mode == "mock":
            self.query_one(QuestionTimer).set_lang(lang)

    # --- drafts: what is typed is in the store within DRAFT_SAVE_S, and comes back when the question does ----------
    def restore_draft(self) -> None:
        text = self.context.opened_store.draft(self.question.id)
        box = self.query_one("#answer", TextArea)
        if text and not box.text.strip():
            box.load_text(text)
            box.move_cursor(box.document.end)
            self.saved_text = text
            self.notify(self.app.tr("q.draft_restored"), timeout=4)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.unsaved = True

    def save_draft(self) -> None:
        """Called every DRAFT_SAVE_S, and before the app quits: one small committed write when the text changed."""
        if not self.unsaved or self.item.done:
            return
        text = self.query_one("#answer", TextArea).text
        self.unsaved = False
        if text == self.saved_text:
            return
        self.context.opened_store.save_draft(self.question.id, text)
        self.saved_text = text

    # --- answering ---------------------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "submit": self.action_submit,
            "reveal": self.action_reveal,
            "open-exercise": self.action_open_exercise,
        }
        actions[event.button.id]()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.answer_choice([event.option.id])

    def action_choose(self, number: int) -> None:
        options = self.question.options
        if number > len(options):
            self.notify(self.app.tr("q.no_such_option", n=len(options)), timeout=3)
            return
        choices = self.query_one("#choices")
        if self.multiple:
            choices.toggle(options[number - 1].id)
            choices.highlighted = number - 1
        else:
            choices.highlighted = number - 1
            self.answer_choice([options[number - 1].id])

    def action_submit(self) -> None:
        q = self.question
        if q.type == "choice":
            chosen = (
                list(self.query_one("#choices", SelectionList).selected)
                if self.multiple
                else [q.options[i].id for i in [self.query_one("#choices", OptionList).highlighted] if i is not None]
            )
            if chosen:
                self.answer_choice(chosen)
            else:
                self.notify(self.app.tr("q.choose_many" if self.multiple else "q.choose"), severity="warning")
        elif q.type == "exercise":
            self.action_reveal()
        else:
            text = self.query_one("#answer", TextArea).text
            if not text.strip():
                self.notify(self.app.tr("q.empty"), severity="warning")
                return
            from quiz.review.scorer import score_answer

            self.finish(text, score_answer(q, text))

    def answer_choice(self, chosen: list[str]) -> None:
        from quiz.review.scorer import score_choice

        self.finish(" ".join(chosen), score_choice(self.question, chosen))

    def action_reveal(self) -> None:
        self.finish("", None)

    def finish(self, answer: str, result) -> None:
        """Hand the answer to the app, which saves the attempt and shows the review."""
        if self.item.done:
            return
        self.save_draft()  # the newest text: a revealed question keeps it as its draft, a submitted one ends it
        self.post_message(messages.Answered(self.session, answer, result))

    def action_open_exercise(self) -> None:
        if self.question.exercise:
            self.post_message(messages.OpenExercise(self.question.exercise))

    def action_undo(self) -> None:
        self.save_draft()  # undo leaves this question for the one whose rating it takes back
        self.post_message(messages.UndoRating(self.session))

    def action_back(self) -> None:
        """Escape leaves the answer box first (so Space and the number keys work), then ends the session."""
        if isinstance(self.focused, TextArea):
            self.query_one("#q-body").focus()
            return
        self.save_draft()
        self.post_message(messages.EndSession(self.session))
