"""A deck in one language practised in the app: a document imported with `quiz import-doc` (an English-only
draft) drilled by a user whose app is in Chinese. The question shows in English with a note saying why, the answer
is scored against the draft's key points, and the attempt is stored."""

from __future__ import annotations


from quiz.bank import load_bank
from quiz.tui.app import QuizApp
from quiz.tui.screens.question_screen import QuestionScreen
from quiz.tui.screens.review_screen import ReviewScreen
from tests.bank.test_cli import quiz

from .conftest import FIXED_NOW, drive, rows, screen_text
from .test_flows import start_practice

DOCUMENT = """\
# Serving models

## Batching

**Question:** Why does request batching raise a model server's throughput?

**Answer:** Because the accelerator is used far better:

- **GPU utilisation**: one batched call keeps the GPU busy instead of idle between small requests.
- **Fewer launches**: per-call overhead such as kernel launches is paid once per batch.
"""


def test_an_english_only_draft_is_practised_in_a_chinese_app(tmp_path, clock):
    document = tmp_path / "serving.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    folder = tmp_path / "bank"
    made = quiz("import-doc", str(document), "--output", str(folder), "--deck", "serving", "--no-thesaurus")
    assert made.returncode == 0, made.stdout + made.stderr
    bank = load_bank(folder)
    assert bank.decks[0].languages == ("en",)
    data_dir = tmp_path / "data"
    app = QuizApp(bank=bank, bank_path=folder, lang="zh", data_dir=data_dir, clock=clock, seed=7, now=FIXED_NOW)

    async def scenario(pilot):
        await start_practice(pilot)
        assert isinstance(app.screen, QuestionScreen)
        text = screen_text(app)
        assert "Why does request batching raise a model server's throughput?" in text
        assert "本题只有英文（题组只用一种语言）" in text
        await pilot.press(*"Batching keeps the GPU utilisation high.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        text = screen_text(app)
        assert "得分 50%" in text
        assert "✓ GPU utilisation: one batched call keeps the GPU busy" in text
        assert "✗ Fewer launches: per-call overhead" in text
        assert rows(data_dir, "SELECT question_id, covered, missed FROM attempts") == [
            ("serving.batching", '["p1"]', '["p2"]')
        ]

    drive(app, scenario, size=(100, 30))
