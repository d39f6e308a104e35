"""`quiz` with no command: load the bank, run the app, return its exit code.

An invalid or empty bank still opens the app, on a screen listing every problem (exit 1 after it); a store
that cannot be opened ends with one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys

from quiz.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE


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
    return QuizApp(bank=bank, bank_path=bank_path, problems=problems, lang=getattr(args, "lang", None) or "en",
                   data_dir=getattr(args, "data_dir", None), editor=os.environ.get("VISUAL") or os.environ.get("EDITOR"),
                   **options)


def launch(args: argparse.Namespace) -> int:
    from quiz import paths

    bank_path = paths.bank_dir(getattr(args, "bank", None))
    if not bank_path.exists():
        print(f"quiz: no such bank: {bank_path}", file=sys.stderr)
        return EXIT_USAGE
    app = build_app(args)
    app.run()
    if app.error_line:
        print(f"quiz: {app.error_line}", file=sys.stderr)
    if app.return_code is not None and app.return_code != 0:
        return app.return_code
    return EXIT_INVALID if app.problems else EXIT_OK
