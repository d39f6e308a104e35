"""`quiz` with no command: load the bank, run the app, return its exit code.

An invalid or empty bank still opens the app, on a screen listing every problem (exit 1 after it); a store
that cannot be opened ends with one line on stderr. Quitting while an exercise's tests run ends the run too.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

from quiz.errors import ExitCode, UsageError
from quiz.fast_exit import leave


def build_app(args: argparse.Namespace, **options):
    """The app for these arguments: the bank loaded (or its problems), nothing else opened yet."""
    from quiz import paths
    from quiz.bank import BankError, load_bank
    from quiz.tui.app import QuizApp

    bank_path = paths.bank_dir(getattr(args, "bank", None))
    bank, problems = None, []
    try:
        bank = load_bank(bank_path, set(paths.exercise_names()))
    except BankError as exc:
        problems = exc.problems
    return QuizApp(
        bank=bank,
        bank_path=bank_path,
        problems=problems,
        lang=getattr(args, "lang", None) or "en",
        data_dir=getattr(args, "data_dir", None),
        editor=os.environ.get("VISUAL") or os.environ.get("EDITOR"),
        **options,
    )


def launch(args: argparse.Namespace) -> int:
    from quiz import paths

    bank_path = paths.bank_dir(getattr(args, "bank", None))
    if not bank_path.exists():
        raise UsageError(f"no such bank: {bank_path}")
    app = build_app(args)
    app.run()
    if app.error_line:
        print(f"quiz: {app.error_line}", file=sys.stderr)
    if app.return_code is not None and app.return_code != 0:
        code = app.return_code
    else:
        code = ExitCode.INVALID if app.bank_is_invalid else ExitCode.OK
    if any(t.is_alive() for t in threading.enumerate() if t is not threading.main_thread()):
        # a grading run is still going (the user quit while tests ran): end now, without tearing down the
        # interpreter under its thread; the grader's lifeline ends the suite and the submission.
        leave(code)
    return code
