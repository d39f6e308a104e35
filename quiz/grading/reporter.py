"""The pytest plugin that runs INSIDE the sandbox and reports each test to the grader.

Loaded with `-p quiz.grading.reporter` next to `quiz.grading.plugin`; nothing else loads (autoload is off).
Why it is built this way (the submission runs in this same interpreter, so it must not be able to forge results):

- Results travel as JSON lines over an inherited pipe (`--quiz-report-fd`), never through a file in the sandbox,
  so a results file the submission writes is simply ignored.
- Every line carries a per-run key that the grader writes into a second pipe (`--quiz-key-fd`); we read it and
  close that pipe while pytest configures, before any submission code runs. (Not an environment variable: the
  process's original environment stays readable in /proc/self/environ.) A line without the key is tampering.
- The list of expected tests is sent when collection finishes. The submission is imported by a fixture, at test
  time, so it cannot change that list; a test that never reports is an error for the grader.
- The identities of pytest's runner and report functions, of our hooks, of every test function and its code are
  captured before the submission runs and compared at the end; a difference is reported as tampering.

Messages name the mistake: the first line of the exception plus the test's failing line, not the traceback.
"""

from __future__ import annotations

import inspect
import json
import os
import socket
from pathlib import Path

import pytest

MESSAGE_LIMIT = 600
OUTPUT_LIMIT = 500
CODE_LIMIT = 2000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("quiz-grading", "quiz grader (internal)")
    group.addoption("--quiz-report-fd", type=int, default=None, help="(internal) the pipe to report on")
    group.addoption("--quiz-key-fd", type=int, default=None, help="(internal) the pipe the run's key comes on")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(taskno): the exercise task a test belongs to (Exercism's task_id)")
    report_fd = config.getoption("--quiz-report-fd")
    if report_fd is None:
        return
    key_fd = config.getoption("--quiz-key-fd")
    settings = json.loads(_read_all(key_fd)) if key_fd is not None else {}
    submission = config.getoption("--submission", None)
    reporter = Reporter(report_fd, settings.get("key", ""), Path(str(config.rootpath)),
                        Path(submission).resolve().parent if submission else None)
    if settings.get("deny_network"):
        refuse_sockets()
    config.pluginmanager.register(reporter, "quiz-grading-reporter")


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


def refuse_sockets() -> None:
    """The fallback when no network namespace is available: refuse connections in this process."""
    def refused(*args, **kwargs):
        raise PermissionError("network access is disabled while grading")

    for name in ("connect", "connect_ex", "bind", "sendto"):
        setattr(socket.socket, name, refused)
    socket.create_connection = refused
    socket.getaddrinfo = refused


def critical_objects(config: pytest.Config) -> dict[str, object]:
    """The functions a submission would patch to turn a failing run into a passing one."""
    import _pytest.python
    import _pytest.reports
    import _pytest.runner

    found: dict[str, object] = {}
    for module, names in (
        (_pytest.runner, ("runtestprotocol", "call_and_report", "check_interactive_exception", "show_test_item")),
        (_pytest.python, ("pytest_pyfunc_call",)),
        (pytest, ("fail", "skip", "xfail", "raises", "approx", "main")),
    ):
        for name in names:
            if hasattr(module, name):
                found[f"{module.__name__}.{name}"] = getattr(module, name)
    for cls, names in (
        (_pytest.runner.CallInfo, ("from_call",)),
        (_pytest.reports.TestReport, ("from_item_and_call", "__init__")),
        (_pytest.reports.BaseReport, ("passed", "failed", "skipped")),
        (_pytest.python.Function, ("runtest", "setup")),
    ):
        for name in names:
            found[f"{cls.__module__}.{cls.__qualname__}.{name}"] = cls.__dict__.get(name)
    for name in ("pytest_runtest_protocol", "pytest_runtest_makereport", "pytest_runtest_logreport",
                 "pytest_pyfunc_call", "pytest_runtest_call"):
        hook = getattr(config.hook, name)
        found[f"hook {name}"] = tuple(impl.function for impl in hook.get_hookimpls())
    found["builtins.AssertionError"] = AssertionError
    return found


def code_of(value: object) -> object:
    return getattr(value, "__code__", None)


class Reporter:
    """Streams one JSON line per event to the grader; see the module docstring for why."""

    def __init__(self, fd: int, key: str, rootdir: Path, submission_dir: Path | None) -> None:
        self.fd = fd
        os.set_inheritable(fd, False)
        self.key = key
        self.rootdir = rootdir
        self.submission_dir = submission_dir
        self.seq = 0
        self.runtime: dict[str, object] = {}
        self.codes: dict[str, object] = {}
        self.items: dict[str, pytest.Item] = {}
        self.tests: list[dict] = []
        self.phases: dict[str, dict] = {}

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

    # -- identities, captured when collection ends: before any submission code runs ------------------
    def snapshot_runtime(self, config: pytest.Config) -> None:
        self.runtime = critical_objects(config)
        self.runtime_codes = {name: code_of(obj) for name, obj in self.runtime.items()}
        self.own = {name: (value, code_of(value)) for name, value in vars(Reporter).items() if callable(value)}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.snapshot_runtime(session.config)  # every plugin is registered by now; no submission code ran yet
        for item in session.items:
            function = getattr(item, "obj", None)
            self.items[item.nodeid] = item
            self.codes[item.nodeid] = (function, code_of(function), getattr(item, "module", None),
                                       getattr(getattr(item, "module", None), "__dict__", None))
            self.tests.append(describe_item(item))
        self.plugins = {id(p) for p in session.config.pluginmanager.get_plugins()}
        self.send("collected", tests=self.tests)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.send("collect_error", nodeid=report.nodeid, message=limit(str(report.longrepr), 2000))

    # -- per test ----------------------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self.phases[nodeid] = {"duration": 0.0, "output": "", "status": "pass", "message": ""}
        self.send("start", nodeid=nodeid)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if call.excinfo is not None and report.failed:
            report.quiz_message = failure_message(call.excinfo, item, self.rootdir, self.submission_dir)
        if report.when == "setup":  # the only phase where a skip mark acts
            report.quiz_skip_marked = any(item.iter_markers("skip")) or any(item.iter_markers("skipif"))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        state = self.phases.setdefault(report.nodeid, {"duration": 0.0, "output": "", "status": "pass",
                                                       "message": ""})
        state["duration"] += report.duration
        if report.capstdout or report.capstderr:  # each phase's report holds the output of the earlier ones too
            state["output"] = (report.capstdout + report.capstderr)[:OUTPUT_LIMIT * 4]
        if state["status"] != "pass":
            return
        if report.failed:
            state["status"] = "fail" if report.when == "call" else "error"
            state["message"] = getattr(report, "quiz_message", None) or limit(str(report.longrepr), MESSAGE_LIMIT)
        elif report.skipped and report.when != "teardown":
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = str(reason).removeprefix("Skipped: ")
            if report.when == "setup" and getattr(report, "quiz_skip_marked", False):
                state["status"], state["message"] = "skip", limit(str(reason), MESSAGE_LIMIT)
            else:  # pytest.skip()/xfail() called while the test ran: the submission's code can do that
                state["status"] = "fail"
                state["message"] = limit(f"the test was skipped while it ran ({reason}): only the suite's own "
                                         "skip marks count as skips", MESSAGE_LIMIT)

    def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
        state = self.phases.pop(nodeid, None) or {"duration": 0.0, "output": "", "status": "error",
                                                  "message": "no report"}
        output = state["output"]
        if len(output) > OUTPUT_LIMIT:  # the note counts too: Exercism allows 500 characters in all
            note = f"\n[output truncated to {OUTPUT_LIMIT} characters]"
            output = output[:OUTPUT_LIMIT - len(note)] + note
        self.send("result", nodeid=nodeid, status=state["status"], message=state["message"],
                  duration=round(state["duration"], 4), output=output)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.send("end", tampering=self.tampering(session), exitstatus=int(exitstatus))

    def tampering(self, session: pytest.Session) -> list[str]:
        found = []
        now = critical_objects(session.config)
        for name, before in self.runtime.items():
            after = now.get(name)
            changed = before != after if isinstance(before, tuple) else after is not before
            if changed or code_of(after) is not self.runtime_codes[name]:
                found.append(f"{name} was replaced")
        for nodeid, (function, code, module, namespace) in self.codes.items():
            item = self.items[nodeid]
            if getattr(item, "obj", None) is not function or code_of(function) is not code:
                found.append(f"the test {nodeid} was replaced")
            if module is not None and getattr(module, "__dict__", None) is not namespace:
                found.append(f"the test module of {nodeid} was replaced")
            name = getattr(function, "__name__", None)
            if module is not None and name and getattr(module, name, function) is not function:
                found.append(f"the test {nodeid} was rebound in its module")
        for name, (value, code) in self.own.items():
            if vars(Reporter).get(name) is not value or code_of(value) is not code:
                found.append(f"the grader's reporter ({name}) was replaced")
        added = {id(p) for p in session.config.pluginmanager.get_plugins()} - self.plugins
        if added:
            found.append(f"{len(added)} pytest plugin(s) were registered while tests ran")
        return found


def describe_item(item: pytest.Item) -> dict:
    weight_mark = item.get_closest_marker("weight")
    weight = weight_mark.args[0] if weight_mark and weight_mark.args else 1
    task_mark = item.get_closest_marker("task")
    task = None
    if task_mark is not None:
        task = task_mark.kwargs.get("taskno", task_mark.args[0] if task_mark.args else None)
    try:
        code = inspect.getsource(item.obj) if hasattr(item, "obj") else ""
    except (OSError, TypeError):
        code = ""
    return {"nodeid": item.nodeid, "weight": weight, "task_id": task, "test_code": code[:CODE_LIMIT]}


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


def failure_message(excinfo: pytest.ExceptionInfo, item: pytest.Item, rootdir: Path,
                    submission_dir: Path | None) -> str:
    """`ExcType: first line`, then where the test failed (`tests/test_x.py:12: assert ...`), then where the
    exception was raised when that is elsewhere (usually the submission)."""
    exc = excinfo.value
    if isinstance(exc, MemoryError):
        head = "MemoryError: the submission ran out of memory (the memory limit was reached)"
    else:
        text = exc.msg if isinstance(exc, pytest.fail.Exception) else str(exc)
        lines = [line.rstrip() for line in text.strip().splitlines()
                 if " at 0x" not in line and line.strip(" |")][:3]
        if isinstance(exc, pytest.fail.Exception):
            return limit("\n".join(lines), MESSAGE_LIMIT)
        head = f"{type(exc).__name__}: " + "\n".join(lines) if lines else type(exc).__name__
    test_file = str(getattr(item, "path", ""))
    test_line = raised_at = None
    for entry in excinfo.traceback:
        where = f"{relative(str(entry.path), [rootdir, *filter(None, [submission_dir])])}:{entry.lineno + 1}"
        if str(entry.path) == test_file:  # only here: parsing every frame's source (pytest's) is slow
            try:
                statement = str(entry.statement).strip().splitlines()[0]
            except Exception:  # noqa: BLE001 - source may be unavailable
                statement = ""
            test_line = f"{where}: {statement}" if statement else where
        elif submission_dir is not None and Path(str(entry.path)).parent == submission_dir:
            raised_at = where  # the deepest line of the submission's own code
    parts = [head]
    if test_line:
        parts.append(f"at {test_line}")
    if raised_at:
        parts.append(f"raised at {raised_at}")
    return limit("\n".join(parts), MESSAGE_LIMIT)
