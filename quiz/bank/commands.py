"""`quiz validate` and `quiz list`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from quiz import paths
from quiz.bank.model import QuestionType
from quiz.errors import CommandFailed, ExitCode, UsageError

TYPES = tuple(QuestionType)


def register(sub, parent: argparse.ArgumentParser) -> None:
    validate = sub.add_parser(
        "validate",
        parents=[parent],
        help="check question bank files and report every problem",
        description="Check bank files (default: the bank in use) and print every problem as "
        "PATH:LINE:COL: message. Exit 0 when valid, 1 when not, 2 on usage errors.",
    )
    validate.add_argument("paths", nargs="*", metavar="PATH", help="YAML files or directories")
    validate.set_defaults(run=run_validate)

    listing = sub.add_parser("list", parents=[parent], help="list the questions of the bank")
    listing.add_argument("--topic", help="only this topic")
    listing.add_argument("--type", choices=TYPES, help="only this type of question")
    listing.add_argument("--deck", help="only this deck")
    listing.add_argument("--json", action="store_true", help="print JSON (a list of objects)")
    listing.set_defaults(run=run_list)


def run_validate(args: argparse.Namespace) -> int:
    from quiz.bank import check_files

    targets = [Path(p) for p in args.paths] or [paths.bank_dir(getattr(args, "bank", None))]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    parsed_files, problems = check_files(targets, set(paths.exercise_names()))
    for problem in problems:
        print(problem)
    if problems:
        files_with = len({p.path for p in problems})
        print(f"{len(problems)} problem(s) in {files_with} file(s)", file=sys.stderr)
        return ExitCode.INVALID
    from quiz.bank.checks import broken_snippets

    for note in (note for parsed in parsed_files for note in broken_snippets(parsed)):
        print(note)
    questions = sum(len(p.data.get("questions", [])) for p in parsed_files)
    print(f"ok: {questions} questions in {len(parsed_files)} file(s) are valid")
    return ExitCode.OK


def bank_in_use(args: argparse.Namespace):
    """The bank --bank (or $QUIZ_BANK, or the package) names; `CommandFailed` with its problems if invalid."""
    from quiz.bank import BankError, load_bank

    target = paths.bank_dir(getattr(args, "bank", None))
    if not target.exists():
        raise UsageError(f"no such bank: {target}")
    try:
        return load_bank(target, set(paths.exercise_names()))
    except BankError as exc:
        raise CommandFailed(
            *map(str, exc.problems),
            f"quiz: the bank at {target} is invalid ({len(exc.problems)} problem(s)); run 'quiz validate {target}'",
        ) from None


def run_list(args: argparse.Namespace) -> int:
    bank = bank_in_use(args)
    lang = args.lang
    for option, known in (("topic", bank.topics()), ("deck", [d.id for d in bank.decks])):
        wanted = getattr(args, option)
        if wanted and wanted not in known:  # a typo would otherwise list nothing and exit 0
            raise UsageError(f"no {option} '{wanted}' in the bank (known: {', '.join(known)})")
    questions = [
        q
        for q in bank.questions
        if (not args.topic or q.topic == args.topic)
        and (not args.type or q.type == args.type)
        and (not args.deck or q.deck == args.deck)
    ]
    elsewhere = sorted({q.deck for q in questions if q.shown_in(lang) != lang})
    if elsewhere:
        print(f"note: deck(s) {', '.join(elsewhere)} written in one language: shown in it", file=sys.stderr)
    if args.json:
        rows = [
            {
                "id": q.id,
                "type": q.type,
                "topic": q.topic,
                "deck": q.deck,
                "tags": list(q.tags),
                "difficulty": q.difficulty,
                "prompt": q.prompt(lang),
            }
            for q in questions
        ]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return ExitCode.OK
    width = max((len(q.id) for q in questions), default=2)
    topic_width = max((len(q.topic) for q in questions), default=5)
    for q in questions:
        print(f"{q.id:<{width}}  {q.type:<11}  {q.topic:<{topic_width}}  {q.prompt(lang).splitlines()[0]}")
    print(f"{len(questions)} question(s)", file=sys.stderr)
    return ExitCode.OK
