"""The words of a bullet or a sentence that can stand for what it says: a key point's concepts, and a way to tell
two bullets that say the same thing.

Chinese text is cut into words with jieba (its dictionary ships in the wheel; imported only by `quiz import-doc`,
about 1 s the first time); English into words. Function words, the verbs of change the genre puts before every
point (降低/提高/提升/优化, improve/reduce/lower) and the question's own words are not concepts.
"""

from __future__ import annotations

import logging
import re
from functools import cache

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9+#._-]*[A-Za-z0-9+#]|[A-Za-z]")
CHANGE_VERBS_ZH = frozenset(
    "降低 减少 减小 提高 提升 增加 增强 加强 优化 改善 改进 加速 加快 促进 推动 缩短 激发 带来 实现 使得 "
    "让 使 能够 可以 允许 支持 变得 得到 获得 进行 利用 使用 通过 具有 拥有 提供 鼓励".split()
)
STOP_ZH = frozenset(
    "的 了 地 得 且 和 与 及 或 并 而 也 都 就 把 被 将 对 在 从 为 于 其 这 那 些 个 种 等 是 有 着 过 更 很 最 多 "
    "这些 那些 这个 那个 它们 他们 我们 你们 用户 通常 非常 更加 大幅 大量 直接 以及 并且 而且 或者 因为 所以 "
    "从而 因此 同时 随着 不仅 还 以下 如下 原因 方面 如 例如 比如 其中 一些 一个 一种 各种 各个 所有 整体 整个 "
    "显著 广泛 丰富 庞大 快速 迅速 可能 成为 可 需 需要 无需 不用 不必 能 会 要".split()
)
STOP_EN = frozenset(
    "a an the and or but of to in on for with by from as at into onto than then that this these those it its "
    "they them their there is are was were be been being can could may might will would should must do does "
    "did done not no so such very more most much many less few each every all any some other own same also "
    "which who whom what when where why how while because since thus hence therefore however often usually "
    "users user you your we our us one two many lot lots way ways make makes made making use uses used using "
    "allow allows allowed help helps let lets get gets got become becomes keep keeps kept instead fewer".split()
)
CHANGE_VERBS_EN = frozenset(
    "improve improves improved improving reduce reduces reduced reducing lower lowers lowered lowering increase "
    "increases increased increasing raise raises raised boost boosts boosted speed speeds sped accelerate "
    "accelerates accelerated cut cuts enable enables enabled enhance enhances enhanced optimize optimizes "
    "optimized optimise optimises optimised decrease decreases decreased shorten shortens shortened provide "
    "provides provided offer offers offered better faster higher greater".split()
)
_NOUNISH = ("n", "vn", "nz", "nr", "ns", "nt", "eng", "j", "l", "i", "an")


def is_chinese(text: str) -> bool:
    han = len(_HAN.findall(text))
    return han > 0 and han >= len(_LATIN.findall(text))


@cache
def _segmenter():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.ERROR)
    return jieba.posseg


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) of a text: jieba's tags for Chinese ('eng' for a Latin word), 'en' for English."""
    if not _HAN.search(text):
        return [(word, "en") for word in _LATIN.findall(text)]
    return [(pair.word, pair.flag) for pair in _segmenter().cut(text) if pair.word.strip()]


def content_words(text: str) -> list[tuple[str, str]]:
    """The words that carry what a text says, in order: no function words, no verbs of change."""
    words = []
    for word, flag in tagged(text):
        lower = word.lower()
        if flag == "en" or flag == "eng":
            if lower in STOP_EN or lower in CHANGE_VERBS_EN or len(lower) < 2 and not lower.isupper():
                continue
        elif not _HAN.search(word) or len(word) < 2 or word in STOP_ZH or word in CHANGE_VERBS_ZH:
            continue
        words.append((word, flag))
    return words


def concept_terms(
    label: str, body: str, excluded: frozenset[str], common: frozenset[str] = frozenset(), body_words: int = 4
) -> list[str]:
    """Synonyms for the concept a bullet names: its label's content words joined (the phrase), the nouns among
    them (else its verbs), then up to `body_words` nouns of its text that are not `common`. Excluded words (the
    question's own) are left out unless nothing else remains."""
    terms: list[str] = []
    if label:
        kept = [(w, f) for w, f in content_words(label) if w.lower() not in excluded]
        if len(kept) > 1:
            terms.append(_joined([w for w, _ in kept]))
        nouns = [w for w, f in kept if _nounish(f)]
        terms.extend(nouns or [w for w, _ in kept])
    if body and body_words:
        nouns = [w for w, f in content_words(body) if _nounish(f) and w.lower() not in excluded | common]
        terms.extend([w for w in dict.fromkeys(nouns) if w not in terms][:body_words])
    terms = list(dict.fromkeys(t for t in terms if t))
    if terms:
        return terms
    fallback = _joined([w for w, _ in content_words(label or body)]) or (label or body).strip()[:40]
    return [fallback]


def _nounish(flag: str) -> bool:
    return flag.startswith(_NOUNISH) or flag == "en"


def everywhere_words(texts: list[str], share: float = 0.4) -> frozenset[str]:
    """Words in more than `share` of the texts (when there are 4 or more): the document's subject, not a
    point ("模型", "训练", "GPU" in a deep-learning article)."""
    if len(texts) < 4:
        return frozenset()
    counts: dict[str, int] = {}
    for text in texts:
        for word in {w.lower() for w, _ in content_words(text)}:
            counts[word] = counts.get(word, 0) + 1
    return frozenset(word for word, n in counts.items() if n > share * len(texts))


def _joined(words: list[str]) -> str:
    out = ""
    for word in words:
        out += (" " if out and not (_HAN.search(out[-1]) and _HAN.search(word[0])) else "") + word
    return out


def signature(text: str) -> frozenset[str]:
    """What a bullet's label says, to compare with another's: the characters of its Chinese content words, the
    stems of its English ones."""
    units: set[str] = set()
    for word, _ in content_words(text):
        if _HAN.search(word):
            units.update(ch for ch in word if _HAN.match(ch))
        else:
            units.add(_stem(word.lower()))
    return frozenset(units)


def _stem(word: str) -> str:
    from quiz.review.text import stem

    return stem(word)


def same_point(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two labels say the same when most of the shorter one is in the other."""
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= 0.8


def prompt_words(prompt: str) -> frozenset[str]:
    return frozenset(word.lower() for word, _ in tagged(prompt))


def sentences(paragraph: str) -> list[str]:
    parts = re.split(r"(?<=[。！？!?；;])|(?<=\.)\s+(?=[A-Z])", paragraph)
    return [part.strip() for part in parts if part and part.strip()]
