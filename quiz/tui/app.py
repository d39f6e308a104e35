"""The Textual app: builds the screens' Context (context.py: the bank, the language, the store, the clock, the
folders), opens the first screen, and hands what a screen asks (messages.py) to flows.py, which knows which screen
comes next.

The review store (and with it fsrs and the scorer) is opened after the first screen is painted, so the quiz
starts about as fast as a bare Textual app. Nothing here imports TensorFlow: grading runs in a subprocess.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from quiz import paths
from quiz.tui import cjk_wrap, messages
from quiz.tui.context import Clock, Context, Places
from quiz.tui.i18n import other_lang, tr
from quiz.tui.widgets.footer import TranslatedFooter

if TYPE_CHECKING:
    from quiz.bank import Bank, Problem
    from quiz.review.store import ReviewStore


class QuizApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "quiz"
    BINDINGS = [
        Binding("l", "toggle_lang", "中/EN", tooltip="Switch the language of questions and answers"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, tooltip="Quit; a half-typed answer is kept"),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]

    def __init__(
        self,
        *,
        bank: Bank | None,
        bank_path: Path,
        lang: str = "en",
        problems: list[Problem] = (),
        data_dir: Path | str | None = None,
        now: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        editor: str | None = None,
        exercises_root: Path | None = None,
    ):
        super().__init__()
        cjk_wrap.install()  # Chinese text breaks between characters, as it should, in every widget
        self.context = Context(
            bank=bank,
            places=Places(
                bank=Path(bank_path),
                exercises=Path(exercises_root) if exercises_root else paths.exercises_dir(),
                data=Path(data_dir) if data_dir else None,
            ),
            clock=Clock(fixed_now=now, monotonic=clock),
            problems=list(problems),
            lang=lang,
            editor=editor,
            seed=seed,
        )
        self.error_line: str | None = None  # why the app ended early (the store could not be opened)
        self._silent_keys_told: dict[int, set[str]] = {}  # screen -> keys already said to do nothing there
        self._keys_bound: set[str] = set()

    # --- the first screen -------------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        if self.bank_is_invalid:
            from quiz.tui.screens.invalid_bank_screen import InvalidBankScreen

            return InvalidBankScreen()
        from quiz.tui.screens.home_screen import HomeScreen

        return HomeScreen()

    @property
    def bank_is_invalid(self) -> bool:
        return bool(self.context.problems) or self.context.bank is None

    def tr(self, key: str, **values: object) -> str:
        return tr(key, self.context.lang, **values)

    # --- the review store: opened once, after the first paint -------------------------------------------------
    def on_mount(self) -> None:
        if not self.bank_is_invalid:
            self.call_after_refresh(self.warm_up)  # once the first screen is painted

    @work(thread=True, exit_on_error=False)
    def warm_up(self) -> None:
        """Import the review store (fsrs, sqlite) and the scorer off the UI thread, so the first paint is not held
        up by them (0.2 s here); then open the store on the UI thread, which uses it."""
        import quiz.review.scorer  # noqa: F401
        import quiz.review.store  # noqa: F401

        self.call_from_thread(self.open_store)

    def open_store(self) -> ReviewStore | None:
        """The store, opened on the first call (the warm-up's, or a session started sooner). A store that cannot be
        opened ends the app with its one line (None); a damaged one moved aside is said once. Screens get
        StoreOpened."""
        if self.context.store is None and self.error_line is None:
            from quiz.review.store import ReviewStore, StoreError

            try:
                self.context.store = ReviewStore.open(self.context.places.data)
            except StoreError as exc:
                self.error_line = str(exc)
                self.exit(return_code=1)
                return None
            if self.context.store.recovered_from is not None:
                self.notify(
                    self.tr("store.recovered", path=self.context.store.recovered_from), severity="warning", timeout=15
                )
            for screen in self.screen_stack:
                screen.post_message(messages.StoreOpened())
        return self.context.store

    # --- what screens ask (quiz/tui/messages.py), done by quiz/tui/flows.py ----------------------------------------
    @property
    def flows(self):
        """quiz/tui/flows.py, imported when a screen first asks for something: it imports every screen, which the
        first paint does not need (0.1 s of start-up)."""
        from quiz.tui import flows

        return flows

    def on_start_session(self, message: messages.StartSession) -> None:
        self.flows.begin(self, message.mode, message.questions, message.budget_s)

    def on_start_drill(self, message: messages.StartDrill) -> None:
        self.flows.start_drill(self)

    def on_answered(self, message: messages.Answered) -> None:
        self.flows.record_answer(self, message.session, message.answer, message.result)

    def on_rating_chosen(self, message: messages.RatingChosen) -> None:
        self.flows.rate(self, message.session, message.rating)

    def on_undo_rating(self, message: messages.UndoRating) -> None:
        self.flows.undo_rating(self, message.session)

    def on_end_session(self, message: messages.EndSession) -> None:
        self.flows.end_session(self, message.session)

    @on(messages.OpenSetup)
    @on(messages.OpenStats)
    @on(messages.OpenExercises)
    @on(messages.OpenExercise)
    @on(messages.OpenEditor)
    def open_place(self, message) -> None:
        self.flows.open_place(self, message)

    # --- actions on every screen ------------------------------------------------------------------------------
    def action_toggle_lang(self) -> None:
        """Switch zh <-> en on every open screen; answers typed so far stay as they are."""
        self.context.lang = other_lang(self.context.lang)
        for screen in self.screen_stack:
            apply = getattr(screen, "apply_lang", None)
            if apply is not None:
                apply()
            for button in screen.query("Button"):  # auto-width buttons take the widths of their new labels
                button.refresh(layout=True)
            for footer in screen.query(TranslatedFooter):
                footer.refresh(recompose=True)

    async def action_quit(self) -> None:
        """Quit at once: what is typed in an answer box is saved first and comes back with its question. A screen
        whose unsaved work cannot be kept that way (the code editor) holds the first Ctrl+Q with a warning."""
        for screen in self.screen_stack:
            hold = getattr(screen, "hold_quit", None)
            if hold is not None and hold():
                return
        for screen in self.screen_stack:
            save = getattr(screen, "save_draft", None)
            if save is not None:
                save()
        self.exit()

    def action_help_quit(self) -> None:
        """Ctrl+C with nothing selected to copy: say how to quit, in the current language."""
        self.notify(self.tr("app.how_to_quit"), timeout=4)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and event.is_printable:  # bound now, before a binding changes the screen
            self._keys_bound = {key for key, active in self.screen.active_bindings.items() if active.enabled}
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        """A printable key that no binding and no widget took: say so once per screen, rather than nothing."""
        if not event.is_printable or event.character in (None, " ") or event.key in self._keys_bound:
            return
        told = self._silent_keys_told.setdefault(id(self.screen), set())
        if event.key not in told:
            told.add(event.key)
            self.notify(self.tr("app.key_does_nothing", pressed=event.character), timeout=3)

    # --- the command palette (Ctrl+P): the app's own commands, in the current language -------------------------
    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=self.tr("palette.placeholder")))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Practice, drill, mock, exercises and stats when no session is open under the palette (they go home first);
        language, help and quit everywhere."""
        from quiz.tui.screens.home_screen import MODE_BUTTONS, HomeScreen
        from quiz.tui.screens.question_screen import QuestionScreen
        from quiz.tui.screens.review_screen import ReviewScreen

        in_session = any(isinstance(s, (QuestionScreen, ReviewScreen)) for s in self.screen_stack)
        if not in_session and any(isinstance(s, HomeScreen) for s in self.screen_stack):
            for mode, key, letter in MODE_BUTTONS:
                yield SystemCommand(
                    f"{self.tr(key)} ({letter})", self.tr(f"palette.{mode}"), lambda mode=mode: self.from_home(mode)
                )
        yield SystemCommand(f"{self.tr('palette.lang')} (l)", self.tr("palette.lang.help"), self.action_toggle_lang)
        yield SystemCommand(f"{self.tr('help.title')} (?)", self.tr("palette.help"), self.action_help)
        yield SystemCommand(f"{self.tr('palette.quit')} (Ctrl+Q)", self.tr("palette.quit.help"), self.action_quit)

    def from_home(self, mode: str) -> None:
        from quiz.tui.screens.home_screen import HomeScreen

        while not isinstance(self.screen, HomeScreen):
            self.pop_screen()
        getattr(self.screen, f"action_{mode}")()

    def action_help(self) -> None:
        from quiz.tui.screens.help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def on_unmount(self) -> None:
        if self.context.store is not None:
            self.context.store.close()
