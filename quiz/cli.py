"""The `quiz` command: argument parsing only. Each subcommand lives in the room it belongs to and is
registered here; heavy imports (Textual, TensorFlow) happen inside the command that needs them."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from quiz import __version__
from quiz.errors import CommandFailed, ExitCode, UsageError
from quiz.options import common_options, default_lang


def build_parser() -> argparse.ArgumentParser:
    from quiz.bank import commands as bank_commands
    from quiz.grading import commands as grading_commands
    from quiz.review import commands as review_commands
    from quiz.anki import commands as anki_commands
    from quiz.exercises import commands as exercise_commands
    from quiz.serve import commands as serve_commands
    from quiz.importing import commands as import_commands

    parser = argparse.ArgumentParser(
        prog="quiz",
        parents=[common_options(suppress=False)],
        description="Practise AI-engineering interview questions. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"quiz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parent = common_options(suppress=True)
    rooms = (
        bank_commands,
        review_commands,
        grading_commands,
        exercise_commands,
        anki_commands,
        import_commands,
        serve_commands,
    )
    for room in rooms:
        room.register(sub, parent)
    return parser


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
        return ExitCode.USAGE
    except CommandFailed as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("quiz: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("QUIZ_DEBUG"):
            raise
        print(
            f"quiz: internal error: {type(exc).__name__}: {exc} (set QUIZ_DEBUG=1 for the traceback)", file=sys.stderr
        )
        return ExitCode.INTERNAL
