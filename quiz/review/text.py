"""Turn free text (Chinese, English or both) into a sequence of comparable units.

Chinese has no spaces, so each Han character is one unit and terms are matched as character runs: an n-gram
view that needs no dictionary (jieba took 2.3 s to import and cut its first sentence here). The Snowball stemmer
is PyStemmer's C build when installed (the same stems; compiling one question's synonyms the first time took
71 ms in pure Python here, 24 ms with the C build).
English words are lower-cased, stemmed with Snowball and stripped of stop words, so "reduces latency" and
"latency is reduced" share the units `reduc` and `latenc`. Both languages live in one sequence, which lets a mixed
answer ("用 GPU 加速") match a mixed term.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_UNIT = re.compile(rf"[{_HAN}]|[A-Za-z0-9]+(?:[-'_][A-Za-z0-9]+)*")
_ACRONYM_PLURAL = re.compile(r"[A-Z0-9]{2,}s")  # GPUs, TPUs, CPUs: Snowball leaves "gpus" alone
_HAN_CHAR = re.compile(rf"[{_HAN}]")

# Only words that never carry a key point: negations ("no licence"), quantities ("all GPUs", "more data") and
# places ("in the scope", "outside") stay, or "no cost" would match any answer that says "cost".
ENGLISH_STOP_WORDS = frozenset(
    """
a an the and or but if so as than that which who whom whose this these those there here it its itself they them
their theirs we our ours you your yours i me my he him his she her hers of to for with by at on from about
is are was were be been being am do does did doing done have has had having can could will would shall should
may might must also just very really quite etc e g ie eg via
""".split()
)

# Function characters that carry no topic: they count for nothing when measuring how much an answer says.
CHINESE_FILLER = frozenset(
    "的了是在和与及或也就都而并且着把被让使其这那之所以因为为对于从到"
    "很更最还又再些个么吗呢吧啊我你他它们有没不能会可以要"
)


def is_han(unit: str) -> bool:
    return len(unit) == 1 and _HAN_CHAR.match(unit) is not None


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def normalise(text: str) -> str:
    """NFKC folds full-width letters and punctuation (Ｇ Ｐ Ｕ，) into their plain forms."""
    return unicodedata.normalize("NFKC", text)


def source_offsets(original: str, normalised: str) -> tuple[int, ...] | None:
    """For each character of `normalised` (normalise(original)), the offset in `original` of the character it came
    from ("……" -> "......", "ﬁ" -> "fi": several characters from one); None where normalising merged characters
    (a letter and a combining accent into one), which no such map describes."""
    if original == normalised:
        return tuple(range(len(original)))
    pieces = [normalise(c) for c in original]
    if "".join(pieces) != normalised:
        return None
    return tuple(offset for offset, piece in enumerate(pieces) for _ in piece)


def _word(token: str) -> str | None:
    """One English word as its stem, or None for a stop word."""
    if _ACRONYM_PLURAL.fullmatch(token):
        token = token[:-1]
    token = token.split("'")[0].lower()
    return stem(token) if token and token not in ENGLISH_STOP_WORDS else None


def units(text: str) -> list[str]:
    """The text as Han characters and stemmed English content words, in order. A hyphenated word gives its
    parts and then the parts joined ("pre-trained" -> "pre", "train", "pretrain"), so that the terms "trained",
    "pre-trained" and "pretrained" all find it; "model's" gives "model"; an identifier with underscores is one
    unit, lower-cased and unstemmed ("preprocess_input": "the inputs are preprocessed" does not say it)."""
    return located_units(normalise(text))[0]


def located_units(normalised: str) -> tuple[list[str], list[tuple[int, int]]]:
    """`units` of an already normalised text, with the character span of the token each unit comes from."""
    out: list[str] = []
    offsets: list[tuple[int, int]] = []
    for match in _UNIT.finditer(normalised):
        token = match.group()
        if is_han(token) or "_" in token:  # an identifier (preprocess_input): one unit, as written, no possessive
            out.append(token.split("'")[0].lower())
            offsets.append(match.span())
            continue
        parts = token.split("-")
        for part in parts if len(parts) > 1 else ():
            if (unit := _word(part)) is not None:
                out.append(unit)
                offsets.append(match.span())
        if (unit := _word("".join(parts))) is not None:
            out.append(unit)
            offsets.append(match.span())
    return out, offsets


def term_variants(term: str) -> list[tuple[str, ...]]:
    """A term as unit sequences. Hyphens and spaces are interchangeable in English compounds: "pre-trained" is
    looked for as "pre trained" and "pretrained", and "open source" also as "opensource"."""
    spaced = tuple(units(term.replace("-", " ")))
    # an English phrase is said by the identifier made of it too: "mixed precision" by tf.keras.mixed_precision
    phrase = re.fullmatch(r"\s*[A-Za-z]+(?: [A-Za-z]+)+\s*", term)
    snake = (term.strip().lower().replace(" ", "_"),) if phrase else ()
    joined = tuple(units(re.sub(r"(?<=[A-Za-z0-9])-(?=[A-Za-z0-9])", "", term)))
    two_words = re.fullmatch(r"\s*([A-Za-z]+) ([A-Za-z]+)\s*", term)
    compound = tuple(units(two_words.group(1) + two_words.group(2))) if two_words else ()
    variants: list[tuple[str, ...]] = []
    for variant in (spaced, joined, compound, snake):
        if variant and variant not in variants:
            variants.append(variant)
    return variants


def substance(answer_units: list[str], copied: list[bool]) -> float:
    """How much an answer says beyond what it copied from the prompt, in rough words: an English content
    word counts 1, a Chinese character that is not a function character counts 1/2 (words are ~2 characters)."""
    total = 0.0
    for unit, was_copied in zip(answer_units, copied):
        if was_copied:
            continue
        if is_han(unit):
            total += 0.0 if unit in CHINESE_FILLER else 0.5
        else:
            total += 1.0
    return total
