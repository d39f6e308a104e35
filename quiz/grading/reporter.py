"""The pytest plugin that reports each test of a graded run to the grader, from the suite's (trusted) process.

Loaded with `-p quiz.grading.reporter` next to `quiz.grading.plugin`; nothing else loads (autoload is off). The
submission is never imported here: it runs in a sandboxed process of its own (remote.py), so nothing it does can
reach pytest, this reporter or the channel below.

- Results travel as JSON lines over an inherited pipe (`--quiz-report-fd`), never through a file.
- Every line carries a per-run key that the grader writes into a second pipe (`--quiz-key-fd`), and a sequence
  number: a check that the lines the grader reads are this reporter's, in order.
- The list of expected tests is sent when collection finishes; a test that never reports is an error for the
  grader. The run's end says why a submission process stopped early (a limit, a crash, an exit), if one did.

Messages name the mistake: the first line of the exception plus the test's failing line, and the submission's
line when its code raised.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import textwrap
import threading
from pathlib import Path

import pytest
from _pytest.unittest import TestCaseFunction

from quiz.grading.plugin import isolation, stops
from quiz.grading.remote import SubmissionError, SubmissionStopped
from quiz.grading.solution_module import live_objects_needed

MESSAGE_LIMIT = 600
OUTPUT_LIMIT = 500
CODE_LIMIT = 2000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("quiz-grading", "quiz grader (internal)")
    group.addoption("--quiz-report-fd", type=int, default=None, help="(internal) the pipe to report on")
    group.addoption("--quiz-key-fd", type=int, default=None, help="(internal) the pipe the run's key comes on")
    group.addoption(
        "--quiz-lifeline-fd",
        type=int,
        default=None,
        help="(internal) a pipe the grader holds open: its end ends this run",
    )
    group.addoption(
        "--quiz-messages",
        choices=("quiz", "exercism"),
        default="quiz",
        help="(internal) failure messages with the failing line (quiz) or as Exercism's runner writes "
        "them: `Type: message`, whole (exercism)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(taskno): the exercise task a test belongs to (Exercism's task_id)")
    report_fd = config.getoption("--quiz-report-fd")
    if report_fd is None:
        return
    lifeline = config.getoption("--quiz-lifeline-fd")
    if lifeline is not None:
        threading.Thread(target=die_with_the_grader, args=(lifeline,), daemon=True).start()
    key_fd = config.getoption("--quiz-key-fd")
    settings = json.loads(_read_all(key_fd)) if key_fd is not None else {}
    reporter = Reporter(
        report_fd,
        settings.get("key", ""),
        Path(str(config.rootpath)),
        whole_messages=config.getoption("--quiz-messages") == "exercism",
    )
    config.pluginmanager.register(reporter, "quiz-grading-reporter")


def die_with_the_grader(lifeline: int) -> None:
    """The grader holds the other end of `lifeline`; if it dies (even SIGKILL), this process ends at once, and
    with it the lifelines of its submission processes, which end too."""
    while os.read(lifeline, 1):
        pass
    os._exit(137)


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


class Reporter:
    """Streams one JSON line per event to the grader; see the module docstring for why."""

    def __init__(self, fd: int, key: str, rootdir: Path, whole_messages: bool = False) -> None:
        self.fd = fd
        self.whole_messages = whole_messages
        os.set_inheritable(fd, False)  # never into a submission's process
        self.key = key
        self.rootdir = rootdir
        self.seq = 0
        self.tests: list[dict] = []
        self.phases: dict[str, dict] = {}
        self.running: str | None = None
        self.stop_tests: dict[int, str] = {}  # id(remote.Stop) -> the test that met it first

    # -- the channel ------------------------------------------------------------------------------------
    def send(self, event: str, **fields) -> None:
        self.seq += 1
        line = json.dumps({"key": self.key, "seq": self.seq, "event": event, **fields}) + "\n"
        data = line.encode()
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
        except OSError:
            pass  # the grader stopped listening (time or output limit): nothing left to tell

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.tests = [describe_item(item) for item in session.items]
        self.send("collected", tests=self.tests)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            # the end says what went wrong: keep it; paths are the suite's, relative to its folder
            text = str(report.longrepr).strip().replace(f"{self.rootdir}/", "")
            self.send(
                "collect_error", nodeid=report.nodeid, message=text if len(text) <= 2000 else "[...] " + text[-2000:]
            )

    # -- per test ----------------------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self.phases[nodeid] = new_phase()
        self.running = nodeid
        self.send("start", nodeid=nodeid)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if call.excinfo is not None and report.failed:
            report.quiz_message = (
                whole_message(call.excinfo)
                if self.whole_messages
                else failure_message(call.excinfo, item, self.rootdir)
            )
            report.quiz_stopped = isinstance(call.excinfo.value, SubmissionStopped)
            if report.quiz_stopped:
                self.stop_tests.setdefault(id(call.excinfo.value.stop), item.nodeid)
        if call.when == "call" and isinstance(item, TestCaseFunction):
            report.quiz_captured = unittest_output_so_far(item)
        if report.when == "setup":  # the only phase where a skip mark acts
            report.quiz_skip_marked = any(item.iter_markers("skip")) or any(item.iter_markers("skipif"))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        state = self.phases.setdefault(report.nodeid, new_phase())
        if hasattr(report, "context") and type(report).__name__ == "SubTestReport":  # pytest-subtests
            self.subtest(report, state)
            return
        state["duration"] += report.duration
        if report.capstdout or report.capstderr or state["taken_output"]:
            # each phase's report holds the output of the earlier ones too, less what its subtests took
            state["output"] = (state["taken_output"] + report.capstdout + report.capstderr)[: OUTPUT_LIMIT * 4]
        if state["status"] != "pass":
            return
        if report.failed:
            stopped = getattr(report, "quiz_stopped", False)  # the submission's process is gone: not a verdict
            state["status"] = "fail" if report.when == "call" and not stopped else "error"
            state["message"] = getattr(report, "quiz_message", None) or limit(str(report.longrepr), MESSAGE_LIMIT)
        elif report.skipped and report.when != "teardown":
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = str(reason).removeprefix("Skipped: ")
            if report.when == "setup" and getattr(report, "quiz_skip_marked", False):
                state["status"], state["message"] = "skip", limit(str(reason), MESSAGE_LIMIT)
            else:  # pytest.skip()/xfail() called by the suite while the test ran
                state["status"] = "skip"
                state["message"] = limit(str(reason), MESSAGE_LIMIT)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):
        """No progress letter for a subtest: pytest-subtests' `,` and `u` would land in the captured output of a
        unittest test, whose subtests are reported while its capture runs."""
        if type(report).__name__ == "SubTestReport":
            return "subtest", "", ""
        return None

    def subtest(self, report: pytest.TestReport, state: dict) -> None:
        """One `self.subTest(...)` or `subtests.test(...)` block of the running test: a result of its own, named
        by its description; a failed one fails the test it belongs to."""
        if report.failed:
            status = "fail"
            message = getattr(report, "quiz_message", None) or limit(str(report.longrepr), MESSAGE_LIMIT)
        elif report.skipped:
            status = "skip"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            message = limit(str(reason).removeprefix("Skipped: "), MESSAGE_LIMIT)
        else:
            status, message = "pass", ""
        if hasattr(report, "quiz_captured"):  # unittest's subTest: what the test printed since the last one
            output = report.quiz_captured
            state["taken_output"] = (state["taken_output"] + output)[: OUTPUT_LIMIT * 4]
        else:  # subtests.test() captures each block on its own
            output = report.capstdout + report.capstderr
        state["subtests"] += 1
        if status == "fail":
            state["failed_subtests"].append(subtest_name(report.context))
        self.send(
            "subtest",
            nodeid=report.nodeid,
            name=subtest_name(report.context),
            status=status,
            message=message,
            duration=round(report.duration, 4),
            output=capped(output),
        )

    def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
        state = self.phases.pop(nodeid, None) or {**new_phase(), "status": "error", "message": "no report"}
        failed = state["failed_subtests"]
        if failed and state["status"] == "pass":
            state["status"] = "fail"
            state["message"] = f"{len(failed)} of {state['subtests']} variations failed; first: {failed[0]}"
        self.send(
            "result",
            nodeid=nodeid,
            status=state["status"],
            message=state["message"],
            duration=round(state["duration"], 4),
            output=capped(state["output"]),
        )

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.send(
            "end",
            exitstatus=int(exitstatus),
            isolation=isolation(),
            live_objects=live_objects_needed()[:20],
            stops=[{**vars(stop), "test": self.stop_tests.get(id(stop))} for stop in stops()],
        )


def new_phase() -> dict:
    return {
        "duration": 0.0,
        "output": "",
        "status": "pass",
        "message": "",
        "subtests": 0,
        "failed_subtests": [],
        "taken_output": "",
    }


TRUNCATED = " [Output was truncated. Please limit to 500 chars]"  # Exercism's runner's words and cap


def capped(output: str) -> str:
    """A test's output as Exercism's runner caps it: stripped, at most 500 characters, the note included."""
    output = output.strip()
    return output if len(output) <= OUTPUT_LIMIT else output[: OUTPUT_LIMIT - len(TRUNCATED)] + TRUNCATED


def unittest_output_so_far(item: pytest.Item) -> str:
    """What a unittest test printed since this was last asked, taken from pytest's capture (its own report then
    holds only the rest). A unittest subTest's report is made while the test runs, before pytest reads the capture."""
    capture = item.config.pluginmanager.getplugin("capturemanager")
    if capture is None or not capture.is_globally_capturing():
        return ""
    out, err = capture.read_global_capture()
    return out + err


def subtest_name(context) -> str:
    """How pytest-subtests describes a subtest: `[msg]`, then `(key=value, ...)` when it has parameters."""
    parts = [f"[{context.msg}]"] if isinstance(context.msg, str) else []
    if context.kwargs:
        parts.append("(" + ", ".join(f"{k}={v!r}" for k, v in sorted(context.kwargs.items())) + ")")
    return limit(" ".join(parts) or "(<subtest>)", 300)


def describe_item(item: pytest.Item) -> dict:
    weight_mark = item.get_closest_marker("weight")
    weight = weight_mark.args[0] if weight_mark and weight_mark.args else 1
    task_mark = item.get_closest_marker("task")
    task = None
    if task_mark is not None:
        task = task_mark.kwargs.get("taskno", task_mark.args[0] if task_mark.args else None)
    code = test_body(item.obj) if hasattr(item, "obj") else ""
    verdict_mark = item.get_closest_marker("verdict")
    verdict = verdict_mark.args[0] if verdict_mark and verdict_mark.args else None
    return {
        "nodeid": item.nodeid,
        "weight": weight,
        "task_id": task,
        "verdict": verdict,
        "test_code": code[:CODE_LIMIT],
    }


def test_body(function) -> str:
    """A test's code as Exercism shows it: the statements of its body, dedented, without the `def` line."""
    try:
        lines, _ = inspect.getsourcelines(function)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return ""
    definition = tree.body[0] if tree.body else None
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)) or not definition.body:
        return ""
    first, last = definition.body[0], definition.body[-1]
    return textwrap.dedent("".join(lines[first.lineno - 1 : last.end_lineno])).rstrip()


def whole_message(excinfo: pytest.ExceptionInfo) -> str:
    """`Type: message`, every line of it, as Exercism's runner reports a failure."""
    exc = excinfo.value
    if isinstance(exc, (SubmissionStopped, pytest.fail.Exception)):
        return limit(exc.msg if isinstance(exc, pytest.fail.Exception) else str(exc), MESSAGE_LIMIT)
    if isinstance(exc, SubmissionError):
        return limit(f"{exc.type_name}: {exc.message}", MESSAGE_LIMIT)
    return limit(excinfo.exconly(tryshort=True), MESSAGE_LIMIT)  # pytest's `assert` rewrites read "assert ..."


def limit(text: str, size: int) -> str:
    text = text.strip()
    return text if len(text) <= size else text[:size] + " [...]"


def relative(path: str, bases: list[Path]) -> str:
    """Paths in messages are relative to the suite or the submission's folder, so they read the same on every
    run."""
    p = Path(path)
    for base in bases:
        try:
            return str(p.relative_to(base))
        except ValueError:
            continue
    return p.name


def failure_message(excinfo: pytest.ExceptionInfo, item: pytest.Item, rootdir: Path) -> str:
    """`ExcType: first line`, then where the test failed (`tests/test_x.py:12: assert ...`), then where the
    submission's code raised, when it did (`raised at submission.py:5`)."""
    exc = excinfo.value
    raised_at = None
    if isinstance(exc, SubmissionStopped):
        head = str(exc)
    elif isinstance(exc, SubmissionError) and exc.type_name == "MemoryError":
        head = "MemoryError: the submission ran out of memory (the memory limit was reached)"
        raised_at = exc.where
    elif isinstance(exc, SubmissionError):
        lines = [line.rstrip() for line in exc.message.strip().splitlines() if line.strip(" |")][:3]
        head = f"{exc.type_name}: " + "\n".join(lines) if lines else exc.type_name
        raised_at = exc.where
    else:
        text = exc.msg if isinstance(exc, pytest.fail.Exception) else str(exc)
        lines = [line.rstrip() for line in text.strip().splitlines() if " at 0x" not in line and line.strip(" |")][:3]
        if isinstance(exc, pytest.fail.Exception):
            return limit("\n".join(lines), MESSAGE_LIMIT)
        head = f"{type(exc).__name__}: " + "\n".join(lines) if lines else type(exc).__name__
    test_file = str(getattr(item, "path", ""))
    test_line = None
    for entry in excinfo.traceback:
        if str(entry.path) == test_file:  # only here: parsing every frame's source (pytest's) is slow
            where = f"{relative(str(entry.path), [rootdir])}:{entry.lineno + 1}"
            try:
                statement = str(entry.statement).strip().splitlines()[0]
            except Exception:  # noqa: BLE001 - source may be unavailable
                statement = ""
            test_line = f"{where}: {statement}" if statement else where
    parts = [head]
    if test_line:
        parts.append(f"at {test_line}")
    if raised_at:
        parts.append(f"raised at {raised_at}")
    return limit("\n".join(parts), MESSAGE_LIMIT)
