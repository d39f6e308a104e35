"""Probes for suites that import the solution by its own name (Exercism's layout): run in the submission's process.

The suite's process holds a stand-in module (solution_module.py) whose names are looked up here: `describe` says
what a name is, `call` calls a function with arguments made from data and sends back its value as data (values.py)
or the exception it raised. Both answer in JSON text (a string crosses the wire at any depth of nesting).
Nothing here decides anything: the suite compares what it is sent.
"""

from __future__ import annotations

import builtins
import json
import sys
import types

from quiz.grading.values import NotData, decode, encode

MESSAGE_LIMIT = 2000


def _solution() -> types.ModuleType:
    return sys.modules["submission"]


def describe(name: str) -> str:
    """What the solution's `name` is: missing, a value (sent), a function, an exception class, or an object."""
    return json.dumps(_describe(name))


def call(name: str, request: str) -> str:
    """Call the solution's function `name` with [args, kwargs] (encoded, as JSON): {"value": data},
    {"raised": exception} or {"object": type name}, as JSON."""
    args, kwargs = decode(json.loads(request))
    return json.dumps(_call(name, args, kwargs))


def _describe(name: str) -> dict:
    module = _solution()
    if not isinstance(name, str) or not hasattr(module, name):
        return {"kind": "missing"}
    value = getattr(module, name)
    if isinstance(value, type) and issubclass(value, BaseException):
        return {"kind": "exception", "base": builtin_base(value)}
    if isinstance(value, type) or isinstance(value, types.ModuleType):
        return {"kind": "object", "type": "class" if isinstance(value, type) else "module"}
    if callable(value):
        doc = getattr(value, "__doc__", None)
        return {"kind": "function", "doc": doc if isinstance(doc, str) else None}
    try:
        return {"kind": "value", "value": encode(value)}
    except NotData as exc:
        return {"kind": "object", "type": exc.type_name}


def _call(name: str, positional: list, named: dict) -> dict:
    """The call's outcome, and what became of its list, dict and set arguments (a solution may change them in
    place, as the tests' own objects: the suite writes their new contents back into them)."""
    function = getattr(_solution(), name)
    try:
        value = function(*positional, **named)
    except Exception as exc:  # noqa: BLE001 - what the solution raised is the suite's to judge
        return {"raised": describe_exception(exc), "after": after(positional, named)}
    outcome: dict = {"after": after(positional, named)}
    same = [i for i, arg in enumerate(positional) if arg is value and type(arg) in MUTABLE]
    same_named = [key for key, arg in named.items() if arg is value and type(arg) in MUTABLE]
    if same or same_named:  # the argument itself, returned: the suite returns its own object
        outcome["argument"] = same[0] if same else same_named[0]
        return outcome
    try:
        outcome["value"] = encode(value)
    except NotData as exc:
        outcome = {"object": exc.type_name}
    return outcome


MUTABLE = (list, dict, set)


def after(positional: list, named: dict) -> dict:
    def state(arg):
        if type(arg) not in MUTABLE:
            return None
        try:
            return encode(arg)
        except NotData:
            return None

    return {"args": [state(arg) for arg in positional], "kwargs": {key: state(arg) for key, arg in named.items()}}


def describe_exception(exc: Exception) -> dict:
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a message that cannot be made
        message = ""
    try:
        args = encode(tuple(exc.args))
    except NotData:
        args = None
    own = type(exc).__module__ != "builtins"
    return {
        "type": type(exc).__name__,
        "own": own,
        "base": builtin_base(type(exc)),
        "args": args,
        "message": message[:MESSAGE_LIMIT],
    }


def builtin_base(cls: type) -> str:
    """The nearest builtin exception class `cls` derives from."""
    return next(
        base.__name__
        for base in cls.__mro__
        if base.__module__ == "builtins" and getattr(builtins, base.__name__, None) is base
    )
