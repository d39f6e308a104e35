"""The README's table of the packaged bank says what the bank holds: every deck, its file and its number of
questions, and the number of exercises it names."""

from __future__ import annotations

import re
from pathlib import Path

from quiz import paths
from quiz.bank import load_bank

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_deck_table_lists_every_deck_with_its_file_and_count():
    bank = load_bank(paths.packaged_bank_dir())
    table = {
        m["deck"]: (m["file"], int(m["count"]))
        for m in re.finditer(
            r"^\| `(?P<deck>[^`]+)` \((?P<file>[^)]+\.yaml)\) \| (?P<count>\d+) \|",
            README.read_text(encoding="utf-8"),
            re.M,
        )
    }
    actual = {deck.id: (Path(deck.path).name, len(deck.questions)) for deck in bank.decks}
    assert table == actual


def test_every_shipped_exercise_is_named_in_the_readme():
    text = README.read_text(encoding="utf-8")
    for name in paths.exercise_names():
        assert f"`{name}`" in text, name
