"""Score a free-text answer against a question's key points, and suggest an FSRS rating from the score.

A key point is covered when the answer mentions at least `require` of its concepts; a concept is mentioned when
the answer contains any of its synonyms, in either language (so an English answer to a Chinese question scores).
Three guards keep a relevant-sounding answer that says nothing from scoring:
- a synonym the prompt itself contains does not count (unless its concept has no other synonym);
- words copied from the prompt do not count: runs of 3+ units (or 2+ with an English word) that also occur in
  the prompt are blanked out before matching, so "Hardware acceleration speeds up AI because..." gets nothing
  for "hardware acceleration"; so are runs of 4+ units copied from the question's code, so pasting the code under
  review back earns nothing, while naming an identifier from it ("prefetch", "AUTOTUNE") still counts;
- an answer with less than MIN_SUBSTANCE words of its own covers nothing.
What the answer says of a synonym counts, not that it names it: a negated one covers nothing, a point whose
misconception (`contradicts`) the answer states is marked wrong and costs CONTRADICTION_PENALTY (polarity.py
reads the negations), and a bare list of terms covers nothing (lists.py). Each covered or wrong point carries the
words of the answer it rests on (ScoreResult.evidence), so that a user can check the verdict.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from quiz.bank.model import Question
from quiz.review import evidence, lists, polarity, text
from quiz.review.rating import Rating

MIN_SUBSTANCE = 2.0  # rough words of the answer's own (see text.substance)
CODE_RUN = 4  # units in a row that count as pasted from the question's code
PARTIAL_CREDIT = 0.5  # weight of a point whose concepts are mentioned but fewer than it requires
CONTRADICTION_PENALTY = 1.0  # a point stated wrongly costs as much as a point said well earns
_BLANK = "\x00"
OPEN_DENIALS = polarity.NEGATIONS  # in an open question every negation denies a point
# What denies a misconception: "cache 放 shuffle 后面没问题" states one, so harmless words ("没问题", "is fine") do not.
MISCONCEPTION_DENIALS = polarity.NEGATIONS - {polarity.Family.HARMLESS}
HARMLESS = frozenset({polarity.Family.HARMLESS})
CODE_REVIEW_DENIALS = frozenset(
    {polarity.Family.DISMISS, polarity.Family.HARMLESS}
)  # "map 没有 num_parallel_calls" names the bug; "不需要" and "没问题" deny it
_CONJUNCTION = re.compile(r"\b(?:and|but|while|whereas|however|though|although)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ScoreResult:
    question_id: str
    score: float  # 0..1
    covered: tuple[str, ...]  # key point ids (option ids for choice questions)
    missed: tuple[str, ...]
    suggested_rating: Rating
    wrong: tuple[str, ...] = ()  # choice questions: options chosen that are not correct, in option order
    contradicted: tuple[str, ...] = ()  # key points whose opposite the answer states (neither covered nor missed)
    # (key point id, the answer's words that earned its verdict) for each covered or contradicted point: what a
    # user checks the verdict against
    evidence: tuple[tuple[str, str], ...] = ()

    def evidence_of(self, point_id: str) -> str | None:
        return dict(self.evidence).get(point_id)


def suggest_rating(score: float) -> Rating:
    """Every point covered is Easy, most is Good, some is Hard, little is Again. The user has the last word."""
    if score >= 0.999:
        return Rating.EASY
    if score >= 0.6:
        return Rating.GOOD
    if score >= 0.3:
        return Rating.HARD
    return Rating.AGAIN


@dataclass(frozen=True)
class _Term:
    units: tuple[str, ...]
    negated: bool = False  # it carried its own negation ("无需许可证"): the answer must say the rest negated
    ordered: bool = False  # its words must come in this order (a misconception: "cache after shuffle")
    own_negations: int = 0  # negators inside the term itself ("prefetch 放哪都一样"): not the answer's
    harmless: bool = False  # a misconception calling this harmless ("cache 放最后没问题"): any harmless word will do


@dataclass(frozen=True)
class _Point:
    id: str
    concepts: tuple[tuple[_Term, ...], ...]  # concept -> its synonyms
    require: int
    contradictions: tuple[_Term, ...]
    denials: frozenset[polarity.Family]  # the negator families that deny its concepts


@dataclass(frozen=True)
class _Compiled:
    points: tuple[_Point, ...]
    prompt_ngrams: frozenset[tuple[str, ...]]  # 2- and 3-unit runs of the prompt, 4-unit runs of the code
    misconception_negators: frozenset[polarity.Family]  # what says a misconception's own negation (reviews name bugs)
    open_question: bool  # a negator after a term denies it too ("Spot instances aren't worth it"); not in a review


def _terms(phrase: str, ordered: bool = False) -> list[_Term]:
    if ordered and (called_harmless := polarity.harmless_suffix(phrase)):
        own = polarity.negations_in(called_harmless, MISCONCEPTION_DENIALS)
        return [_Term(v, False, True, own, harmless=True) for v in text.term_variants(called_harmless)]
    prefix = polarity.negator_prefix(phrase)
    core = prefix[1] if prefix else phrase
    families = MISCONCEPTION_DENIALS if ordered and prefix is None else polarity.NEGATIONS
    own = polarity.negations_in(text.normalise(core), families)
    return [_Term(v, prefix is not None, ordered, own) for v in text.term_variants(core)]


@lru_cache(maxsize=4096)
def _compile(question: Question) -> _Compiled:
    """Key points as unit sequences, built once per question (a frozen, hashable value: an edited question is a
    new key)."""
    prompts = [text.units(question.prompt.zh), text.units(question.prompt.en)]
    ngrams: set[tuple[str, ...]] = set()
    for seq in prompts:
        for n in (2, 3):
            ngrams.update(tuple(seq[i : i + n]) for i in range(len(seq) - n + 1))
    code_units: set[str] = set()
    for snippet in question.code:
        seq = text.units(snippet.source)
        code_units.update(seq)
        ngrams.update(tuple(seq[i : i + CODE_RUN]) for i in range(len(seq) - CODE_RUN + 1))
    denials = CODE_REVIEW_DENIALS if question.type == "code-review" else OPEN_DENIALS
    points = []
    for kp in question.key_points:
        concepts = []
        for terms in kp.concepts:
            variants = {t for term in (*terms.zh, *terms.en) for t in _terms(term)}
            # A synonym the prompt itself says proves nothing: drop it, unless the concept has no other. Nor does
            # naming an identifier of the question's code ("GLOBAL_BATCH" for "divide by the global batch").
            own = {
                t
                for t in variants
                if not any(_contains(seq, t.units) for seq in prompts)
                and not (len(t.units) == 1 and "_" in t.units[0] and t.units[0] in code_units)
            }
            concepts.append(tuple(sorted(own or variants, key=lambda t: (t.units, t.negated))))
        phrases = (*kp.contradicts.zh, *kp.contradicts.en) if kp.contradicts else ()
        contradictions = tuple(dict.fromkeys(t for phrase in phrases for t in _terms(phrase, ordered=True)))
        require = max(1, min(kp.require, len(concepts)))
        denies = OPEN_DENIALS if kp.negation_denies else denials
        points.append(_Point(kp.id, tuple(concepts), require, contradictions, denies))
    return _Compiled(tuple(points), frozenset(ngrams), denials, question.type != "code-review")


def _contains(seq: list[str], part: tuple[str, ...]) -> bool:
    size = len(part)
    return any(tuple(seq[i : i + size]) == part for i in range(len(seq) - size + 1))


def _copied_from_prompt(seq: list[str], prompt_ngrams: frozenset[tuple[str, ...]]) -> list[bool]:
    """Mark units inside runs that also occur in the prompt: 3 units, or 2 when one is an English word (two
    Chinese characters are one ordinary word and often a term of the answer itself)."""
    copied = [False] * len(seq)
    for i in range(len(seq) - 1):
        pair = tuple(seq[i : i + 2])
        if pair in prompt_ngrams and not all(text.is_han(u) for u in pair):
            copied[i] = copied[i + 1] = True
        for n in (3, CODE_RUN):
            if i + n <= len(seq) and tuple(seq[i : i + n]) in prompt_ngrams:
                copied[i : i + n] = [True] * n
    return copied


def _in_order(term: tuple[str, ...], positions: dict[str, list[int]], span: int) -> Iterator[tuple[int, int]]:
    """Every place the units occur in this order, the whole within `span` units: (first, last) unit index."""
    for start in positions[term[0]]:
        at = start
        for unit in term[1:]:
            at = next((p for p in positions[unit] if p > at), None)
            if at is None or at - start >= span:
                break
        else:
            yield start, at


def _occurrences(term: _Term, positions: dict[str, list[int]]) -> Iterator[tuple[int, int]]:
    """Where the answer says the term. Chinese terms match as the characters in order, with a little slack for
    particles ("降低了门槛" says "降低门槛"); terms with English words match as all their words within a small
    window, in any order ("latency is reduced" says "reduce latency"), or in order for a misconception."""
    variant = term.units
    if any(unit not in positions for unit in variant):
        return
    size = len(variant)
    if size == 1:
        yield from ((p, p) for p in positions[variant[0]])
        return
    if all(text.is_han(u) for u in variant):
        yield from _in_order(variant, positions, size if size <= 2 else size + size // 2 + 1)
        return
    window = size + 3
    if term.ordered:
        yield from _in_order(variant, positions, window + 1)
        return
    for start in sorted({p for unit in variant for p in positions[unit]}):
        found = [next((p for p in positions[unit] if start <= p < start + window), None) for unit in variant]
        if all(p is not None for p in found):
            yield min(found), max(found)


class _Answer:
    """One answer as the scorer reads it: its units, what it copied, where it negates, and its list items."""

    def __init__(self, answer: str, compiled: _Compiled):
        self.normalised = text.normalise(answer)
        self.answer = answer
        self.units, self.spans = text.located_units(self.normalised)
        copied = _copied_from_prompt(self.units, compiled.prompt_ngrams)
        self.own_words = text.substance(self.units, copied)
        self.positions: dict[str, list[int]] = defaultdict(list)  # words copied from the prompt blanked out
        self.said: dict[str, list[int]] = defaultdict(list)  # every word: a misconception is one in any words
        for index, (unit, was_copied) in enumerate(zip(self.units, copied)):
            self.positions[_BLANK if was_copied else unit].append(index)
            self.said[unit].append(index)
        self.copied = copied
        self.reading = polarity.read(self.normalised)
        self.misconception_negators = compiled.misconception_negators
        self.open_question = compiled.open_question

    def chars(self, first: int, last: int) -> tuple[int, int]:
        return self.spans[first][0], self.spans[last][1]

    def _negated(
        self, term: _Term, start: int, end: int, families: frozenset[polarity.Family], both_ways: bool = False
    ) -> bool:
        return (self.reading.negations(start, end, families, both_ways) - term.own_negations) % 2 == 1

    def asserts(self, term: _Term, denials: frozenset[polarity.Family]) -> list[tuple[int, int]]:
        """Every place the answer asserts the term: not negated by these families (or negated, for a term that
        carried its own negation; in a code review only by a dismissal or a harmless word, unless the point sets
        negation_denies, since "map 没有 num_parallel_calls" names the bug), not named only to be doubted
        ("所谓免费", 所谓“不用花钱”), and not asked ("门槛降了吗")."""
        families = polarity.NEGATIONS if term.negated else denials
        both_ways = not term.negated and self.open_question
        return [
            (first, last)
            for first, last in _occurrences(term, self.positions)
            if self._negated(term, *self.chars(first, last), families, both_ways) == term.negated
            and not self.reading.doubted(self.spans[first][0])
            and not self.reading.asked(self.spans[first][0])
        ]

    def states(self, term: _Term) -> tuple[int, int] | None:
        """Where the answer states a misconception as its own (character span), or None: within one list item
        and not across "and" / "but", not negated, not a supposition ("如果直接全部解冻，……"), and not reported only
        to be rejected ("有人以为……，其实不对"), nor asked ("cache 放在最后更好吗？不是，……")."""
        families = self.misconception_negators if term.negated else MISCONCEPTION_DENIALS
        for first, last in _occurrences(term, self.said):
            start, end = self.chars(first, last)
            if (
                self.reading.segment_of(start) != self.reading.segment_of(end - 1)
                or _CONJUNCTION.search(self.normalised, start, end)
                or self.reading.supposed(start)
                or self.reading.asked(start)
            ):
                continue
            if term.harmless and not self.reading.negations(start, end, HARMLESS):
                continue
            if self._negated(term, start, end, families) == term.negated and not self.reading.rejected(start, end):
                return start, self._harmless_word_after(end) if term.harmless else end
        return None

    def _harmless_word_after(self, end: int) -> int:
        """The end of the harmless word that states a composed misconception: part of what the evidence quotes."""
        clause = self.reading.clause_of(end - 1)
        after = [m.end for m in self.reading.markers if m.clause == clause and m.start >= end and m.family in HARMLESS]
        return min(after, default=end)

    def excerpt(self, spans: Iterable[tuple[int, int]]) -> str:
        """What the answer says at these character spans, quoted as typed (evidence.py)."""
        return evidence.excerpt(self.reading, self.normalised, self.answer, spans)

    def bare_segments(self, matched: list[tuple[int, int]]) -> set[int]:
        """Segments (list items) that only name terms: every unit in them is part of a term found, copied from
        the prompt, or list glue ("和", "等", "and"), and nothing in them says something of the terms."""
        in_term = set()
        for first, last in matched:
            in_term.update(range(first, last + 1))
        busy: set[int] = set()
        for index, unit in enumerate(self.units):
            segment = self.reading.segment_of(self.spans[index][0])
            if index in in_term or self.copied[index] or unit in lists.GLUE:
                continue
            busy.add(segment)
        for index, (start, end) in enumerate(self.reading.segments):
            if lists.says_something(self.normalised[start:end]):
                busy.add(index)
        return set(range(len(self.reading.segments))) - busy


def score_answer(question: Question, answer: str) -> ScoreResult:
    """Score an open, code-review or exercise answer. A question without key points scores 0 (nothing to check).
    A point is covered when the answer asserts enough of its concepts; contradicted when it states one of the
    point's misconceptions (then it is not covered, and costs CONTRADICTION_PENALTY)."""
    compiled = _compile(question)
    read = _Answer(answer, compiled)
    stated: dict[int, tuple[int, int]] = {}  # point -> where the answer states its misconception (characters)
    if read.own_words >= MIN_SUBSTANCE:
        for p, point in enumerate(compiled.points):
            if (where := next((w for term in point.contradictions if (w := read.states(term))), None)) is not None:
                stated[p] = where
    # Words that state one point's misconception make no other point ("prefetch 放最前面是对的，cache 放最后也 OK":
    # 最后 belongs to the cache's misconception, not to "prefetch belongs at the end").
    wrong_chars = list(stated.values())
    found: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (point, concept) -> where asserted
    if read.own_words >= MIN_SUBSTANCE and not lists.is_list(read.normalised):
        for p, point in enumerate(compiled.points):
            for c, concept in enumerate(point.concepts):
                places = [where for term in concept for where in read.asserts(term, point.denials)]
                places = [w for w in places if not any(a <= read.chars(*w)[0] < b for a, b in wrong_chars)]
                if places:
                    found[(p, c)] = places
    # Two or more items that only name terms make a list inside the answer: they say nothing. One alone is a
    # terse statement ("免费，而且有预训练模型可以直接用": 免费 is the predicate of a dropped subject).
    segment = lambda where: read.reading.segment_of(read.spans[where[0]][0])  # noqa: E731
    every_place = [where for places in found.values() for where in places]
    bare = read.bare_segments(every_place) & {segment(where) for where in every_place}
    if len(bare) >= 2:
        found = {key: places for key, places in found.items() if any(segment(w) not in bare for w in places)}
    covered, missed, contradicted, quotes, credit = [], [], [], [], 0.0
    for p, point in enumerate(compiled.points):
        mentioned = sum((p, c) in found for c in range(len(point.concepts)))
        if p in stated:
            contradicted.append(point.id)
            quotes.append((point.id, read.excerpt([stated[p]])))
            credit -= CONTRADICTION_PENALTY
        elif mentioned >= point.require:
            covered.append(point.id)
            firsts = (min(found[(p, c)]) for c in range(len(point.concepts)) if (p, c) in found)
            quotes.append((point.id, read.excerpt(read.chars(*where) for where in firsts)))
            credit += 1.0
        else:
            missed.append(point.id)
            credit += PARTIAL_CREDIT * mentioned / point.require
    score = round(max(0.0, credit) / len(compiled.points), 4) if compiled.points else 0.0
    return ScoreResult(
        question.id,
        score,
        tuple(covered),
        tuple(missed),
        suggest_rating(score),
        contradicted=tuple(contradicted),
        evidence=tuple(quotes),
    )


def score_choice(question: Question, chosen: Iterable[str]) -> ScoreResult:
    """Right options chosen, minus wrong ones, over the number of right options; a single-answer question is
    all or nothing. Covered/missed are the correct option ids chosen/not chosen, wrong the other ids chosen. A
    full mark suggests Good, not Easy: picking an option shows less recall than explaining it."""
    picked = {c.strip().lower() for c in chosen if c.strip()}
    correct = tuple(question.correct)
    hits = [c for c in correct if c in picked]
    order = {option.id: index for index, option in enumerate(question.options)}
    wrong = sorted(picked.difference(correct), key=lambda c: (order.get(c, len(order)), c))
    score = max(0.0, (len(hits) - len(wrong)) / len(correct)) if correct else 0.0
    if len(correct) == 1:
        score = 1.0 if picked == set(correct) else 0.0
    score = round(score, 4)
    rating = Rating.GOOD if score >= 0.999 else suggest_rating(score)
    return ScoreResult(
        question.id, score, tuple(hits), tuple(c for c in correct if c not in picked), rating, wrong=tuple(wrong)
    )
