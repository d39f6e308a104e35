"""Bank objects written back as YAML (quiz/bank/dump.py, which `quiz anki import` writes banks with) load as the
same objects: the packaged bank, written and read again, is equal question for question."""

from __future__ import annotations

from quiz import paths
from quiz.bank import load_bank
from quiz.bank.dump import deck_to_dict, write_deck


def test_the_packaged_bank_written_back_loads_as_the_same_bank(tmp_path):
    known = set(paths.exercise_names())
    bank = load_bank(paths.packaged_bank_dir(), known)
    for deck in bank.decks:
        write_deck(tmp_path / f"{deck.id}.yaml", deck_to_dict(deck))
    again = load_bank(tmp_path, known)
    assert [q.id for q in again.questions] == [q.id for q in bank.questions]
    assert all(mine == theirs for mine, theirs in zip(again.questions, bank.questions))
    assert [(d.id, d.title, d.description, d.topics) for d in again.decks] == [
        (d.id, d.title, d.description, d.topics) for d in bank.decks
    ]
    answer = (tmp_path / "cost.yaml").read_text(encoding="utf-8")
    assert "  answer:\n    zh: |-\n" in answer  # multi-line text as a block, as the bank's own files write it
