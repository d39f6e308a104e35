"""A checked bank file's data as the typed objects of model.py."""

from __future__ import annotations

from quiz.bank.model import Deck, KeyPoint, Option, Question, QuestionType, Snippet, Terms, Text
from quiz.bank.parsing import ParsedFile
from quiz.bank.schema import declared_languages


def _text(value: dict | None) -> Text | None:
    return Text(zh=value.get("zh", ""), en=value.get("en", "")) if value else None


def _terms(value: dict | None) -> Terms | None:
    return Terms(zh=tuple(value.get("zh", ())), en=tuple(value.get("en", ()))) if value else None


def build_deck(parsed: ParsedFile) -> Deck:
    data = parsed.data
    assert isinstance(data, dict)
    meta = data["deck"]
    languages = declared_languages(data)
    questions = tuple(_question(q, meta["id"], languages) for q in data["questions"])
    return Deck(
        id=meta["id"],
        title=_text(meta["title"]),
        path=parsed.path,
        questions=questions,
        description=_text(meta.get("description")),
        languages=languages,
        topics=tuple((name, _text(title)) for name, title in meta.get("topics", {}).items()),
    )


def _question(q: dict, deck_id: str, languages: tuple[str, ...]) -> Question:
    return Question(
        id=q["id"],
        type=QuestionType(q["type"]),
        topic=q["topic"],
        tags=tuple(q["tags"]),
        difficulty=q["difficulty"],
        prompt=_text(q["prompt"]),
        answer=_text(q["answer"]),
        deck=deck_id,
        source=q.get("source"),
        key_points=tuple(
            KeyPoint(
                id=kp["id"],
                point=_text(kp["point"]),
                concepts=tuple(_terms(c) for c in kp["concepts"]),
                require=kp.get("require", len(kp["concepts"])),
                contradicts=_terms(kp.get("contradicts")),
                negation_denies=kp.get("negation_denies", False),
            )
            for kp in q["key_points"]
        ),
        code=tuple(
            Snippet(
                language=s["language"],
                source=s["source"],
                title=_text(s.get("title")),
                correction=_text(s.get("correction")),
                broken=s.get("broken", False),
            )
            for s in q.get("code", [])
        ),
        options=tuple(Option(id=o["id"], text=_text(o["text"])) for o in q.get("options", [])),
        correct=tuple(q.get("correct", [])),
        exercise=q.get("exercise"),
        languages=languages,
    )
