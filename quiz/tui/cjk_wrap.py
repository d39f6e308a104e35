"""Line breaking for Chinese (and Japanese and Korean) text in every widget of the app.

Rich and Textual break lines only at spaces: a run of Han characters is one "word", so a sentence like
"在云上用 GPU 训练 TensorFlow 模型时，…" leaves a short ragged line before a long run that is pushed down whole. In
CJK text a line may break between any two characters, except before punctuation that must not start a line
(，。、？！）」… ) and after punctuation that must not end one (（「“ ) — the basic rules of line breaking for
Chinese (kinsoku shori in Japanese).

Both libraries find break opportunities in one small function each: `rich._wrap.words` (used by Rich's Text.wrap
and by Textual's Content, hence Static, Markdown, DataTable, OptionList) and `textual._wrap.chunks` (TextArea's
soft wrap). `install()` wraps both so that a word holding CJK text is cut into the pieces a line may break
between; text without CJK is untouched. These are private functions of those libraries: the tests in
tests/tui/test_cjk_wrap.py pin what a wrapped line looks like, so an upgrade that moves them fails there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

CJK = re.compile(
    r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
NO_LINE_START = frozenset("，。、；：？！）」』】》〉〕］｝”’…‥—～・％‰,.;:?!)]}%")
NO_LINE_END = frozenset("（「『【《〈〔［｛“‘([{")

Chunker = Callable[[str], Iterable[tuple[int, int, str]]]


def may_break_between(before: str, after: str) -> bool:
    if before.isspace() or after.isspace():
        return False  # spaces are break opportunities already
    if not (CJK.match(before) or CJK.match(after)):
        return False  # inside a run of Latin letters or digits ("GPU", "2.21")
    return after not in NO_LINE_START and before not in NO_LINE_END


def split_cjk(start: int, word: str) -> Iterable[tuple[int, int, str]]:
    """(start, end, piece) for the pieces of `word` (at `start` in its line) between which a line may break."""
    cut = 0
    for index in range(1, len(word)):
        if may_break_between(word[index - 1], word[index]):
            yield start + cut, start + index, word[cut:index]
            cut = index
    yield start + cut, start + len(word), word[cut:]


def cjk_aware(chunker: Chunker) -> Chunker:
    def chunks(text: str) -> Iterable[tuple[int, int, str]]:
        for start, end, word in chunker(text):
            if CJK.search(word):
                yield from split_cjk(start, word)
            else:
                yield start, end, word

    chunks.cjk_aware = True  # type: ignore[attr-defined]
    chunks.__wrapped__ = chunker  # type: ignore[attr-defined]
    return chunks


def install() -> None:
    """Make Rich's and Textual's line breaking CJK-aware, once per process."""
    import rich._wrap
    import textual._wrap

    if not getattr(rich._wrap.words, "cjk_aware", False):
        rich._wrap.words = cjk_aware(rich._wrap.words)
    if not getattr(textual._wrap.chunks, "cjk_aware", False):
        textual._wrap.chunks = cjk_aware(textual._wrap.chunks)
