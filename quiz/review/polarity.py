"""What an answer says of the things it mentions: the clauses it is made of, the words that negate part of a
clause, and whether it is only a list of terms.

The scorer finds a term in the answer; this module says whether the answer asserts it ("开源框架免费"), denies
it ("开源框架并不免费", "there is no community"), or only names it ("并行、显存、带宽"). It works on the
answer's normalised text, in character offsets, without a parser:

- **Clauses** end at sentence and clause punctuation and at words that start a new statement (但是, 而是, 所以,
  "but", "and", "because" ...). A negation reaches no further than its clause: in "不是免费，而是社区大" only
  免费 is denied.
- **Negators** are words such as 不, 没有, 并非, 无需, "not", "no", "never", "without", "instead of", "isn't".
  Most negate what follows them in the clause; a few Chinese ones negate what comes before ("预训练模型用不上").
  Two negators over one word cancel ("并非不免费"). Words that start like a negator but are not one (不仅, 不断,
  非常, 无论, "not only", "no matter") are skipped.
- **Dismissive** negators ("不需要", "no need", "没太大必要") say a thing is unnecessary; **harmless** ones ("没问题",
  "无所谓", "is fine", "doesn't matter") that it is acceptable. A Chinese one ending its clause is said of the
  clause's topic up to TOPIC_REACH words back ("数据管道那块花时间优化不划算"). In a code review, "map 没有
  num_parallel_calls" names the bug, so plain negators there describe the code rather than deny the point; only
  dismissive and harmless ones deny it, unless the point is something the bug makes happen (`negation_denies`:
  "也不会报错"). Open questions treat every negator as denial. Said of a misconception,
  a harmless word states it rather than denies it ("cache 放 shuffle 后面也没问题").
- **Rejections** ("……其实不对", "is a myth", "有人以为……", "a common mistake is ...") mark a statement the answer
  reports only to reject it. They matter for misconceptions: "有人以为 cache 放最后更好，其实不对" states no
  misconception of its own.
- **So-called** words ("所谓", "说是", "据说", "so-called") name what follows only to question it:
  "所谓“免费”只是表面上的" asserts nothing, and is no negation either ("所谓免费其实谈不上" does not deny twice). A
  clause that is a yes-no question ("门槛降了吗？") asserts nothing.
- **Segments** are the pieces between punctuation, 、 and "/": the items of a list.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from quiz.review import polarity_words as lexicon
from quiz.review import text

_CLAUSE_END = r"[。！？!?；;，,：:\n\r\t「」“”\"]|\.(?=\s|$)|[-–—*•]\s"
_SEGMENT_END = r"[、/]"
TOPIC_REACH = 8  # words back from a Chinese dismissal ending its clause to the topic it is said of
NEGATION_REACH = 5  # a negator bears on a term at most this many words (Han characters, English words other
# than stop words) away in its clause: "并不免费", "no big community", but not "显存不够用时减小 batch"
_WORDS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+")


def _alternation(words, english: bool) -> str:
    ordered = sorted(words, key=len, reverse=True)
    if english:
        return "|".join(rf"\b{w}\b" for w in ordered)
    return "|".join(re.escape(w) for w in ordered)


class Family(Enum):
    """What a marker does to the statement it bears on."""

    NEGATE = "negate"  # denies it: 不, 没有, "not", "never"
    DISMISS = "dismiss"  # says it is unnecessary or useless: 不需要, 没必要, "no need", "won't help"
    HARMLESS = "harmless"  # says it is acceptable or makes no difference: 没问题, 无所谓, "is fine", "doesn't matter"
    REJECT = "reject"  # reports it only to reject it: 有人以为, 其实不对, "some people think", "that's wrong"
    # names it only to question it: 所谓, 说是, "so-called" (no negation: "所谓免费其实谈不上" asserts nothing)
    SO_CALLED = "so-called"


NEGATIONS = frozenset({Family.NEGATE, Family.DISMISS, Family.HARMLESS})
# (family, bears on what comes before it, words, English): None is a look-alike that is no marker at all.
_KINDS = (
    (None, False, lexicon.NOT_NEGATORS_ZH, False),
    (None, False, lexicon.NOT_NEGATORS_EN, True),
    (Family.REJECT, False, lexicon.REJECT_BEFORE_ZH, False),
    (Family.REJECT, False, lexicon.REJECT_BEFORE_EN, True),
    (Family.REJECT, True, lexicon.REJECT_AFTER_ZH, False),
    (Family.REJECT, True, lexicon.REJECT_AFTER_EN, True),
    (Family.HARMLESS, True, lexicon.HARMLESS_AFTER_ZH, False),
    (Family.HARMLESS, True, lexicon.HARMLESS_AFTER_EN, True),
    (Family.DISMISS, True, lexicon.DISMISSIVE_AFTER_ZH, False),
    (Family.DISMISS, True, lexicon.DISMISSIVE_AFTER_EN, True),
    (Family.NEGATE, True, lexicon.NEGATORS_AFTER_ZH, False),
    (Family.DISMISS, False, lexicon.DISMISSIVE_ZH, False),
    (Family.DISMISS, False, lexicon.DISMISSIVE_EN, True),
    (Family.NEGATE, False, lexicon.NEGATORS_ZH, False),
    (Family.NEGATE, False, lexicon.NEGATORS_EN, True),
    (Family.SO_CALLED, False, lexicon.SO_CALLED_ZH, False),
    (Family.SO_CALLED, False, lexicon.SO_CALLED_EN, True),
)
# One pass, longest alternative first within each kind, and kinds in the order above: a phrase that could be read
# two ways ("不需要" after a noun or before a verb) takes the earlier kind. Forward ("before") markers that sit at
# the very end of a clause are turned around below.
_MARKERS = re.compile(
    "|".join(f"(?P<k{i}>{_alternation(words, english)})" for i, (_, _, words, english) in enumerate(_KINDS)),
    re.IGNORECASE,
)
_PUNCTUATION = re.compile(_CLAUSE_END)  # ends a clause (and belongs to it)
_OPENERS = re.compile(
    _alternation(lexicon.CLAUSE_WORDS_ZH, False) + "|" + _alternation(lexicon.CLAUSE_WORDS_EN, True), re.IGNORECASE
)  # starts a new clause
_SEGMENT_ENDS = re.compile(_SEGMENT_END)
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?=\s|$)")
_EMPHASIS = re.compile(r"\*\*|__|`")
# "use prefetch instead of waiting", "用 cache 代替重复解码": the thing before is what the answer recommends.
_SUBSTITUTES = re.compile(r"instead of|rather than|而不是|而非|代替|取代|而不用", re.IGNORECASE)
_SUPPOSITION = re.compile(
    r"如果|要是|假如|万一|的话|\b(?:if|suppose|supposing)\b|(?:不是|并非)\s*因为|\b(?:not|n't) because\b", re.IGNORECASE
)
_DOUBT_BREAK = re.compile(r"[。！？!?；;，,：:\n]|\.(?=\s|$)")
_YES_NO = re.compile(r"(?:吗|(?<!什)么)\s*[^\w\u3400-\u9fff]*$")  # "门槛降了吗？", "创新变多了么……" (not 为什么)
_YES_NO_EN = re.compile(
    r"\W*(?:is|are|was|were|does|do|did|will|would|can|could|has|have|should)\b[^?]*\?\s*$", re.IGNORECASE
)  # "Is AI affordable for startups now? Hardly."
_ASKED = re.compile(r"\s*(?:吗|么|\?|？)")
_DENIES_A_REASON = re.compile(r"并?不是|并非|not|[a-z]+n't", re.IGNORECASE)  # "不是因为", "not because"


@dataclass(frozen=True, slots=True)
class Marker:
    family: Family
    backward: bool  # it bears on what comes before it in its clause ("预训练模型用不上", "……其实不对")
    start: int
    end: int
    clause: int
    substitute: bool = False  # "instead of", "而不是": it denies what follows and affirms what came before
    final: bool = False  # nothing but particles follows it in its clause


def _kind(match: re.Match) -> tuple[Family | None, bool]:
    family, backward, _, _ = _KINDS[int(match.lastgroup[1:])]
    return family, backward


@dataclass(frozen=True)
class Reading:
    """The clause structure and the negations of one normalised text."""

    text: str
    clauses: tuple[tuple[int, int], ...]  # character spans
    segments: tuple[tuple[int, int], ...]
    sentences: tuple[tuple[int, int], ...]
    markers: tuple[Marker, ...]
    questions: frozenset[int] = frozenset()  # the clauses that are yes-no questions ("门槛降了吗？")

    def clause_of(self, offset: int) -> int:
        return _index_of(self.clauses, offset)

    def segment_of(self, offset: int) -> int:
        return _index_of(self.segments, offset)

    def sentence_of(self, offset: int) -> int:
        return _index_of(self.sentences, offset)

    def negations(self, start: int, end: int, families: frozenset[Family], both_ways: bool = False) -> int:
        """How many negating markers of these families bear on the span [start, end): those of its clause
        before it (forward ones, within NEGATION_REACH words, or within reach of another that bears on it:
        "并不是说开源框架不免费"), after it (backward ones; a Chinese dismissive or harmless one ending the
        clause within TOPIC_REACH words: it comments on the clause's topic), and inside it ("task 不一样" for a
        term "task 一样": the caller takes off the term's own). With both_ways, forward ones after it too: the
        subject of a denied predicate ("Spot instances aren't worth it", "prefetch 并不能让……重叠"), but not a
        substitute ("prefetch instead of waiting" recommends prefetch). A forward dismissal reaches the rest of its
        list item ("也没必要去 nvidia-smi 看有没有别的进程")."""
        clause = self.clause_of(start)
        mine = [
            m for m in self.markers if m.clause == clause and m.family in families and m.family is not Family.REJECT
        ]
        count = sum(start <= m.start and m.end <= end for m in mine)
        count += sum(
            (m.backward or (both_ways and not m.substitute))
            and m.start >= end
            and self._near(end, m.start, TOPIC_REACH if self._comments_on_topic(m) else NEGATION_REACH)
            for m in mine
        )
        # Walk back from the span: each forward marker in reach extends the reach to itself, within its list item
        # ("并不是溢出、也不是出 NaN" negates twice in parallel, not "并不是说……不免费" over and over).
        reach, item = start, None
        for marker in sorted((m for m in mine if not m.backward and m.end <= start), key=lambda m: -m.end):
            # a dismissal bears on the rest of its list item ("也没必要去 nvidia-smi 看有没有别的进程"), not on
            # the next item ("不需要重启机器、开混合精度就能省显存")
            whole_item = marker.family is Family.DISMISS and self.segment_of(marker.start) == self.segment_of(start)
            near = whole_item or self._near(marker.end, reach)
            if near and item in (None, self.segment_of(marker.start)):
                count += 1
                reach, item = marker.start, self.segment_of(marker.start)
        return count

    def _near(self, start: int, end: int, reach: int = NEGATION_REACH) -> bool:
        words = _WORDS.findall(self.text, start, end)
        return sum(word.lower() not in text.ENGLISH_STOP_WORDS for word in words) <= reach

    def _comments_on_topic(self, marker: Marker) -> bool:
        """A Chinese dismissal or harmless word that ends its clause is said of the clause's topic, which may stand
        some words back ("数据管道那块花时间优化不划算", "研发速度也跟算力没什么关系"); English puts it next to its
        subject."""
        return (
            marker.final and marker.family in (Family.DISMISS, Family.HARMLESS) and text.is_han(self.text[marker.start])
        )

    def doubted(self, start: int) -> bool:
        """Whether what starts here is named only to be questioned: a "所谓" / "说是" / "so-called" shortly before it
        in its clause, or just before the quote that opens it (所谓“免费”)."""
        clause = self.clause_of(start)
        return any(
            m.family is Family.SO_CALLED
            and m.end <= start
            and (m.clause == clause or self.text[m.end : start].strip().startswith(("“", '"', "「")))
            and not _DOUBT_BREAK.search(self.text, m.end, start)
            and self._near(m.end, start)
            for m in self.markers
        )

    def asked(self, offset: int) -> bool:
        """Whether the clause at this offset is a yes-no question ("门槛降了吗？", "创新变多了么", "Is AI affordable
        now?"): it asks, and asserts nothing."""
        return self.clause_of(offset) in self.questions

    def supposed(self, offset: int) -> bool:
        """Whether the clause at this offset only supposes what it says: a condition ("如果直接全部解冻，……",
        "if you cache after shuffling") or a denied reason ("not because the code is free")."""
        return _SUPPOSITION.search(self.text, *self.clauses[self.clause_of(offset)]) is not None

    def rejected(self, start: int, end: int) -> bool:
        """Whether the statement at this span is reported only to be rejected, within its sentence: after a
        "有人以为" / "some people think" (up to a rejection that closes it), or before a "其实不对" / "that's
        wrong" (back to the previous one). "有人以为 cache 放最后更好，其实不对" states no misconception."""
        sentence = self.sentence_of(start)
        rejections = sorted(
            (m for m in self.markers if m.family is Family.REJECT and self.sentence_of(m.start) == sentence),
            key=lambda m: m.start,
        )
        for index, marker in enumerate(rejections):
            if marker.backward and marker.start >= end:
                earlier = [m.end for m in rejections[:index] if m.backward]
                if start >= max(earlier, default=self.sentences[sentence][0]):
                    return True
            if not marker.backward and marker.end <= start:
                closing = next((m.start for m in rejections[index + 1 :] if m.backward), None)
                if closing is None or end <= closing:
                    return True
        return False


def _index_of(spans: tuple[tuple[int, int], ...], offset: int) -> int:
    """The span holding the offset (spans are contiguous from 0; past the end, the last)."""
    return min(max(bisect_right(spans, (offset, _PAST)) - 1, 0), len(spans) - 1)


_PAST = float("inf")  # sorts after every end offset


def _spans(source: str, cuts: set[int]) -> tuple[tuple[int, int], ...]:
    edges = [0, *sorted(c for c in cuts if 0 < c < len(source)), len(source)]
    return tuple((a, b) for a, b in zip(edges, edges[1:]) if b > a) or ((0, max(1, len(source))),)


@lru_cache(maxsize=512)
def read(normalised: str) -> Reading:
    """The reading of a text already passed through text.normalise."""
    normalised = normalised.replace("\u2019", "'")  # the typographic apostrophe of "isn’t": same length
    normalised = _EMPHASIS.sub(lambda m: " " * len(m.group()), normalised)  # "does **not** add": same length
    markers = []
    punctuation = {m.end() for m in _PUNCTUATION.finditer(normalised)}
    found = [(match, *_kind(match)) for match in _MARKERS.finditer(normalised)]
    negation_ends = {
        match.end()
        for match, family, backward in found
        if family is Family.NEGATE and _DENIES_A_REASON.fullmatch(match.group())
    }
    # A clause word right after a negation stays in its clause: "不是因为主频高", "not because of the clock".
    openers = {
        m.start()
        for m in _OPENERS.finditer(normalised)
        if not any(normalised[end : m.start()].strip() == "" for end in negation_ends if end <= m.start())
    }
    clauses = _spans(normalised, punctuation | openers)
    # List items: cut at punctuation and list marks, not at clause words ("latency 也降低了" is one statement).
    segments = _spans(normalised, punctuation | {m.end() for m in _SEGMENT_ENDS.finditer(normalised)})
    sentences = _spans(normalised, {m.end() for m in _SENTENCE_END.finditer(normalised)})
    for match, family, backward in found:
        if family is None or (family is Family.HARMLESS and _ASKED.match(normalised, match.end())):
            continue  # "cache 放最后没问题吗？" asks, and says nothing
        clause = _index_of(clauses, match.start())
        final = _ends_clause(normalised, clauses[clause], match.end())
        if family in NEGATIONS and text.is_han(match.group()[0]) and final:
            backward = True  # "预训练模型不需要", "社区没有": nothing follows, so it denies what came before
        substitute = _SUBSTITUTES.fullmatch(match.group()) is not None
        markers.append(Marker(family, backward, match.start(), match.end(), clause, substitute, final))
    questions = frozenset(
        index
        for index, (start, end) in enumerate(clauses)
        if _YES_NO.search(normalised, start, end) or _YES_NO_EN.match(normalised[start:end])
    )
    return Reading(normalised, clauses, segments, sentences, tuple(markers), questions)


def _ends_clause(source: str, clause: tuple[int, int], offset: int) -> bool:
    rest = source[offset : clause[1]]
    return not re.search(r"[A-Za-z0-9\u3400-\u9fff]", rest.replace("的", "").replace("了", "").replace("啊", ""))


def negations_in(phrase: str, families: frozenset[Family] = NEGATIONS) -> int:
    """How many negators bear on a whole phrase ("prefetch 放哪都一样": 1, "cache 放在 shuffle 后面": 0), counted
    as Reading.negations counts them inside a span of an answer."""
    if not any(_kind(m)[0] is not None for m in _MARKERS.finditer(phrase)):
        return 0
    reading = read(phrase)
    return reading.negations(0, len(reading.text), families)


def negator_prefix(term: str) -> tuple[str, str] | None:
    """A term that carries its own negation ("无需许可证", "no licence to buy", "不用从零训练", "without a GPU"):
    its negator and the rest, which the answer must mention under a negation of its own. None for other terms."""
    source = text.normalise(term).strip()
    match = _MARKERS.match(source)
    if match is None or _kind(match) not in ((Family.NEGATE, False), (Family.DISMISS, False)):
        return None
    rest = source[match.end() :].strip()
    return (match.group(), rest) if rest else None


def harmless_suffix(phrase: str) -> str | None:
    """A misconception that calls something harmless ("cache 放最后没问题", "shuffle after batch is fine"): the
    thing it calls so ("cache 放最后", "shuffle after batch"), which the answer states wrongly when it calls it
    harmless in any words ("cache 放最后也行", "cache at the end doesn't matter"). None for other phrases."""
    source = text.normalise(phrase).strip()
    ending = [m for m in _MARKERS.finditer(source) if _kind(m) == (Family.HARMLESS, True)]
    if not ending or source[ending[-1].end() :].strip(" .。!！"):
        return None
    rest = source[: ending[-1].start()].strip()
    return rest if _WORDS.search(rest) else None
