"""Reading an Anki package (.apkg): its notes, with their fields by name, tags and deck.

An .apkg is a zip holding a SQLite collection: `collection.anki2` (the legacy schema, 11), `collection.anki21`
(the same schema, newer scheduling) or `collection.anki21b` (schema 18, compressed with zstd; current Anki writes it,
with a stub `collection.anki2` beside it that only says to update Anki). The newest one present is read. Media
files are not read.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import zstandard

COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")  # newest first
MAX_COLLECTION_BYTES = 2 * 2**30


class NotAnAnkiPackage(ValueError):
    """The file is not an .apkg this can read (the text says why, in one line)."""


@dataclass(frozen=True)
class AnkiNote:
    guid: str
    notetype: str
    fields: dict[str, str]  # field name -> its HTML, in the note type's order
    tags: tuple[str, ...]
    deck: str  # "Parent::Child"


def read_package(path: Path) -> tuple[str, list[AnkiNote]]:
    """(the collection file it read, its notes in the order they were added)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAnAnkiPackage(f"{path} is not an Anki package: {exc}") from None
    with archive, tempfile.TemporaryDirectory(prefix="quiz-anki-") as scratch:
        names = set(archive.namelist())
        chosen = next((name for name in COLLECTIONS if name in names), None)
        if chosen is None:
            raise NotAnAnkiPackage(f"{path} is a zip but not an Anki package: it holds no collection.anki2/21/21b")
        database = Path(scratch) / "collection.sqlite"
        try:
            with archive.open(chosen) as source, database.open("wb") as target:
                if chosen.endswith("21b"):
                    with zstandard.ZstdDecompressor().stream_reader(source) as unpacked:
                        _copy_capped(unpacked, target)
                else:
                    _copy_capped(source, target)
        except (zipfile.BadZipFile, zstandard.ZstdError, OSError, EOFError) as exc:
            raise NotAnAnkiPackage(f"{path}: {chosen} cannot be unpacked: {exc}") from None
        try:
            return chosen, read_collection(database)
        except (sqlite3.DatabaseError, KeyError, ValueError, TypeError, AttributeError) as exc:
            raise NotAnAnkiPackage(f"{path}: {chosen} is not an Anki collection this can read: {exc}") from None


def _copy_capped(source, target) -> None:
    copied = 0
    while chunk := source.read(1 << 20):
        copied += len(chunk)
        if copied > MAX_COLLECTION_BYTES:
            raise OSError(f"the collection unpacks to more than {MAX_COLLECTION_BYTES >> 30} GB")
        target.write(chunk)


def read_collection(database: Path) -> list[AnkiNote]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")}
        if "notetypes" in tables:  # schema 18: one table each for decks, note types and their fields
            decks = {did: name.replace("\x1f", "::") for did, name in connection.execute("select id, name from decks")}
            types = dict(connection.execute("select id, name from notetypes"))
            field_names: dict[int, list[str]] = {}
            for ntid, _, name in connection.execute("select ntid, ord, name from fields order by ntid, ord"):
                field_names.setdefault(ntid, []).append(name)
        else:  # schema 11: JSON in the col table
            models_json, decks_json = connection.execute("select models, decks from col").fetchone()
            models = json.loads(models_json)
            decks = {int(did): deck["name"] for did, deck in json.loads(decks_json).items()}
            types = {int(mid): model["name"] for mid, model in models.items()}
            field_names = {
                int(mid): [f["name"] for f in sorted(model["flds"], key=lambda f: f["ord"])]
                for mid, model in models.items()
            }
        deck_of = dict(connection.execute("select nid, min(did) from cards group by nid"))
        notes = []
        for nid, guid, mid, tags, flds in connection.execute("select id, guid, mid, tags, flds from notes order by id"):
            if not all(isinstance(value, str) for value in (guid, tags, flds)):
                raise ValueError(f"note {nid} has no GUID, tags or fields as text")
            values = flds.split("\x1f")
            names = field_names.get(mid) or [f"Field {i + 1}" for i in range(len(values))]
            notes.append(
                AnkiNote(
                    guid=guid,
                    notetype=types.get(mid, "?"),
                    fields=dict(zip(names, values)),
                    tags=tuple(tags.split()),
                    deck=decks.get(deck_of.get(nid), "Default"),
                )
            )
        return notes
    finally:
        connection.close()
