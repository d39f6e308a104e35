"""A bank big enough to be parsed in worker processes loads and reports exactly as one parsed here."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.bank import check_files, load_bank, loader, parallel

ANSWER = "并行处理可以同时执行多个计算任务，缩短训练时间。Parallel processing runs many computations at once. " * 6

QUESTION = """\
  - id: big.{deck}.{n}
    type: open
    topic: speed
    tags: [big]
    difficulty: medium
    prompt: {{zh: 第 {n} 题, en: "Question {n}"}}
    answer: {{zh: "{answer}", en: "{answer}"}}
    key_points:
      - id: k
        point: {{zh: 同时执行, en: at once}}
        concepts:
          - {{zh: [同时], en: [parallel]}}
    code:
      - language: python
        source: |
          strategy = tf.distribute.MirroredStrategy()
"""


def write_bank(folder: Path, decks: int = 4, per_deck: int = 500) -> Path:
    folder.mkdir()
    for deck in range(decks):
        questions = "".join(QUESTION.format(deck=deck, n=n, answer=ANSWER) for n in range(per_deck))
        (folder / f"deck{deck}.yaml").write_text(
            f"deck:\n  id: big{deck}\n  title: {{zh: 大 {deck}, en: Big {deck}}}\nquestions:\n{questions}",
            encoding="utf-8",
        )
    assert sum(p.stat().st_size for p in folder.iterdir()) > loader.PARALLEL_BYTES
    return folder


@pytest.fixture
def workers_used(monkeypatch):
    """How many times the loader handed work to worker processes (the real ones: this only counts)."""
    calls = []
    real = parallel.map_in_workers

    def counting(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(parallel, "map_in_workers", counting)
    monkeypatch.setenv("QUIZ_NO_CACHE", "1")  # every load parses
    loader.cache.cache_dir.cache_clear()
    yield calls
    loader.cache.cache_dir.cache_clear()


@pytest.mark.skipif(parallel.cores() < 2, reason="one core: the loader never starts workers")
def test_a_big_bank_loads_in_workers_with_the_same_questions(tmp_path, workers_used, monkeypatch):
    bank_dir = write_bank(tmp_path / "bank")
    in_workers = load_bank(bank_dir)
    assert workers_used == [True]
    monkeypatch.setattr(loader, "PARALLEL_BYTES", float("inf"))
    here = load_bank(bank_dir)
    assert len(in_workers.questions) == 2000
    assert in_workers == here


@pytest.mark.skipif(parallel.cores() < 2, reason="one core: the loader never starts workers")
def test_problems_found_in_workers_have_the_same_places(tmp_path, workers_used, monkeypatch):
    bank_dir = write_bank(tmp_path / "bank")
    deck = bank_dir / "deck2.yaml"
    text = deck.read_text(encoding="utf-8")
    text = text.replace("    difficulty: medium\n", "    difficulty: medium\n    difficulty: hard\n", 1)
    text = text.replace("MirroredStrategy()\n", "MirroredStrategy(\n", 1)
    text = text.replace("id: big.2.7\n", "id: big.0.3\n", 1)  # also defined in deck0.yaml
    deck.write_text(text, encoding="utf-8")
    _, in_workers = check_files([bank_dir])
    assert workers_used == [True]
    monkeypatch.setattr(loader, "PARALLEL_BYTES", float("inf"))
    _, here = check_files([bank_dir])
    assert [str(p) for p in in_workers] == [str(p) for p in here]
    messages = "\n".join(map(str, in_workers))
    assert f"{deck}:10:5: key 'difficulty' is given twice" in messages
    assert "Python snippet does not parse" in messages
    assert f"duplicate question id 'big.0.3' (first defined at {bank_dir / 'deck0.yaml'}:" in messages
