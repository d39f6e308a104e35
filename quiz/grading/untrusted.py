"""The submission's side: the only process that imports and runs a candidate's code. It holds no verdict.

Started inside the sandbox as `python -I -B -m quiz.grading.untrusted SPEC_JSON` (see remote.py). It loads the
exercise's probes (project code that turns live TensorFlow objects into facts, and sets up devices before the
submission is imported), imports the submission as the module `submission` (unless the probes set
`IMPORT_SUBMISSION = False`: they start it in processes of their own), says whether that worked, then answers
requests until its input closes:

    {"op": "call", "name": "train", "args": [...], "kwargs": {...}}    a function of the submission
    {"op": "probe", "name": "weights", "args": [...], "kwargs": {...}} a function of the exercise's probes
    {"op": "release", "handles": [id, ...]}                            forget objects the suite no longer needs

Each answer is {"ok": true, "value": ..., "output": "..."} or {"ok": false, "error": {"type", "message", "where"},
"output": ...}. Values are converted to plain data (protocol.py); anything else stays here behind a handle.
Nothing here can change a verdict: the suite decides in its own process, from what it is sent. A submission that
rewrites this module can only send other data, and every frame is checked on the other side.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import io
import json
import os
import socket
import sys
import traceback
from types import ModuleType

import numpy as np

from quiz.fast_exit import leave
from quiz.grading import protocol
from quiz.grading.protocol import Handle

OUTPUT_LIMIT = 4000  # what one request's prints may add to the answer (the suite keeps 500 per test)
PRINT_LIMIT = 4 * 2**20  # characters one request may print in all
MESSAGE_LIMIT = 2000
SUBMISSION_MODULE = "submission"
PROBES_MODULE = "quiz_probes"


class Objects:
    """The live objects the suite refers to by handle."""

    def __init__(self) -> None:
        self.by_id: dict[int, object] = {}
        self.next_id = 1

    def keep(self, value: object) -> Handle:
        for known, held in self.by_id.items():  # the same object twice gets the same handle
            if held is value:
                return Handle(known, type(value).__name__)
        self.by_id[self.next_id] = value
        self.next_id += 1
        return Handle(self.next_id - 1, type(value).__name__)

    def resolve(self, value: object) -> object:
        if isinstance(value, Handle):
            if value.id not in self.by_id:
                raise LookupError(f"no object with handle {value.id}")
            return self.by_id[value.id]
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def plain(self, value: object, depth: int = 0) -> object:
        """`value` as plain data where it is data; a handle where it is an object."""
        if value is None or type(value) in (bool, int, float, str):
            return value
        if depth > 8:
            return self.keep(value)
        if isinstance(value, np.generic) and value.dtype.kind in protocol.ARRAY_KINDS:
            return value.item()
        if isinstance(value, np.ndarray):
            return value if value.dtype.kind in protocol.ARRAY_KINDS and not value.dtype.fields else self.keep(value)
        if type(value) in (list, tuple):
            return [self.plain(item, depth + 1) for item in value]
        if type(value) is dict and all(type(key) is str for key in value):
            return {key: self.plain(item, depth + 1) for key, item in value.items()}
        for base in (bool, int, float, str):  # a subclass: its plain value, never its behaviour
            if isinstance(value, base):
                return base(value)
        if type(value).__module__.startswith("tensorflow") and hasattr(value, "numpy") and hasattr(value, "dtype"):
            try:  # an eager tensor is data
                array = np.asarray(value.numpy())
                if array.dtype.kind in protocol.ARRAY_KINDS:
                    return array if array.ndim else array.item()
            except Exception:  # noqa: BLE001 - symbolic tensors and the like stay objects
                pass
        return self.keep(value)


def load_module(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def long_lived_imports():
    """For the probes' import of TensorFlow: about a million objects that live as long as the process. The cycle
    collector would scan them again and again while they are made, and in every full collection after (together
    ~1 s of CPU per process over a suite's run, measured here); collection is off while they are imported, and
    what was imported is then frozen out of it (gc.freeze)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def import_failure(exc: BaseException) -> str:
    """Why the submission could not be imported, as the candidate should read it."""
    if isinstance(exc, SyntaxError):
        return f"the submission does not compile: {exc.msg} (line {exc.lineno})"
    if isinstance(exc, SystemExit):
        return (
            f"the submission called sys.exit({exc.code!r}) at import: put script code under "
            '`if __name__ == "__main__":`'
        )
    return f"the submission failed at import: {type(exc).__name__}: {exc}"[:MESSAGE_LIMIT]


def describe_error(exc: BaseException, submission_path: str) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    own = [frame for frame in frames if os.path.realpath(frame.filename) == submission_path]
    where = f"{os.path.basename(submission_path)}:{own[-1].lineno}" if own else None
    if isinstance(exc, SystemExit):
        message = f"the submission called sys.exit({exc.code!r})"
    else:
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001 - a message that cannot be made is still an error
            message = "(the exception's message could not be read)"
    return {"type": type(exc).__name__, "message": message[:MESSAGE_LIMIT], "where": where}


class CappedOutput(io.TextIOBase):
    """Keeps the last OUTPUT_LIMIT characters of what one request prints; past PRINT_LIMIT in all, printing
    raises (a flood of output is stopped where it starts, not held in memory)."""

    def __init__(self) -> None:
        self.kept = ""
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.total += len(text)
        if self.total > PRINT_LIMIT:
            raise OSError(f"the submission printed more than {PRINT_LIMIT // 2**20} MB in one call")
        self.kept = (self.kept + text)[-OUTPUT_LIMIT:]
        return len(text)

    def getvalue(self) -> str:
        return self.kept


@contextlib.contextmanager
def captured_output():
    """The prints of one request, to send back with its answer (the suite shows them with the test)."""
    buffer = CappedOutput()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


def refuse_sockets() -> None:
    """The fallback when no network namespace is available: refuse connections in this process."""

    def refused(*args, **kwargs):
        raise PermissionError("network access is disabled while grading")

    for name in ("connect", "connect_ex", "bind", "sendto"):
        setattr(socket.socket, name, refused)
    socket.create_connection = refused
    socket.getaddrinfo = refused


class Server:
    def __init__(self, spec: dict) -> None:
        self.inbox, self.outbox = spec["in"], spec["out"]
        self.submission_path = os.path.realpath(spec["submission"])
        self.module_path = spec.get("module_path")
        self.objects = Objects()
        self.submission: ModuleType | None = None
        self.probes: ModuleType | None = None
        for fd in (self.inbox, self.outbox):
            os.set_inheritable(fd, False)  # processes the submission starts do not get the channel

    def start(self, probes_path: str | None) -> dict:
        if probes_path:
            try:
                with long_lived_imports():
                    self.probes = load_module(PROBES_MODULE, probes_path)
                if hasattr(self.probes, "setup"):
                    self.probes.setup()
            except BaseException as exc:  # noqa: BLE001 - the exercise's own code: say so, plainly
                return {"ready": False, "error": f"the exercise's probes failed: {type(exc).__name__}: {exc}"}
        if not getattr(self.probes, "IMPORT_SUBMISSION", True):  # the probes start it elsewhere (worker processes)
            return {"ready": True, "output": ""}
        if self.module_path:  # the exercise's modules beside the solution, importable by their names
            sys.path.insert(0, self.module_path)
        try:
            with captured_output() as output:
                self.submission = load_module(SUBMISSION_MODULE, self.submission_path)
        except BaseException as exc:  # noqa: BLE001 - any failure at import is the candidate's to see
            sys.modules.pop(SUBMISSION_MODULE, None)
            return {"ready": False, "error": import_failure(exc), "output": output.getvalue()[-OUTPUT_LIMIT:]}
        return {"ready": True, "output": output.getvalue()[-OUTPUT_LIMIT:]}

    def answer(self, request: object) -> dict:
        if not isinstance(request, dict) or request.get("op") not in ("call", "probe", "release"):
            return {"ok": False, "error": {"type": "ProtocolError", "message": "unknown request", "where": None}}
        if request["op"] == "release":
            for handle in request.get("handles", []):
                self.objects.by_id.pop(handle, None)
            return {"ok": True, "value": None, "output": ""}
        owner = self.submission if request["op"] == "call" else self.probes
        name = request.get("name")
        with captured_output() as output:
            try:
                function = getattr(owner, name, None) if isinstance(name, str) else None
                if not callable(function):
                    raise AttributeError(
                        f"the submission has no function {name!r}"
                        if request["op"] == "call"
                        else f"the exercise has no probe {name!r}"
                    )
                args = self.objects.resolve(request.get("args", []))
                kwargs = self.objects.resolve(request.get("kwargs", {}))
                value = self.objects.plain(function(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - everything the call raised goes back as data
                return {
                    "ok": False,
                    "error": describe_error(exc, self.submission_path),
                    "output": output.getvalue()[-OUTPUT_LIMIT:],
                }
        return {"ok": True, "value": value, "output": output.getvalue()[-OUTPUT_LIMIT:]}

    def serve(self) -> None:
        while True:
            request = protocol.read_frame(self.inbox)
            if request is None:
                return
            reply = self.answer(request)
            try:
                protocol.write_frame(self.outbox, reply)
            except (TypeError, ValueError) as exc:  # e.g. a value nested too deeply: say so instead
                protocol.write_frame(
                    self.outbox,
                    {
                        "ok": False,
                        "output": "",
                        "error": {
                            "type": "ProtocolError",
                            "message": f"the result could not be sent: {exc}",
                            "where": None,
                        },
                    },
                )


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    if spec.get("deny_network"):
        refuse_sockets()
    server = Server(spec)
    protocol.write_frame(server.outbox, {"started": True})  # before any line of the submission or the probes
    protocol.write_frame(server.outbox, server.start(spec.get("probes")))
    server.serve()
    return 0


if __name__ == "__main__":
    leave(main(sys.argv))
