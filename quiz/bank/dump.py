"""Bank objects back to the YAML shape the schema describes (deck.schema.json): what `load_bank` reads, written.

deck_to_dict(deck) -> {"deck": {...}, "questions": [...]}      question_to_dict(question) -> {...}
write_deck(path, data)                                          YAML, keys in the schema's order, UTF-8 as is
"""

from __future__ import annotations

from pathlib import Path

import yaml

from quiz.bank.model import LANGS, Deck, Question, Terms, Text


def text(value: Text) -> dict:
    """Its languages: a one-language deck's texts have only theirs."""
    return value.given()


def terms(value: Terms) -> dict:
    return value.given()


def question_to_dict(q: Question) -> dict:
    data: dict = {"id": q.id, "type": q.type.value, "topic": q.topic, "tags": list(q.tags), "difficulty": q.difficulty}
    if q.source:
        data["source"] = q.source
    data["prompt"], data["answer"] = text(q.prompt), text(q.answer)
    data["key_points"] = []
    for point in q.key_points:
        entry = {
            "id": point.id,
            "point": text(point.point),
            "concepts": [terms(c) for c in point.concepts],
            "require": point.require,
        }
        if point.contradicts is not None:
            entry["contradicts"] = terms(point.contradicts)
        if point.negation_denies:
            entry["negation_denies"] = True
        data["key_points"].append(entry)
    if q.code:
        data["code"] = []
        for snippet in q.code:
            entry = {"language": snippet.language}
            if snippet.title is not None:
                entry["title"] = text(snippet.title)
            entry["source"] = snippet.source
            if snippet.broken:
                entry["broken"] = True
            if snippet.correction is not None:
                entry["correction"] = text(snippet.correction)
            data["code"].append(entry)
    if q.options:
        data["options"] = [{"id": o.id, "text": text(o.text)} for o in q.options]
        data["correct"] = list(q.correct)
    if q.exercise:
        data["exercise"] = q.exercise
    return data


def deck_to_dict(deck: Deck) -> dict:
    meta: dict = {"id": deck.id, "title": text(deck.title)}
    if deck.description is not None:
        meta["description"] = text(deck.description)
    if deck.languages != LANGS:
        meta["languages"] = list(deck.languages)
    if deck.topics:
        meta["topics"] = {name: text(title) for name, title in deck.topics}
    return {"deck": meta, "questions": [question_to_dict(q) for q in deck.questions]}


class _BlockStrings(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so a written bank reads like a written one."""


def _string(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value and not any(ch in value for ch in "\r\t") and value == value.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStrings.add_representer(str, _string)


def write_deck(path: Path, data: dict) -> None:
    path.write_text(
        yaml.dump(data, Dumper=_BlockStrings, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8"
    )
