"""Anki notes as a bank: one YAML file per Anki deck, which `quiz validate` accepts.

- A note this project exported carries its question whole (the `QuizData` field): it comes back as it was, id and
  key points included, so progress on it is kept.
- Any other note: its first field is the prompt and its second the answer (HTML to Markdown); its tags are kept
  (as slugs; `topic::x` and `difficulty::x` fill those); its id is made from its GUID (`anki.<hex of the GUID>`),
  so importing the deck again gives the same ids. Anki has no key points: each line or bullet of the answer
  becomes one, whose words are the ones an answer must mention; edit them to score answers well. A note's text is
  in one language (Chinese when it has Han characters): it fills both `zh` and `en`, and the question's `source`
  says so.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

from quiz.anki import DECK_PREFIX
from quiz.anki.markup import to_markdown
from quiz.anki.package import AnkiNote
from quiz.bank.dump import write_deck

_SLUG = re.compile(r"[^a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]{3,}")
_ZH_CHUNK = re.compile(r"[\u3400-\u9fff]{2,6}")
MAX_POINTS = 6


def slug(text: str, fallback: str) -> str:
    value = _SLUG.sub("-", text.lower()).strip("-")
    return value[:80] if value else fallback


def deck_id(name: str) -> str:
    if name.startswith(DECK_PREFIX):
        return slug(name[len(DECK_PREFIX) :], "deck")
    return slug(name.replace("::", "-"), "deck-" + hashlib.sha256(name.encode()).hexdigest()[:8])


def to_decks(notes: list[AnkiNote], package_name: str) -> dict[str, dict]:
    """deck id -> the deck file's data."""
    decks: dict[str, dict] = {}
    seen: set[str] = set()
    for note in notes:
        meta, question = restored(note)
        if question is None:
            question = converted(note, package_name)
        if question is None or question["id"] in seen:
            continue
        seen.add(question["id"])
        ident = deck_id(note.deck)
        if meta is None or meta.get("id") != ident:
            meta = {"id": ident, "title": {"zh": note.deck, "en": note.deck}}
        deck = decks.setdefault(ident, {"deck": meta, "questions": []})
        deck["questions"].append(question)
    return decks


def restored(note: AnkiNote) -> tuple[dict | None, dict | None]:
    """(its deck's metadata, the question) that a note of ours carries whole; (None, None) for any other note."""
    data = note.fields.get("QuizData")
    try:
        carried = json.loads(html.unescape(data)) if data else None
    except ValueError:
        carried = None
    question = carried.get("question") if isinstance(carried, dict) else None
    if not isinstance(question, dict) or not isinstance(question.get("id"), str):
        return None, None  # not ours after all: read as any other note
    meta = carried.get("deck")
    return (meta if isinstance(meta, dict) and isinstance(meta.get("id"), str) else None), question


def converted(note: AnkiNote, package_name: str) -> dict | None:
    values = list(note.fields.values())
    front = to_markdown(values[0]) if values else ""
    back = to_markdown(values[1]) if len(values) > 1 else ""
    if not front.strip() or not back.strip():
        return None  # a card with nothing to ask or nothing to answer is no question
    tags, topic, difficulty = [], None, "medium"
    for tag in note.tags:
        if tag.startswith("topic::"):
            topic = slug(tag[len("topic::") :], "") or None
        elif tag.startswith("difficulty::") and tag[len("difficulty::") :] in ("easy", "medium", "hard"):
            difficulty = tag[len("difficulty::") :]
        elif not tag.startswith("type::") and (value := slug(tag, "")) and value not in tags:
            tags.append(value)
    language = "zh" if _HAN.search(front + back) else "en"
    return {
        "id": "anki." + note.guid.encode().hex(),
        "type": "open",
        "topic": topic or deck_id(note.deck),
        "tags": tags,
        "difficulty": difficulty,
        "source": f"Anki: {package_name}, note type {note.notetype!r} (one language, {language}: the same text in "
        "zh and en)",
        "prompt": {"zh": front, "en": front},
        "answer": {"zh": back, "en": back},
        "key_points": key_points(back),
    }


def key_points(answer: str) -> list[dict]:
    """One key point per line or bullet of the answer (at most six), whose words an answer must mention one of."""
    items = [re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line).strip() for line in answer.splitlines()]
    items = [item for item in items if item] or [answer.strip()]
    points = []
    for position, item in enumerate(items[:MAX_POINTS], start=1):
        # the longest words (ties: in the order they come), so the same note always gives the same points
        words = _ZH_CHUNK.findall(item) or sorted(dict.fromkeys(_WORD.findall(item)), key=len, reverse=True)[:3]
        words = words[:3] or [item[:40]]
        points.append(
            {
                "id": f"p{position}",
                "point": {"zh": item, "en": item},
                "concepts": [{"zh": list(words), "en": list(words)}],
                "require": 1,
            }
        )
    return points


def write_bank(decks: dict[str, dict], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for ident, data in sorted(decks.items()):
        path = folder / f"{ident}.yaml"
        write_deck(path, data)
        written.append(path)
    return written
