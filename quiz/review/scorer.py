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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from quiz.bank.model import Question
from quiz.review import text

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
RATING_NAMES = {AGAIN: "Again", HARD: "Hard", GOOD: "Good", EASY: "Easy"}
MIN_SUBSTANCE = 2.0  # rough words of the answer's own (see text.substance)
CODE_RUN = 4  # units in a row that count as pasted from the question's code
PARTIAL_CREDIT = 0.5  # weight of a point whose concepts are mentioned but fewer than it requires
_BLANK = "\x00"


@dataclass(frozen=True)
class ScoreResult:
    question_id: str
    score: float  # 0..1
    covered: tuple[str, ...]  # key point ids (option ids for choice questions)
    missed: tuple[str, ...]
    suggested_rating: int  # 1 Again, 2 Hard, 3 Good, 4 Easy
    wrong: tuple[str, ...] = ()  # choice questions: options chosen that are not correct, in option order


def suggest_rating(score: float) -> int:
    """Every point covered is Easy, most is Good, some is Hard, little is Again. The user has the last word."""
    if score >= 0.999:
        return EASY
    if score >= 0.6:
        return GOOD
    if score >= 0.3:
        return HARD
    return AGAIN


@dataclass(frozen=True)
class _Point:
    id: str
    concepts: tuple[tuple[tuple[str, ...], ...], ...]  # concept -> synonyms -> unit sequence
    require: int


@dataclass(frozen=True)
class _Compiled:
    points: tuple[_Point, ...]
    prompt_ngrams: frozenset[tuple[str, ...]]  # 2- and 3-unit runs of the prompt, 4-unit runs of the code


@lru_cache(maxsize=4096)
def _compile(question: Question) -> _Compiled:
    """Key points as unit sequences, built once per question (a frozen, hashable value: an edited question is a
    new key)."""
    prompts = [text.units(question.prompt.zh), text.units(question.prompt.en)]
    ngrams: set[tuple[str, ...]] = set()
    for seq in prompts:
        for n in (2, 3):
            ngrams.update(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))
    for snippet in question.code:
        seq = text.units(snippet.source)
        ngrams.update(tuple(seq[i:i + CODE_RUN]) for i in range(len(seq) - CODE_RUN + 1))
    points = []
    for kp in question.key_points:
        concepts = []
        for terms in kp.concepts:
            variants = {v for term in (*terms.zh, *terms.en) for v in text.term_variants(term)}
            # A synonym the prompt itself says proves nothing: drop it, unless the concept has no other.
            own = {v for v in variants if not any(_contains(seq, v) for seq in prompts)}
            concepts.append(tuple(sorted(own or variants)))
        points.append(_Point(kp.id, tuple(concepts), max(1, min(kp.require, len(concepts)))))
    return _Compiled(tuple(points), frozenset(ngrams))


def _contains(seq: list[str], part: tuple[str, ...]) -> bool:
    size = len(part)
    return any(tuple(seq[i:i + size]) == part for i in range(len(seq) - size + 1))


def _copied_from_prompt(seq: list[str], prompt_ngrams: frozenset[tuple[str, ...]]) -> list[bool]:
    """Mark units inside runs that also occur in the prompt: 3 units, or 2 when one is an English word (two
    Chinese characters are one ordinary word and often a term of the answer itself)."""
    copied = [False] * len(seq)
    for i in range(len(seq) - 1):
        pair = tuple(seq[i:i + 2])
        if pair in prompt_ngrams and not all(text.is_han(u) for u in pair):
            copied[i] = copied[i + 1] = True
        for n in (3, CODE_RUN):
            if i + n <= len(seq) and tuple(seq[i:i + n]) in prompt_ngrams:
                copied[i:i + n] = [True] * n
    return copied


def _mentions(variant: tuple[str, ...], positions: dict[str, list[int]]) -> bool:
    """Chinese terms match as the characters in order, with a little slack for particles ("降低了门槛" says
    "降低门槛"); terms with English words match as all their words within a small window, in any order
    ("latency is reduced" says "reduce latency")."""
    if any(unit not in positions for unit in variant):
        return False
    size = len(variant)
    if size == 1:
        return True
    if all(text.is_han(u) for u in variant):
        span = size if size <= 2 else size + size // 2 + 1
        for start in positions[variant[0]]:
            at = start
            for unit in variant[1:]:
                at = next((p for p in positions[unit] if p > at), None)
                if at is None or at - start >= span:
                    break
            else:
                return True
        return False
    window = size + 3
    for start in sorted({p for unit in variant for p in positions[unit]}):
        if all(any(start <= p < start + window for p in positions[unit]) for unit in variant):
            return True
    return False


def score_answer(question: Question, answer: str) -> ScoreResult:
    """Score an open, code-review or exercise answer. A question without key points scores 0 (nothing to check)."""
    compiled = _compile(question)
    seq = text.units(answer)
    copied = _copied_from_prompt(seq, compiled.prompt_ngrams)
    own_words = text.substance(seq, copied)
    positions: dict[str, list[int]] = defaultdict(list)
    for index, (unit, was_copied) in enumerate(zip(seq, copied)):
        positions[_BLANK if was_copied else unit].append(index)
    covered, missed, credit = [], [], 0.0
    for point in compiled.points:
        mentioned = 0
        if own_words >= MIN_SUBSTANCE:
            mentioned = sum(any(_mentions(v, positions) for v in concept) for concept in point.concepts)
        if mentioned >= point.require:
            covered.append(point.id)
            credit += 1.0
        else:
            missed.append(point.id)
            credit += PARTIAL_CREDIT * mentioned / point.require
    score = round(credit / len(compiled.points), 4) if compiled.points else 0.0
    return ScoreResult(question.id, score, tuple(covered), tuple(missed), suggest_rating(score))


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
    rating = GOOD if score >= 0.999 else suggest_rating(score)
    return ScoreResult(question.id, score, tuple(hits), tuple(c for c in correct if c not in picked), rating,
                       wrong=tuple(wrong))
