"""One coding exercise: its statement, a workspace with the starter code, editing it ($EDITOR or the built-in
editor), running its tests with live results, and the reference solution once the tests have been run.

Grading runs `grade_submission` in a daemon thread; it starts the TensorFlow tests in a sandboxed subprocess,
so this process never imports TensorFlow. Results arrive one by one through `call_from_thread`.
"""

from __future__ import annotations

import shlex
import subprocess
import threading
from pathlib import Path

from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Header, Markdown, ProgressBar, Static

from quiz.exercises.workspace import Workspace
from quiz.tui.context import UsesContext
from quiz.tui.messages import OpenEditor
from quiz.tui.widgets.footer import TranslatedFooter

TEST_NAME_WIDTH = 30
STATUS_MARKS = {"pass": "✓", "fail": "✗", "error": "!", "skip": "-"}


def result_summary(result, lang: str) -> str:
    """What the run came to, in `lang`: the grader's own line in English; in Chinese, the counts and the first
    test that did not pass (its name and message are the suite's, as written)."""
    if lang != "zh":
        return " ".join((result.message or "").split())[:160]
    counted = [t for t in result.tests if t.status != "skip"]
    if result.status == "pass":
        return f"{len(counted)} 个测试全部通过"
    counts = {s: sum(t.status == s for t in counted) for s in ("pass", "fail", "error")}
    line = f"{len(counted)} 个测试：通过 {counts['pass']}，未通过 {counts['fail']}，出错 {counts['error']}"
    first = next((t for t in counted if t.status != "pass"), None)
    if first is not None:
        why = " ".join((first.message or "").split())[:120]
        line += f"；第一个：{first.name.split('::', 1)[-1]}" + (f"：{why}" if why else "")
    elif result.message:
        line += f"；{' '.join(result.message.split())[:120]}"
    return line


class ExerciseScreen(UsesContext, Screen):
    BINDINGS = [
        Binding("s", "start", "Start"),
        Binding("e", "edit", "Edit"),
        Binding("b", "builtin_editor", "Editor", tooltip="Edit the solution in the built-in editor"),
        Binding("r", "run_tests", "Test", tooltip="Run the tests on your solution"),
        Binding("v", "reference", "Reference"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    class TestArrived(Message):
        def __init__(self, result):
            super().__init__()
            self.result = result

    class GradingDone(Message):
        def __init__(self, result, error: str | None = None):
            super().__init__()
            self.result = result
            self.error = error

    def __init__(self, name: str):
        super().__init__()
        self.exercise = name
        self.grading = False

    @property
    def exercise_dir(self) -> Path:
        return self.context.places.exercises / self.exercise

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.exercise_dir, self.context.places.workspace(self.exercise))

    @property
    def solution(self) -> Path:
        return self.workspace.solution

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="?")
        yield Static(id="ex-workspace", markup=False)
        with VerticalScroll(id="ex-statement"):
            yield Markdown(id="statement")
        with Horizontal(id="ex-buttons"):
            for action in ("start", "edit", "run", "reference"):
                yield Button(id=f"ex-{action}", compact=True)
        yield ProgressBar(id="ex-progress", show_eta=False)
        yield Static(id="ex-result")
        yield DataTable(id="ex-results", cursor_type="row", zebra_stripes=True)
        yield Static(id="ex-detail", markup=False)
        yield TranslatedFooter(compact=True)

    def on_mount(self) -> None:
        readme = self.exercise_dir / "README.md"
        try:
            statement = readme.read_text(encoding="utf-8")
        except OSError:
            statement = f"# {self.exercise}\n\n(no README.md in {self.exercise_dir})"
        self.query_one("#statement", Markdown).update(statement)
        self.apply_lang()
        self.query_one("#ex-statement").focus()

    def apply_lang(self) -> None:
        app = self.app
        self.sub_title = f"{app.tr('e.title')} · {self.exercise}"
        self.query_one("#ex-workspace", Static).update(
            app.tr("e.workspace", path=self.solution) if self.workspace.started else app.tr("e.not_started")
        )
        labels = {
            "start": ("e.start", "s"),
            "edit": ("e.edit", "e"),
            "run": ("e.run", "r"),
            "reference": ("e.reference", "v"),
        }
        for action, (key, letter) in labels.items():
            self.query_one(f"#ex-{action}", Button).label = f"{app.tr(key)} ({letter})"
        table = self.query_one("#ex-results", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        table.clear(columns=True)
        table.add_column(app.tr("e.status"))
        table.add_column(app.tr("e.test"), width=TEST_NAME_WIDTH)
        table.add_column(app.tr("e.message"))
        for row in rows:
            table.add_row(*row)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        action = event.button.id.removeprefix("ex-")
        {
            "start": self.action_start,
            "edit": self.action_edit,
            "run": self.action_run_tests,
            "reference": self.action_reference,
        }[action]()

    # --- the workspace -----------------------------------------------------------------------------------------
    def action_start(self) -> None:
        """Copy the starter into the workspace; an existing attempt is never overwritten."""
        try:
            started = self.workspace.start()
        except OSError as exc:
            self.notify(f"{self.solution}: {exc.strerror or exc}", severity="error")
            return
        self.notify(self.app.tr("e.started" if started else "e.kept", path=self.solution))
        self.apply_lang()

    def _need_solution(self) -> bool:
        if not self.solution.exists():
            self.notify(self.app.tr("e.need_start"), severity="warning")
            return False
        return True

    def action_edit(self) -> None:
        """$EDITOR in the real terminal (the app is suspended meanwhile), else the built-in editor."""
        if not self._need_solution():
            return
        editor = self.context.editor
        if not editor:
            self.action_builtin_editor()
            return
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), str(self.solution)], check=False)
        except (OSError, ValueError) as exc:
            self.notify(self.app.tr("e.editor_failed", editor=editor, error=exc), severity="error")
        except SuspendNotSupported as exc:  # e.g. under a test driver: fall back to the built-in editor
            self.notify(self.app.tr("e.editor_failed", editor=editor, error=type(exc).__name__), severity="warning")
            self.action_builtin_editor()

    def action_builtin_editor(self) -> None:
        if self._need_solution():
            self.post_message(OpenEditor(self.solution))

    def action_reference(self) -> None:
        if not self.workspace.tests_were_run:
            self.notify(self.app.tr("e.reference_locked"), severity="warning")
            return
        self.post_message(OpenEditor(self.workspace.reference, read_only=True))

    # --- grading -----------------------------------------------------------------------------------------------
    def action_run_tests(self) -> None:
        if self.grading or not self._need_solution():
            return
        self.grading = True
        table = self.query_one("#ex-results", DataTable)
        table.clear()
        self.query_one("#ex-detail", Static).update("")
        bar = self.query_one("#ex-progress", ProgressBar)
        bar.update(total=self.workspace.count_tests(), progress=0)
        bar.add_class("-running")
        self.query_one("#ex-result", Static).update(self.app.tr("e.running"))
        threading.Thread(target=self.grade, name="quiz-grading", daemon=True).start()

    def grade(self) -> None:
        """In a daemon thread of its own, not a Textual thread worker: those run on the event loop's executor,
        which asyncio.run waits for on the way out, so quitting during a run would wait for the whole run. Here the
        app quits at once, and the grader's lifeline ends the suite and the submission with it."""
        try:
            from quiz.grading.runner import grade_submission
        except ImportError as exc:
            self.post_message(self.GradingDone(None, self.app.tr("e.no_grader", error=exc)))
            return
        try:
            result = grade_submission(
                self.exercise_dir, self.solution, on_test=lambda test: self.post_message(self.TestArrived(test))
            )
        except Exception as exc:  # the grader's own failure: one line, the app keeps running
            self.post_message(self.GradingDone(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.GradingDone(result))

    def on_exercise_screen_test_arrived(self, event: TestArrived) -> None:
        test = event.result
        table = self.query_one("#ex-results", DataTable)
        # status first and the test's name cut short, so the message still shows at 80 columns; the row under
        # the cursor is spelled out in full below the table
        status = f"{STATUS_MARKS.get(test.status, '?')} {self.app.tr(f'status.{test.status}')}"
        table.add_row(status, test.name.split("::", 1)[-1], " ".join((test.message or "").split())[:500])
        bar = self.query_one("#ex-progress", ProgressBar)
        if table.row_count > (bar.total or 0):
            bar.update(total=table.row_count)
        bar.update(progress=table.row_count)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        status, name, message = event.data_table.get_row(event.row_key)
        self.query_one("#ex-detail", Static).update(f"{name}: {message}" if message else name)

    def on_exercise_screen_grading_done(self, event: GradingDone) -> None:
        self.grading = False
        result, app = event.result, self.app
        if result is None:
            self.query_one("#ex-result", Static).update(event.error or "")
            self.notify(event.error or "", severity="error")
            return
        table = self.query_one("#ex-results", DataTable)
        table.clear()  # the live rows may be missing (the suite never started) or doubled (a crashed run redone)
        for test in result.tests:
            self.on_exercise_screen_test_arrived(self.TestArrived(test))
        bar = self.query_one("#ex-progress", ProgressBar)
        bar.update(total=max(table.row_count, 1), progress=max(table.row_count, 1))
        line = app.tr(
            "e.result",
            status=app.tr(f"status.{result.status}"),
            score=result.score,
            max_score=result.max_score,
            duration=result.duration,
        )
        summary = result_summary(result, self.context.lang)
        if summary:
            line += f" · {summary}"
        self.query_one("#ex-result", Static).update(line)
        self.workspace.save_result(result.to_dict())
