"""Everyday ways of saying a concept, borrowed from a bank whose synonyms were written by hand.

A word the document uses for a point ("免费") that is one synonym of a concept of the bank in use (the packaged
bank by default) brings that concept's other synonyms, in both languages ("不要钱", "不用花钱", "free of charge"), so
an imported draft scores answers in candidates' words and not only the document's. Only a word that names few
concepts is followed (a word in many concepts says nothing about any one of them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from quiz.bank.model import Bank

MAX_CONCEPTS = 3  # a word listed in more concepts than this is too general to borrow synonyms for
MAX_BORROWED = 24  # synonyms one term may bring


def _key(term: str) -> str:
    return " ".join(term.lower().split())


class Thesaurus:
    def __init__(self, concepts: Iterable[tuple[str, ...]]):
        self.concepts: list[tuple[str, ...]] = []
        self.index: dict[str, list[int]] = defaultdict(list)
        for synonyms in concepts:
            position = len(self.concepts)
            self.concepts.append(synonyms)
            for term in {_key(t) for t in synonyms}:
                self.index[term].append(position)

    @classmethod
    def of_bank(cls, bank: Bank, leave_out: Iterable[str] = ()) -> Thesaurus:
        """Every concept of every open and code-review question of `bank`, but the questions in `leave_out`."""
        skipped = set(leave_out)
        return cls(
            tuple(dict.fromkeys((*terms.zh, *terms.en)))
            for question in bank.questions
            if question.id not in skipped
            for point in question.key_points
            for terms in point.concepts
        )

    def widen(self, terms: list[str]) -> list[str]:
        """`terms` and the synonyms of the concepts they name, without repeats."""
        out = list(terms)
        seen = {_key(t) for t in terms}
        for term in terms:
            concepts = self.index.get(_key(term), [])
            if not concepts or len(concepts) > MAX_CONCEPTS:
                continue
            borrowed = 0
            for position in concepts:
                for synonym in self.concepts[position]:
                    if _key(synonym) not in seen and borrowed < MAX_BORROWED:
                        seen.add(_key(synonym))
                        out.append(synonym)
                        borrowed += 1
        return out
