"""The submission as a worker sees it: imported under one name, its functions called so that what they raise is
reported with the function's name, and the candidate's own traceback printed without the worker's frames."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

SUBMISSION_MODULE = "submission"


class SubmissionError(Exception):
    """A function of the submission raised, or is missing: the message names the function."""


def call(module, name: str, *args, **kwargs):
    function = getattr(module, name, None)
    if not callable(function):
        raise SubmissionError(f"the submission has no function {name}()")
    try:
        return function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported with the function's name; the traceback is printed too
        raise SubmissionError(f"{name}() raised {describe_error(exc)}") from exc


def import_submission(path: Path):
    spec = importlib.util.spec_from_file_location(SUBMISSION_MODULE, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[SUBMISSION_MODULE] = module
    spec.loader.exec_module(module)
    return module


def describe_error(exc: BaseException) -> str:
    """One line: the exception's type and its first line; for TensorFlow's "in user code:" errors, the last line,
    which names the error that was raised in the traced function."""
    if isinstance(exc, SubmissionError):
        return str(exc)
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines and lines[0] == "in user code:" else (lines[0] if lines else "")
    name = type(exc).__name__
    text = text if text.startswith(name) else f"{name}: {text}"
    return text.strip().rstrip(":")


def print_submission_traceback(exc: BaseException) -> None:
    """The traceback of what the submission raised, without the worker's frames that wrapped it: that is what the
    candidate can fix. A missing function has no traceback worth showing; the FAILED_MARK line says it all."""
    if isinstance(exc, SubmissionError):
        if exc.__cause__ is None:
            return
        exc = exc.__cause__
    traceback.print_exception(exc)
