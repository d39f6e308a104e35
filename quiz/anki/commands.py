"""`quiz anki export` and `quiz anki import`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quiz.errors import CommandFailed, ExitCode, UsageError
from quiz.options import common_options


def register(sub, parent: argparse.ArgumentParser) -> None:
    anki = sub.add_parser(
        "anki",
        help="export the bank to Anki, or import an Anki deck as a bank",
        description="Move question banks to and from Anki (.apkg files).",
    )
    commands = anki.add_subparsers(dest="anki_command", metavar="COMMAND", required=True)

    # its own --lang (zh, en or both) replaces the common one: on a copy of the common options, which
    # conflict_handler="resolve" edits, never on the parser every other command shares
    export = commands.add_parser(
        "export",
        parents=[common_options(suppress=True)],
        conflict_handler="resolve",
        help="write the bank as an Anki package",
        description="One Anki note per question, one Anki deck per bank deck (quiz::<deck id>). Notes keep their "
        "GUIDs from export to export, so importing the file again in Anki updates them.",
    )
    export.add_argument("--deck", action="append", metavar="ID", help="only this deck (repeatable)")
    export.add_argument(
        "--lang",
        choices=("zh", "en", "both"),
        default="both",
        help="the language of the cards (default: both, Chinese then English)",
    )
    export.add_argument("--output", required=True, metavar="FILE.apkg", help="the package to write")
    export.set_defaults(run=run_export)

    importing = commands.add_parser(
        "import",
        parents=[parent],
        help="turn an Anki package into a bank folder",
        description="Write one YAML deck file per Anki deck into DIR; `quiz validate DIR` accepts it and "
        "`quiz --bank DIR` drills it.",
    )
    importing.add_argument("package", metavar="FILE.apkg")
    importing.add_argument("--output", required=True, metavar="DIR", help="the bank folder to write")
    importing.set_defaults(run=run_import)


def run_export(args: argparse.Namespace) -> int:
    from quiz.anki import export
    from quiz.bank.commands import bank_in_use

    bank = bank_in_use(args)
    known = {deck.id for deck in bank.decks}
    unknown = [deck for deck in args.deck or [] if deck not in known]
    if unknown:
        raise UsageError(f"no such deck: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    output = Path(args.output)
    if not output.parent.is_dir():
        raise UsageError(f"no such folder for {args.output}")
    try:
        counts = export.build(bank, output, lang=args.lang, decks=args.deck)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(
        f"wrote {args.output}: {sum(counts.values())} notes in {len(counts)} decks "
        f"({', '.join(f'{name} {count}' for name, count in counts.items())})",
        file=sys.stderr,
    )
    return ExitCode.OK


def run_import(args: argparse.Namespace) -> int:
    from quiz.anki.package import NotAnAnkiPackage, read_package
    from quiz.anki.to_bank import to_decks, write_bank

    package = Path(args.package)
    if not package.is_file():
        raise UsageError(f"no such file: {args.package}")
    output = Path(args.output)
    if output.exists() and (not output.is_dir() or any(output.glob("*.yaml"))):
        raise UsageError(f"{args.output} already holds a bank (or is a file): choose an empty or new folder")
    try:
        collection, notes = read_package(package)
    except NotAnAnkiPackage as exc:
        raise CommandFailed(f"quiz: {exc}") from None
    decks = to_decks(notes, package.name)
    if not decks:
        raise CommandFailed(f"quiz: {package} holds no note with a front and a back to ask")
    try:
        written = write_bank(decks, output)
    except OSError as exc:
        raise UsageError(f"cannot write under {args.output}: {exc.strerror or exc}") from None
    count = sum(len(deck["questions"]) for deck in decks.values())
    print(
        f"read {collection} from {package.name}: {count} questions in {len(written)} deck files under "
        f"{args.output}; check them with: quiz validate {args.output}",
        file=sys.stderr,
    )
    return ExitCode.OK
