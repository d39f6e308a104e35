"""The solution as the suite's process sees it when the tests import it by name (`from lasagna import bake`).

`SolutionModule` stands in `sys.modules` under the solution's name. Each name the tests take from it is looked up
in the submission's process (solution_probes.py) and becomes, here:

    a value                 the same value, rebuilt from data (values.py): a tuple stays a tuple
    a function              a function of ours that sends its arguments over and rebuilds what comes back
    an exception class      a class of ours with the same name and builtin base, raised when the solution raises it
    a missing name          AttributeError, so `from lasagna import x` is the ImportError Python gives

Anything else (a class to instantiate, a function's object result, an object passed as an argument) is a live
object that cannot cross: `LiveObjectNeeded` is raised, so the run says so instead of judging a stand-in.
"""

from __future__ import annotations

import builtins
import json
import types
from collections.abc import Callable

from quiz.grading.remote import SubmissionProcess
from quiz.grading.values import NotData, decode, encode

UNRAISABLE = ("SystemExit", "KeyboardInterrupt", "GeneratorExit")  # never rebuilt here: plain errors instead


class LiveObjectNeeded(BaseException):
    """The tests need one of the solution's objects itself, which stays in its process. A BaseException, so a
    suite's `except Exception` does not take it for the solution's error. Each one raised is recorded
    (`live_objects_needed`): the grader then knows the split cannot carry this suite."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        _needed.append(message)


_needed: list[str] = []


def live_objects_needed() -> list[str]:
    """Why this run's tests needed the solution's live objects, in the order they did (empty: they never did)."""
    return list(_needed)


class SolutionModule(types.ModuleType):
    def __init__(self, name: str, connect: Callable[[], SubmissionProcess]) -> None:
        super().__init__(name, f"the solution, {name}.py, run in its own process")
        self.__file__ = f"{name}.py"
        self._connect = connect
        self._stand_ins: dict[str, type] = {}

    def __getattr__(self, attr: str):
        if attr.startswith("__") or attr in ("_connect", "_stand_ins"):
            raise AttributeError(attr)
        process = self._connect()
        info = _answer(process, process.probe("describe", attr), f"looking up {attr}")
        kind = info.get("kind")
        if kind == "missing":
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        if kind == "value":
            value = _decoded(process, info.get("value"), f"looking up {attr}")
        elif kind == "function":
            doc = info.get("doc")
            value = remote_function(self, process, attr, doc if isinstance(doc, str) else None)
        elif kind == "exception":
            value = self.stand_in(process, attr, info.get("base"))
        elif kind == "object":
            raise LiveObjectNeeded(
                f"{self.__name__}.{attr} is a {str(info.get('type'))[:80]}: the tests use the "
                "solution's objects themselves, which stay in its sandboxed process"
            )
        else:
            process.violation(f"looking up {attr}", f"a name described as {str(kind)[:40]!r}")
        setattr(self, attr, value)  # looked up once
        return value

    def stand_in(self, process: SubmissionProcess, name: object, base: object) -> type:
        """Our class for the solution's exception class `name`, deriving from the same builtin exception."""
        if not (isinstance(name, str) and name.isidentifier()):
            process.violation("rebuilding an exception", f"a class name that is not an identifier: {str(name)[:80]!r}")
        if name not in self._stand_ins:
            self._stand_ins[name] = type(name, (builtin_exception(base),), {"__module__": self.__name__})
        return self._stand_ins[name]

    def rebuild(self, process: SubmissionProcess, raised: dict) -> BaseException:
        """The exception the solution raised, as one of ours: a builtin as itself, its own class as a stand-in."""
        name, base = raised.get("type"), raised.get("base")
        message = str(raised.get("message", ""))
        if raised.get("own") or name not in _builtin_exceptions():
            cls = self.stand_in(process, name, base)
        else:
            cls = getattr(builtins, name)
        try:
            args = (
                _decoded(process, raised["args"], "rebuilding an exception")
                if raised.get("args") is not None
                else (message,)
            )
            return cls(*args) if isinstance(args, tuple) else cls(message)
        except Exception:  # noqa: BLE001 - a class whose arguments we cannot rebuild: its message, plainly
            return RuntimeError(f"{name}: {message}")


def remote_function(module: SolutionModule, process: SubmissionProcess, name: str, doc: str | None):
    def function(*args, **kwargs):
        try:
            request = json.dumps(encode([list(args), kwargs]))
        except NotData as exc:
            raise LiveObjectNeeded(
                f"{name}() was given {exc}: only data crosses to the solution's sandboxed process"
            ) from None
        answer = _answer(process, process.probe("call", name, request), f"{name}()")
        write_back(process, answer.get("after"), args, kwargs, f"{name}()")
        if "argument" in answer:  # it returned an argument itself: the caller's own object, as changed
            which = answer["argument"]
            if type(which) is int and 0 <= which < len(args):
                return args[which]
            if isinstance(which, str) and which in kwargs:
                return kwargs[which]
            process.violation(f"{name}()", "a returned argument that was not given")
        if "value" in answer:
            return _decoded(process, answer["value"], f"{name}()")
        if isinstance(answer.get("raised"), dict):
            raise module.rebuild(process, answer["raised"])
        raise LiveObjectNeeded(
            f"{name}() returned a {str(answer.get('object'))[:80]}, an object: the tests use "
            "it itself, and it stays in the solution's sandboxed process"
        )

    function.__name__ = function.__qualname__ = name
    function.__module__ = module.__name__
    function.__doc__ = doc
    return function


def write_back(process: SubmissionProcess, after: object, args: tuple, kwargs: dict, what: str) -> None:
    """The new contents of the list, dict and set arguments the solution changed, put into the caller's own
    objects: a solution that appends to the list it was given changes the test's list, as in one process."""
    if not isinstance(after, dict):
        return
    states = list(zip(args, after.get("args") or [])) + [
        (kwargs[key], state) for key, state in (after.get("kwargs") or {}).items() if key in kwargs
    ]
    for original, state in states:
        if state is None or type(original) not in (list, dict, set):
            continue
        new = _decoded(process, state, what)
        if type(new) is not type(original):
            process.violation(what, "an argument that came back as another type")
        if new != original:
            if isinstance(original, list):
                original[:] = new
            else:
                original.clear()
                original.update(new)


def builtin_exception(name: object) -> type:
    if name in _builtin_exceptions():
        return getattr(builtins, name)
    return Exception


def _builtin_exceptions() -> set[str]:
    return {
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException) and name not in UNRAISABLE
    }


def _answer(process: SubmissionProcess, text: object, what: str) -> dict:
    """A probe's JSON answer, checked: a dict, or the process is stopped for a protocol violation (never an error
    of a type a suite might expect, such as ValueError)."""
    try:
        answer = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        answer = None
    if not isinstance(answer, dict):
        process.violation(what, "an answer that is not a JSON object")
    return answer


def _decoded(process: SubmissionProcess, data: object, what: str) -> object:
    try:
        return decode(data)
    except (ValueError, TypeError, RecursionError) as exc:
        process.violation(what, f"a value that is not data ({str(exc)[:80]})")
