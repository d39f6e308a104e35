"""The brief a held-out answer writer gets: every open and code-review question's prompt, the code under review,
and its key points' statements and ids, in both languages, and nothing of the scorer (no synonyms, no
`contradicts:` phrases). Writers who see only this cannot write to the scorer's words.

    python -m tests.review.writer_brief > brief.md        (from the project root)
    python -m tests.review.writer_brief --check FILE.yaml  a writer's file: its shape, ids and kinds (scores nothing)
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

from quiz.bank.model import QuestionType

from .labelled_set import KINDS, NOTHING, load_real_bank

FIELDS = ("question", "lang", "kind", "covers", "contradicts", "grade", "answer")

RULES = f"""\
# Writing labelled answers

You write answers to the questions below as candidates in an interview would, and label each by hand. Write in
your own voices; never try to guess how a program scores them.

Each answer is a YAML item:

    - question: QUESTION_ID
      lang: zh | en | mixed
      kind: KIND
      covers: [key point ids the answer truly makes]
      contradicts: [key point ids whose opposite the answer asserts]
      grade: 0-4   (0 nothing of worth, 4 an answer you would pass with full marks)
      answer: >-
        TEXT

Kinds: {", ".join(KINDS)}.
- `good` makes most points well; `paraphrase` is correct in everyday words, no jargon; `partial` makes some;
- `vague` says nothing concrete; `off-topic` answers another question; `parrot` restates the question;
- `list` only names terms (nouns strung with commas or 、, no claim about any of them);
- `denial` negates the points ("not free", "没有社区"); `contradiction` states a misconception (the points it gets
  wrong go in `contradicts`, the ones it gets right in `covers`).
- vague, off-topic, parrot, list and denial answers cover nothing: their `covers` is [].
- A point is covered only when the answer says it, not when it names a word from it.
"""


def brief() -> str:
    bank = load_real_bank()
    lines = [RULES]
    for question in bank.questions:
        if question.type not in (QuestionType.OPEN, QuestionType.CODE_REVIEW):
            continue
        lines.append(f"## {question.id} ({question.type})")
        for lang in question.languages:
            lines.append(f"- prompt ({lang}): {' '.join(question.prompt(lang).split())}")
        if question.type == QuestionType.CODE_REVIEW:
            for snippet in question.code:
                lines += [f"```{snippet.language}", snippet.source.rstrip(), "```"]
        lines.append("- key points:")
        for point in question.key_points:
            said = " / ".join(" ".join(point.point(lang).split()) for lang in question.languages)
            lines.append(f"  - `{point.id}`: {said}")
        lines.append("")
    return "\n".join(lines)


def check(path: Path) -> list[str]:
    """What is wrong with a writer's file, one line each: the rules above, checked without scoring anything (a
    writer who ran the scorer would be writing to it)."""
    return _read_and_check(path)[1]


def _read_and_check(path: Path) -> tuple[list, list[str]]:
    """The file's items (empty when it cannot be read as a list) and what is wrong with them."""
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        return [], [f"{path}: cannot read it: {exc}"]
    if not isinstance(items, list):
        return [], [f"{path}: the file must be a YAML list of items"]
    bank = load_real_bank()
    problems = []
    for number, item in enumerate(items, 1):
        where = f"item {number}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not a mapping")
            continue
        problems += [f"{where}: missing {field}" for field in FIELDS if field not in item]
        question = bank.by_id.get(item.get("question")) if isinstance(item.get("question"), str) else None
        if question is None:
            problems.append(f"{where}: unknown question {item.get('question')!r}")
            continue
        known = {point.id for point in question.key_points}
        lists_of_ids = [field for field in ("covers", "contradicts") if _ids(item.get(field)) is None]
        problems += [f"{where}: {field} must be a list of key point ids" for field in lists_of_ids]
        covers, contradicts = _ids(item.get("covers")) or set(), _ids(item.get("contradicts")) or set()
        for field, ids in (("covers", covers), ("contradicts", contradicts)):
            problems += [
                f"{where} ({question.id}): {field} names no key point {pid!r}; known: {sorted(known)}"
                for pid in sorted(ids - known)
            ]
        if covers & contradicts:
            problems.append(f"{where}: {sorted(covers & contradicts)} both covered and contradicted")
        if item.get("lang") not in ("zh", "en", "mixed"):
            problems.append(f"{where}: lang must be zh, en or mixed")
        if item.get("kind") not in KINDS:
            problems.append(f"{where}: kind must be one of {', '.join(KINDS)}")
        if item.get("kind") in NOTHING and covers:
            problems.append(f"{where}: a {item['kind']} answer covers nothing")
        if item.get("kind") == "contradiction" and not contradicts:
            problems.append(f"{where}: a contradiction answer names the points it gets wrong in contradicts")
        grade = item.get("grade")
        if not isinstance(grade, int) or isinstance(grade, bool) or not 0 <= grade <= 4:
            problems.append(f"{where}: grade must be a whole number from 0 to 4")
        if not str(item.get("answer") or "").strip():
            problems.append(f"{where}: the answer is empty")
    return items, problems


def _ids(value) -> set[str] | None:
    """A covers / contradicts field as a set of ids; None when it is not a list of strings (absent is empty)."""
    if value is None:
        return set()
    if not isinstance(value, list) or not all(isinstance(pid, str) for pid in value):
        return None
    return set(value)


def _main(args: list[str]) -> int:
    if args[:1] != ["--check"]:
        print(brief())
        return 0
    if len(args) == 1:
        print("usage: python -m tests.review.writer_brief --check FILE.yaml [FILE.yaml ...]", file=sys.stderr)
        return 2
    status = 0
    for name in args[1:]:
        path = Path(name)
        items, problems = _read_and_check(path)
        print("\n".join(problems) or f"{path}: ok")
        if not problems:
            kinds = Counter(item.get("kind") for item in items)
            langs = Counter(item.get("lang") for item in items)
            print(f"  {len(items)} items; kinds {dict(kinds)}; languages {dict(langs)}")
        status = status or (1 if problems else 0)
    return status


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
