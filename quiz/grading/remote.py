"""The suite's side of a submission: its process in a sandbox, and a proxy to call its functions.

    process = SubmissionProcess(Path("alice.py"), probes=Path("tests/probes.py"), limits=Limits())
    submission = process.proxy()            # submission.add(2, 3) -> 5, computed over there
    model = submission.build_model()        # a Remote: the model stays in the submission's process
    weights = process.probe("weights", model)   # a probe (the exercise's own code, run over there) -> arrays
    process.close()

Only plain data crosses (protocol.py). What comes back is decoded and checked here, so a test compares real
numbers, strings and arrays, never an object the submission made. The submission's exceptions arrive as
`SubmissionError` (type, message, line); a process that is gone (a limit reached, a crash, an exit, a broken
frame) raises `SubmissionStopped` at the call that found it and at every call after.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quiz.grading import protocol
from quiz.grading.isolation import Limits
from quiz.grading.protocol import Handle, ProtocolViolation
from quiz.grading.sandbox import Sandbox
from quiz.grading.watch import KilledFor, RunOutcome

CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT)
EXIT_GRACE_S = 5.0  # how long a closed submission process may take to end before it is killed


class SubmissionError(Exception):
    """The submission's code (or a probe on its objects) raised. `where` is its line in the submission."""

    def __init__(self, type_name: str, message: str, where: str | None, call: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message, self.where, self.call = type_name, message, where, call

    def __str__(self) -> str:
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        text = f"{self.type_name}: {first}" if first else self.type_name
        return f"{text} (raised at {self.where})" if self.where else text


@dataclass
class Stop:
    """Why the submission's process is gone."""

    reason: str  # timeout | memory | output | crash | exit | protocol | sandbox (ours: no line of it ran)
    message: str
    signal: str | None = None  # the crash's signal name


class SubmissionStopped(BaseException):
    """The submission's process is gone. A BaseException, like pytest's own outcomes, so that a suite's
    `except Exception` around a call does not take it for something the submission raised."""

    def __init__(self, stop: Stop) -> None:
        super().__init__(stop.message)
        self.stop = stop


class Remote:
    """An object that lives in the submission's process (a model, a strategy, a History): pass it back to calls
    and probes; ask probes for facts about it."""

    __slots__ = ("handle",)

    def __init__(self, handle: Handle) -> None:
        self.handle = handle

    @property
    def type_name(self) -> str:
        return self.handle.type

    def __repr__(self) -> str:
        return f"<{self.handle.type} in the submission's process>"


class SubmissionProcess:
    """One sandboxed process running the submission; requests go one at a time."""

    def __init__(
        self,
        submission: Path,
        *,
        probes: Path | None = None,
        limits: Limits | None = None,
        hide: list[Path] = (),
        time_limit: float | None = None,
        modules: list[Path] = (),
    ) -> None:
        """Start the process; `handshake` then waits for the submission's import. `time_limit` is the limit to
        name in messages when `limits.timeout` is what is left of a longer one. `modules`: the exercise's own
        modules the solution may import (Exercism ships data modules beside it), importable by their names."""
        self.limits = limits or Limits()
        self.time_limit = time_limit or self.limits.timeout
        files = {"submission.py": Path(submission)}
        if probes is not None:
            files["probes.py"] = Path(probes)
        for module in modules:
            files.setdefault(module.name, module)
        self.sandbox = Sandbox(files, self.limits, hide=list(hide))
        self.stopped: Stop | None = None
        self.import_error: str | None = None
        self.import_output = ""
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        spec = {
            "submission": str(self.sandbox.box / "submission.py"),
            "in": to_child_r,
            "out": from_child_w,
            "probes": str(self.sandbox.box / "probes.py") if probes is not None else None,
            "deny_network": self.sandbox.mode == "session",
            "module_path": str(self.sandbox.box) if modules else None,
        }
        argv = [sys.executable, "-I", "-B", "-m", "quiz.grading.untrusted", json.dumps(spec)]
        try:
            self.guard = self.sandbox.start(argv, [to_child_r, from_child_w])
        except BaseException:
            for fd in (self.to_child, self.from_child):
                os.close(fd)
            self.sandbox.remove()
            raise
        finally:
            os.close(to_child_r)
            os.close(from_child_w)

    def handshake(self) -> None:
        """Wait until the submission is imported (or failed to be): `import_error` says which. Before that, our own
        process says it started: if it ends before, no line of the submission ran, and the fault is the grader's."""
        started = self._receive("starting the submission's process", ours=True)
        if started != {"started": True}:
            self.violation("starting the submission's process", "the first message is not {started: true}")
        hello = self._receive("importing the submission")
        if not isinstance(hello, dict) or not isinstance(hello.get("ready"), bool):
            self.violation("importing the submission", "the first message is not {ready: ...}")
        if not hello["ready"]:
            self.import_error = str(hello.get("error") or "the submission could not be imported")
        self.import_output = str(hello.get("output") or "")

    # -- requests ------------------------------------------------------------------------------------------
    def call(self, name: str, *args, **kwargs):
        """Call the submission's function `name`; its result as plain data, or a Remote."""
        return self._request({"op": "call", "name": name, "args": list(args), "kwargs": kwargs}, f"{name}()")

    def probe(self, name: str, *args, **kwargs):
        """Run the exercise's probe `name` in the submission's process: facts about its objects."""
        return self._request({"op": "probe", "name": name, "args": list(args), "kwargs": kwargs}, f"the probe {name}")

    def proxy(self) -> SubmissionProxy:
        return SubmissionProxy(self)

    def _request(self, message: dict, what: str):
        if self.stopped is not None:
            raise SubmissionStopped(self.stopped)
        try:
            protocol.write_frame(self.to_child, _outgoing(message))
        except (BrokenPipeError, OSError):
            self._gone(what)
        reply = self._receive(what)
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            self.violation(what, "an answer that is not {ok: ...}")
        output = reply.get("output")
        if isinstance(output, str) and output:
            sys.stdout.write(output)  # pytest captures it with the test that made the request
        if reply["ok"]:
            return _incoming(reply.get("value"))
        error = reply.get("error")
        if (
            not isinstance(error, dict)
            or not all(isinstance(error.get(k), str) for k in ("type", "message"))
            or not isinstance(error.get("where"), (str, type(None)))
        ):
            self.violation(what, "an error that is not {type, message, where}")
        raise SubmissionError(error["type"][:200], error["message"], error["where"], what)

    def _receive(self, what: str, ours: bool = False):
        while True:
            ready, _, _ = select.select([self.from_child], [], [], 0.25)
            if ready:
                break
            if self.guard.done.is_set():  # the tree is gone, whoever still holds the pipe
                self._gone(what, ours)
        try:
            message = protocol.read_frame(self.from_child)
        except ProtocolViolation as exc:
            self.violation(what, str(exc))
        if message is None:
            self._gone(what, ours)
        return message

    # -- the end ---------------------------------------------------------------------------------------
    def violation(self, what: str, why: str):
        """What the process sent is not what its side of the protocol sends: stop it, and raise SubmissionStopped
        (also for callers that check the data themselves, such as solution_module.py)."""
        self.guard.stop(KilledFor.PROTOCOL)
        self.stopped = Stop("protocol", f"protocol violation while {_gerund(what)}: {why}")
        raise SubmissionStopped(self.stopped)

    def _gone(self, what: str, ours: bool = False):
        if not self.guard.done.wait(EXIT_GRACE_S):
            self.guard.stop()
        outcome = self.guard.outcome
        if ours and outcome.killed_for is None:
            notes = "; ".join(outcome.isolation.get("problems", []))[:300]  # our pid 1's, on their own pipe
            self.stopped = Stop(
                "sandbox",
                f"the grader could not start the submission's process (exit code "
                f"{outcome.exit_code}{': ' + notes if notes else ''}); no line of "
                "the submission ran",
            )
        else:
            self.stopped = describe_stop(outcome, self.limits, what, self.time_limit)
        raise SubmissionStopped(self.stopped)

    def close(self) -> RunOutcome:
        """Let the process end (its input closes), kill what is left, remove the sandbox."""
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self.guard.done.wait(EXIT_GRACE_S)
        outcome = self.guard.stop()
        self.sandbox.remove()
        return outcome


class SubmissionProxy:
    """`submission.name(...)` calls the submission's function `name` in its own process."""

    def __init__(self, process: SubmissionProcess) -> None:
        object.__setattr__(self, "_process", process)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        process = self._process

        def remote_function(*args, **kwargs):
            return process.call(name, *args, **kwargs)

        remote_function.__name__ = name
        return remote_function

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("the submission runs in its own process: replace its functions with a probe")

    def __repr__(self) -> str:
        return "<the submission, in its own process>"


def describe_stop(outcome: RunOutcome, limits: Limits, what: str, time_limit: float) -> Stop:
    during = f" while {_gerund(what)}"
    if outcome.killed_for == KilledFor.TIMEOUT:
        return Stop("timeout", f"the time limit of {time_limit:g} s was reached{during}")
    if outcome.killed_for == KilledFor.MEMORY:
        return Stop("memory", f"the submission's processes used more than {limits.memory_mb} MB of memory{during}")
    if outcome.killed_for == KilledFor.OUTPUT:
        return Stop("output", f"the submission printed more than {limits.output_bytes // 2**20} MB{during}")
    crash = crash_signal(outcome.exit_code)
    if crash is not None:
        return Stop(
            "crash",
            f"the submission's process crashed with {crash.name}{during} (a fault in native "
            "code: TensorFlow or a C extension)",
            signal=crash.name,
        )
    return Stop(
        "exit",
        f"the submission's process ended (exit code {outcome.exit_code}){during}: the "
        "submission must not exit (sys.exit, os._exit) or kill its own process",
    )


def crash_signal(code: int | None) -> signal.Signals | None:
    """The signal of a native crash from an exit code: -N run directly, 128 + N under the namespace's pid 1."""
    if code is None:
        return None
    number = -code if code < 0 else code - 128
    return next((crash for crash in CRASH_SIGNALS if crash == number), None)


def _gerund(what: str) -> str:
    return what if what.startswith("importing") else f"running {what}"


def _outgoing(value):
    if isinstance(value, Remote):
        return value.handle
    if isinstance(value, (list, tuple)):
        return [_outgoing(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _outgoing(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _incoming(value):
    if isinstance(value, Handle):
        return Remote(value)
    if isinstance(value, list):
        return [_incoming(item) for item in value]
    if isinstance(value, dict):
        return {key: _incoming(item) for key, item in value.items()}
    return value
