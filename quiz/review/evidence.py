"""The evidence of a verdict: the words of the answer that a covered or wrong key point rests on, cut out of the
answer as the user typed it, so that a user can check the verdict and disagree with it.

The scorer finds terms in the answer's normalised text (polarity.read's offsets); here those spans become quotes:
the clauses that hold them, up to EVIDENCE_CLAUSES, each without its punctuation and cut to EVIDENCE_CLAUSE
characters around the match (never inside an English word), mapped back to what was typed (full-width "ＧＰＵ",
"……", ligatures) where normalising moved characters without merging them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from quiz.review import text
from quiz.review.polarity import Reading

EVIDENCE_CLAUSE = 40  # characters of one clause shown as evidence, around the words that matched
EVIDENCE_CLAUSES = 3  # clauses at most
_TRIM = " \t\n,，。.;；:：!?！？、"
_WORD_CHAR = re.compile(r"[A-Za-z0-9_'\-]{2}")  # two characters of one English word ("open-source", "it's")
# mapped once per answer, and only when a verdict is quoted: a missed point needs none
_source_offsets = lru_cache(maxsize=64)(text.source_offsets)


def excerpt(reading: Reading, normalised: str, answer: str, spans: Iterable[tuple[int, int]]) -> str:
    """The clauses holding these character spans of `normalised` (text.normalise(answer)), in the answer's order and
    words, joined by " / ", each cut with "…" where it goes on."""
    pieces = {}
    for start, end in sorted(spans):
        clause = reading.clause_of(start)
        if clause in pieces or len(pieces) == EVIDENCE_CLAUSES:
            continue
        low, high = reading.clauses[clause]
        while low < start and normalised[low] in _TRIM:
            low += 1
        while high > end and normalised[high - 1] in _TRIM:
            high -= 1
        first, last = low, high  # the clause without its punctuation
        if high - low > EVIDENCE_CLAUSE:
            low = max(low, min(start - EVIDENCE_CLAUSE // 3, high - EVIDENCE_CLAUSE))
            high = min(high, max(low + EVIDENCE_CLAUSE, end))
            while low < start and _inside_word(normalised, low):
                low += 1
            while high > end and _inside_word(normalised, high):
                high -= 1
        piece = _as_written(normalised, answer, low, high).strip()
        pieces[clause] = ("…" if low > first else "") + piece + ("…" if high < last else "")
    return " / ".join(" ".join(piece.split()) for piece in pieces.values())


def _inside_word(normalised: str, offset: int) -> bool:
    """Whether a cut at this offset would split an English word ("open-source", "it's")."""
    return bool(_WORD_CHAR.fullmatch(normalised[offset - 1 : offset + 1]))


def _as_written(normalised: str, answer: str, low: int, high: int) -> str:
    """The normalised characters [low, high) as the user typed them, or as normalised where normalising merged
    characters (a letter and a combining accent)."""
    source = _source_offsets(answer, normalised)
    if source is None or high <= low:
        return normalised[low:high]
    return answer[source[low] : source[high - 1] + 1]
