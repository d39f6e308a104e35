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
- **Dismissive** negators ("不需要", "no need", "doesn't matter") say a thing is unnecessary. In a code review,
  "map 没有 num_parallel_calls" names the bug, so plain negators there describe the code rather than deny the
  point; only dismissive ones deny it. Open questions treat every negator as denial.
- **Rejections** ("……其实不对", "is a myth", "有人以为……", "a common mistake is ...") mark a statement the answer
  reports only to reject it. They matter for misconceptions: "有人以为 cache 放最后更好，其实不对" states no
  misconception of its own.
- **Segments** are the pieces between punctuation, 、 and "/": the items of a list.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from quiz.review import text

# Words that look like negators but are not: consumed first so that their characters negate nothing.
_NOT_NEGATORS_ZH = (
    "不仅",
    "不但",
    "不光",
    "不止",
    "不只",
    "不断",
    "不同",
    "不少",
    "不错",
    "不久",
    "不管",
    "不论",
    "不停",
    "不得不",
    "不过",
    "不然",
    "不如",
    "不可或缺",
    "必不可少",
    "不可避免",
    "差不多",
    "要不然",
    "了不起",
    "对不起",
    "说不定",
    "不一样",
    "无论",
    "无数",
    "无限",
    "无缝",
    "无损",
    "非常",
    "非线性",
    "未来",
    "别的",
    "别人",
    "别处",
    "区别",
    "分别",
    "识别",
    "类别",
    "级别",
    "特别",
    "个别",
    "差别",
    "没错",
    "毫无疑问",
    "无时无刻",
    "无一例外",
    "并不少见",
    # A-not-A questions, "must", and "not enough"/"cannot finish" that set a condition rather than deny:
    "是不是",
    "要不要",
    "能不能",
    "会不会",
    "有没有",
    "行不行",
    "对不对",
    "用不用",
    "非得",
    "不够",
    "不足",
    "不完",
    "不下",
    # litotes: "not small" says large ("通信开销不小")
    "不小",
    "不低",
    "不容忽视",
    "不可忽视",
)
_NOT_NEGATORS_EN = (
    r"not only",
    r"not just",
    r"not merely",
    r"no matter",
    r"no doubt",
    r"not to mention",
    r"nothing but",
    r"no less than",
    r"not least",
)
# Dismissive: the thing is unnecessary or makes no difference. Chinese ones at the end of their clause bear on
# what came before ("预训练模型用不上"); the "_AFTER" lists always do.
_DISMISSIVE_ZH = (
    "不需要",
    "不需",
    "不用",
    "不必",
    "没必要",
    "没有必要",
    "无需",
    "无须",
    "毋需",
    "用不着",
    "用不上",
    "犯不着",
    "没什么用",
    "没用",
    "没有用",
    "谈不上",
    "算不上",
    "称不上",
)
_DISMISSIVE_AFTER_ZH = (
    "无所谓",
    "没关系",
    "都一样",
    "没影响",
    "没区别",
    "不重要",
    "不必要",
    "没问题",
    "没毛病",
    "也行",
    "也可以",
    "是噱头",
    "噱头",
    "没效果",
    "没什么效果",
    "没啥效果",
    "没啥用",
    "白搭",
    "鸡肋",
    "智商税",
    "影响不大",
    "关系不大",
    "没什么影响",
    "意义不大",
    "作用不大",
    "帮助不大",
    "用处不大",
)
_DISMISSIVE_EN = (
    r"no need(?: to| for)?",
    r"needn'?t",
    r"need not",
    r"(?:do|does|did)(?: not|n'?t) need(?: to)?",
    r"(?:is|are)(?: not|n'?t) needed",
    r"not needed",
    r"not necessary",
    r"unnecessary",
    r"no point in",
)
_DISMISSIVE_AFTER_EN = (
    r"(?:does|do)(?: not|n'?t) matter",
    r"makes? no difference",
    r"(?:is|are) (?:not needed|unnecessary|useless|irrelevant|pointless)",
    r"(?:is|are)(?: not|n'?t) (?:needed|necessary|important|useful)",
    r"(?:is|are) (?:fine|ok|okay)",
    r"no problem",
    r"(?:is|are) (?:just |only |mostly )?(?:hype|a gimmick|overrated|a waste of time)",
    r"(?:does|do|did|will)(?: not|n'?t) (?:really )?help",
    r"won'?t (?:really )?help",
)
# Plain negators.
_NEGATORS_ZH = (
    "并不是",
    "不是",
    "并不",
    "并非",
    "而非",
    "而不是",
    "并没有",
    "没有",
    "没",
    "无法",
    "不能",
    "不会",
    "不再",
    "不",
    "无",
    "未",
    "非",
    "别",
    "勿",
    "缺乏",
    "缺少",
    "免去",
    "省去",
    "省掉",
    "代替",
    "取代",
    "而不用",
    "帮不上",
    "不觉得",
    "不认为",
)
_NEGATORS_AFTER_ZH = ("不存在", "不行", "不成立", "不可行")
_NEGATORS_EN = (
    r"not",
    r"no",
    r"never",
    r"none",
    r"neither",
    r"nor",
    r"without",
    r"nothing",
    r"cannot",
    r"can'?t",
    r"[a-z]+n't",
    r"instead of",
    r"rather than",
    r"no longer",
    r"hardly",
    r"lacks?",
    r"lacking",
    r"skips?",
    r"skipping",
    r"saves? you from",
    r"spares? you",
)
# The statement is reported to be rejected.
_REJECT_AFTER_ZH = (
    "其实不对",
    "是不对的",
    "不对",
    "是错的",
    "是错误的",
    "错了",
    "是误区",
    "是误解",
    "是个误区",
    "是一个误区",
    "是谣言",
    "并不正确",
    "不正确",
    "不成立",
    "其实不会",
    "其实不是",
    "其实不然",
    "其实并不",
    "其实没有",
    "其实没用",
    "不是这样",
    "并非如此",
)
_REJECT_BEFORE_ZH = (
    "有人以为",
    "有人认为",
    "很多人以为",
    "很多人认为",
    "误以为",
    "常见的误区是",
    "误区是",
    "错误的说法是",
    "不要以为",
    "别以为",
)
_REJECT_AFTER_EN = (
    r"(?:is|are|was|that'?s|it'?s) (?:wrong|false|incorrect|a myth|a misconception|a mistake|not true|untrue)",
    r"(?:isn'?t|is not|aren'?t|are not) (?:true|right|correct)",
    r"is backwards",
)
_REJECT_BEFORE_EN = (
    r"(?:some|many|most) people (?:think|believe|assume|say)",
    r"(?:it is|it'?s) a (?:myth|misconception) that",
    r"(?:it is|it'?s) not true that",
    r"(?:it is|it'?s) not the case that",
    r"a common (?:mistake|misconception|myth) is(?: that)?",
    r"contrary to",
    r"people often think",
    r"it is wrong to",
    r"it'?s wrong to",
    r"don'?t (?:think|assume|believe)",
)

_CLAUSE_END = r"[。！？!?；;，,：:\n\r\t「」“”\"]|\.(?=\s|$)|[-–—*•]\s"
# Not 也/还 ("预训练模型也没什么用" is one statement).
_CLAUSE_WORDS_ZH = (
    "但是",
    "但",
    "可是",
    "不过",
    "然而",
    "而是",
    "而且",
    "并且",
    "所以",
    "因此",
    "因为",
    "否则",
    "同时",
    "从而",
    "就能",
    "就可以",
    "才能",
    "另外",
    "此外",
    "还有",
    "以及",
)
_CLAUSE_WORDS_EN = (
    r"but",
    r"however",
    r"although",
    r"though",
    r"whereas",
    r"while",
    r"because",
    r"so",
    r"since",
    r"and",
    r"then",
    r"which",
    r"unless",
    r"instead(?! of)",
    r"also",
    r"plus",
)
_SEGMENT_END = r"[、/]"
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
    DISMISS = "dismiss"  # says it is unnecessary or makes no difference: 不需要, 没问题, "no need", "is fine"
    REJECT = "reject"  # reports it only to reject it: 有人以为, 其实不对, "some people think", "that's wrong"


NEGATIONS = frozenset({Family.NEGATE, Family.DISMISS})
# (family, bears on what comes before it, words, English): None is a look-alike that is no marker at all.
_KINDS = (
    (None, False, _NOT_NEGATORS_ZH, False),
    (None, False, _NOT_NEGATORS_EN, True),
    (Family.REJECT, False, _REJECT_BEFORE_ZH, False),
    (Family.REJECT, False, _REJECT_BEFORE_EN, True),
    (Family.REJECT, True, _REJECT_AFTER_ZH, False),
    (Family.REJECT, True, _REJECT_AFTER_EN, True),
    (Family.DISMISS, True, _DISMISSIVE_AFTER_ZH, False),
    (Family.DISMISS, True, _DISMISSIVE_AFTER_EN, True),
    (Family.NEGATE, True, _NEGATORS_AFTER_ZH, False),
    (Family.DISMISS, False, _DISMISSIVE_ZH, False),
    (Family.DISMISS, False, _DISMISSIVE_EN, True),
    (Family.NEGATE, False, _NEGATORS_ZH, False),
    (Family.NEGATE, False, _NEGATORS_EN, True),
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
    _alternation(_CLAUSE_WORDS_ZH, False) + "|" + _alternation(_CLAUSE_WORDS_EN, True), re.IGNORECASE
)  # starts a new clause
_SEGMENT_ENDS = re.compile(_SEGMENT_END)
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?=\s|$)")
_EMPHASIS = re.compile(r"\*\*|__|`")
# "use prefetch instead of waiting", "用 cache 代替重复解码": the thing before is what the answer recommends.
_SUBSTITUTES = re.compile(r"instead of|rather than|而不是|而非|代替|取代|而不用", re.IGNORECASE)
_DENIES_A_REASON = re.compile(r"并?不是|并非|not|[a-z]+n't", re.IGNORECASE)  # "不是因为", "not because"


@dataclass(frozen=True, slots=True)
class Marker:
    family: Family
    backward: bool  # it bears on what comes before it in its clause ("预训练模型用不上", "……其实不对")
    start: int
    end: int
    clause: int
    substitute: bool = False  # "instead of", "而不是": it denies what follows and affirms what came before


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

    def clause_of(self, offset: int) -> int:
        return _index_of(self.clauses, offset)

    def segment_of(self, offset: int) -> int:
        return _index_of(self.segments, offset)

    def sentence_of(self, offset: int) -> int:
        return _index_of(self.sentences, offset)

    def negations(self, start: int, end: int, families: frozenset[Family], both_ways: bool = False) -> int:
        """How many negating markers of these families bear on the span [start, end): those of its clause
        before it (forward ones, within NEGATION_REACH words, or within reach of another that bears on it:
        "并不是说开源框架不免费"), after it (backward ones), and inside it ("task 不一样" for a term "task 一样":
        the caller takes off the term's own). With both_ways, forward ones after it too: the subject of a
        denied predicate ("Spot instances aren't worth it", "prefetch 并不能让……重叠"), but not a substitute
        ("prefetch instead of waiting" recommends prefetch)."""
        clause = self.clause_of(start)
        mine = [
            m for m in self.markers if m.clause == clause and m.family in families and m.family is not Family.REJECT
        ]
        count = sum(start <= m.start and m.end <= end for m in mine)
        count += sum(
            (m.backward or (both_ways and not m.substitute)) and m.start >= end and self._near(end, m.start)
            for m in mine
        )
        reach = start  # walk back from the span: each forward marker in reach extends the reach to itself
        for marker in sorted((m for m in mine if not m.backward and m.end <= start), key=lambda m: -m.end):
            if self._near(marker.end, reach):
                count += 1
                reach = marker.start
        return count

    def _near(self, start: int, end: int) -> bool:
        words = _WORDS.findall(self.text, start, end)
        return sum(word.lower() not in text.ENGLISH_STOP_WORDS for word in words) <= NEGATION_REACH

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
        if family is None:
            continue
        clause = _index_of(clauses, match.start())
        if (
            family in NEGATIONS
            and text.is_han(match.group()[0])
            and _ends_clause(normalised, clauses[clause], match.end())
        ):
            backward = True  # "预训练模型不需要", "社区没有": nothing follows, so it denies what came before
        substitute = _SUBSTITUTES.fullmatch(match.group()) is not None
        markers.append(Marker(family, backward, match.start(), match.end(), clause, substitute))
    return Reading(normalised, clauses, segments, sentences, tuple(markers))


def _ends_clause(source: str, clause: tuple[int, int], offset: int) -> bool:
    rest = source[offset : clause[1]]
    return not re.search(r"[A-Za-z0-9\u3400-\u9fff]", rest.replace("的", "").replace("了", "").replace("啊", ""))


def negations_in(phrase: str) -> int:
    """How many negators bear on a whole phrase ("prefetch 放哪都一样": 1, "cache 放在 shuffle 后面": 0), counted
    as Reading.negations counts them inside a span of an answer."""
    if not any(_kind(m)[0] is not None for m in _MARKERS.finditer(phrase)):
        return 0
    reading = read(phrase)
    return reading.negations(0, len(reading.text), NEGATIONS)


def negator_prefix(term: str) -> tuple[str, str] | None:
    """A term that carries its own negation ("无需许可证", "no licence to buy", "不用从零训练", "without a GPU"):
    its negator and the rest, which the answer must mention under a negation of its own. None for other terms."""
    source = text.normalise(term).strip()
    match = _MARKERS.match(source)
    if match is None or _kind(match) not in ((Family.NEGATE, False), (Family.DISMISS, False)):
        return None
    rest = source[match.end() :].strip()
    return (match.group(), rest) if rest else None
