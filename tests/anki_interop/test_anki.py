"""`quiz anki export` and `quiz anki import`, checked with Anki's own code: the official `anki` package (AGPL, a
test-only dependency; the project never imports it) opens what we export, and writes the packages we import."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from quiz import paths
from quiz.anki.export import note_guid
from quiz.bank import load_bank

import anki.collection as anki_collection  # noqa: E402 - the real Anki: a test dependency, never the project's

Collection = anki_collection.Collection


def quiz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quiz", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def bank():
    return load_bank(paths.packaged_bank_dir(), set(paths.exercise_names()))


def import_into_anki(collection_path: Path, package: Path):
    col = Collection(str(collection_path))
    col.import_anki_package(
        anki_collection.ImportAnkiPackageRequest(
            package_path=str(package), options=anki_collection.ImportAnkiPackageOptions(with_scheduling=False)
        )
    )
    return col


def notes_by_guid(col) -> dict:
    return {note.guid: note for note in (col.get_note(nid) for nid in col.find_notes(""))}


def test_anki_opens_the_export_with_one_note_per_question_in_its_deck(bank, tmp_path):
    package = tmp_path / "quiz.apkg"
    done = quiz("anki", "export", "--output", str(package))
    assert done.returncode == 0, done.stderr
    col = import_into_anki(tmp_path / "collection.anki2", package)
    try:
        notes = notes_by_guid(col)
        assert len(notes) == len(bank.questions)
        for q in bank.questions:
            note = notes[note_guid(q.id)]
            assert note.note_type()["name"] == "quiz question"
            assert col.decks.name(note.cards()[0].did) == f"quiz::{q.deck}"
            assert {f"topic::{q.topic}", f"difficulty::{q.difficulty}", *q.tags} <= set(note.tags)
            assert note["QuestionId"] == q.id
            shown = re.sub(r"<[^>]+>", "", note["Prompt"])
            for text in (q.prompt.zh, q.prompt.en):
                assert re.sub(r"[`*]", "", text.splitlines()[0])[:30] in html.unescape(shown), q.id
            for point in q.key_points:
                assert (
                    html.escape(point.point.en) in note["KeyPoints"]
                    and html.escape(point.point.zh) in note["KeyPoints"]
                )
            if q.code:
                assert "font-family: monospace" in note["Code"] and "<span" in note["Code"]
            if q.options:
                correct = note["Options"].split('<li class="correct">')[1:]
                assert len(correct) == len(q.correct)
    finally:
        col.close()


def test_exporting_again_after_an_edit_updates_the_note_in_anki(bank, tmp_path):
    first, second = tmp_path / "first.apkg", tmp_path / "second.apkg"
    assert quiz("anki", "export", "--deck", "cost", "--output", str(first)).returncode == 0
    time.sleep(1.1)  # Anki updates a note when the file's copy is newer: its modification time, in seconds
    edited = tmp_path / "bank"
    shutil.copytree(paths.packaged_bank_dir(), edited)
    cost = edited / "cost.yaml"
    cost.write_text(
        cost.read_text(encoding="utf-8").replace(
            "Explain why open-source deep-learning frameworks help lower the cost of AI.",
            "Explain, in your own words, why open-source frameworks lower the cost of AI.",
        ),
        encoding="utf-8",
    )
    assert quiz("--bank", str(edited), "anki", "export", "--deck", "cost", "--output", str(second)).returncode == 0

    col = import_into_anki(tmp_path / "collection.anki2", first)
    try:
        col.import_anki_package(
            anki_collection.ImportAnkiPackageRequest(
                package_path=str(second), options=anki_collection.ImportAnkiPackageOptions(with_scheduling=False)
            )
        )
        notes = notes_by_guid(col)
        assert len(notes) == 5  # updated, not duplicated
        assert "in your own words" in notes[note_guid("cost.open-source-frameworks")]["Prompt"]
    finally:
        col.close()


def test_a_round_trip_gives_back_the_bank_it_started_from(bank, tmp_path):
    package, folder = tmp_path / "quiz.apkg", tmp_path / "imported"
    assert quiz("anki", "export", "--lang", "en", "--output", str(package)).returncode == 0
    done = quiz("anki", "import", str(package), "--output", str(folder))
    assert done.returncode == 0, done.stderr
    assert quiz("validate", str(folder)).returncode == 0
    again = load_bank(folder, set(paths.exercise_names()))
    assert sorted(again.by_id) == sorted(bank.by_id)
    for q in bank.questions:  # prompts, answers, key points, code, ids: all of it, both languages
        assert again.by_id[q.id] == q


def anki_written_package(tmp_path: Path, legacy: bool) -> tuple[Path, str]:
    """A deck made in Anki itself, with Anki's own note type, exported as Anki exports it."""
    col = Collection(str(tmp_path / "author.anki2"))
    try:
        deck = col.decks.id("Machine Learning::Basics")
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"] = "What does <b>data parallelism</b> split?"
        note["Back"] = "<div>The batch, across replicas</div><div>Each replica holds the whole model</div>"
        note.tags = ["ml", "distributed::data-parallel", "difficulty::hard"]
        col.add_note(note, deck)
        chinese = col.new_note(col.models.by_name("Basic"))
        chinese["Front"] = "什么是梯度？"
        chinese["Back"] = "<ul><li>损失对参数的偏导数</li><li>指向损失上升最快的方向</li></ul>"
        col.add_note(chinese, deck)
        out = tmp_path / ("legacy.apkg" if legacy else "current.apkg")
        col.export_anki_package(
            out_path=str(out),
            options=anki_collection.ExportAnkiPackageOptions(with_scheduling=False, with_media=False, legacy=legacy),
            limit=anki_collection.DeckIdLimit(deck_id=deck),
        )
        return out, note.guid
    finally:
        col.close()


@pytest.mark.parametrize("legacy, collection", [(False, "collection.anki21b"), (True, "collection.anki21")])
def test_a_deck_made_in_anki_becomes_a_bank_that_validates(tmp_path, legacy, collection):
    package, guid = anki_written_package(tmp_path, legacy)
    assert collection in zipfile.ZipFile(package).namelist()
    folder = tmp_path / "bank"
    done = quiz("anki", "import", str(package), "--output", str(folder))
    assert done.returncode == 0 and f"read {collection}" in done.stderr, done.stderr
    assert quiz("validate", str(folder)).returncode == 0
    data = yaml.safe_load((folder / "machine-learning-basics.yaml").read_text(encoding="utf-8"))
    english, chinese = data["questions"]
    assert english["id"] == "anki." + guid.encode().hex()
    assert english["prompt"] == {
        "zh": "What does **data parallelism** split?",
        "en": "What does **data parallelism** split?",
    }
    assert english["answer"]["en"] == "The batch, across replicas\n\nEach replica holds the whole model"
    assert sorted(english["tags"]) == ["distributed-data-parallel", "ml"] and english["difficulty"] == "hard"
    assert "one language, en" in english["source"]
    assert [p["point"]["en"] for p in english["key_points"]] == [
        "The batch, across replicas",
        "Each replica holds the whole model",
    ]
    assert (
        chinese["answer"]["zh"] == "- 损失对参数的偏导数\n- 指向损失上升最快的方向"
        and "one language, zh" in chinese["source"]
    )
    assert chinese["key_points"][0]["concepts"][0]["zh"] == ["损失对参数的", "偏导数"]  # its words, to be edited

    for question in (english, chinese):  # its own answer covers every point derived from it
        scored = quiz("--bank", str(folder), "score", question["id"], "--answer", question["answer"]["en"], "--json")
        assert json.loads(scored.stdout)["missed"] == [], scored.stdout

    again = tmp_path / "again"
    assert quiz("anki", "import", str(package), "--output", str(again)).returncode == 0
    assert (again / "machine-learning-basics.yaml").read_text() == (folder / "machine-learning-basics.yaml").read_text()


def test_a_file_that_is_not_an_anki_package_is_one_line_and_exit_1(tmp_path):
    for name, content in (("text.apkg", b"not a zip"), ("empty.apkg", None)):
        path = tmp_path / name
        if content is None:
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("readme.txt", "a zip, but no collection")
        else:
            path.write_bytes(content)
        done = quiz("anki", "import", str(path), "--output", str(tmp_path / "out"))
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "not an Anki package" in done.stderr
        assert not (tmp_path / "out").exists()


def crafted_package(tmp_path: Path, models: str, note: tuple) -> Path:
    """A schema-11 collection written by hand, to say what the reader does with what Anki never writes."""
    import sqlite3

    database = tmp_path / "collection.anki2"
    connection = sqlite3.connect(database)
    connection.execute("create table col (models text, decks text)")
    connection.execute("create table notes (id, guid, mid, tags, flds)")
    connection.execute("create table cards (nid, did)")
    connection.execute("insert into col values (?, ?)", (models, '{"1": {"name": "Deck"}}'))
    connection.execute("insert into notes values (?, ?, ?, ?, ?)", note)
    connection.execute("insert into cards values (1, 1)")
    connection.commit()
    connection.close()
    package = tmp_path / "crafted.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(database, "collection.anki2")
    return package


BASIC = json.dumps({"1": {"name": "Basic", "flds": [{"name": "Front", "ord": 0}, {"name": "Back", "ord": 1}]}})


@pytest.mark.parametrize(
    "models, note",
    [
        ("[]", (1, "g", 1, "", "front\x1fback")),  # note types as a list
        (BASIC, (1, None, 1, "", None)),  # a note with no GUID and no fields
    ],
)
def test_a_collection_anki_never_writes_is_one_line_and_exit_1(tmp_path, models, note):
    done = quiz("anki", "import", str(crafted_package(tmp_path, models, note)), "--output", str(tmp_path / "out"))
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "is not an Anki collection this can read" in done.stderr


def test_a_note_that_looks_like_ours_but_is_not_is_read_as_any_other(tmp_path):
    fields = "What is a replica?\x1fA copy of the model on one device\x1f" + json.dumps({"question": {"x": 1}})
    models = json.dumps(
        {
            "1": {
                "name": "quiz question",
                "flds": [{"name": name, "ord": i} for i, name in enumerate(["Prompt", "Answer", "QuizData"])],
            }
        }
    )
    folder = tmp_path / "bank"
    done = quiz(
        "anki", "import", str(crafted_package(tmp_path, models, (1, "g1", 1, "", fields))), "--output", str(folder)
    )
    assert done.returncode == 0, done.stderr
    assert quiz("validate", str(folder)).returncode == 0
