"""A bank as an Anki package (.apkg), one note per question, written with genanki.

Every id Anki keys on is derived from ours, so exporting again after an edit updates the notes instead of adding
copies: a note's GUID from its question id, a deck's id from `quiz::<deck id>`, the note type's from its name.
A field the cards never show (`QuizData`) carries the question itself and its deck's title as JSON, so
`quiz anki import` gives them back whole.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

import genanki

from quiz.anki import DECK_PREFIX
from quiz.anki.markup import code_html, to_html
from quiz.bank.dump import deck_to_dict, question_to_dict
from quiz.bank.model import Bank, Question, Text

MODEL_NAME = "quiz question"
FIELDS = ["Prompt", "Options", "Answer", "KeyPoints", "Code", "QuestionId", "QuizData"]
LANGS = ("zh", "en", "both")
CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.lang { color: #888; font-size: 12px; }
.correct { color: #2a7a2a; font-weight: bold; }
.id { color: #aaa; font-size: 11px; }"""
FRONT = '{{Prompt}}{{#Options}}<ol type="a">{{Options}}</ol>{{/Options}}'
BACK = (
    '{{FrontSide}}<hr id="answer">{{Answer}}{{#KeyPoints}}<h4>Key points</h4><ul>{{KeyPoints}}</ul>'
    '{{/KeyPoints}}{{Code}}<div class="id">{{QuestionId}}</div>'
)


def stable_id(name: str) -> int:
    """An Anki id (deck, note type) from a name: the same name always gives the same id, in Anki's range."""
    return (1 << 30) + int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % (1 << 30)


MODEL = genanki.Model(
    stable_id(f"quiz model {MODEL_NAME}"),
    MODEL_NAME,
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Recall", "qfmt": FRONT, "afmt": BACK}],
    css=CSS,
)


def note_guid(question_id: str) -> str:
    return genanki.guid_for("quiz", question_id)


def in_lang(value: Text, lang: str, render=to_html) -> str:
    if lang != "both":
        return render(value(lang))
    return "".join(f'<div class="lang">{code}</div>{render(words)}' for code, words in value.given().items())


def plain(text: str) -> str:
    return html.escape(text)


def fields(q: Question, lang: str, deck_meta: dict) -> list[str]:
    marked = ' class="correct"'
    options = "".join(
        f"<li{marked if o.id in q.correct else ''}>{in_lang(o.text, lang, plain)}</li>" for o in q.options
    )
    points = "".join(f"<li>{in_lang(p.point, lang, plain)}</li>" for p in q.key_points)
    code = "".join(
        (f"<h4>{in_lang(s.title, lang, plain)}</h4>" if s.title else "") + code_html(s.source, s.language)
        for s in q.code
    )
    data = json.dumps({"version": 1, "deck": deck_meta, "question": question_to_dict(q)}, ensure_ascii=False)
    return [in_lang(q.prompt, lang), options, in_lang(q.answer, lang), points, code, q.id, plain(data)]


def tags(q: Question) -> list[str]:
    """Anki tags hold no spaces; `::` makes them a hierarchy in Anki's browser."""
    return [*q.tags, f"topic::{q.topic}", f"difficulty::{q.difficulty}", f"type::{q.type}", "quiz"]


def build(bank: Bank, output: Path, *, lang: str = "both", decks: list[str] | None = None) -> dict[str, int]:
    """Write the package; how many notes each Anki deck got."""
    counts: dict[str, int] = {}
    anki_decks = []
    for deck in bank.decks:
        if decks and deck.id not in decks:
            continue
        name = DECK_PREFIX + deck.id
        anki_deck = genanki.Deck(
            stable_id(name), name, description=in_lang(deck.description, lang) if deck.description else ""
        )
        meta = deck_to_dict(deck)["deck"]
        for q in deck.questions:
            anki_deck.add_note(
                genanki.Note(model=MODEL, fields=fields(q, lang, meta), tags=tags(q), guid=note_guid(q.id))
            )
        counts[name] = len(deck.questions)
        anki_decks.append(anki_deck)
    genanki.Package(anki_decks).write_to_file(str(output))
    return counts
