"""`quiz import-doc` on three documents of the genre written for the tests by someone who never saw the importer
(tests/data/documents/): a Chinese one with `## 面试题 N：` headings, numbered points and a `补充` / `（追问）` pass, an
English one with `### Q1:` headings, `**A:**` labels and a `(revisited)` pass, and a blog post with no questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.bank import load_bank
from tests.bank.test_cli import quiz

DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"


@pytest.mark.parametrize(
    "name, language, merged_prompt",
    [
        ("zh-gpu-memory.md", "zh", "混合精度训练中为什么需要损失缩放（Loss Scaling）？"),
        ("en-serving.md", "en", "How does dynamic (server-side) batching work, and which knobs control it?"),
    ],
)
def test_a_document_of_the_genre_imports_to_a_valid_bank(tmp_path, name, language, merged_prompt):
    folder = tmp_path / "bank"
    result = quiz("import-doc", str(DOCUMENTS / name), "--output", str(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"1 deck(s) in {language}, 6 question(s) (5 open, 1 code-review)" in result.stdout.splitlines()[0]
    assert quiz("validate", str(folder)).returncode == 0
    bank = load_bank(folder)
    asked_twice = [q for q in bank.questions if "asked again at line" in (q.source or "")]
    assert [q.prompt(language) for q in asked_twice if q.prompt(language) == merged_prompt] == [merged_prompt]
    assert all(q.key_points and q.languages == (language,) for q in bank.questions)


def test_the_chinese_documents_broken_snippet_is_kept_and_flagged(tmp_path):
    result = quiz("import-doc", str(DOCUMENTS / "zh-gpu-memory.md"), "--output", str(tmp_path / "bank"))
    assert f"{DOCUMENTS / 'zh-gpu-memory.md'}:283: note: Python code does not parse" in result.stdout
    assert sum(s.broken for q in load_bank(tmp_path / "bank").questions for s in q.code) == 1


def test_a_blog_post_is_not_an_interview_document(tmp_path):
    result = quiz("import-doc", str(DOCUMENTS / "no-questions.md"), "--output", str(tmp_path / "bank"))
    assert (result.returncode, len(result.stderr.splitlines())) == (1, 1)
    assert not (tmp_path / "bank").exists()
