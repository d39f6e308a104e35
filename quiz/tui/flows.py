"""What the app does when a screen asks (quiz/tui/messages.py): the session's steps, each saved to the store at
once, and the screen that follows. The only module that knows which screen comes after which."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quiz.tui import messages
from quiz.tui import session as sessions
from quiz.tui.screens.editor_screen import EditorScreen
from quiz.tui.screens.exercise_list_screen import ExerciseListScreen
from quiz.tui.screens.exercise_screen import ExerciseScreen
from quiz.tui.screens.question_screen import QuestionScreen
from quiz.tui.screens.review_screen import ReviewScreen
from quiz.tui.screens.setup_screen import SetupScreen
from quiz.tui.screens.stats_screen import StatsScreen
from quiz.tui.screens.summary_screen import SummaryScreen

if TYPE_CHECKING:
    from quiz.tui.app import QuizApp

DRILL_LIMIT = 20


def begin(app: QuizApp, mode: str, questions, budget_s: float = 180.0) -> None:
    """Open a session in the store and show its first question (in place of the setup screen, if on it)."""
    if not questions:
        app.notify(app.tr("drill.empty" if mode == "drill" else "setup.none"), severity="warning")
        return
    store = app.open_store()
    if store is None:  # it could not be opened: the app is ending with the reason
        return
    session_id = store.start_session(mode)
    run = sessions.Session(
        mode=mode, items=[sessions.Item(q) for q in questions], session_id=session_id, budget_s=budget_s
    )
    if isinstance(app.screen, SetupScreen):
        app.switch_screen(QuestionScreen(run))
    else:
        app.push_screen(QuestionScreen(run))


def start_drill(app: QuizApp) -> None:
    store = app.open_store()
    if store is None:
        return
    context = app.context
    begin(app, "drill", sessions.drill_questions(context.bank, store, limit=DRILL_LIMIT, now=context.clock.now()))


def record_answer(app: QuizApp, session: sessions.Session, answer: str, result) -> None:
    """Save the attempt at once, then show its review."""
    item = session.current
    if item.done:
        return
    item.duration = max(0.0, app.context.clock.monotonic() - session.question_started_at)
    item.answer, item.result, item.done = answer, result, True
    session.total_s += item.duration
    store = app.context.opened_store
    item.attempt_id = store.record_attempt(session.session_id, item.question.id, answer, result, item.duration)
    app.switch_screen(ReviewScreen(session))


def rate(app: QuizApp, session: sessions.Session, rating: int) -> None:
    """Save the rating, then go on to the next question or the summary."""
    item = session.current
    due = app.context.opened_store.rate(item.question.id, rating, now=app.context.clock.now())
    item.rating = rating
    app.notify(app.tr("r.saved", rating=app.tr(f"rating.{rating}"), due=_when(due)), timeout=3)
    session.index += 1
    if session.finished:
        end_session(app, session)
    else:
        app.switch_screen(QuestionScreen(session))


def undo_rating(app: QuizApp, session: sessions.Session) -> None:
    """Take back the last rating saved; when it belongs to this session, go back to that question's review (a
    summary's session is reopened)."""
    question_id = app.context.opened_store.undo_last_rating()
    if question_id is None:
        app.notify(app.tr("undo.none"), severity="warning")
        return
    rated = [i for i, item in enumerate(session.items) if item.question.id == question_id and item.rating]
    if not rated:
        app.notify(app.tr("undo.elsewhere", qid=question_id))
        return
    session.ended = False
    session.index = rated[-1]
    session.items[session.index].rating = None
    app.notify(app.tr("undo.done", qid=question_id))
    app.switch_screen(ReviewScreen(session))


def end_session(app: QuizApp, session: sessions.Session) -> None:
    """Close the session in the store and show its summary (or go home when nothing was answered)."""
    if not session.ended:
        session.ended = True
        app.context.opened_store.end_session(session.session_id)
    if session.answered():
        app.switch_screen(SummaryScreen(session))
    else:
        app.pop_screen()


def open_place(app: QuizApp, message) -> None:
    """Push the screen a message names (the stats once the store is open)."""
    if isinstance(message, messages.OpenStats) and app.open_store() is None:
        return
    screens = {
        messages.OpenSetup: lambda m: SetupScreen(m.mode),
        messages.OpenStats: lambda m: StatsScreen(),
        messages.OpenExercises: lambda m: ExerciseListScreen(),
        messages.OpenExercise: lambda m: ExerciseScreen(m.name),
        messages.OpenEditor: lambda m: EditorScreen(m.path, read_only=m.read_only),
    }
    app.push_screen(screens[type(message)](message))


def _when(due) -> str:
    try:
        return due.astimezone().strftime("%Y-%m-%d %H:%M")
    except (AttributeError, ValueError):
        return str(due)
