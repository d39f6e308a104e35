"""The options every `quiz` command takes, and the language the locale asks for."""

from __future__ import annotations

import argparse
import os


def common_options(*, suppress: bool) -> argparse.ArgumentParser:
    """Options every command takes, before or after the subcommand name."""
    default = argparse.SUPPRESS if suppress else None
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--bank",
        metavar="DIR",
        default=default,
        help="question bank directory or file (default: $QUIZ_BANK, else the packaged bank)",
    )
    parent.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="where progress is kept (default: $QUIZ_DATA_DIR, else the XDG data directory)",
    )
    parent.add_argument(
        "--lang",
        choices=("zh", "en"),
        default=default,
        help="language of questions and answers (default: from the locale)",
    )
    return parent


def default_lang() -> str:
    """zh when the locale says Chinese, else en."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
