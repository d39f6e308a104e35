"""Whether an answer only names terms: a bare keyword list ("并行、显存、带宽、吞吐量、延迟", "free, community,
pretrained models, tutorials") says nothing of any of them, so it covers no point.

An item (a piece between punctuation or 、) "says something" when it holds a predicate: a verb or an adjective
said of its noun ("社区大", "it's free", "lots of models"). There is no part-of-speech tagger here (jieba took 2.3 s
to load), so predicates are a short list of characters and words, chosen to be rare inside the nouns of this
subject (用户, 加速, 变革 hold 用/加/变, so those are not on it). Negators (不, 没) and placing verbs (放在, 挪到,
改成) are predicates too: "prefetch 放在最后。num_parallel_calls 不建议开。" is a terse review, not a list.
"""

from __future__ import annotations

import re

from quiz.review import text

# What joins the items of a list without saying anything of them.
GLUE = frozenset({"和", "与", "及", "或", "等", "的", "之", "类", "以", "and", "or", "etc", "plus", "e", "g"})
ITEM_WORDS = 3.0  # rough words: three or more items this short, most saying nothing, are a list
LONG_ITEMS = 5  # one item in this many may be longer ("GPU、TPU、CUDA 核心、HBM 高带宽显存、吞吐量" is still a list)
_PREDICATE_EN = re.compile(
    r"'(?:re|s|ve|ll|d|m)\b|\b(?:is|are|was|were|be|has|have|had|can|could|will|would|should|must|do|does|did|"
    r"lets?|makes?|gives?|helps?|means?|needs?|uses?|saves?|cuts?|reduces?|lowers?|improves?|increases?|speeds?|"
    r"boosts?|cheaper|faster|slower|more|less|fewer|lot|lots|many|much|big|bigger|huge|large|high|higher|low|"
    r"better)\b",
    re.IGNORECASE,
)
_PREDICATE = re.compile(
    r"(?!快速|高速|高效|大概|大家)(?:(?<!中)小|[降提减增省快慢高低大多少强弱好贵能会可让使要需有是帮够不没])|便宜|放在|"
    r"放到|挪到|移到|改成|换成|" + _PREDICATE_EN.pattern,
    re.IGNORECASE,
)
_WORDS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+(?:[-'._][A-Za-z0-9]+)*")
_SEPARATORS = re.compile(r"[、，,;；/\n]|[。！？!?]|\.(?=\s|$)|[-–—*•]\s")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|（[^（）]*）")
_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)  # a fenced snippet: code, not a list of terms


def says_something(item: str) -> bool:
    return _PREDICATE.search(item) is not None


def is_list(normalised: str) -> bool:
    """Three or more items (brackets kept whole: Dense(10, dtype=...) is one), each at most ITEM_WORDS rough
    words but one in LONG_ITEMS, fewer than a third of them saying anything: "免费、预训练模型、社区、技术共享、
    快速迭代", "spot instances, checkpoints, GPU utilization, mixed precision", "all-reduce、RING、NCCL、AUTO".
    A fenced snippet beside prose is left out (its short lines are code); an answer that is only a fenced block is
    read inside it."""
    prose = _CODE_BLOCK.sub(" ", normalised)  # a fix's snippet after the review is code, not items
    if not _WORDS.search(prose):  # nothing but a fenced block: read what is inside it
        prose = normalised.replace("```", " ")
    flat = _BRACKETED.sub(lambda m: "x" * len(m.group()), prose)
    items = [item for item in _SEPARATORS.split(flat) if _WORDS.search(item)]
    long_items = sum(_size(item) > ITEM_WORDS for item in items)
    if len(items) < 3 or long_items * LONG_ITEMS > len(items):
        return False
    return 3 * sum(says_something(item) for item in items) < len(items)


def _size(item: str) -> float:
    """Rough words: an English word (stop words aside) 1, a Chinese character that is not a function one 1/2."""
    size = 0.0
    for token in _WORDS.findall(item):
        if text.is_han(token):
            size += 0.0 if token in text.CHINESE_FILLER else 0.5
        elif token.lower() not in text.ENGLISH_STOP_WORDS:
            size += 1.0
    return size
