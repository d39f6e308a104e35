"""The brief a held-out answer writer gets: every open and code-review question's prompt, the code under review,
and its key points' statements and ids, in both languages, and nothing of the scorer (no synonyms, no
`contradicts:` phrases). Writers who see only this cannot write to the scorer's words.

    python -m tests.review.writer_brief > brief.md        (from the project root)
"""

from __future__ import annotations

from quiz.bank.model import QuestionType

from .labelled_set import KINDS, load_real_bank

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


if __name__ == "__main__":
    print(brief())
