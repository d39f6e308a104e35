"""The `quiz` command: argument parsing only. Each subcommand lives in the room it belongs to and is
registered here; heavy imports (Textual, TensorFlow) happen inside the command that needs them."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from quiz import __version__

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or a missing file: one line on stderr, exit 2."""


def common_options(*, suppress: bool) -> argparse.ArgumentParser:
    """Options every command takes, before or after the subcommand name."""
    default = argparse.SUPPRESS if suppress else None
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--bank", metavar="DIR", default=default,
                        help="question bank directory or file (default: $QUIZ_BANK, else the packaged bank)")
    parent.add_argument("--data-dir", metavar="DIR", default=default,
                        help="where progress is kept (default: $QUIZ_DATA_DIR, else the XDG data directory)")
    parent.add_argument("--lang", choices=("zh", "en"), default=default,
                        help="language of questions and answers (default: from the locale)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    from quiz.bank import commands as bank_commands
    from quiz.grading import commands as grading_commands
    from quiz.review import commands as review_commands
    from quiz.anki import commands as anki_commands
    from quiz.exercises import commands as exercise_commands
    from quiz.serve import commands as serve_commands
    from quiz.importing import commands as import_commands

    parser = argparse.ArgumentParser(
        prog="quiz", parents=[common_options(suppress=False)],
        description="Practise AI-engineering interview questions. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"quiz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parent = common_options(suppress=True)
    rooms = (bank_commands, review_commands, grading_commands, exercise_commands, anki_commands, import_commands,
             serve_commands)
    for room in rooms:
        room.register(sub, parent)
    return parser


def default_lang() -> str:
    """zh when the locale says Chinese, else en."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def run_app(args: argparse.Namespace) -> int:
    from quiz.tui.launch import launch

    return launch(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang is None:
        args.lang = default_lang()
    command = getattr(args, "run", run_app)
    try:
        return command(args)
    except UsageError as exc:
        print(f"quiz: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("quiz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("QUIZ_DEBUG"):
            raise
        print(f"quiz: internal error: {type(exc).__name__}: {exc} (set QUIZ_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 70
