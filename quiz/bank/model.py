"""The typed objects a question bank loads into. Everything above the bank reads these, never raw YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

LANGS = ("zh", "en")


class QuestionType(StrEnum):
    """The kinds of question deck.schema.json allows (its `type` enum)."""

    OPEN = "open"
    CHOICE = "choice"
    CODE_REVIEW = "code-review"
    EXERCISE = "exercise"


@dataclass(frozen=True, slots=True)
class Text:
    """A text in both languages, or in one (the other empty: its deck is written in one language)."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        """The text in `lang` ("zh" or "en"); in the language it has when it has only one."""
        if lang not in LANGS:
            raise ValueError(f"no language {lang!r} (known: {', '.join(LANGS)})")
        return (self.en if lang == "en" else self.zh) or self.zh or self.en

    def given(self) -> dict[str, str]:
        """language -> text, for the languages it is written in."""
        return {lang: words for lang, words in (("zh", self.zh), ("en", self.en)) if words}


@dataclass(frozen=True, slots=True)
class Terms:
    """Synonyms of one concept in each language; saying any one of them mentions the concept."""

    zh: tuple[str, ...]
    en: tuple[str, ...]

    def given(self) -> dict[str, list[str]]:
        """language -> synonyms, for the languages it lists."""
        return {lang: list(words) for lang, words in (("zh", self.zh), ("en", self.en)) if words}


@dataclass(frozen=True, slots=True)
class KeyPoint:
    id: str
    point: Text
    concepts: tuple[Terms, ...]
    require: int  # how many concepts an answer must mention to cover the point
    contradicts: Terms | None = None  # statements of the opposite: an answer asserting one gets the point wrong
    # A code review reads "map 没有 num_parallel_calls" as naming the bug, so a plain negation there does not deny a
    # point; a point the code's bug makes happen ("fit raises", "XLA recompiles") is denied by one ("不会报错").
    negation_denies: bool = False


@dataclass(frozen=True, slots=True)
class Snippet:
    language: str
    source: str
    title: Text | None = None
    correction: Text | None = None
    broken: bool = False  # kept as a document had it: known not to parse


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    text: Text


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: QuestionType
    topic: str
    tags: tuple[str, ...]
    difficulty: str
    prompt: Text
    answer: Text
    key_points: tuple[KeyPoint, ...]
    deck: str
    source: str | None = None
    code: tuple[Snippet, ...] = ()
    options: tuple[Option, ...] = ()
    correct: tuple[str, ...] = ()
    exercise: str | None = None
    languages: tuple[str, ...] = LANGS  # its deck's: the languages its texts are written in

    def shown_in(self, lang: str) -> str:
        """The language the question is shown in when the user asked for `lang`."""
        return lang if lang in self.languages else self.languages[0]


@dataclass(frozen=True, slots=True)
class Deck:
    id: str
    title: Text
    path: Path
    questions: tuple[Question, ...]
    description: Text | None = None
    topics: tuple[tuple[str, Text], ...] = ()  # (topic id, its title) for topics this deck names
    languages: tuple[str, ...] = LANGS  # the languages its texts are written in


@dataclass(frozen=True, slots=True)
class Bank:
    decks: tuple[Deck, ...]
    questions: tuple[Question, ...] = field(init=False)
    by_id: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        questions = tuple(q for deck in self.decks for q in deck.questions)
        object.__setattr__(self, "questions", questions)
        object.__setattr__(self, "by_id", {q.id: q for q in questions})

    def topics(self) -> list[str]:
        return sorted({q.topic for q in self.questions})

    def topic_title(self, topic: str, lang: str) -> str:
        """The topic's title in `lang` from the first deck that names it; its id when none does."""
        for deck in self.decks:
            for name, title in deck.topics:
                if name == topic:
                    return title(lang)
        return topic
