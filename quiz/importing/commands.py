"""`quiz import-doc FILE.md`: an interview-prep document in, a draft bank folder out, and what it made said."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from quiz import paths
from quiz.errors import CommandFailed, ExitCode, UsageError
from quiz.options import common_options

_DECK_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def register(sub, parent: argparse.ArgumentParser) -> None:
    # its own --lang (the document's, detected when not given) replaces the common one, on a copy of the options
    command = sub.add_parser(
        "import-doc",
        parents=[common_options(suppress=True)],
        conflict_handler="resolve",
        help="turn an interview-prep Markdown document into a draft bank",
        description="Read a Markdown interview document (面试题 / 题目 / Question / Q: labels or headings, answers "
        "as bullets, code blocks) and write a draft bank: one open question per interview question "
        "(passes that ask it again merged), one code-review question per programming task, every "
        "bullet a key point. The deck is in the document's language. Review it, then `quiz validate "
        "DIR` and `quiz --bank DIR`.",
    )
    command.add_argument("document", metavar="FILE.md")
    command.add_argument("--output", metavar="DIR", help="the bank folder to write (default: ./<deck id>)")
    command.add_argument("--deck", metavar="ID", help="the deck's id (default: from the document's title)")
    command.add_argument(
        "--lang",
        dest="document_lang",
        choices=("zh", "en"),
        default=None,
        help="the document's language (default: detected from its questions)",
    )
    command.add_argument("--force", action="store_true", help="replace deck files that already exist in DIR")
    command.add_argument(
        "--no-thesaurus",
        action="store_true",
        help="use only the document's own words as synonyms (default: also borrow the everyday "
        "phrasings the bank in use lists for the same words)",
    )
    command.set_defaults(run=run_import_doc)


def run_import_doc(args: argparse.Namespace) -> int:
    from quiz.bank import check_files
    from quiz.bank.dump import write_deck
    from quiz.importing import document, to_bank

    source = Path(args.document)
    if args.deck is not None and not _DECK_ID.match(args.deck):
        raise UsageError(f"--deck {args.deck!r} is not a valid id (lowercase letters, digits, '-', '_')")
    try:
        text = source.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise UsageError(f"{source} is a directory, not a document") from None
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CommandFailed(
            f"quiz: {source} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    read = document.read(text)
    if not read.questions:
        raise CommandFailed(
            f"quiz: no interview questions found in {source} "
            f"(looked for 面试题 / 题目 / 题目描述 / Question / Q: labels and headings)"
        )
    thesaurus = None if args.no_thesaurus else _thesaurus(args)
    made = to_bank.draft(read, source.name, deck=args.deck, lang=args.document_lang, thesaurus=thesaurus)
    output = Path(args.output) if args.output else Path(next(iter(made.decks)).split(".")[0])
    targets = {ident: output / f"{ident}.yaml" for ident in made.decks}
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing and not args.force:
        raise UsageError(f"{', '.join(existing)} already exists; pass --force to replace it")
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file, not a folder")
    output.mkdir(parents=True, exist_ok=True)
    for ident, data in made.decks.items():
        write_deck(targets[ident], data)
    _report(source, output, made)
    _, problems = check_files(list(targets.values()), set(paths.exercise_names()))
    if problems:
        raise CommandFailed(*map(str, problems), f"quiz: the draft has {len(problems)} problem(s): please report this")
    print(f"next: review {output}, then `quiz validate {output}` and `quiz --bank {output}`")
    return ExitCode.OK


def _thesaurus(args: argparse.Namespace):
    """The bank in use as a thesaurus; none (and a note) when it does not load."""
    from quiz.bank import BankError, load_bank
    from quiz.importing.thesaurus import Thesaurus

    target = paths.bank_dir(getattr(args, "bank", None))
    try:
        return Thesaurus.of_bank(load_bank(target, set(paths.exercise_names())))
    except (BankError, OSError):
        print(f"note: the bank at {target} does not load: synonyms come from the document only", file=sys.stderr)
        return None


def _report(source: Path, output: Path, made) -> None:
    questions = [q for deck in made.decks.values() for q in deck["questions"]]
    tasks = sum(q["type"] == "code-review" for q in questions)
    points = sum(one.points for one in made.made)
    merged = sum(one.merged for one in made.made)
    snippets = sum(one.snippets for one in made.made)
    broken = sum(len(one.broken) for one in made.made)
    print(
        f"{source} -> {output}: {len(made.decks)} deck(s) in {made.language}, {len(questions)} question(s) "
        f"({len(questions) - tasks} open, {tasks} code-review), {points} key point(s) "
        f"({merged} repeated bullet(s) merged), {snippets} snippet(s)" + (f" ({broken} kept broken)" if broken else "")
    )
    for ident in made.decks:
        print(f"  {output / (ident + '.yaml')}")
    for one in made.made:
        again = f" from {one.passes} passes" if one.passes > 1 else ""
        print(
            f"  {one.id}  line {one.line}: {one.points} key point(s){again}"
            + (f", {one.merged} merged" if one.merged else "")
            + (f", {one.snippets} snippet(s)" if one.snippets else "")
        )
        for line, why in one.broken:
            print(f"{source}:{line}: note: Python code does not parse ({why}): kept as written, marked broken")
    for line, what in made.unsure:
        print(f"{source}:{line}: unsure: {what}")
