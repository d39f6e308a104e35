"""Whether an answer opens by denying the question: "I don't think open source makes AI cheaper", "我不觉得是形状的
问题", "这段代码没问题啊", "Nothing's really wrong." An answer that starts so argues against the key points, and what
follows it (a wrong cause, a misconception in the points' own words) covers none of them.

Only the first sentence counts, and only when it opens with the denial (after a "honestly" or "说实话"). An answer
that then concedes a problem ("顺序基本没问题……唯一要改的是 prefetch", "looks fine, but compile is outside the
scope") is not a denial: it names the bug after all. On the tuning answers and frozen-4 (799 answers by seven
writers), it applies to 11 of 82 denials, 2 of 106 misconceptions, and none of the 611 other answers.
"""

from __future__ import annotations

import re

_LEAD = r"^\W*(?:(?:honestly|frankly|well|hmm|actually)\b,?\s*|(?:说实话|老实说|坦白说|嗯|其实)\s*[,，]?\s*)*"
_OPINION = (
    r"I\s+(?:really\s+)?(?:don'?t|do\s+not)\s+(?:really\s+)?(?:think|believe|buy|see\s+(?:anything|any\s+"
    r"(?:problem|issue|bug)|what'?s\s+wrong))|I\s+doubt|我(?:并|真)?不(?:认为|觉得|相信|同意)"
)
_CLEAN_BILL = (
    r"(?:there'?s\s+)?nothing(?:'s|\s+is)?\s+(?:really\s+|much\s+)?wrong|the\s+code\s+(?:is|looks)\s+(?:fine|"
    r"correct|ok(?:ay)?)|(?:这段|这个|整个)?(?:代码|程序|写法|顺序|流程|pipeline)?(?:本身|整体)?(?:基本|其实|应该)?"
    r"没(?:什么|啥|有)?(?:大)?(?:问题|毛病)"
)
_OPENING = re.compile(_LEAD + f"(?:{_OPINION}|{_CLEAN_BILL})", re.IGNORECASE)
_FIRST_SENTENCE = re.compile(r"^.*?(?:[。！？!?；;\n]|\.(?=\s|$)|$)", re.DOTALL)
# A concession that the code or the claim has a problem after all (not "不需要改", which is none).
_CONCEDES = re.compile(
    r"但|不过|可是|然而|唯一|(?<![不没需])要改|(?<![不没])需要改|(?<!不)得改|"
    r"\b(?:but|however|except|only\s+thing|apart\s+from|other\s+than)\b",
    re.IGNORECASE,
)


def denies_the_question(normalised: str) -> bool:
    """Whether the answer (text.normalise'd) opens by denying the question and never concedes a problem."""
    first = _FIRST_SENTENCE.match(normalised.strip())
    if first is None or not _OPENING.match(first.group()):
        return False
    return _CONCEDES.search(normalised) is None
